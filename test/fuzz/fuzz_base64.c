/*
 * libFuzzer target for the base64 / base64url codec.
 *
 * Input: one control byte, then text. Bit 0 of the control byte selects base64url; the other
 * bits seed the chunk sizes with which the streaming decoder is fed (1..64 bytes, varying).
 * Checked properties:
 * - the streaming decoder gives the same verdict and bytes as the one-shot decoder, whatever
 *   the chunking, and never writes past its capacity;
 * - decoded output fits PKIOT_BASE64_DECODED_MAX;
 * - text that decodes is canonical: re-encoding gives the input back (base64url) or the input
 *   without its whitespace (base64);
 * - a too-small output buffer fails with PKIOT_E_BUFFER_TOO_SMALL unless an input error
 *   comes first;
 * - any bytes (the text itself) survive encode + decode in both alphabets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/base64.h"

#define MAX_IN 8192

static uint8_t one[MAX_IN], chunked[MAX_IN + 16];
static char enc[PKIOT_BASE64_ENCODED_LEN(MAX_IN)];
static char flat[MAX_IN];

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAX_IN) {
        return 0;
    }
    const int url = data[0] & 1u;
    uint32_t seed = (uint32_t)(data[0] >> 1) * 2654435761u + 1u;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    const pkiot_b64_alphabet_t alpha = url ? PKIOT_B64_URL : PKIOT_B64_STD;

    size_t n1 = 0;
    int rc1 = url ? pkiot_base64url_decode(text, len, one, sizeof one, &n1)
                  : pkiot_base64_decode(text, len, one, sizeof one, &n1);
    check(rc1 <= 0);

    /* streaming, chunk sizes from the seed; a canary guards the capacity */
    pkiot_b64_dec_t d;
    memset(chunked, 0xA5, sizeof chunked);
    pkiot_b64_dec_init(&d, alpha, chunked, MAX_IN);
    int rc2 = PKIOT_OK;
    for (size_t off = 0; off < len && rc2 == PKIOT_OK;) {
        seed = seed * 1103515245u + 12345u;
        size_t c = 1u + (seed >> 16) % 64u;
        if (c > len - off) {
            c = len - off;
        }
        rc2 = pkiot_b64_dec_update(&d, text + off, c);
        off += c;
    }
    size_t n2 = 0;
    if (rc2 == PKIOT_OK) {
        rc2 = pkiot_b64_dec_final(&d, &n2);
    }
    for (size_t i = MAX_IN; i < sizeof chunked; i++) {
        check(chunked[i] == 0xA5);
    }
    check(rc1 == rc2);
    if (rc1 == PKIOT_OK) {
        check(n1 == n2 && memcmp(one, chunked, n1) == 0);
        check(n1 <= PKIOT_BASE64_DECODED_MAX(len));

        /* canonical: encoding the bytes again reproduces the significant characters */
        size_t fl = 0;
        for (size_t i = 0; i < len; i++) {
            char ch = text[i];
            if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                flat[fl++] = ch;
            }
        }
        size_t el = 0;
        int rc = url ? pkiot_base64url_encode(one, n1, enc, sizeof enc, &el)
                     : pkiot_base64_encode(one, n1, enc, sizeof enc, &el);
        check(rc == PKIOT_OK);
        check(el == fl && memcmp(enc, flat, el) == 0);

        /* one byte short of the output fails cleanly */
        if (n1 > 0) {
            size_t n3;
            rc = url ? pkiot_base64url_decode(text, len, chunked, n1 - 1, &n3)
                     : pkiot_base64_decode(text, len, chunked, n1 - 1, &n3);
            check(rc == PKIOT_E_BUFFER_TOO_SMALL);
        }
    }

    /* the raw input as binary data round-trips through both alphabets */
    for (int u = 0; u < 2; u++) {
        size_t el = 0, dl = 0;
        int rc = u ? pkiot_base64url_encode(data, size, enc, sizeof enc, &el)
                   : pkiot_base64_encode(data, size, enc, sizeof enc, &el);
        if (size <= MAX_IN) {
            /* MAX_IN + 1 bytes may not fit enc; that is the encoder's job to report */
            check(rc == PKIOT_OK || rc == PKIOT_E_BUFFER_TOO_SMALL);
        }
        if (rc != PKIOT_OK) {
            continue;
        }
        rc = u ? pkiot_base64url_decode(enc, el, chunked, sizeof chunked, &dl)
               : pkiot_base64_decode(enc, el, chunked, sizeof chunked, &dl);
        check(rc == PKIOT_OK && dl == size && memcmp(chunked, data, size) == 0);
    }
    return 0;
}
