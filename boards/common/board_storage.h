/**
 * @file board_storage.h
 * @brief Emulated flash: host files through semihosting, and a pkiot storage port on them.
 *
 * EMULATOR-ONLY. Under QEMU the "flash" that keeps the enrollment checkpoint across a power
 * cut (a kill of the QEMU process) is a file on the host. save() writes `<path>.tmp` and
 * renames it over `<path>` (host rename(2), atomic on POSIX), so after a kill at any instant
 * load() sees the old blob or the new one, complete. A real board uses the A/B flash slot
 * storage from ports/storage instead.
 */
#ifndef BOARD_STORAGE_H
#define BOARD_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "pkiot/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BOARD_FILE_PATH_MAX 128

/** Reads the whole file @p path into @p buf. @return 0, -1 (missing/IO), -2 (too large). */
int board_file_read(const char *path, uint8_t *buf, size_t cap, size_t *len);
/** Writes @p path.tmp then renames it over @p path. @return 0 or -1. */
int board_file_write_atomic(const char *path, const uint8_t *buf, size_t len);
/** Removes @p path; a missing file is not an error. @return 0 or -1. */
int board_file_remove(const char *path);

/** State of the file-backed storage port; caller-owned, must outlive the port. */
typedef struct board_file_storage {
    char path[BOARD_FILE_PATH_MAX];
} board_file_storage_t;

/**
 * Fills @p port with load/save/erase over the host file @p path (relative paths are relative
 * to QEMU's working directory).
 * @return PKIOT_OK or PKIOT_E_INVALID_ARG (NULL argument or path too long).
 */
int board_file_storage_init(board_file_storage_t *st, const char *path,
                            pkiot_storage_port_t *port);

#ifdef __cplusplus
}
#endif

#endif /* BOARD_STORAGE_H */
