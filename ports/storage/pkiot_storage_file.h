/**
 * @file pkiot_storage_file.h
 * @brief Storage port (::pkiot_storage_port_t) on one POSIX file.
 *
 * save() writes `<path>.tmp` in the same directory, fsync()s it, rename()s it over `<path>`
 * and fsync()s the directory, so after a crash at any instant `<path>` holds either the old
 * or the new blob, complete. A leftover `<path>.tmp` (crash before the rename) is ignored by
 * load() and replaced by the next save(). Files are created with mode 0600 (the blob may
 * carry a software private key).
 *
 * Return codes: PKIOT_OK; load(): PKIOT_E_STORAGE_EMPTY when `<path>` does not exist,
 * PKIOT_E_BUFFER_TOO_SMALL when the blob is larger than @p cap (nothing is copied, `*len`
 * receives the size needed); PKIOT_E_STORAGE_IO for any system call failure (errno is kept,
 * see pkiot_storage_file_errno()). Zero-length blobs are stored and loaded like any other.
 * Calls block for the duration of the file system operations.
 */
#ifndef PKIOT_STORAGE_FILE_H
#define PKIOT_STORAGE_FILE_H

#include "pkiot/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest accepted path (bytes, without the NUL); room for the ".tmp" suffix is kept. */
#ifndef PKIOT_STORAGE_FILE_PATH_MAX
#define PKIOT_STORAGE_FILE_PATH_MAX 255
#endif

/** State; treat members as private. The path is copied, so the caller's string may go away. */
typedef struct pkiot_storage_file {
    char path[PKIOT_STORAGE_FILE_PATH_MAX + 1];
    int last_errno;
} pkiot_storage_file_t;

/**
 * @brief Bind the port to @p path and fill in @p port_out (port_out->ctx == st).
 * @return PKIOT_OK, or PKIOT_E_INVALID_ARG (NULL, empty, or too long a path).
 */
int pkiot_storage_file_init(pkiot_storage_file_t *st, const char *path,
                            pkiot_storage_port_t *port_out);

/** @brief errno of the last PKIOT_E_STORAGE_IO, 0 if none. */
int pkiot_storage_file_errno(const pkiot_storage_file_t *st);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_STORAGE_FILE_H */
