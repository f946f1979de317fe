/* The fields the crypto port's cert_parse promises (include/pkiot/crypto.h), compared with
 * what pkiot's own parser gives: shared by the unit test and the differential fuzzer. */
#ifndef PKIOT_TEST_CERT_FIELDS_H
#define PKIOT_TEST_CERT_FIELDS_H

#include <string.h>

#include "pkiot/x509.h"

/* Slices must be the same view of the same buffer (no copy), except sig_oid, whose bytes
 * must match: Mbed TLS points at the TBSCertificate's copy, which both parsers require to
 * equal the outer one. Returns the first field that differs, or NULL. */
static inline const char *pkiot_test_cert_fields_differ(const pkiot_x509_cert_t *a,
                                                        const pkiot_x509_cert_t *b)
{
#define PKIOT_TEST_SAME_VIEW(f)                                                              \
    if (a->f.len != b->f.len || a->f.p != b->f.p) {                                          \
        return #f;                                                                           \
    }
#define PKIOT_TEST_SAME_VALUE(f)                                                             \
    if (a->f != b->f) {                                                                      \
        return #f;                                                                           \
    }
    PKIOT_TEST_SAME_VIEW(raw)
    PKIOT_TEST_SAME_VIEW(tbs)
    PKIOT_TEST_SAME_VALUE(version)
    PKIOT_TEST_SAME_VIEW(serial)
    if (a->sig_oid.len != b->sig_oid.len ||
        (a->sig_oid.len > 0 && memcmp(a->sig_oid.p, b->sig_oid.p, a->sig_oid.len) != 0)) {
        return "sig_oid";
    }
    PKIOT_TEST_SAME_VIEW(issuer)
    PKIOT_TEST_SAME_VIEW(subject)
    PKIOT_TEST_SAME_VALUE(not_before)
    PKIOT_TEST_SAME_VALUE(not_after)
    PKIOT_TEST_SAME_VIEW(spki)
    PKIOT_TEST_SAME_VALUE(key_alg)
    PKIOT_TEST_SAME_VALUE(key_type)
    PKIOT_TEST_SAME_VALUE(key_bits)
    PKIOT_TEST_SAME_VIEW(extensions)
    PKIOT_TEST_SAME_VALUE(has_basic_constraints)
    PKIOT_TEST_SAME_VALUE(is_ca)
    PKIOT_TEST_SAME_VIEW(san)
#undef PKIOT_TEST_SAME_VIEW
#undef PKIOT_TEST_SAME_VALUE
    return NULL;
}

#endif /* PKIOT_TEST_CERT_FIELDS_H */
