/* The public structs' reserved space: the check that a caller left it zero
 * (include/backprop.h, "ABI policy"). Used by every function that reads a
 * struct the caller fills. */
#ifndef BP_SUPPORT_ABI_H
#define BP_SUPPORT_ABI_H

#include <stddef.h>
#include <stdint.h>

/* BP_EINVAL, with a message naming `what`'s first nonzero word (e.g.
 * "options->reserved[2]"), when any of the `count` words is not zero;
 * BP_OK otherwise. */
int bp__check_reserved(const uint64_t *reserved, size_t count, const char *what,
                       const char *function);

/* The check on the struct `s` points to, whose reserved space is named
 * `what` in the message (say "options->reserved"). */
#define BP__CHECK_RESERVED(s, what, function)                                                      \
    bp__check_reserved((s)->reserved, sizeof((s)->reserved) / sizeof((s)->reserved[0]), what,      \
                       function)

#endif
