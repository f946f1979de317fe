/* Base64 / base64url encoders and the streaming decoder. */
#include "pkiot/base64.h"

#include <string.h>

/*
 * All-ones when lo <= c <= hi, zero otherwise, for c, lo, hi in 0..255. Either subtraction
 * borrows (sets bit 8 and above) exactly when c is out of range; no branch, no table, so the
 * timing does not depend on the characters of a private key.
 */
static uint32_t in_range(uint32_t c, uint32_t lo, uint32_t hi)
{
    return ((((c - lo) | (hi - c)) >> 8) & 1u) - 1u;
}

/*
 * The alphabets as ranges of characters: first, last, and the sextet of the first. Both
 * directions go through every range, so the table addresses read never depend on the data.
 */
static const uint8_t b64_ranges[2][5][3] = {
    {{'A', 'Z', 0}, {'a', 'z', 26}, {'0', '9', 52}, {'+', '+', 62}, {'/', '/', 63}},
    {{'A', 'Z', 0}, {'a', 'z', 26}, {'0', '9', 52}, {'-', '-', 62}, {'_', '_', 63}},
};

/* Sextet value of character @p c, or -1. */
static int b64_value(uint32_t c, int url)
{
    uint32_t v = 0, valid = 0;
    for (size_t k = 0; k < 5; k++) {
        const uint8_t *t = b64_ranges[url][k];
        uint32_t m = in_range(c, t[0], t[1]);
        v |= m & (c - t[0] + t[2]);
        valid |= m;
    }
    return valid != 0 ? (int)(v & 0x3Fu) : -1;
}

/* Character for sextet @p v (0..63). */
static char b64_char(uint32_t v, int url)
{
    uint32_t c = 0;
    for (size_t k = 0; k < 5; k++) {
        const uint8_t *t = b64_ranges[url][k];
        c |= in_range(v, t[2], t[2] + (uint32_t)(t[1] - t[0])) & (v - t[2] + t[0]);
    }
    return (char)(c & 0xFFu);
}

static int encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                  size_t *out_len, int url)
{
    if ((in == NULL && in_len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    /* Largest input whose padded encoding still fits a size_t. */
    if (in_len > (SIZE_MAX / 4u) * 3u) {
        return PKIOT_E_OVERFLOW;
    }
    size_t need = url ? PKIOT_BASE64URL_ENCODED_LEN(in_len) : PKIOT_BASE64_ENCODED_LEN(in_len);
    if (out_len != NULL) {
        *out_len = need;
    }
    if (need > out_cap) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (out == NULL && need != 0) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 3) {
        /* A final group of 1 or 2 bytes gives 2 or 3 characters, padded to 4 unless url. */
        size_t rest = in_len - i;
        uint32_t g = (uint32_t)in[i] << 16;
        if (rest > 1) {
            g |= (uint32_t)in[i + 1] << 8;
        }
        if (rest > 2) {
            g |= in[i + 2];
        }
        for (size_t k = 0; k < 4; k++) {
            if (k <= rest) {
                out[o++] = b64_char((g >> (18 - 6 * k)) & 0x3Fu, url);
            } else if (!url) {
                out[o++] = '=';
            }
        }
    }
    return PKIOT_OK;
}

int pkiot_base64_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                        size_t *out_len)
{
    return encode(in, in_len, out, out_cap, out_len, 0);
}

int pkiot_base64url_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                           size_t *out_len)
{
    return encode(in, in_len, out, out_cap, out_len, 1);
}

/* ---------------------------------------------------------------------------------------- */

void pkiot_b64_dec_init(pkiot_b64_dec_t *dec, pkiot_b64_alphabet_t alphabet, uint8_t *out,
                        size_t cap)
{
    if (dec == NULL) {
        return;
    }
    dec->out = out;
    dec->cap = (out != NULL) ? cap : 0;
    dec->len = 0;
    dec->acc = 0;
    dec->nsext = 0;
    dec->npad = 0;
    dec->url = (alphabet == PKIOT_B64_URL) ? 1u : 0u;
    dec->done = 0;
    dec->err = (alphabet == PKIOT_B64_STD || alphabet == PKIOT_B64_URL) ? PKIOT_OK
                                                                        : PKIOT_E_INVALID_ARG;
}

static int dec_fail(pkiot_b64_dec_t *dec, int err)
{
    dec->err = err;
    dec->acc = 0;
    return err;
}

/*
 * Write the 1 to 3 bytes carried by a group of @p nsext (2 to 4) sextets. The bits below the
 * last whole byte of a final partial group must be zero, otherwise the text is not the
 * canonical encoding of any byte string.
 */
static int dec_flush(pkiot_b64_dec_t *dec)
{
    uint32_t nbytes = (uint32_t)dec->nsext - 1u;
    uint32_t spare = (uint32_t)dec->nsext * 6u - nbytes * 8u;
    if ((dec->acc & ((1u << spare) - 1u)) != 0) {
        return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
    }
    if (dec->cap - dec->len < nbytes) {
        return dec_fail(dec, PKIOT_E_BUFFER_TOO_SMALL);
    }
    uint32_t v = dec->acc >> spare;
    while (nbytes-- > 0) {
        dec->out[dec->len++] = (uint8_t)(v >> (8u * nbytes));
    }
    dec->acc = 0;
    return PKIOT_OK;
}

/* PKIOT_OK when @p dec may take more input: not failed, not finished. */
static int dec_usable(const pkiot_b64_dec_t *dec)
{
    if (dec == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (dec->err != PKIOT_OK) {
        return dec->err;
    }
    return dec->done ? PKIOT_E_STATE : PKIOT_OK;
}

int pkiot_b64_dec_update(pkiot_b64_dec_t *dec, const char *in, size_t len)
{
    int rc = dec_usable(dec);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (in == NULL && len != 0) {
        return dec_fail(dec, PKIOT_E_INVALID_ARG);
    }
    const int url = dec->url != 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = (uint8_t)in[i];
        int v = b64_value(c, url);
        if (v >= 0) {
            if (dec->npad != 0) {
                return dec_fail(dec, PKIOT_E_B64_BAD_PADDING); /* data after '=' */
            }
            dec->acc = (dec->acc << 6) | (uint32_t)v;
            if (++dec->nsext == 4) {
                rc = dec_flush(dec);
                if (rc != PKIOT_OK) {
                    return rc;
                }
                dec->nsext = 0;
            }
        } else if (c == '=') {
            if (url) {
                return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
            }
            if (dec->npad == 0) {
                /* '=' may only complete a group of 2 or 3 sextets */
                if (dec->nsext < 2) {
                    return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
                }
                rc = dec_flush(dec);
                if (rc != PKIOT_OK) {
                    return rc;
                }
            }
            dec->npad++;
            if ((uint32_t)dec->nsext + dec->npad > 4u) {
                return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
            }
        } else if (!url && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
            continue;
        } else {
            return dec_fail(dec, PKIOT_E_B64_BAD_CHAR);
        }
    }
    return PKIOT_OK;
}

int pkiot_b64_dec_final(pkiot_b64_dec_t *dec, size_t *out_len)
{
    int rc = dec_usable(dec);
    if (rc != PKIOT_OK) {
        return rc;
    }
    dec->done = 1;
    if (dec->npad != 0) {
        if ((uint32_t)dec->nsext + dec->npad != 4u) {
            return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
        }
    } else if (dec->nsext != 0) {
        if (!dec->url || dec->nsext == 1) {
            return dec_fail(dec, PKIOT_E_B64_BAD_PADDING);
        }
        rc = dec_flush(dec);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    dec->nsext = 0;
    if (out_len != NULL) {
        *out_len = dec->len;
    }
    return PKIOT_OK;
}

static int decode_all(pkiot_b64_alphabet_t alphabet, const char *in, size_t in_len,
                      uint8_t *out, size_t out_cap, size_t *out_len)
{
    pkiot_b64_dec_t dec;
    pkiot_b64_dec_init(&dec, alphabet, out, out_cap);
    int rc = pkiot_b64_dec_update(&dec, in, in_len);
    if (rc == PKIOT_OK) {
        rc = pkiot_b64_dec_final(&dec, out_len);
    }
    pkiot_zeroize(&dec.acc, sizeof dec.acc);
    return rc;
}

int pkiot_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                        size_t *out_len)
{
    return decode_all(PKIOT_B64_STD, in, in_len, out, out_cap, out_len);
}

int pkiot_base64url_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    return decode_all(PKIOT_B64_URL, in, in_len, out, out_cap, out_len);
}
