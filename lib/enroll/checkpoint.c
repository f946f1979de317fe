/* Checkpoint blob encoder and validating decoder; format in checkpoint.h. */
#include "checkpoint.h"

#include <string.h>

#include "pkiot/crc32.h"

static const uint8_t ckpt_magic[4] = {'P', 'K', 'C', 'K'};

/* At most 4 bytes at a time: 64-bit values go as two halves, low half first, so the
 * 32-bit targets need no 64-bit shifts. */
static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8u * i));
    }
}

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint32_t)p[i] << (8u * i);
    }
    return v;
}

void pkiot_ckpt_begin(pkiot_ckpt_writer_t *w, uint8_t *buf, size_t cap, uint8_t protocol,
                      uint8_t operation)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = PKIOT_OK;
    if (cap < PKIOT_CKPT_HEADER_LEN + PKIOT_CKPT_TRAILER_LEN) {
        w->err = PKIOT_E_BUFFER_TOO_SMALL;
        return;
    }
    memcpy(buf, ckpt_magic, 4);
    put_le(buf + 4, PKIOT_CKPT_VERSION, 2);
    buf[6] = protocol;
    buf[7] = operation;
    w->len = PKIOT_CKPT_HEADER_LEN;
}

void pkiot_ckpt_put(pkiot_ckpt_writer_t *w, uint8_t tag, const void *data, size_t len)
{
    if (w->err != PKIOT_OK) {
        return;
    }
    if (len > 0xFFFFu) {
        w->err = PKIOT_E_OVERFLOW;
        return;
    }
    if (w->cap - PKIOT_CKPT_TRAILER_LEN - w->len < 3u + len) {
        w->err = PKIOT_E_BUFFER_TOO_SMALL;
        return;
    }
    w->buf[w->len] = tag;
    put_le(w->buf + w->len + 1, (uint32_t)len, 2);
    if (len > 0) {
        memcpy(w->buf + w->len + 3, data, len);
    }
    w->len += 3u + len;
}

void pkiot_ckpt_put_u32(pkiot_ckpt_writer_t *w, uint8_t tag, uint32_t v)
{
    uint8_t b[4];
    put_le(b, v, 4);
    pkiot_ckpt_put(w, tag, b, sizeof b);
}

void pkiot_ckpt_put_i64(pkiot_ckpt_writer_t *w, uint8_t tag, int64_t v)
{
    uint8_t b[8];
    put_le(b, (uint32_t)(uint64_t)v, 4);
    put_le(b + 4, (uint32_t)((uint64_t)v >> 32), 4);
    pkiot_ckpt_put(w, tag, b, sizeof b);
}

int pkiot_ckpt_end(pkiot_ckpt_writer_t *w, size_t *total_len)
{
    if (w->err != PKIOT_OK) {
        return w->err;
    }
    put_le(w->buf + 8, (uint32_t)(w->len - PKIOT_CKPT_HEADER_LEN), 4);
    uint32_t crc = pkiot_crc32(0, w->buf, w->len);
    put_le(w->buf + w->len, crc, 4);
    w->len += PKIOT_CKPT_TRAILER_LEN;
    *total_len = w->len;
    return PKIOT_OK;
}

int pkiot_ckpt_open(pkiot_ckpt_reader_t *r, const uint8_t *blob, size_t len)
{
    if (len < PKIOT_CKPT_HEADER_LEN + PKIOT_CKPT_TRAILER_LEN || memcmp(blob, ckpt_magic, 4) != 0) {
        return PKIOT_E_CKPT_MAGIC;
    }
    if (get_le(blob + 4, 2) != PKIOT_CKPT_VERSION) {
        return PKIOT_E_CKPT_VERSION;
    }
    size_t plen = get_le(blob + 8, 4);
    if (plen != len - PKIOT_CKPT_HEADER_LEN - PKIOT_CKPT_TRAILER_LEN) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    size_t body = len - PKIOT_CKPT_TRAILER_LEN;
    if (pkiot_crc32(0, blob, body) != get_le(blob + body, 4)) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    /* Framing check up front so later lookups never meet a record running off the end. */
    const uint8_t *p = blob + PKIOT_CKPT_HEADER_LEN;
    size_t left = plen;
    while (left > 0) {
        if (left < 3) {
            return PKIOT_E_CKPT_CORRUPT;
        }
        size_t rl = get_le(p + 1, 2);
        if (left - 3 < rl) {
            return PKIOT_E_CKPT_CORRUPT;
        }
        p += 3 + rl;
        left -= 3 + rl;
    }
    r->payload = blob + PKIOT_CKPT_HEADER_LEN;
    r->payload_len = plen;
    r->protocol = blob[6];
    r->operation = blob[7];
    return PKIOT_OK;
}

int pkiot_ckpt_get(const pkiot_ckpt_reader_t *r, uint8_t tag, pkiot_slice_t *val)
{
    const uint8_t *p = r->payload;
    size_t left = r->payload_len;
    while (left >= 3) {
        size_t rl = get_le(p + 1, 2);
        if (p[0] == tag) {
            val->p = p + 3;
            val->len = rl;
            return PKIOT_OK;
        }
        p += 3 + rl;
        left -= 3 + rl;
    }
    return PKIOT_E_NOT_FOUND;
}

/* A fixed-width record: absent, of the wrong size, or where its value starts. */
static int get_fixed(const pkiot_ckpt_reader_t *r, uint8_t tag, size_t width, const uint8_t **v)
{
    pkiot_slice_t s;
    int rc = pkiot_ckpt_get(r, tag, &s);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (s.len != width) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    *v = s.p;
    return PKIOT_OK;
}

int pkiot_ckpt_get_u32(const pkiot_ckpt_reader_t *r, uint8_t tag, uint32_t *v)
{
    const uint8_t *p = NULL;
    int rc = get_fixed(r, tag, 4, &p);
    if (rc == PKIOT_OK) {
        *v = get_le(p, 4);
    }
    return rc;
}

int pkiot_ckpt_get_i64(const pkiot_ckpt_reader_t *r, uint8_t tag, int64_t *v)
{
    const uint8_t *p = NULL;
    int rc = get_fixed(r, tag, 8, &p);
    if (rc == PKIOT_OK) {
        *v = (int64_t)((uint64_t)get_le(p + 4, 4) << 32 | get_le(p, 4));
    }
    return rc;
}
