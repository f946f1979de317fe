/* Unit tests for base64 / base64url (lib/codec/base64.c). */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pkiot_test_util.h"

#include "pkiot/base64.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------------------------ */

/* Deterministic pseudo-random bytes (xorshift32). */
static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* Decode with the streaming decoder, feeding @p in split at the given cut points. */
static int dec_split(pkiot_b64_alphabet_t a, const char *in, size_t len, const size_t *cuts,
                     size_t ncuts, uint8_t *out, size_t cap, size_t *out_len)
{
    pkiot_b64_dec_t d;
    size_t prev = 0;
    pkiot_b64_dec_init(&d, a, out, cap);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t next = (i < ncuts) ? cuts[i] : len;
        int rc = pkiot_b64_dec_update(&d, in + prev, next - prev);
        if (rc != PKIOT_OK) {
            return rc;
        }
        prev = next;
    }
    return pkiot_b64_dec_final(&d, out_len);
}

/* ---- RFC 4648 §10 vectors ------------------------------------------------------------------ */

static const struct {
    const char *plain, *std, *url;
} k_rfc[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    char enc[32];
    uint8_t dec[32];
    size_t n;
    for (size_t i = 0; i < ARRAY_LEN(k_rfc); i++) {
        const uint8_t *p = (const uint8_t *)k_rfc[i].plain;
        size_t pl = strlen(k_rfc[i].plain);
        assert_int_equal(pkiot_base64_encode(p, pl, enc, sizeof enc, &n), PKIOT_OK);
        assert_int_equal(n, strlen(k_rfc[i].std));
        assert_int_equal(n, PKIOT_BASE64_ENCODED_LEN(pl));
        assert_memory_equal(enc, k_rfc[i].std, n);
        assert_int_equal(pkiot_base64url_encode(p, pl, enc, sizeof enc, &n), PKIOT_OK);
        assert_int_equal(n, strlen(k_rfc[i].url));
        assert_int_equal(n, PKIOT_BASE64URL_ENCODED_LEN(pl));
        assert_memory_equal(enc, k_rfc[i].url, n);

        assert_int_equal(pkiot_base64_decode(k_rfc[i].std, strlen(k_rfc[i].std), dec,
                                             sizeof dec, &n),
                         PKIOT_OK);
        assert_int_equal(n, pl);
        assert_memory_equal(dec, p, pl);
        assert_true(n <= PKIOT_BASE64_DECODED_MAX(strlen(k_rfc[i].std)));
        assert_int_equal(pkiot_base64url_decode(k_rfc[i].url, strlen(k_rfc[i].url), dec,
                                                sizeof dec, &n),
                         PKIOT_OK);
        assert_int_equal(n, pl);
        assert_memory_equal(dec, p, pl);
        assert_int_equal(n, PKIOT_BASE64_DECODED_MAX(strlen(k_rfc[i].url)));
    }
}

static void test_alphabet_62_63(void **state)
{
    (void)state;
    static const uint8_t in[] = {0xFB, 0xEF, 0xFF, 0xFB, 0xFF};
    char enc[16];
    uint8_t dec[8];
    size_t n;
    assert_int_equal(pkiot_base64_encode(in, sizeof in, enc, sizeof enc, &n), PKIOT_OK);
    assert_memory_equal(enc, "++//+/8=", 8);
    assert_int_equal(pkiot_base64url_encode(in, sizeof in, enc, sizeof enc, &n), PKIOT_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(enc, "--__-_8", 7);
    assert_int_equal(pkiot_base64url_decode("--__-_8", 7, dec, sizeof dec, &n), PKIOT_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(dec, in, 5);
    /* each alphabet rejects the other's two special characters */
    assert_int_equal(pkiot_base64_decode("--__-_8=", 8, dec, sizeof dec, &n),
                     PKIOT_E_B64_BAD_CHAR);
    assert_int_equal(pkiot_base64url_decode("++//+/8", 7, dec, sizeof dec, &n),
                     PKIOT_E_B64_BAD_CHAR);
}

/* Every byte value classified as RFC 4648 says. */
static void test_all_bytes(void **state)
{
    (void)state;
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int c = 0; c < 256; c++) {
        for (int u = 0; u < 2; u++) {
            const char *alpha = u ? url : std;
            /* put the byte first in an otherwise valid 4-char group */
            char in[4] = {(char)c, 'A', 'A', 'A'};
            uint8_t out[3];
            size_t n;
            int rc = u ? pkiot_base64url_decode(in, 4, out, sizeof out, &n)
                       : pkiot_base64_decode(in, 4, out, sizeof out, &n);
            const char *pos = (c != 0) ? memchr(alpha, c, 64) : NULL;
            if (pos != NULL) {
                assert_int_equal(rc, PKIOT_OK);
                assert_int_equal(n, 3);
                assert_int_equal(out[0] >> 2, (int)(pos - alpha));
            } else if (!u && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
                assert_int_equal(rc, PKIOT_E_B64_BAD_PADDING); /* 3 chars left, no pad */
            } else if (c == '=') {
                assert_int_equal(rc, PKIOT_E_B64_BAD_PADDING);
            } else {
                if (rc != PKIOT_E_B64_BAD_CHAR) {
                    fail_msg("byte 0x%02X alphabet %d: %s", c, u, pkiot_strerror_name(rc));
                }
            }
        }
    }
    /* and the encoder maps every sextet to the alphabet */
    for (unsigned v = 0; v < 64; v++) {
        uint8_t b = (uint8_t)(v << 2);
        char e[4];
        size_t n;
        assert_int_equal(pkiot_base64_encode(&b, 1, e, sizeof e, &n), PKIOT_OK);
        assert_int_equal(e[0], std[v]);
        assert_int_equal(pkiot_base64url_encode(&b, 1, e, sizeof e, &n), PKIOT_OK);
        assert_int_equal(e[0], url[v]);
    }
}

static void test_size_macros(void **state)
{
    (void)state;
    static const size_t std_len[] = {0, 4, 4, 4, 8, 8, 8, 12};
    static const size_t url_len[] = {0, 2, 3, 4, 6, 7, 8, 10};
    for (size_t i = 0; i < ARRAY_LEN(std_len); i++) {
        assert_int_equal(PKIOT_BASE64_ENCODED_LEN(i), std_len[i]);
        assert_int_equal(PKIOT_BASE64URL_ENCODED_LEN(i), url_len[i]);
        assert_true(PKIOT_BASE64_DECODED_MAX(std_len[i]) >= i);
        assert_int_equal(PKIOT_BASE64_DECODED_MAX(url_len[i]), i);
    }
}

/* ---- encoder buffer handling ----------------------------------------------------------------- */

static void test_encode_too_small(void **state)
{
    (void)state;
    static const uint8_t in[] = "any carnal pleasure.";
    char out[64];
    size_t n;
    for (int u = 0; u < 2; u++) {
        size_t need = u ? PKIOT_BASE64URL_ENCODED_LEN(20) : PKIOT_BASE64_ENCODED_LEN(20);
        for (size_t cap = 0; cap <= need; cap++) {
            memset(out, '#', sizeof out);
            n = 12345;
            int rc = u ? pkiot_base64url_encode(in, 20, out, cap, &n)
                       : pkiot_base64_encode(in, 20, out, cap, &n);
            assert_int_equal(n, need);
            if (cap < need) {
                assert_int_equal(rc, PKIOT_E_BUFFER_TOO_SMALL);
                assert_int_equal(out[0], '#'); /* nothing written */
            } else {
                assert_int_equal(rc, PKIOT_OK);
                assert_int_equal(out[cap], '#');
            }
        }
    }
    assert_int_equal(pkiot_base64_encode(NULL, 3, out, sizeof out, &n), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_base64_encode(NULL, 0, NULL, 0, &n), PKIOT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pkiot_base64_encode(in, SIZE_MAX, out, sizeof out, &n), PKIOT_E_OVERFLOW);
}

/* ---- decoder: whitespace, errors ------------------------------------------------------------- */

struct dec_case {
    const char *in;
    int url;
    int err;
    const char *want; /* decoded text when err is PKIOT_OK */
};

static void test_decode_cases(void **state)
{
    (void)state;
    static const struct dec_case cases[] = {
        /* whitespace anywhere in standard base64 */
        {"Zm9v\r\nYmFy\r\n", 0, PKIOT_OK, "foobar"},
        {"Zm9v\nYmFy\n", 0, PKIOT_OK, "foobar"},
        {" \tZ m 9 v Y m F y \t", 0, PKIOT_OK, "foobar"},
        {"Zm9vYg=\r\n=\r\n", 0, PKIOT_OK, "foob"},
        {"\r\n\r\n", 0, PKIOT_OK, ""},
        {"Zm8=  ", 0, PKIOT_OK, "fo"},
        /* invalid characters */
        {"Zm9v!mFy", 0, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v\vYmFy", 0, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v\fYmFy", 0, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v.YmFy", 0, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v-_", 0, PKIOT_E_B64_BAD_CHAR, NULL},
        /* padding */
        {"Zm9vY", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9vYg", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9vYmE", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9vYg=", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9vYg===", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9vYmE==", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9v=", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Z===", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"====", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zg==Zg==", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zg==\nZm9v", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm8=Zm8=", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zg=a", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        /* non-canonical: unused bits set */
        {"Zh==", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9=", 0, PKIOT_E_B64_BAD_PADDING, NULL},
        /* base64url */
        {"Zm9vYmFy", 1, PKIOT_OK, "foobar"},
        {"Zm9vYg", 1, PKIOT_OK, "foob"},
        {"Zm9vYmE", 1, PKIOT_OK, "fooba"},
        {"Zm9vY", 1, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zh", 1, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9", 1, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zg==", 1, PKIOT_E_B64_BAD_PADDING, NULL},
        {"Zm9v YmFy", 1, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v\nYmFy", 1, PKIOT_E_B64_BAD_CHAR, NULL},
        {"Zm9v+mFy", 1, PKIOT_E_B64_BAD_CHAR, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint8_t out[32];
        size_t n = 0;
        size_t len = strlen(cases[i].in);
        int rc = cases[i].url ? pkiot_base64url_decode(cases[i].in, len, out, sizeof out, &n)
                              : pkiot_base64_decode(cases[i].in, len, out, sizeof out, &n);
        if (rc != cases[i].err) {
            fail_msg("\"%s\" (url=%d): got %s, want %s", cases[i].in, cases[i].url,
                     pkiot_strerror_name(rc), pkiot_strerror_name(cases[i].err));
        }
        if (rc == PKIOT_OK) {
            assert_int_equal(n, strlen(cases[i].want));
            assert_memory_equal(out, cases[i].want, n);
        }
        /* the same verdict whatever the chunking */
        for (size_t cut = 0; cut <= len; cut++) {
            size_t n2 = 0;
            int rc2 = dec_split(cases[i].url ? PKIOT_B64_URL : PKIOT_B64_STD, cases[i].in, len,
                                &cut, 1, out, sizeof out, &n2);
            assert_int_equal(rc2, rc);
            if (rc == PKIOT_OK) {
                assert_int_equal(n2, n);
            }
        }
    }
    /* a NUL byte is an invalid character, not a terminator */
    uint8_t out[8];
    size_t n;
    assert_int_equal(pkiot_base64_decode("Zm9v\0YmFy", 9, out, sizeof out, &n),
                     PKIOT_E_B64_BAD_CHAR);
}

static void test_decode_output_bounds(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t n;
    for (size_t cap = 0; cap <= 6; cap++) {
        memset(buf, 0xEE, sizeof buf);
        int rc = pkiot_base64_decode("Zm9vYmFy", 8, buf, cap, &n);
        assert_int_equal(rc, cap < 6 ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK);
        for (size_t i = cap; i < sizeof buf; i++) {
            assert_int_equal(buf[i], 0xEE);
        }
    }
    /* a padded tail needs room too */
    for (size_t cap = 0; cap <= 5; cap++) {
        int rc = pkiot_base64_decode("Zm9vYmE=", 8, buf, cap, &n);
        assert_int_equal(rc, cap < 5 ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK);
        rc = pkiot_base64url_decode("Zm9vYmE", 7, buf, cap, &n);
        assert_int_equal(rc, cap < 5 ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK);
    }
    /* NULL buffer behaves as capacity 0 */
    assert_int_equal(pkiot_base64_decode("", 0, NULL, 0, &n), PKIOT_OK);
    assert_int_equal(pkiot_base64_decode("Zg==", 4, NULL, 10, &n), PKIOT_E_BUFFER_TOO_SMALL);
}

static void test_decoder_state(void **state)
{
    (void)state;
    pkiot_b64_dec_t d;
    uint8_t out[16];
    size_t n = 99;

    /* errors are sticky */
    pkiot_b64_dec_init(&d, PKIOT_B64_STD, out, sizeof out);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm*", 3), PKIOT_E_B64_BAD_CHAR);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm9v", 4), PKIOT_E_B64_BAD_CHAR);
    assert_int_equal(pkiot_b64_dec_final(&d, &n), PKIOT_E_B64_BAD_CHAR);
    assert_int_equal(n, 99);

    /* no feeding after final, no second final */
    pkiot_b64_dec_init(&d, PKIOT_B64_STD, out, sizeof out);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm9v", 4), PKIOT_OK);
    assert_int_equal(pkiot_b64_dec_update(&d, NULL, 0), PKIOT_OK);
    assert_int_equal(pkiot_b64_dec_final(&d, &n), PKIOT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm9v", 4), PKIOT_E_STATE);
    assert_int_equal(pkiot_b64_dec_final(&d, &n), PKIOT_E_STATE);

    /* bytes are available as soon as a group completes */
    pkiot_b64_dec_init(&d, PKIOT_B64_STD, out, sizeof out);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm9vYm", 6), PKIOT_OK);
    assert_int_equal(d.len, 3);
    assert_int_equal(pkiot_b64_dec_update(&d, "Fy", 2), PKIOT_OK);
    assert_int_equal(d.len, 6);

    /* bad arguments */
    pkiot_b64_dec_init(&d, (pkiot_b64_alphabet_t)7, out, sizeof out);
    assert_int_equal(pkiot_b64_dec_update(&d, "Zm9v", 4), PKIOT_E_INVALID_ARG);
    pkiot_b64_dec_init(&d, PKIOT_B64_STD, out, sizeof out);
    assert_int_equal(pkiot_b64_dec_update(&d, NULL, 4), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_b64_dec_update(NULL, "Zm9v", 4), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_b64_dec_final(NULL, &n), PKIOT_E_INVALID_ARG);
}

/* ---- chunked feeding and truncation ---------------------------------------------------------- */

static void test_chunked_every_split(void **state)
{
    (void)state;
    static uint8_t data[200], out[256];
    static char text[400], crlf[800];
    size_t tl, n;
    fill_random(data, sizeof data, 7);
    assert_int_equal(pkiot_base64_encode(data, sizeof data - 1, text, sizeof text, &tl), PKIOT_OK);
    /* CRLF every 64 characters, as an EST server might send it */
    size_t cl = 0;
    for (size_t i = 0; i < tl; i++) {
        if (i > 0 && i % 64 == 0) {
            crlf[cl++] = '\r';
            crlf[cl++] = '\n';
        }
        crlf[cl++] = text[i];
    }
    crlf[cl++] = '\r';
    crlf[cl++] = '\n';

    /* every single split point */
    for (size_t cut = 0; cut <= cl; cut++) {
        memset(out, 0, sizeof out);
        assert_int_equal(dec_split(PKIOT_B64_STD, crlf, cl, &cut, 1, out, sizeof out, &n),
                         PKIOT_OK);
        assert_int_equal(n, sizeof data - 1);
        assert_memory_equal(out, data, n);
    }
    /* every pair of split points over a shorter text */
    size_t short_len = 100;
    for (size_t a = 0; a <= short_len; a++) {
        for (size_t b = a; b <= short_len; b++) {
            size_t cuts[2] = {a, b};
            assert_int_equal(dec_split(PKIOT_B64_STD, crlf, short_len - (short_len % 4) + 2,
                                       cuts, 2, out, sizeof out, &n),
                             PKIOT_OK);
            assert_memory_equal(out, data, n);
        }
    }
    /* one byte at a time */
    pkiot_b64_dec_t d;
    pkiot_b64_dec_init(&d, PKIOT_B64_STD, out, sizeof out);
    for (size_t i = 0; i < cl; i++) {
        assert_int_equal(pkiot_b64_dec_update(&d, crlf + i, 1), PKIOT_OK);
    }
    assert_int_equal(pkiot_b64_dec_final(&d, &n), PKIOT_OK);
    assert_memory_equal(out, data, n);

    /* base64url, every split */
    assert_int_equal(pkiot_base64url_encode(data, sizeof data - 2, text, sizeof text, &tl),
                     PKIOT_OK);
    for (size_t cut = 0; cut <= tl; cut++) {
        assert_int_equal(dec_split(PKIOT_B64_URL, text, tl, &cut, 1, out, sizeof out, &n),
                         PKIOT_OK);
        assert_int_equal(n, sizeof data - 2);
        assert_memory_equal(out, data, n);
    }
}

static void test_truncation(void **state)
{
    (void)state;
    static uint8_t data[61], out[128];
    static char text[128];
    size_t tl, n;
    fill_random(data, sizeof data, 99);
    /* 61 bytes: the standard text ends in "==" */
    assert_int_equal(pkiot_base64_encode(data, sizeof data, text, sizeof text, &tl), PKIOT_OK);
    assert_int_equal(text[tl - 1], '=');
    for (size_t k = 0; k < tl; k++) {
        char *p = malloc(k ? k : 1); /* exact size: ASan sees any over-read */
        assert_non_null(p);
        memcpy(p, text, k);
        int rc = pkiot_base64_decode(p, k, out, sizeof out, &n);
        if (k % 4 == 0) {
            assert_int_equal(rc, PKIOT_OK);
            assert_int_equal(n, k / 4 * 3);
            assert_memory_equal(out, data, n);
        } else {
            assert_int_equal(rc, PKIOT_E_B64_BAD_PADDING);
        }
        free(p);
    }
    assert_int_equal(pkiot_base64url_encode(data, sizeof data, text, sizeof text, &tl), PKIOT_OK);
    for (size_t k = 0; k < tl; k++) {
        char *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, text, k);
        int rc = pkiot_base64url_decode(p, k, out, sizeof out, &n);
        if (k % 4 == 1) {
            assert_int_equal(rc, PKIOT_E_B64_BAD_PADDING);
        } else if (rc == PKIOT_OK) {
            assert_int_equal(n, PKIOT_BASE64_DECODED_MAX(k));
            assert_memory_equal(out, data, n);
        } else {
            /* a cut group whose spare bits happen to be non-zero */
            assert_int_equal(rc, PKIOT_E_B64_BAD_PADDING);
        }
        free(p);
    }
}

static void test_in_place(void **state)
{
    (void)state;
    static uint8_t data[300];
    static char text[512];
    size_t tl, n;
    fill_random(data, sizeof data, 3);
    assert_int_equal(pkiot_base64_encode(data, sizeof data, text, sizeof text, &tl), PKIOT_OK);
    assert_int_equal(pkiot_base64_decode(text, tl, (uint8_t *)text, sizeof text, &n), PKIOT_OK);
    assert_int_equal(n, sizeof data);
    assert_memory_equal(text, data, n);
}

static void test_roundtrip_lengths(void **state)
{
    (void)state;
    static uint8_t data[260], out[260];
    static char text[400];
    size_t tl, n;
    fill_random(data, sizeof data, 42);
    for (size_t len = 0; len <= sizeof data; len++) {
        assert_int_equal(pkiot_base64_encode(data, len, text, sizeof text, &tl), PKIOT_OK);
        assert_int_equal(pkiot_base64_decode(text, tl, out, PKIOT_BASE64_DECODED_MAX(tl), &n),
                         PKIOT_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, data, len);
        assert_int_equal(pkiot_base64url_encode(data, len, text, sizeof text, &tl), PKIOT_OK);
        assert_int_equal(tl, PKIOT_BASE64URL_ENCODED_LEN(len));
        assert_int_equal(pkiot_base64url_decode(text, tl, out, PKIOT_BASE64_DECODED_MAX(tl), &n),
                         PKIOT_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, data, len);
    }
}

/* ---- cross-check with `openssl base64` -------------------------------------------------------- */

static void test_openssl(void **state)
{
    (void)state;
    static uint8_t data[1001], out[1100];
    static char ref[2000], mine[2000], flat[2000], crlf[2100];
    char dir[256], path[300], cmd[1024];
    size_t ml, n;
    if (!pkiot_test_have_openssl()) {
        skip();
    }
    fill_random(data, sizeof data, 2024);
    assert_int_equal(pkiot_test_mkdtemp("pkiot_b64_", dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/data.bin", dir);
    assert_int_equal(pkiot_test_write_file(path, data, sizeof data), 0);
    snprintf(cmd, sizeof cmd, "openssl base64 -in '%s/data.bin' -out '%s/data.b64'", dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/data.b64", dir);
    size_t ref_len = 0;
    assert_int_equal(pkiot_test_read_file(path, (uint8_t *)ref, sizeof ref, &ref_len), 0);
    long rl = (long)ref_len;
    assert_true(rl > 0);
    assert_int_equal(ref[64], '\n'); /* openssl wraps at 64 columns with LF */

    /* openssl's LF-wrapped text decodes to the data */
    assert_int_equal(pkiot_base64_decode(ref, (size_t)rl, out, sizeof out, &n), PKIOT_OK);
    assert_int_equal(n, sizeof data);
    assert_memory_equal(out, data, n);

    /* same text with CRLF line breaks */
    size_t fl = 0, cl = 0;
    for (long i = 0; i < rl; i++) {
        if (ref[i] == '\n') {
            crlf[cl++] = '\r';
        } else {
            flat[fl++] = ref[i];
        }
        crlf[cl++] = ref[i];
    }
    assert_int_equal(pkiot_base64_decode(crlf, cl, out, sizeof out, &n), PKIOT_OK);
    assert_memory_equal(out, data, sizeof data);

    /* our encoding equals openssl's without the line breaks */
    assert_int_equal(pkiot_base64_encode(data, sizeof data, mine, sizeof mine, &ml), PKIOT_OK);
    assert_int_equal(ml, fl);
    assert_memory_equal(mine, flat, ml);

    /* and openssl decodes ours (one long line: -A) */
    snprintf(path, sizeof path, "%s/mine.b64", dir);
    assert_int_equal(pkiot_test_write_file(path, mine, ml), 0);
    snprintf(cmd, sizeof cmd, "openssl base64 -d -A -in '%s/mine.b64' -out '%s/back.bin'", dir,
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/back.bin", dir);
    size_t bl = 0;
    assert_int_equal(pkiot_test_read_file(path, out, sizeof out, &bl), 0);
    pkiot_test_rmtree(dir);
    assert_int_equal(bl, sizeof data);
    assert_memory_equal(out, data, sizeof data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_alphabet_62_63),
        cmocka_unit_test(test_all_bytes),
        cmocka_unit_test(test_size_macros),
        cmocka_unit_test(test_encode_too_small),
        cmocka_unit_test(test_decode_cases),
        cmocka_unit_test(test_decode_output_bounds),
        cmocka_unit_test(test_decoder_state),
        cmocka_unit_test(test_chunked_every_split),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_roundtrip_lengths),
        cmocka_unit_test(test_openssl),
    };
    return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
