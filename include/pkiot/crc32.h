/**
 * @file crc32.h
 * @brief CRC-32 (IEEE 802.3, reflected, as zlib/PNG): integrity check of checkpoint blobs and
 *        flash slots. Not a security mechanism.
 */
#ifndef PKIOT_CRC32_H
#define PKIOT_CRC32_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Continue a CRC-32 over @p len bytes. Start with @p crc = 0; the result of one call can be
 * passed to the next to checksum data that arrives in pieces.
 */
uint32_t pkiot_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_CRC32_H */
