/**
 * @file pkiot_storage_mem.h
 * @brief Storage port (::pkiot_storage_port_t) with two flash-style slots A/B in a
 *        caller-provided area, plus a reusable CRC-32.
 *
 * Layout: the area is split into two equal slots. Each slot is
 * `magic(4) | seq(4) | len(4) | crc(4) | blob(len)`, integers little endian, where crc is the
 * CRC-32 (IEEE) of `seq | len | blob`. A slot is valid when magic, length and CRC check;
 * load() returns the valid slot with the newer sequence number (serial-number arithmetic, so
 * wrap-around is fine).
 *
 * save() always rewrites the older (or an invalid) slot, so the newest complete blob is never
 * touched: erase the slot, program the blob, program `seq|len|crc`, program the magic last.
 * A power cut at any byte therefore leaves either the previous blob or, once the magic's last
 * byte is in, the new one. erase() erases the older slot first, then the newer, so a cut in
 * the middle yields the current blob or nothing, never an older one.
 *
 * Backing store: by default the port writes the area itself, emulating NOR flash (erase sets
 * bytes to 0xFF, programming can only clear bits). A board with real flash passes a
 * ::pkiot_storage_mem_flash_t: the area is then only read (memory-mapped flash) and every
 * change goes through the driver. Each slot should be a whole number of erase sectors; the
 * driver receives arbitrary offsets and lengths in the order above (blob, bytes 4..15,
 * bytes 0..3) and must cope with its program granularity. A board can also keep the area in
 * RAM and mirror it into a semihosting file from the program/erase hooks.
 *
 * For tests, pkiot_storage_mem_cut_power_after() makes the next save()/erase() stop after a
 * given number of byte writes (each erased and each programmed byte counts as one), leaving
 * the area exactly as a power cut would, and return PKIOT_E_STORAGE_IO.
 *
 * Return codes: PKIOT_OK; load(): PKIOT_E_STORAGE_EMPTY (no valid slot),
 * PKIOT_E_BUFFER_TOO_SMALL (`*len` receives the size needed, nothing copied); save():
 * PKIOT_E_BUFFER_TOO_SMALL when the blob does not fit a slot
 * (> PKIOT_STORAGE_MEM_MAX_BLOB(area_len)); PKIOT_E_STORAGE_IO when a driver call fails or
 * a simulated power cut happened.
 */
#ifndef PKIOT_STORAGE_MEM_H
#define PKIOT_STORAGE_MEM_H

#include "pkiot/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of slot header. */
#define PKIOT_STORAGE_MEM_HEADER 16u
/** Area size needed for blobs of up to @p max_blob bytes. */
#define PKIOT_STORAGE_MEM_AREA_SIZE(max_blob) (2u * (PKIOT_STORAGE_MEM_HEADER + (max_blob)))
/** Largest blob an area of @p area_len bytes holds. */
#define PKIOT_STORAGE_MEM_MAX_BLOB(area_len) ((area_len) / 2u - PKIOT_STORAGE_MEM_HEADER)

/** Optional flash driver. Both functions return 0 on success, nonzero on failure. */
typedef struct pkiot_storage_mem_flash {
    void *user;
    /** Set @p len bytes at @p off (relative to the area) to the erased state (0xFF). */
    int (*erase)(void *user, size_t off, size_t len);
    /** Program @p len bytes at @p off (relative to the area); target bytes are erased. */
    int (*program)(void *user, size_t off, const uint8_t *src, size_t len);
} pkiot_storage_mem_flash_t;

/** State; treat members as private. */
typedef struct pkiot_storage_mem {
    uint8_t *area;
    size_t slot_size;
    const pkiot_storage_mem_flash_t *flash;
    int cut_armed;
    size_t cut_left;
} pkiot_storage_mem_t;

/**
 * @brief Bind the port to @p area (@p area_len bytes, split into two slots) and fill in
 *        @p port_out (port_out->ctx == st). The area is not modified: an area that holds no
 *        valid slot (all 0x00, all 0xFF, garbage) simply loads as empty.
 * @param flash  NULL to write the area directly, else a driver that outlives the port
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG (NULL, or an area too small for an empty blob).
 */
int pkiot_storage_mem_init(pkiot_storage_mem_t *st, uint8_t *area, size_t area_len,
                           const pkiot_storage_mem_flash_t *flash,
                           pkiot_storage_port_t *port_out);

/**
 * @brief Fault injection: the next save() or erase() writes only @p nbytes bytes (erased +
 *        programmed) and then fails with PKIOT_E_STORAGE_IO as if power had been cut. The
 *        trigger fires once. (size_t)-1 disarms.
 */
void pkiot_storage_mem_cut_power_after(pkiot_storage_mem_t *st, size_t nbytes);

/** @brief Number of byte writes a save() of @p len bytes performs (for fault loops). */
size_t pkiot_storage_mem_save_cost(const pkiot_storage_mem_t *st, size_t len);

/**
 * @brief CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as used by zlib/PNG/Ethernet.
 *        Chainable: start with @p crc = 0 and pass the previous result to continue;
 *        pkiot_storage_crc32(0, "123456789", 9) == 0xCBF43926.
 */
uint32_t pkiot_storage_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_STORAGE_MEM_H */
