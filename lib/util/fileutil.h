#pragma once
#include <glib.h>
#include <sys/types.h>

/* Write temp file in the same directory, fsync, rename over @path, fsync the
 * directory: readers see the old or the new content, never a torn file.
 * -1 + error on failure (the temp file is removed). */
int mvFileWriteAtomic(const char *path, const char *data, size_t len, mode_t mode);
/* TRUE for the name of a temp file mvFileWriteAtomic left behind when the
 * process died between create and rename ("NAME.XXXXXX", 6 random chars
 * after a final '.' that follows a ".xml"-style name). */
gboolean mvFileIsAtomicTemp(const char *name, const char *suffix);
/* Remove such leftovers (of files ending in @suffix) from @dir; returns how many. */
int mvFileRemoveAtomicTemps(const char *dir, const char *suffix);
/* Read a whole file of at most @maxlen bytes; NULL + error otherwise. */
char *mvFileReadLimit(const char *path, size_t maxlen, size_t *len);
/* mkdir -p with @mode; -1 + error. */
int mvFileMakePath(const char *path, mode_t mode);
/* Close-on-exec open() wrapper. */
int mvFileOpenCloexec(const char *path, int flags, mode_t mode);
