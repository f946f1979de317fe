/**
 * @file storage.h
 * @brief The storage port: durable home of the enrollment checkpoint blob.
 *
 * The engine writes one small blob (see lib/enroll/checkpoint.h for its format) after every
 * step whose loss would cost a key or a transaction. save() must be atomic: after a power cut
 * at any instant, load() returns either the previous blob or the new one, complete. The POSIX
 * implementation uses temp file + fsync + rename; the flash implementation uses two slots with
 * a sequence number and lets the CRC in the blob pick the newest valid one.
 *
 * Return contract: PKIOT_OK, PKIOT_E_STORAGE_EMPTY (load: nothing stored), PKIOT_E_BUFFER_TOO_SMALL
 * (load: @p cap too small; nothing is copied), or PKIOT_E_STORAGE_IO. Storage calls may block
 * briefly (a flash page write); they never return PKIOT_WANT_*.
 */
#ifndef PKIOT_STORAGE_H
#define PKIOT_STORAGE_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pkiot_storage_port {
    void *ctx;
    int (*load)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
    int (*save)(void *ctx, const uint8_t *buf, size_t len);
    int (*erase)(void *ctx);
} pkiot_storage_port_t;

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_STORAGE_H */
