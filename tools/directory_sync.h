/* Making a rename durable: fsync of the directory that holds the new name. */
#ifndef BACKPROP_TOOL_DIRECTORY_SYNC_H
#define BACKPROP_TOOL_DIRECTORY_SYNC_H

/* fsync of the directory `dir`: 0, or -1 with errno set. */
int sync_directory(const char *dir);

/* fsync of the directory holding `path` ("." for a bare name, "/" for
 * "/name"): 0, or -1 with errno set. */
int sync_directory_of(const char *path);

#endif
