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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_slice(pkiot_slice_t a, pkiot_slice_t b)
{
    if (a.len != b.len || a.p != b.p) {
        abort();
    }
}

static void compare(const pkiot_x509_cert_t *a, const pkiot_x509_cert_t *b)
{
    same_slice(a->raw, b->raw);
    same_slice(a->tbs, b->tbs);
    same_slice(a->serial, b->serial);
    same_slice(a->issuer, b->issuer);
    same_slice(a->subject, b->subject);
    same_slice(a->spki, b->spki);
    same_slice(a->extensions, b->extensions);
    same_slice(a->san, b->san);
    /* Mbed TLS points at the TBSCertificate's copy, which both require to equal the outer */
    if (a->sig_oid.len != b->sig_oid.len || memcmp(a->sig_oid.p, b->sig_oid.p, a->sig_oid.len)) {
        abort();
    }
    if (a->version != b->version || a->not_before != b->not_before ||
        a->not_after != b->not_after || a->key_alg != b->key_alg ||
        a->key_type != b->key_type || a->key_bits != b->key_bits ||
        a->has_basic_constraints != b->has_basic_constraints || a->is_ca != b->is_ca) {
        abort();
    }
}

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
    } else if (ra == PKIOT_OK) {
        compare(&a, &b);
    }
    free(buf);
    return 0;
}
