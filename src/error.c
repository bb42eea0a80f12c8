/* Error codes, their names and descriptions, and the per-thread detail message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "backprop.h"

/* Room for a function name, a file path and a sentence with numbers in it. */
#define ERRMSG_CAPACITY 512

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

const char *bp_errmsg(void) { return last_message; }

int bp__fail(int code, const char *function, const char *format, ...) {
    int used = snprintf(last_message, sizeof last_message, "%s: ", function);
    if (used < 0 || (size_t)used >= sizeof last_message)
        return code; /* the name alone filled the buffer: keep it, truncated */
    va_list args;
    va_start(args, format);
    vsnprintf(last_message + used, sizeof last_message - (size_t)used, format, args);
    va_end(args);
    return code;
}
