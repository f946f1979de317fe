/*
 * libFuzzer target for the PEM block finder/decoder and encoder.
 *
 * Input: text, walked block by block as a certificate bundle would be (any label, then only
 * "CERTIFICATE" blocks). Checked properties:
 * - the offset only moves forward, stays inside the input, and each block lies between
 *   the previous offset and the new one;
 * - the reported label lies inside the block and the DER fits PKIOT_PEM_DECODED_MAX;
 * - every decoded block, encoded again with its label, decodes to the same DER, and the
 *   encoder writes exactly PKIOT_PEM_ENCODED_SIZE bytes including the NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/pem.h"

#define MAX_IN 16384

static uint8_t der[MAX_IN], der2[MAX_IN];
static char label[MAX_IN + 1];
static char text[PKIOT_PEM_ENCODED_SIZE(MAX_IN, MAX_IN)];

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

static void walk(const char *in, size_t len, const char *want)
{
    size_t pos = 0;
    for (int guard = 0; guard < 10000; guard++) {
        pkiot_pem_block_t b;
        size_t before = pos;
        int rc = pkiot_pem_next(in, len, &pos, want, der, sizeof der, &b);
        if (rc != PKIOT_OK) {
            check(rc < 0 && pos == before);
            return;
        }
        check(pos > before && pos <= len);
        check(b.begin >= before && b.begin < b.end && b.end == pos);
        check(b.label >= in + b.begin && b.label + b.label_len <= in + b.end);
        check(b.der_len <= PKIOT_PEM_DECODED_MAX(len));
        if (want != NULL) {
            check(b.label_len == strlen(want) && memcmp(b.label, want, b.label_len) == 0);
        }

        memcpy(label, b.label, b.label_len);
        label[b.label_len] = '\0';
        size_t tl = 0, p2 = 0;
        check(pkiot_pem_encode(label, der, b.der_len, text, sizeof text, &tl) == PKIOT_OK);
        check(tl + 1 == PKIOT_PEM_ENCODED_SIZE(b.label_len, b.der_len) && text[tl] == '\0');
        pkiot_pem_block_t b2;
        check(pkiot_pem_next(text, tl, &p2, label, der2, sizeof der2, &b2) == PKIOT_OK);
        check(p2 == tl && b2.der_len == b.der_len && memcmp(der, der2, b.der_len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN) {
        return 0;
    }
    walk((const char *)data, size, NULL);
    walk((const char *)data, size, "CERTIFICATE");
    return 0;
}
