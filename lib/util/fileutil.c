/* File helpers: crash-safe replacement of a file, bounded reads, mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fileutil.h"

#define MV_FROM_THIS MV_FROM_NONE

int
mvFileOpenCloexec(const char *path, int flags, mode_t mode)
{
    int fd;

    do {
        fd = open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}


static int
mvFileWriteAll(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}


int
mvFileWriteAtomic(const char *path, const char *data, size_t len, mode_t mode)
{
    g_autofree char *tmp = NULL;
    g_autofree char *dir = NULL;
    int fd = -1;
    int dirfd;
    int err;

    if (!path || !*path) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "empty file name");
        return -1;
    }
    if (!data && len > 0) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "no data to write");
        return -1;
    }

    tmp = g_strdup_printf("%s.XXXXXX", path);
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0) {
        mvReportSystemError(errno, "cannot create file '%s'", path);
        return -1;
    }
    /* mkstemp ignores the umask differences we care about: set @mode exactly */
    if (fchmod(fd, mode) < 0) {
        err = errno;
        mvReportSystemError(err, "cannot save file '%s'", path);
        goto error;
    }
    if (mvFileWriteAll(fd, data, len) < 0) {
        err = errno;
        mvReportSystemError(err, "cannot write data to file '%s'", path);
        goto error;
    }
    if (fsync(fd) < 0) {
        err = errno;
        mvReportSystemError(err, "cannot sync file '%s'", path);
        goto error;
    }
    if (close(fd) < 0) {
        fd = -1;
        err = errno;
        mvReportSystemError(err, "cannot save file '%s'", path);
        goto error;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        err = errno;
        mvReportSystemError(err, "cannot rename file '%s' as '%s'", tmp, path);
        goto error;
    }

    /* make the rename itself durable */
    dir = g_path_get_dirname(path);
    dirfd = mvFileOpenCloexec(dir, O_RDONLY | O_DIRECTORY, 0);
    if (dirfd >= 0) {
        if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS) {
            err = errno;
            close(dirfd);
            mvReportSystemError(err, "cannot sync directory '%s'", dir);
            return -1;
        }
        close(dirfd);
    }
    return 0;

 error:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}


char *
mvFileReadLimit(const char *path, size_t maxlen, size_t *len)
{
    g_autofree char *buf = NULL;
    size_t used = 0;
    size_t alloc = 0;
    int fd;

    if ((fd = mvFileOpenCloexec(path, O_RDONLY, 0)) < 0) {
        mvReportSystemError(errno, "Failed to open file '%s'", path);
        return NULL;
    }

    for (;;) {
        ssize_t n;

        if (alloc - used < 4096 + 1) {
            alloc = MAX(alloc * 2, 8192);
            /* never more than maxlen + 1 (to detect overflow) + NUL */
            if (maxlen < G_MAXSIZE - 2 && alloc > maxlen + 2)
                alloc = maxlen + 2;
            buf = g_realloc(buf, alloc);
        }
        n = read(fd, buf + used, alloc - used - 1);
        if (n < 0) {
            int err = errno;
            if (err == EINTR)
                continue;
            close(fd);
            mvReportSystemError(err, "Failed to read file '%s'", path);
            return NULL;
        }
        if (n == 0)
            break;
        used += n;
        if (used > maxlen) {
            close(fd);
            mvReportSystemError(EFBIG, "Failed to read file '%s'", path);
            return NULL;
        }
    }
    close(fd);
    if (!buf)
        buf = g_malloc(1);
    buf[used] = '\0';
    if (len)
        *len = used;
    return g_steal_pointer(&buf);
}


int
mvFileMakePath(const char *path, mode_t mode)
{
    if (g_mkdir_with_parents(path, mode) < 0) {
        mvReportSystemError(errno, "cannot create directory '%s'", path);
        return -1;
    }
    return 0;
}

gboolean
mvFileIsAtomicTemp(const char *name, const char *suffix)
{
    const char *dot = strrchr(name, '.');
    size_t slen = strlen(suffix);

    if (!dot || strlen(dot + 1) != 6 || (size_t)(dot - name) < slen)
        return FALSE;
    return strncmp(dot - slen, suffix, slen) == 0;
}

int
mvFileRemoveAtomicTemps(const char *dir, const char *suffix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;
    int n = 0;

    if (!d)
        return 0;
    while ((ent = g_dir_read_name(d))) {
        if (mvFileIsAtomicTemp(ent, suffix)) {
            g_autofree char *p = g_build_filename(dir, ent, NULL);
            if (unlink(p) == 0)
                n++;
        }
    }
    return n;
}
