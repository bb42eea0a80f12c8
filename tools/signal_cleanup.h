/* A temporary file removed when SIGINT, SIGTERM or SIGHUP ends a command that stops at the first
 * signal (predict), so that no partial <path>.tmp.XXXXXX is left. */
#ifndef BACKPROP_TOOL_SIGNAL_CLEANUP_H
#define BACKPROP_TOOL_SIGNAL_CLEANUP_H

/* From now on, those signals remove `path` (if set) and then end the
 * program as they would have (status 128 + the signal's number); NULL
 * removes nothing. The string must stay valid until the next call. The
 * first call installs the handlers. */
void signal_cleanup(const char *path);

#endif
