/* The backprop program: dispatches to the train, eval, info and predict commands. */
#include <backprop.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "commands.h"
#include "distributed.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char *argv[]);
    void (*help)(void);
    const char *summary;
} command;

static const command commands[] = {
    {"train", train_command, train_help, "train a network (on Fashion-MNIST by default)"},
    {"eval", eval_command, eval_help, "a saved model's cost and accuracy on a data set"},
    {"info", info_command, info_help, "describe a saved model"},
    {"predict", predict_command, predict_help, "a saved model's predictions for a CSV file"},
};

enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void help(FILE *out) {
    fprintf(out, "usage: backprop COMMAND [options]\n"
                 "       backprop COMMAND --help\n"
                 "\n"
                 "Trains multilayer perceptrons by backpropagation on OpenBLAS.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  help    help [COMMAND]: this help, or a command's\n"
                 "\n"
                 "Options:\n"
                 "  -h, --help     this help\n"
                 "  --version      the program's and the library's version\n"
                 "\n"
                 "Exit status: 0 success, 1 runtime error (files, formats, sizes, training),\n"
                 "2 usage error.\n");
}

static const command *find(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int dispatch(int argc, char *argv[]) {
    if (argc < 2) {
        help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        help(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("backprop %d.%d.%d (library %s)\n", BP_VERSION_MAJOR, BP_VERSION_MINOR,
               BP_VERSION_PATCH, bp_version());
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc == 2) {
            help(stdout);
            return EXIT_OK;
        }
        const command *c = find(argv[2]);
        if (!c)
            return usage_error(NULL, "help: unknown command '%s'", argv[2]);
        if (argc > 3)
            return usage_error(NULL, "help: unexpected argument '%s'", argv[3]);
        c->help();
        return EXIT_OK;
    }
    const command *c = find(name);
    if (!c) {
        if (name[0] == '-')
            return usage_error(NULL, "unknown option '%s'", name);
        return usage_error(NULL, "unknown command '%s' (expected train, eval, info or predict)",
                           name);
    }
    /* The command sees its own name as argv[0], as getopt_long expects. */
    return c->run(argc - 1, argv + 1);
}

int main(int argc, char *argv[]) {
    /* Under mpirun, MPI starts here; alone nothing changes. */
    distributed_start(&argc, &argv);
    const int status = dispatch(argc, argv);
    distributed_finish();
    return status;
}
