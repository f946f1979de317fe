/* Storage port with two flash-style A/B slots; see pkiot_storage_mem.h for the layout. */
#include "storage/pkiot_storage_mem.h"

#include <string.h>

/* "PKS1"; no byte is 0xFF, so a half-programmed magic never reads as valid. */
static const uint8_t k_magic[4] = {'P', 'K', 'S', '1'};

uint32_t pkiot_storage_crc32(uint32_t crc, const void *data, size_t len)
{
    /* nibble table: 64 bytes of ROM instead of 1 KiB */
    static const uint32_t t[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
    };
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (len-- > 0) {
        crc ^= *p++;
        crc = (crc >> 4) ^ t[crc & 15u];
        crc = (crc >> 4) ^ t[crc & 15u];
    }
    return ~crc;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* How many of @p len bytes may still be written before the simulated power cut. */
static size_t budget(pkiot_storage_mem_t *st, size_t len, int *cut)
{
    *cut = 0;
    if (st->cut_armed && len >= st->cut_left) {
        size_t n = st->cut_left;
        st->cut_armed = 0;
        st->cut_left = 0;
        *cut = 1;
        return n;
    }
    if (st->cut_armed) {
        st->cut_left -= len;
    }
    return len;
}

static int do_erase(pkiot_storage_mem_t *st, size_t off, size_t len)
{
    int cut;
    size_t n = budget(st, len, &cut);
    if (n > 0) {
        if (st->flash != NULL) {
            if (st->flash->erase(st->flash->user, off, n) != 0) {
                return PKIOT_E_STORAGE_IO;
            }
        } else {
            memset(st->area + off, 0xFF, n);
        }
    }
    return cut ? PKIOT_E_STORAGE_IO : PKIOT_OK;
}

static int do_program(pkiot_storage_mem_t *st, size_t off, const uint8_t *src, size_t len)
{
    int cut;
    size_t n = budget(st, len, &cut);
    if (n > 0) {
        if (st->flash != NULL) {
            if (st->flash->program(st->flash->user, off, src, n) != 0) {
                return PKIOT_E_STORAGE_IO;
            }
        } else {
            /* NOR flash programming only clears bits */
            for (size_t i = 0; i < n; i++) {
                st->area[off + i] &= src[i];
            }
        }
    }
    return cut ? PKIOT_E_STORAGE_IO : PKIOT_OK;
}

/* 1 and the slot's sequence number and length when slot @p idx holds a valid blob. */
static int slot_valid(const pkiot_storage_mem_t *st, int idx, uint32_t *seq, size_t *len)
{
    const uint8_t *s = st->area + (size_t)idx * st->slot_size;
    if (memcmp(s, k_magic, 4) != 0) {
        return 0;
    }
    uint32_t l = get32(s + 8);
    if (l > st->slot_size - PKIOT_STORAGE_MEM_HEADER) {
        return 0;
    }
    uint32_t crc = pkiot_storage_crc32(0, s + 4, 8);
    crc = pkiot_storage_crc32(crc, s + PKIOT_STORAGE_MEM_HEADER, l);
    if (crc != get32(s + 12)) {
        return 0;
    }
    *seq = get32(s + 4);
    *len = l;
    return 1;
}

/* Which slot is newest (-1 if none) and which is the one to overwrite. */
static int pick(const pkiot_storage_mem_t *st, int *newest, int *older, uint32_t *newest_seq,
                size_t *newest_len)
{
    uint32_t seq[2] = {0, 0};
    size_t len[2] = {0, 0};
    int ok[2];
    ok[0] = slot_valid(st, 0, &seq[0], &len[0]);
    ok[1] = slot_valid(st, 1, &seq[1], &len[1]);
    if (!ok[0] && !ok[1]) {
        *newest = -1;
        *older = 0;
        return 0;
    }
    int n;
    if (ok[0] && ok[1]) {
        n = (int32_t)(seq[1] - seq[0]) > 0 ? 1 : 0;
    } else {
        n = ok[0] ? 0 : 1;
    }
    *newest = n;
    *older = 1 - n;
    *newest_seq = seq[n];
    *newest_len = len[n];
    return 1;
}

static int m_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    pkiot_storage_mem_t *st = (pkiot_storage_mem_t *)ctx;
    int newest, older;
    uint32_t seq;
    size_t l;
    if (len == NULL || (buf == NULL && cap > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (!pick(st, &newest, &older, &seq, &l)) {
        return PKIOT_E_STORAGE_EMPTY;
    }
    (void)older;
    if (l > cap) {
        *len = l;
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (l > 0) {
        memcpy(buf, st->area + (size_t)newest * st->slot_size + PKIOT_STORAGE_MEM_HEADER, l);
    }
    *len = l;
    return PKIOT_OK;
}

static int m_save(void *ctx, const uint8_t *buf, size_t len)
{
    pkiot_storage_mem_t *st = (pkiot_storage_mem_t *)ctx;
    int newest, older;
    uint32_t seq = 0;
    size_t l = 0;
    if (buf == NULL && len > 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (len > st->slot_size - PKIOT_STORAGE_MEM_HEADER) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (!pick(st, &newest, &older, &seq, &l)) {
        seq = 0;
    }
    seq++;

    uint8_t hdr[PKIOT_STORAGE_MEM_HEADER];
    memcpy(hdr, k_magic, 4);
    put32(hdr + 4, seq);
    put32(hdr + 8, (uint32_t)len);
    uint32_t crc = pkiot_storage_crc32(0, hdr + 4, 8);
    crc = pkiot_storage_crc32(crc, buf, len);
    put32(hdr + 12, crc);

    size_t base = (size_t)older * st->slot_size;
    int rc = do_erase(st, base, st->slot_size);
    if (rc == PKIOT_OK && len > 0) {
        rc = do_program(st, base + PKIOT_STORAGE_MEM_HEADER, buf, len);
    }
    if (rc == PKIOT_OK) {
        rc = do_program(st, base + 4, hdr + 4, PKIOT_STORAGE_MEM_HEADER - 4);
    }
    if (rc == PKIOT_OK) {
        rc = do_program(st, base, hdr, 4); /* commit */
    }
    st->cut_armed = 0;
    return rc;
}

static int m_erase(void *ctx)
{
    pkiot_storage_mem_t *st = (pkiot_storage_mem_t *)ctx;
    int newest, older;
    uint32_t seq;
    size_t l;
    if (!pick(st, &newest, &older, &seq, &l)) {
        newest = 1;
        older = 0;
    }
    int rc = do_erase(st, (size_t)older * st->slot_size, st->slot_size);
    if (rc == PKIOT_OK) {
        rc = do_erase(st, (size_t)(1 - older) * st->slot_size, st->slot_size);
    }
    st->cut_armed = 0;
    return rc;
}

int pkiot_storage_mem_init(pkiot_storage_mem_t *st, uint8_t *area, size_t area_len,
                           const pkiot_storage_mem_flash_t *flash,
                           pkiot_storage_port_t *port_out)
{
    if (st == NULL || area == NULL || port_out == NULL ||
        area_len < 2u * PKIOT_STORAGE_MEM_HEADER ||
        (flash != NULL && (flash->erase == NULL || flash->program == NULL))) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(st, 0, sizeof *st);
    st->area = area;
    st->slot_size = area_len / 2u;
    st->flash = flash;
    port_out->ctx = st;
    port_out->load = m_load;
    port_out->save = m_save;
    port_out->erase = m_erase;
    return PKIOT_OK;
}

void pkiot_storage_mem_cut_power_after(pkiot_storage_mem_t *st, size_t nbytes)
{
    if (st == NULL) {
        return;
    }
    st->cut_armed = nbytes != (size_t)-1;
    st->cut_left = nbytes;
}

size_t pkiot_storage_mem_save_cost(const pkiot_storage_mem_t *st, size_t len)
{
    return st->slot_size + PKIOT_STORAGE_MEM_HEADER + len;
}
