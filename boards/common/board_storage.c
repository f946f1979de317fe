/* Emulated flash over semihosting files.  EMULATOR-ONLY: see board_storage.h. */
#include "board_storage.h"

#include <string.h>

#include "semihost.h"

int board_file_read(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    int fd = semihost_open(path, SEMIHOST_OPEN_RB);
    if (fd < 0) {
        return -1;
    }
    intptr_t flen = semihost_flen(fd);
    int rc = 0;
    if (flen < 0) {
        rc = -1;
    } else if ((size_t)flen > cap) {
        rc = -2;
    } else if (flen > 0 && semihost_read(fd, buf, (size_t)flen) != 0) {
        rc = -1;
    } else {
        *len = (size_t)flen;
    }
    (void)semihost_close(fd);
    return rc;
}

int board_file_write_atomic(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[BOARD_FILE_PATH_MAX + 4];
    size_t plen = strlen(path);
    if (plen + 5 > sizeof tmp) {
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    int fd = semihost_open(tmp, SEMIHOST_OPEN_WB);
    if (fd < 0) {
        return -1;
    }
    int ok = len == 0 || semihost_write(fd, buf, len) == 0;
    /* The host's fclose() flushes; a failed close means the data may not be there. */
    ok = semihost_close(fd) == 0 && ok;
    if (!ok) {
        (void)semihost_remove(tmp);
        return -1;
    }
    if (semihost_rename(tmp, path) != 0) {
        /* Hosts whose rename() does not replace: fall back to remove + rename. */
        (void)semihost_remove(path);
        if (semihost_rename(tmp, path) != 0) {
            (void)semihost_remove(tmp);
            return -1;
        }
    }
    return 0;
}

int board_file_remove(const char *path)
{
    if (semihost_remove(path) == 0) {
        return 0;
    }
    /* Missing already counts as removed. */
    int fd = semihost_open(path, SEMIHOST_OPEN_RB);
    if (fd < 0) {
        return 0;
    }
    (void)semihost_close(fd);
    return -1;
}

static int st_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    const board_file_storage_t *st = ctx;
    int rc = board_file_read(st->path, buf, cap, len);
    if (rc == -2) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (rc != 0) {
        /* Tell "never written" from a read error: a file that cannot be opened is empty. */
        int fd = semihost_open(st->path, SEMIHOST_OPEN_RB);
        if (fd < 0) {
            return PKIOT_E_STORAGE_EMPTY;
        }
        (void)semihost_close(fd);
        return PKIOT_E_STORAGE_IO;
    }
    return *len == 0 ? PKIOT_E_STORAGE_EMPTY : PKIOT_OK;
}

static int st_save(void *ctx, const uint8_t *buf, size_t len)
{
    const board_file_storage_t *st = ctx;
    return board_file_write_atomic(st->path, buf, len) == 0 ? PKIOT_OK : PKIOT_E_STORAGE_IO;
}

static int st_erase(void *ctx)
{
    const board_file_storage_t *st = ctx;
    return board_file_remove(st->path) == 0 ? PKIOT_OK : PKIOT_E_STORAGE_IO;
}

int board_file_storage_init(board_file_storage_t *st, const char *path,
                            pkiot_storage_port_t *port)
{
    if (st == NULL || path == NULL || port == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t plen = strlen(path);
    if (plen == 0 || plen >= sizeof st->path) {
        return PKIOT_E_INVALID_ARG;
    }
    memcpy(st->path, path, plen + 1);
    port->ctx = st;
    port->load = st_load;
    port->save = st_save;
    port->erase = st_erase;
    return PKIOT_OK;
}
