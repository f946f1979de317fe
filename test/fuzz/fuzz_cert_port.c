/* libFuzzer target: the Mbed TLS crypto port's cert_parse, which is how the engine reads
 * certificates in builds with PKIOT_X509_BUILTIN = 0, against pkiot's own parser. Whatever
 * both accept must give the fields the port promises (include/pkiot/crypto.h) identically;
 * whatever the port refuses must leave nothing filled in and give one of its documented
 * errors. Mbed TLS may refuse what pkiot accepts (it is stricter about algorithms and
 * critical extensions), so that alone is not a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "pkiot/x509.h"
#include "pkiot_test_cert_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pkiot_mbedtls_crypto_t st;
    static pkiot_crypto_port_t port;
    static int ready;
    if (!ready) {
        if (pkiot_mbedtls_crypto_init(&st, 0, &port) != PKIOT_OK) {
            abort();
        }
        ready = 1;
    }
    /* A private copy of exactly the input's size, so ASan sees any read past its end. */
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    pkiot_x509_cert_t a, b;
    int ra = pkiot_x509_cert_parse(buf, size, &a);
    int rb = port.cert_parse(port.ctx, buf, size, &b);
    if (rb != PKIOT_OK) {
        if ((rb != PKIOT_E_X509_FORMAT && rb != PKIOT_E_DER_TRAILING &&
             rb != PKIOT_E_INVALID_ARG) ||
            b.raw.p != NULL || b.san.p != NULL || b.not_after != 0) {
            abort();
        }
    } else if (ra == PKIOT_OK && pkiot_test_cert_fields_differ(&a, &b) != NULL) {
        abort();
    }
    free(buf);
    return 0;
}
