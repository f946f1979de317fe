/*
 * libFuzzer target for the DER reader and writer.
 *
 * Input: arbitrary bytes, read as a sequence of DER elements. Every element is decoded; every
 * constructed one is entered and walked recursively down to PKIOT_DER_MAX_DEPTH; scalar
 * decoders run on every primitive. Checked properties:
 * - every TLV lies inside its parent and the reader never moves on failure;
 * - when the whole input is well-formed DER, the backward writer re-encodes the tree to the
 *   exact input bytes (DER has one encoding per value, and the reader accepts no other);
 * - the BER reader accepts everything the DER reader accepts, with the same extent.
 * The time-value parsers (UTCTime/GeneralizedTime contents, HTTP-date, Retry-After) are run
 * too: they sit on the same inputs in practice (certificate validity, HTTP headers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/datetime.h"
#include "pkiot/der.h"

#define MAX_KIDS 48

static uint8_t wbuf[1 << 16];

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

/* Walk [p, p+n); returns 1 when every element down to the leaves was well-formed. */
static int walk(const uint8_t *p, size_t n, int depth)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t t;
    int all_ok = 1;

    if (depth > PKIOT_DER_MAX_DEPTH) {
        return 0;
    }
    pkiot_der_init(&c, p, n);
    while (!pkiot_der_at_end(&c)) {
        const uint8_t *before = c.p;
        uint32_t tag = 0;
        int rc_peek = pkiot_der_peek_tag(&c, &tag);
        int rc = pkiot_der_next(&c, &t);
        check(rc == rc_peek);
        if (rc != PKIOT_OK) {
            check(c.p == before);
            check(rc < 0);
            return 0;
        }
        check(t.tag == tag);
        check(t.raw == before && t.raw + t.raw_len == c.p);
        check(t.val >= t.raw && t.val + t.len == c.p);
        check(c.p <= p + n);

        /* the BER reader agrees on DER input */
        pkiot_der_cursor_t b;
        pkiot_der_tlv_t bt;
        pkiot_der_init(&b, before, (size_t)(p + n - before));
        check(pkiot_der_next_ber(&b, &bt) == PKIOT_OK);
        check(bt.raw_len == t.raw_len && bt.len == t.len && bt.tag == t.tag);

        if ((t.raw[0] & 0x20u) != 0) {
            if (!walk(t.val, t.len, depth + 1)) {
                all_ok = 0;
            }
        } else {
            uint32_t u;
            int bv;
            unsigned ub;
            pkiot_slice_t s;
            int64_t tm;
            (void)pkiot_der_get_u32(&t, &u);
            (void)pkiot_der_get_bool(&t, &bv);
            if (pkiot_der_get_bitstring(&t, &s, &ub) == PKIOT_OK) {
                check(ub <= 7 && s.len + 1 == t.len);
            }
            if (pkiot_time_parse_der(&t, &tm) == PKIOT_OK) {
                check(tm >= PKIOT_TIME_MIN && tm <= PKIOT_TIME_MAX);
            }
        }
    }
    return all_ok;
}

/* Re-encode [p, p+n) (known to be well-formed) in front of what w holds. */
static int rewrite(pkiot_der_writer_t *w, const uint8_t *p, size_t n, int depth)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t kids[MAX_KIDS];
    size_t nk = 0;

    pkiot_der_init(&c, p, n);
    while (!pkiot_der_at_end(&c)) {
        if (nk == MAX_KIDS) {
            return 0;
        }
        check(pkiot_der_next(&c, &kids[nk]) == PKIOT_OK);
        nk++;
    }
    while (nk-- > 0) {
        const pkiot_der_tlv_t *k = &kids[nk];
        if ((k->raw[0] & 0x20u) != 0) {
            size_t mark = pkiot_der_w_len(w);
            if (!rewrite(w, k->val, k->len, depth + 1)) {
                return 0;
            }
            pkiot_der_w_close(w, k->tag, mark);
        } else {
            pkiot_der_w_prim(w, k->tag, k->val, k->len);
        }
    }
    return 1;
}

static void walk_ber(const uint8_t *p, size_t n, int depth)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t t;
    if (depth > PKIOT_DER_MAX_DEPTH) {
        return;
    }
    pkiot_der_init(&c, p, n);
    while (!pkiot_der_at_end(&c)) {
        const uint8_t *before = c.p;
        if (pkiot_der_next_ber(&c, &t) != PKIOT_OK) {
            check(c.p == before);
            return;
        }
        check(t.raw == before && t.raw + t.raw_len == c.p && c.p <= p + n);
        check(t.val >= t.raw && t.val + t.len <= c.p);
        if ((t.raw[0] & 0x20u) != 0) {
            walk_ber(t.val, t.len, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (walk(data, size, 0) && size <= sizeof wbuf) {
        pkiot_der_writer_t w;
        const uint8_t *out;
        size_t len;
        pkiot_der_w_init(&w, wbuf, sizeof wbuf);
        if (rewrite(&w, data, size, 0)) {
            check(pkiot_der_w_result(&w, &out, &len) == PKIOT_OK);
            check(len == size && memcmp(out, data, size) == 0);
        }
    }
    walk_ber(data, size, 0);

    if (size < 128) {
        int64_t t;
        pkiot_retry_after_t ra;
        if (pkiot_time_parse_http((const char *)data, size, INT64_C(1735689600), &t) ==
            PKIOT_OK) {
            check(t >= PKIOT_TIME_MIN && t <= PKIOT_TIME_MAX);
        }
        (void)pkiot_time_parse_http((const char *)data, size, -1, &t);
        (void)pkiot_time_parse_retry_after((const char *)data, size, INT64_C(1735689600), &ra);
        (void)pkiot_time_parse_utc(data, size, &t);
        (void)pkiot_time_parse_generalized(data, size, &t);
    }
    return 0;
}
