/* Internal error reporting: set the per-thread detail message and return a code. */
#ifndef BP_ERROR_H
#define BP_ERROR_H

#if defined(__GNUC__)
#define BP_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define BP_PRINTF_LIKE(fmt, args)
#endif

/* Records "function: message" as this thread's bp_errmsg() and returns code,
 * so a failure path reads `return bp__fail(BP_EINVAL, __func__, "...", ...);`.
 * Allocates nothing. */
int bp__fail(int code, const char *function, const char *format, ...) BP_PRINTF_LIKE(3, 4);

#endif
