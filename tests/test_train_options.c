/* train's options and its --help agree: every option getopt_long takes is named in the help, every
 * --name in the help is an option it takes and parses, and every default the help prints is of its
 * conversion's kind. */
#define _POSIX_C_SOURCE 200809L /* open_memstream, dup2 */
#include <criterion/criterion.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "train_options.h"

/* train --help, malloc'd. */
static char *help_text(void) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert(out);
    print_train_help(out);
    cr_assert_eq(fclose(out), 0);
    return text;
}

/* The option of getopt_long's table with this name, or NULL. */
static const struct option *find_option(const char *name, size_t length) {
    for (const struct option *o = train_long_options(); o->name; o++)
        if (strlen(o->name) == length && strncmp(o->name, name, length) == 0)
            return o;
    return NULL;
}

static bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || c == '-'; }

/* Whether "--name" is in text as a whole word. */
static bool names(const char *text, const char *name) {
    const size_t length = strlen(name);
    for (const char *p = strstr(text, "--"); p; p = strstr(p + 1, "--"))
        if (strncmp(p + 2, name, length) == 0 && !is_name_char(p[2 + length]) &&
            (p == text || !is_name_char(p[-1])))
            return true;
    return false;
}

Test(train_options, every_option_is_in_the_help) {
    char *help = help_text();
    size_t count = 0;
    for (const struct option *o = train_long_options(); o->name; o++, count++)
        cr_expect(names(help, o->name), "train takes --%s, which its --help does not name",
                  o->name);
    cr_expect_gt(count, 40, "only %zu options", count);
    free(help);
}

Test(train_options, every_name_in_the_help_is_an_option) {
    char *help = help_text();
    size_t count = 0;
    for (const char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
        if (p > help && is_name_char(p[-1]))
            continue; /* inside a word */
        size_t length = 0;
        while (is_name_char(p[2 + length]))
            length++;
        while (length > 0 && p[1 + length] == '-')
            length--; /* a dash that ends the word is punctuation */
        if (length == 0)
            continue;
        cr_expect(find_option(p + 2, length),
                  "train --help names --%.*s, which train does not take", (int)length, p + 2);
        count++;
    }
    cr_expect_gt(count, 40, "only %zu names", count);
    cr_expect_null(strstr(help, "<bad help format>"), "%s", help);
    free(help);
}

/* Each option of the table, given with a value, reaches its parse: it is
 * given afterwards (even when the value is refused), and the parse knows it
 * ("unhandled option" is what a row without a parse says). */
Test(train_options, every_option_is_parsed) {
    FILE *log = tmpfile();
    cr_assert(log);
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    cr_assert(saved >= 0 && dup2(fileno(log), STDERR_FILENO) >= 0);
    size_t count = 0;
    for (const struct option *o = train_long_options(); o->name; o++) {
        if (o->val == 'h')
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", o->name);
        char *argv[] = {"train", flag, o->has_arg == no_argument ? NULL : "1", NULL};
        const int argc = argv[2] ? 3 : 2;
        train_config c;
        parse_train_options(&c, argc, argv);
        free(c.layers);
        cr_expect(train_option_given(&c, o->name), "--%s was not taken as given", o->name);
        count++;
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char messages[1 << 16];
    rewind(log);
    const size_t n = fread(messages, 1, sizeof messages - 1, log);
    messages[n] = '\0';
    fclose(log);
    cr_expect_null(strstr(messages, "unhandled option"), "%s", messages);
    cr_expect_null(strstr(messages, "unknown option"), "%s", messages);
    cr_expect_gt(count, 40);
}
