/* DER reader (bounded TLV cursor) and backward DER writer. */
#include "pkiot/der.h"

#include <string.h>

/* Identifier octets we accept: the leading byte plus at most three tag-number bytes, so the
 * packed identifier always fits a uint32_t and tag numbers reach 2^21 - 1. */
#define DER_MAX_ID_BYTES 4u
/* Length octets after the 0x8n byte: 4 covers any buffer a 32-bit device can hold. */
#define DER_MAX_LEN_BYTES 4u

/* ---------------------------------------------------------------------------------------- */
/* Reader                                                                                   */
/* ---------------------------------------------------------------------------------------- */

typedef struct der_hdr {
    uint32_t tag;
    size_t hdr_len; /* identifier + length octets */
    size_t len;     /* contents length (0 when indefinite) */
    int indefinite;
} der_hdr_t;

/*
 * Parse identifier and length octets at [p, end). With @p ber set, non-minimal lengths and the
 * indefinite form (constructed only) are accepted; DER mode rejects both.
 * Does not check that the contents fit; the caller does.
 */
static int parse_header(const uint8_t *p, const uint8_t *end, int ber, der_hdr_t *h)
{
    size_t avail = (size_t)(end - p);
    size_t i = 0;

    if (avail == 0) {
        return PKIOT_E_DER_TRUNCATED;
    }
    uint32_t tag = p[i++];
    if ((tag & 0x1Fu) == 0x1Fu) {
        /* High-tag-number form: base-128 tag number, continuation bit 0x80. */
        uint32_t num = 0;
        for (;;) {
            if (i >= DER_MAX_ID_BYTES) {
                return PKIOT_E_DER_BAD_TAG;
            }
            if (i >= avail) {
                return PKIOT_E_DER_TRUNCATED;
            }
            uint8_t b = p[i];
            if (i == 1 && b == 0x80u) {
                return PKIOT_E_DER_BAD_TAG; /* leading zero septet: not minimal */
            }
            tag = (tag << 8) | b;
            num = (num << 7) | (uint32_t)(b & 0x7Fu);
            i++;
            if ((b & 0x80u) == 0) {
                break;
            }
        }
        if (num < 0x1Fu) {
            return PKIOT_E_DER_BAD_TAG; /* fits the low-tag-number form: not minimal */
        }
    } else if (tag == 0 && !ber) {
        /* End-of-contents marker: meaningless outside BER indefinite lengths. */
        return PKIOT_E_DER_BAD_TAG;
    }

    if (i >= avail) {
        return PKIOT_E_DER_TRUNCATED;
    }
    uint8_t l0 = p[i++];
    h->indefinite = 0;
    if (l0 < 0x80u) {
        h->len = l0;
    } else if (l0 == 0x80u) {
        if (!ber || (p[0] & 0x20u) == 0) {
            return PKIOT_E_DER_BAD_LENGTH;
        }
        h->indefinite = 1;
        h->len = 0;
    } else {
        size_t n = (size_t)(l0 & 0x7Fu);
        if (n > DER_MAX_LEN_BYTES) {
            return PKIOT_E_DER_BAD_LENGTH;
        }
        if (avail - i < n) {
            return PKIOT_E_DER_TRUNCATED;
        }
        if (!ber && p[i] == 0) {
            return PKIOT_E_DER_BAD_LENGTH; /* leading zero octet */
        }
        uint32_t v = 0;
        for (size_t k = 0; k < n; k++) {
            v = (v << 8) | p[i + k];
        }
        i += n;
        if (!ber && v < 0x80u) {
            return PKIOT_E_DER_BAD_LENGTH; /* should have used the short form */
        }
#if SIZE_MAX < UINT32_MAX
        if (v > SIZE_MAX) {
            return PKIOT_E_DER_BAD_LENGTH;
        }
#endif
        h->len = (size_t)v;
    }
    h->tag = tag;
    h->hdr_len = i;
    return PKIOT_OK;
}

void pkiot_der_init(pkiot_der_cursor_t *cur, const uint8_t *buf, size_t len)
{
    if (cur == NULL) {
        return;
    }
    cur->p = buf;
    /* Arithmetic on a null pointer is undefined even with a zero offset. */
    cur->end = (buf != NULL) ? buf + len : buf;
}

void pkiot_der_enter(const pkiot_der_tlv_t *tlv, pkiot_der_cursor_t *inner)
{
    if (inner == NULL) {
        return;
    }
    if (tlv == NULL) {
        inner->p = NULL;
        inner->end = NULL;
        return;
    }
    pkiot_der_init(inner, tlv->val, tlv->len);
}

int pkiot_der_at_end(const pkiot_der_cursor_t *cur)
{
    return cur == NULL || cur->p == NULL || cur->p >= cur->end;
}

static int cursor_ok(const pkiot_der_cursor_t *cur)
{
    return cur != NULL && (cur->p == NULL ? cur->end == NULL : (cur->end != NULL && cur->p <= cur->end));
}

/* Decode one element at the cursor without moving it. */
static int peek_tlv(const pkiot_der_cursor_t *cur, pkiot_der_tlv_t *tlv)
{
    der_hdr_t h;

    if (!cursor_ok(cur) || tlv == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (cur->p == NULL) {
        return PKIOT_E_DER_TRUNCATED;
    }
    int rc = parse_header(cur->p, cur->end, 0, &h);
    if (rc != PKIOT_OK) {
        return rc;
    }
    size_t avail = (size_t)(cur->end - cur->p) - h.hdr_len;
    if (h.len > avail) {
        return PKIOT_E_DER_TRUNCATED;
    }
    tlv->tag = h.tag;
    tlv->raw = cur->p;
    tlv->val = cur->p + h.hdr_len;
    tlv->len = h.len;
    tlv->raw_len = h.hdr_len + h.len;
    return PKIOT_OK;
}

int pkiot_der_next(pkiot_der_cursor_t *cur, pkiot_der_tlv_t *tlv)
{
    pkiot_der_tlv_t t;
    int rc = peek_tlv(cur, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (tlv != NULL) {
        *tlv = t;
    }
    cur->p += t.raw_len;
    return PKIOT_OK;
}

int pkiot_der_next_ber(pkiot_der_cursor_t *cur, pkiot_der_tlv_t *tlv)
{
    der_hdr_t h;

    if (!cursor_ok(cur)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (cur->p == NULL) {
        return PKIOT_E_DER_TRUNCATED;
    }
    const uint8_t *const end = cur->end;
    const uint8_t *q = cur->p;
    const uint8_t *val = NULL;
    uint32_t tag = 0;
    int indefinite = 0;
    /* The element itself at depth 0, then for an indefinite length every element nested in it
     * up to the matching end-of-contents; iterative so the stack use does not depend on the
     * input. */
    unsigned depth = 0;
    do {
        if (depth != 0 && (size_t)(end - q) >= 2 && q[0] == 0 && q[1] == 0) {
            q += 2;
            depth--;
            continue;
        }
        int rc = parse_header(q, end, 1, &h);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (h.tag == 0) {
            /* A stray end-of-contents marker is not an element; nested, its length is not 0. */
            return depth == 0 ? PKIOT_E_DER_BAD_TAG : PKIOT_E_DER_BAD_VALUE;
        }
        q += h.hdr_len;
        if (depth == 0) {
            tag = h.tag;
            val = q;
            indefinite = h.indefinite;
        }
        if (h.indefinite) {
            if (++depth > PKIOT_DER_MAX_DEPTH) {
                return PKIOT_E_DER_TOO_DEEP;
            }
        } else {
            if (h.len > (size_t)(end - q)) {
                return PKIOT_E_DER_TRUNCATED;
            }
            q += h.len;
        }
    } while (depth != 0);
    if (tlv != NULL) {
        tlv->tag = tag;
        tlv->raw = cur->p;
        tlv->val = val;
        /* An indefinite length's closing 00 00 is not contents. */
        tlv->len = (size_t)(q - val) - (indefinite ? 2u : 0u);
        tlv->raw_len = (size_t)(q - cur->p);
    }
    cur->p = q;
    return PKIOT_OK;
}

int pkiot_der_expect(pkiot_der_cursor_t *cur, uint32_t tag, pkiot_der_tlv_t *tlv)
{
    pkiot_der_tlv_t t;
    int rc = peek_tlv(cur, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (t.tag != tag) {
        return PKIOT_E_DER_BAD_TAG;
    }
    if (tlv != NULL) {
        *tlv = t;
    }
    cur->p += t.raw_len;
    return PKIOT_OK;
}

int pkiot_der_optional(pkiot_der_cursor_t *cur, uint32_t tag, pkiot_der_tlv_t *tlv,
                       int *present)
{
    pkiot_der_tlv_t t;

    if (present == NULL || !cursor_ok(cur)) {
        return PKIOT_E_INVALID_ARG;
    }
    *present = 0;
    if (pkiot_der_at_end(cur)) {
        return PKIOT_OK;
    }
    int rc = peek_tlv(cur, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (t.tag == tag) {
        if (tlv != NULL) {
            *tlv = t;
        }
        cur->p += t.raw_len;
        *present = 1;
    }
    return PKIOT_OK;
}

int pkiot_der_peek_tag(const pkiot_der_cursor_t *cur, uint32_t *tag)
{
    pkiot_der_tlv_t t;
    int rc = peek_tlv(cur, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (tag != NULL) {
        *tag = t.tag;
    }
    return PKIOT_OK;
}

int pkiot_der_finish(const pkiot_der_cursor_t *cur)
{
    if (!cursor_ok(cur)) {
        return PKIOT_E_INVALID_ARG;
    }
    return pkiot_der_at_end(cur) ? PKIOT_OK : PKIOT_E_DER_TRAILING;
}

int pkiot_der_get_u32(const pkiot_der_tlv_t *tlv, uint32_t *out)
{
    if (tlv == NULL || out == NULL || (tlv->val == NULL && tlv->len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    const uint8_t *v = tlv->val;
    size_t n = tlv->len;
    if (n == 0 || (v[0] & 0x80u) != 0) {
        return PKIOT_E_DER_BAD_VALUE; /* empty or negative */
    }
    if (n > 1 && v[0] == 0 && (v[1] & 0x80u) == 0) {
        return PKIOT_E_DER_BAD_VALUE; /* non-minimal */
    }
    if (v[0] == 0 && n > 1) {
        v++;
        n--;
    }
    if (n > 4) {
        return PKIOT_E_OVERFLOW;
    }
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        r = (r << 8) | v[i];
    }
    *out = r;
    return PKIOT_OK;
}

int pkiot_der_get_bool(const pkiot_der_tlv_t *tlv, int *out)
{
    if (tlv == NULL || out == NULL || (tlv->val == NULL && tlv->len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (tlv->len != 1 || (tlv->val[0] != 0x00u && tlv->val[0] != 0xFFu)) {
        return PKIOT_E_DER_BAD_VALUE;
    }
    *out = tlv->val[0] != 0;
    return PKIOT_OK;
}

int pkiot_der_get_bitstring(const pkiot_der_tlv_t *tlv, pkiot_slice_t *bits,
                            unsigned *unused_bits)
{
    if (tlv == NULL || bits == NULL || (tlv->val == NULL && tlv->len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (tlv->len == 0) {
        return PKIOT_E_DER_BAD_VALUE;
    }
    unsigned unused = tlv->val[0];
    if (unused > 7 || (tlv->len == 1 && unused != 0)) {
        return PKIOT_E_DER_BAD_VALUE;
    }
    /* DER: the unused trailing bits are zero. */
    if (unused != 0 && (tlv->val[tlv->len - 1] & ((1u << unused) - 1u)) != 0) {
        return PKIOT_E_DER_BAD_VALUE;
    }
    bits->p = tlv->val + 1;
    bits->len = tlv->len - 1;
    if (unused_bits != NULL) {
        *unused_bits = unused;
    }
    return PKIOT_OK;
}

int pkiot_der_oid_eq(const pkiot_der_tlv_t *tlv, const uint8_t *oid, size_t oid_len)
{
    if (tlv == NULL || tlv->tag != PKIOT_DER_OID || tlv->len != oid_len) {
        return 0;
    }
    if (oid_len == 0) {
        return 1;
    }
    if (tlv->val == NULL || oid == NULL) {
        return 0;
    }
    return memcmp(tlv->val, oid, oid_len) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Writer                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static void w_fail(pkiot_der_writer_t *w, int err)
{
    if (w->err == PKIOT_OK) {
        w->err = err;
    }
}

/* Room for @p n more bytes in front of what is written; records the error otherwise. */
static int w_room(pkiot_der_writer_t *w, size_t n)
{
    if (w->err != PKIOT_OK) {
        return 0;
    }
    if (n > (size_t)(w->p - w->start)) {
        w_fail(w, PKIOT_E_BUFFER_TOO_SMALL);
        return 0;
    }
    return 1;
}

static void w_byte(pkiot_der_writer_t *w, uint8_t b)
{
    if (w_room(w, 1)) {
        *--w->p = b;
    }
}

void pkiot_der_w_init(pkiot_der_writer_t *w, uint8_t *buf, size_t cap)
{
    if (w == NULL) {
        return;
    }
    w->start = buf;
    w->end = (buf != NULL) ? buf + cap : buf;
    w->p = w->end;
    w->err = (buf == NULL && cap != 0) ? PKIOT_E_INVALID_ARG : PKIOT_OK;
}

size_t pkiot_der_w_len(const pkiot_der_writer_t *w)
{
    if (w == NULL || w->p == NULL) {
        return 0;
    }
    return (size_t)(w->end - w->p);
}

void pkiot_der_w_raw(pkiot_der_writer_t *w, const uint8_t *data, size_t len)
{
    if (w == NULL || len == 0) {
        return;
    }
    if (data == NULL) {
        w_fail(w, PKIOT_E_INVALID_ARG);
        return;
    }
    if (w_room(w, len)) {
        w->p -= len;
        memmove(w->p, data, len); /* data may already live inside the buffer */
    }
}

/* Identifier octets in @p tag when it is a well-formed packed identifier (see
 * pkiot_der_tlv_t.tag), or 0 when it is not one. */
static size_t tag_octets(uint32_t tag)
{
    size_t n = 1;
    uint32_t num = 0;
    uint8_t b = 0;
    /* Tag-number octets from the last one, the only one without the continuation bit. */
    for (; tag > 0xFFu; tag >>= 8, n++) {
        b = (uint8_t)tag;
        if ((b & 0x80u) != (n == 1 ? 0u : 0x80u)) {
            return 0;
        }
        num |= (uint32_t)(b & 0x7Fu) << (7u * (n - 1u));
    }
    if (n == 1) {
        return (tag & 0x1Fu) != 0x1Fu;
    }
    /* High-tag-number form: no leading zero septet, and a number the low form cannot hold. */
    return ((tag & 0x1Fu) == 0x1Fu && b != 0x80u && num >= 0x1Fu) ? n : 0;
}

void pkiot_der_w_header(pkiot_der_writer_t *w, uint32_t tag, size_t len)
{
    if (w == NULL || w->err != PKIOT_OK) {
        return;
    }
    size_t tag_bytes = tag_octets(tag);
    if (tag_bytes == 0) {
        w_fail(w, PKIOT_E_INVALID_ARG);
        return;
    }
#if SIZE_MAX > UINT32_MAX
    if (len > UINT32_MAX) {
        w_fail(w, PKIOT_E_OVERFLOW);
        return;
    }
#endif
    if (len < 0x80u) {
        w_byte(w, (uint8_t)len);
    } else {
        uint8_t n = 0;
        size_t v = len;
        while (v != 0) {
            w_byte(w, (uint8_t)(v & 0xFFu));
            v >>= 8;
            n++;
        }
        w_byte(w, (uint8_t)(0x80u | n));
    }
    for (size_t i = 0; i < tag_bytes; i++) {
        w_byte(w, (uint8_t)(tag >> (8u * i)));
    }
}

void pkiot_der_w_close(pkiot_der_writer_t *w, uint32_t tag, size_t mark)
{
    if (w == NULL || w->err != PKIOT_OK) {
        return;
    }
    size_t cur = pkiot_der_w_len(w);
    if (mark > cur) {
        w_fail(w, PKIOT_E_INVALID_ARG);
        return;
    }
    pkiot_der_w_header(w, tag, cur - mark);
}

void pkiot_der_w_prim(pkiot_der_writer_t *w, uint32_t tag, const uint8_t *data, size_t len)
{
    pkiot_der_w_raw(w, data, len);
    pkiot_der_w_header(w, tag, len);
}

void pkiot_der_w_uint_bytes(pkiot_der_writer_t *w, const uint8_t *be, size_t len)
{
    if (w == NULL || w->err != PKIOT_OK) {
        return;
    }
    if (be == NULL && len != 0) {
        w_fail(w, PKIOT_E_INVALID_ARG);
        return;
    }
    while (len > 0 && be[0] == 0) {
        be++;
        len--;
    }
    size_t mark = pkiot_der_w_len(w);
    if (len == 0) {
        w_byte(w, 0x00);
    } else {
        pkiot_der_w_raw(w, be, len);
        if ((be[0] & 0x80u) != 0) {
            w_byte(w, 0x00);
        }
    }
    pkiot_der_w_close(w, PKIOT_DER_INTEGER, mark);
}

void pkiot_der_w_u32(pkiot_der_writer_t *w, uint32_t v)
{
    uint8_t be[4];
    be[0] = (uint8_t)(v >> 24);
    be[1] = (uint8_t)(v >> 16);
    be[2] = (uint8_t)(v >> 8);
    be[3] = (uint8_t)v;
    pkiot_der_w_uint_bytes(w, be, sizeof be);
}

void pkiot_der_w_bool(pkiot_der_writer_t *w, int v)
{
    uint8_t b = v ? 0xFFu : 0x00u;
    pkiot_der_w_prim(w, PKIOT_DER_BOOLEAN, &b, 1);
}

void pkiot_der_w_null(pkiot_der_writer_t *w)
{
    pkiot_der_w_header(w, PKIOT_DER_NULL, 0);
}

void pkiot_der_w_bitstring(pkiot_der_writer_t *w, const uint8_t *data, size_t len)
{
    if (w == NULL || w->err != PKIOT_OK) {
        return;
    }
    size_t mark = pkiot_der_w_len(w);
    pkiot_der_w_raw(w, data, len);
    w_byte(w, 0x00);
    pkiot_der_w_close(w, PKIOT_DER_BIT_STRING, mark);
}

void pkiot_der_w_oid(pkiot_der_writer_t *w, const uint8_t *oid, size_t len)
{
    pkiot_der_w_prim(w, PKIOT_DER_OID, oid, len);
}

int pkiot_der_w_result(const pkiot_der_writer_t *w, const uint8_t **out, size_t *len)
{
    if (w == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (w->err != PKIOT_OK) {
        return w->err;
    }
    if (out != NULL) {
        *out = w->p;
    }
    if (len != NULL) {
        *len = pkiot_der_w_len(w);
    }
    return PKIOT_OK;
}
