/* Storage port on a POSIX file: temp file + fsync + rename + directory fsync. */
#define _POSIX_C_SOURCE 200809L

#include "storage/pkiot_storage_file.h"

/* Bare-metal builds compile every storage port; this one needs a POSIX file system. */
#if defined(__unix__) || defined(__unix) || defined(__APPLE__)

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#define TMP_SUFFIX ".tmp"

static int io_fail(pkiot_storage_file_t *st)
{
    st->last_errno = errno != 0 ? errno : EIO;
    return PKIOT_E_STORAGE_IO;
}

static int tmp_path(const pkiot_storage_file_t *st, char *out, size_t cap)
{
    size_t n = strlen(st->path);
    if (n + sizeof TMP_SUFFIX > cap) {
        return -1;
    }
    memcpy(out, st->path, n);
    memcpy(out + n, TMP_SUFFIX, sizeof TMP_SUFFIX);
    return 0;
}

/* The directory entry change made by rename/unlink is only durable once the directory is. */
static int sync_dir(pkiot_storage_file_t *st)
{
    char dir[PKIOT_STORAGE_FILE_PATH_MAX + 1];
    const char *slash = strrchr(st->path, '/');
    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
    } else if (slash == st->path) {
        dir[0] = '/';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - st->path);
        memcpy(dir, st->path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC
#ifdef O_DIRECTORY
                           | O_DIRECTORY
#endif
    );
    if (fd < 0) {
        return io_fail(st);
    }
    int rc = fsync(fd);
    /* Some file systems refuse fsync on directories; the data itself is already synced. */
    if (rc != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        errno = e;
        return io_fail(st);
    }
    close(fd);
    return PKIOT_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += (size_t)w;
        len -= (size_t)w;
    }
    return 0;
}

static int f_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    pkiot_storage_file_t *st = (pkiot_storage_file_t *)ctx;
    if (len == NULL || (buf == NULL && cap > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    int fd = open(st->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return PKIOT_E_STORAGE_EMPTY;
        }
        return io_fail(st);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return io_fail(st);
    }
    if (sb.st_size < 0 || (unsigned long long)sb.st_size > (unsigned long long)cap) {
        close(fd);
        *len = (size_t)sb.st_size;
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            /* the file grew after fstat: check there is nothing more */
            uint8_t extra;
            ssize_t r = read(fd, &extra, 1);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r != 0) {
                close(fd);
                if (r > 0) {
                    *len = cap + 1;
                    return PKIOT_E_BUFFER_TOO_SMALL;
                }
                return io_fail(st);
            }
            break;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            close(fd);
            errno = e;
            return io_fail(st);
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return PKIOT_OK;
}

static int f_save(void *ctx, const uint8_t *buf, size_t len)
{
    pkiot_storage_file_t *st = (pkiot_storage_file_t *)ctx;
    char tmp[PKIOT_STORAGE_FILE_PATH_MAX + sizeof TMP_SUFFIX];
    if (buf == NULL && len > 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (tmp_path(st, tmp, sizeof tmp) != 0) {
        return PKIOT_E_INVALID_ARG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return io_fail(st);
    }
    if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        (void)unlink(tmp);
        errno = e;
        return io_fail(st);
    }
    if (close(fd) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return io_fail(st);
    }
    if (rename(tmp, st->path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return io_fail(st);
    }
    return sync_dir(st);
}

static int f_erase(void *ctx)
{
    pkiot_storage_file_t *st = (pkiot_storage_file_t *)ctx;
    char tmp[PKIOT_STORAGE_FILE_PATH_MAX + sizeof TMP_SUFFIX];
    if (tmp_path(st, tmp, sizeof tmp) == 0) {
        (void)unlink(tmp);
    }
    if (unlink(st->path) != 0 && errno != ENOENT) {
        return io_fail(st);
    }
    return sync_dir(st);
}

int pkiot_storage_file_init(pkiot_storage_file_t *st, const char *path,
                            pkiot_storage_port_t *port_out)
{
    if (st == NULL || path == NULL || port_out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t n = strlen(path);
    if (n == 0 || n > PKIOT_STORAGE_FILE_PATH_MAX - (sizeof TMP_SUFFIX - 1) ||
        path[n - 1] == '/') {
        return PKIOT_E_INVALID_ARG;
    }
    memset(st, 0, sizeof *st);
    memcpy(st->path, path, n + 1);
    port_out->ctx = st;
    port_out->load = f_load;
    port_out->save = f_save;
    port_out->erase = f_erase;
    return PKIOT_OK;
}

int pkiot_storage_file_errno(const pkiot_storage_file_t *st)
{
    return st != NULL ? st->last_errno : 0;
}

#else
typedef int pkiot_storage_file_unavailable_t;
#endif
