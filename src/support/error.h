/* Internal error reporting: set the per-thread detail message and return a code. */
#ifndef BP_ERROR_H
#define BP_ERROR_H

#include <stdbool.h>

#if defined(__GNUC__)
#define BP_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define BP_PRINTF_LIKE(fmt, args)
/* Whether code is one of the map's codes (BP_ERRNO_MAP), BP_OK included. */
bool bp__is_error_code(int code);

#endif

/* Records "function: message" as this thread's bp_errmsg() and returns code,
 * so a failure path reads `return bp__fail(BP_EINVAL, __func__, "...", ...);`.
 * Allocates nothing. */
int bp__fail(int code, const char *function, const char *format, ...) BP_PRINTF_LIKE(3, 4);

/* Whether code is one of the map's codes (BP_ERRNO_MAP), BP_OK included. */
bool bp__is_error_code(int code);

#endif
