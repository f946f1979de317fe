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

/* Sextet value of character @p c, or -1. */
static int b64_value(uint32_t c, int url)
{
    uint32_t c62 = url ? (uint32_t)'-' : (uint32_t)'+';
    uint32_t c63 = url ? (uint32_t)'_' : (uint32_t)'/';
    uint32_t m_up = in_range(c, 'A', 'Z');
    uint32_t m_lo = in_range(c, 'a', 'z');
    uint32_t m_dg = in_range(c, '0', '9');
    uint32_t m_62 = in_range(c, c62, c62);
    uint32_t m_63 = in_range(c, c63, c63);
    uint32_t v = (m_up & (c - 'A')) | (m_lo & (c - 'a' + 26u)) | (m_dg & (c - '0' + 52u)) |
                 (m_62 & 62u) | (m_63 & 63u);
    uint32_t valid = m_up | m_lo | m_dg | m_62 | m_63;
    return valid != 0 ? (int)(v & 0x3Fu) : -1;
}

/* Character for sextet @p v (0..63). */
static char b64_char(uint32_t v, int url)
{
    uint32_t c62 = url ? (uint32_t)'-' : (uint32_t)'+';
    uint32_t c63 = url ? (uint32_t)'_' : (uint32_t)'/';
    uint32_t c = (in_range(v, 0, 25) & (v + 'A')) | (in_range(v, 26, 51) & (v - 26u + 'a')) |
                 (in_range(v, 52, 61) & (v - 52u + '0')) | (in_range(v, 62, 62) & c62) |
                 (in_range(v, 63, 63) & c63);
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
    size_t i = 0;
    for (; in_len - i >= 3; i += 3) {
        uint32_t g = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64_char((g >> 18) & 0x3Fu, url);
        out[o++] = b64_char((g >> 12) & 0x3Fu, url);
        out[o++] = b64_char((g >> 6) & 0x3Fu, url);
        out[o++] = b64_char(g & 0x3Fu, url);
    }
    size_t rest = in_len - i;
    if (rest != 0) {
        uint32_t g = (uint32_t)in[i] << 16;
        if (rest == 2) {
            g |= (uint32_t)in[i + 1] << 8;
        }
        out[o++] = b64_char((g >> 18) & 0x3Fu, url);
        out[o++] = b64_char((g >> 12) & 0x3Fu, url);
        if (rest == 2) {
            out[o++] = b64_char((g >> 6) & 0x3Fu, url);
        } else if (!url) {
            out[o++] = '=';
        }
        if (!url) {
            out[o++] = '=';
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
 * Write the 1 or 2 bytes carried by a final group of @p nsext (2 or 3) sextets. The bits
 * below the last whole byte must be zero, otherwise the text is not the canonical encoding
 * of any byte string.
 */
static int dec_flush_partial(pkiot_b64_dec_t *dec)
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
    if (nbytes == 2) {
        dec->out[dec->len++] = (uint8_t)(v >> 8);
    }
    dec->out[dec->len++] = (uint8_t)v;
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
                if (dec->cap - dec->len < 3) {
                    return dec_fail(dec, PKIOT_E_BUFFER_TOO_SMALL);
                }
                dec->out[dec->len++] = (uint8_t)(dec->acc >> 16);
                dec->out[dec->len++] = (uint8_t)(dec->acc >> 8);
                dec->out[dec->len++] = (uint8_t)dec->acc;
                dec->acc = 0;
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
                rc = dec_flush_partial(dec);
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
        rc = dec_flush_partial(dec);
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
