/* Test-only LD_PRELOAD shim: SIGTERM raised just before a temporary file is renamed over a named
 * output, so that a signal lands in the save window every time. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rename(2) as the program calls it. When `to` is the path in
 * BP_TEST_SIGTERM_BEFORE_RENAME_TO, the first time only: says so on stderr
 * (with whether the temporary file is on disk), raises SIGTERM in this
 * thread (delivered before raise returns, so the handler has run), then
 * renames. */
int rename(const char *from, const char *to) {
    static int (*real_rename)(const char *, const char *);
    static int raised;
    if (!real_rename)
        *(void **)&real_rename = dlsym(RTLD_NEXT, "rename");
    const char *target = getenv("BP_TEST_SIGTERM_BEFORE_RENAME_TO");
    if (target && !raised && strcmp(to, target) == 0) {
        raised = 1;
        fprintf(stderr, "signal_at_rename: SIGTERM with %s %s\n", from,
                access(from, F_OK) == 0 ? "on disk" : "missing");
        raise(SIGTERM);
    }
    return real_rename(from, to);
}
