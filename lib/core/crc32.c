/* Bitwise CRC-32: a table would cost 1 KiB of flash for a checksum computed a few times per
 * enrollment over a few KiB, so the slow form is the right trade on a microcontroller. */
#include "pkiot/crc32.h"

uint32_t pkiot_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (len-- > 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (uint32_t)(-(int32_t)(crc & 1u)));
        }
    }
    return ~crc;
}
