/* Error codes, their names and descriptions, and the per-thread detail message. */
#include "support/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backprop.h"

/* Room for a function name, two paths of the longest the kernel accepts
 * (PATH_MAX, 4096 with its NUL) and a sentence with numbers in it, so
 * that a long path never pushes the reason out of the message. */
#define ERRMSG_CAPACITY (2 * 4096 + 1024)

/* What ends a message that did not fit (paths longer than the kernel's). */
static const char CUT_MARK[] = "...";

static _Thread_local char last_message[ERRMSG_CAPACITY];

const char *bp_strerror(int code) {
    switch (code) {
#define BP_STRERROR_CASE_(name, value, text)                                                       \
    case BP_##name:                                                                                \
        return text;
        BP_ERRNO_MAP(BP_STRERROR_CASE_)
#undef BP_STRERROR_CASE_
    default:
        return "unknown error";
    }
}

const char *bp_err_name(int code) {
    switch (code) {
#define BP_ERR_NAME_CASE_(name, value, text)                                                       \
    case BP_##name:                                                                                \
        return "BP_" #name;
        BP_ERRNO_MAP(BP_ERR_NAME_CASE_)
#undef BP_ERR_NAME_CASE_
    default:
        return "BP_UNKNOWN";
    }
}

bool bp__is_error_code(int code) {
    switch (code) {
#define BP_IS_CODE_CASE_(name, value, text) case BP_##name:
        BP_ERRNO_MAP(BP_IS_CODE_CASE_)
#undef BP_IS_CODE_CASE_
        return true;
    default:
        return false;
    }
}

const char *bp_errmsg(void) { return last_message; }

int bp__fail(int code, const char *function, const char *format, ...) {
    int used = snprintf(last_message, sizeof last_message, "%s: ", function);
    if (used < 0 || (size_t)used >= sizeof last_message)
        return code; /* the name alone filled the buffer: keep it, truncated */
    va_list args;
    va_start(args, format);
    const int rest =
        vsnprintf(last_message + used, sizeof last_message - (size_t)used, format, args);
    va_end(args);
    /* Cut: say so, rather than end mid-word as if that were all. */
    if (rest > 0 && (size_t)rest >= sizeof last_message - (size_t)used)
        memcpy(last_message + sizeof last_message - sizeof CUT_MARK, CUT_MARK, sizeof CUT_MARK);
    return code;
}
