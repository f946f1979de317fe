/* Unit tests for the EST CSR attributes parser (lib/x509/csrattrs.c). */
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

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "pkiot/base64.h"
#include "pkiot/csr.h"
#include "pkiot/der.h"
#include "pkiot_test_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* OIDs (contents octets) used to build and check vectors. */
static const uint8_t OID_CHALLENGE[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x07 };
static const uint8_t OID_EXTREQ[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0E };
static const uint8_t OID_TEMPLATE[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x3D };
static const uint8_t OID_EXTREQ_TMPL[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x3E };
static const uint8_t OID_EC[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
static const uint8_t OID_RSA[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
static const uint8_t OID_P256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t OID_P384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t OID_ECDSA256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 };
static const uint8_t OID_MAC[] = { 0x2B, 0x06, 0x01, 0x01, 0x01, 0x01, 0x16 };
static const uint8_t OID_SAN[] = { 0x55, 0x1D, 0x11 };
static const uint8_t OID_KU[] = { 0x55, 0x1D, 0x0F };
static const uint8_t OID_BC[] = { 0x55, 0x1D, 0x13 };
static const uint8_t OID_CN[] = { 0x55, 0x04, 0x03 };
static const uint8_t OID_O[] = { 0x55, 0x04, 0x0A };

/* ---- a tiny forward DER builder for test vectors --------------------------------------- */

typedef struct buf {
    uint8_t b[2048];
    size_t n;
} buf_t;

static void put(buf_t *o, const uint8_t *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void tlv(buf_t *o, uint8_t tag, const uint8_t *v, size_t n)
{
    uint8_t h[4];
    size_t hl = 0;
    h[hl++] = tag;
    if (n < 0x80) {
        h[hl++] = (uint8_t)n;
    } else if (n < 0x100) {
        h[hl++] = 0x81;
        h[hl++] = (uint8_t)n;
    } else {
        h[hl++] = 0x82;
        h[hl++] = (uint8_t)(n >> 8);
        h[hl++] = (uint8_t)n;
    }
    put(o, h, hl);
    put(o, v, n);
}

static void wrap(buf_t *o, uint8_t tag, const buf_t *inner)
{
    tlv(o, tag, inner->b, inner->n);
}

static void oid(buf_t *o, const uint8_t *v, size_t n)
{
    tlv(o, 0x06, v, n);
}

#define OID(o, x) oid((o), (x), sizeof(x))

/* Attribute { type, SET { values } } */
static void attr(buf_t *o, const uint8_t *type, size_t tn, const buf_t *values)
{
    buf_t a = { .n = 0 };
    oid(&a, type, tn);
    wrap(&a, 0x31, values);
    wrap(o, 0x30, &a);
}

/* Extension { id, [critical], OCTET STRING value } (value NULL: ExtensionTemplate without) */
static void ext(buf_t *o, const uint8_t *id, size_t idn, int critical, const uint8_t *v, size_t n)
{
    buf_t e = { .n = 0 };
    oid(&e, id, idn);
    if (critical) {
        static const uint8_t t[] = { 0x01, 0x01, 0xFF };
        put(&e, t, sizeof t);
    }
    if (v != NULL) {
        tlv(&e, 0x04, v, n);
    }
    wrap(o, 0x30, &e);
}

static size_t b64(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(pkiot_base64_decode(s, strlen(s), out, cap, &n), PKIOT_OK);
    return n;
}

static int slice_is(const pkiot_slice_t *s, const uint8_t *p, size_t n)
{
    return s->len == n && memcmp(s->p, p, n) == 0;
}

/* Every truncation fails with PKIOT_E_DER_TRUNCATED; a trailing byte is refused. */
static void check_truncation(const uint8_t *der, size_t len)
{
    pkiot_csrattrs_t a;
    for (size_t k = 0; k < len; k++) {
        uint8_t *p = malloc(k == 0 ? 1 : k);
        assert_non_null(p);
        memcpy(p, der, k);
        int rc = pkiot_csrattrs_parse(p, k, &a);
        free(p);
        if (rc != PKIOT_E_DER_TRUNCATED) {
            fprintf(stderr, "at %zu: %s\n", k, pkiot_strerror_name(rc));
        }
        assert_int_equal(rc, PKIOT_E_DER_TRUNCATED);
    }
    uint8_t *big = malloc(len + 1);
    assert_non_null(big);
    memcpy(big, der, len);
    big[len] = 0x05;
    assert_int_equal(pkiot_csrattrs_parse(big, len + 1, &a), PKIOT_E_DER_TRAILING);
    free(big);
}

/* ---- vectors from the RFCs -------------------------------------------------------------- */

static void test_rfc7030_example(void **state)
{
    (void)state;
    uint8_t der[256];
    pkiot_csrattrs_t a;
    size_t n = b64("MCYGBysGAQEBARYGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiBggqhkjOPQQDAw==",
                   der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.challenge_password, 1);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384);
    assert_int_equal(a.key_bits, 384);
    assert_true(slice_is(&a.curve_oid, OID_P384, sizeof OID_P384));
    assert_int_equal(a.hash, PKIOT_HASH_SHA384);
    assert_int_equal(a.n_oids, 1); /* macAddress */
    assert_true(slice_is(&a.oids[0], OID_MAC, sizeof OID_MAC));
    assert_int_equal(a.n_extensions, 0);
    assert_int_equal(a.n_attributes, 0);
    assert_int_equal(a.has_template, 0);
    /* The example's outer length (0x26) is short of its 50 content bytes (erratum 4384): it
     * is read through the compatibility path, so a stray byte after it is an element that
     * ends early rather than trailing data. */
    assert_int_equal(der[1], 0x26);
    assert_int_equal(n, 52);
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = malloc(k == 0 ? 1 : k);
        assert_non_null(p);
        memcpy(p, der, k);
        int rc = pkiot_csrattrs_parse(p, k, &a);
        free(p);
        /* Cut right after the ecPublicKey attribute, the compatibility reading sees a
         * complete (shorter) list; everywhere else the input ends inside an element. */
        assert_int_equal(rc, k == 42 ? PKIOT_OK : PKIOT_E_DER_TRUNCATED);
    }
    {
        uint8_t big[53];
        memcpy(big, der, n);
        big[n] = 0x05;
        assert_int_equal(pkiot_csrattrs_parse(big, n + 1, &a), PKIOT_E_DER_TRUNCATED);
    }
    /* The same list with the right length parses strictly. */
    der[1] = 0x32;
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384);
    check_truncation(der, n);
    /* A short outer length whose rest is not a list stays an error. */
    der[1] = 0x26;
    der[n - 9] = 0x09; /* the last OID now claims more bytes than exist */
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_E_DER_TRUNCATED);
}

/* The attributes Cisco libest's example EST server sends. */
static void test_libest_examples(void **state)
{
    (void)state;
    uint8_t der[256];
    pkiot_csrattrs_t a;
    size_t n;

    /* estserver.c default: macAddress, emailAddress, secp384r1, sha384 (digest OIDs). */
    n = b64("MCYGBysGAQEBARYGCSqGSIb3DQEJAQYFK4EEACIGCWCGSAFlAwQCAg==", der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384);
    assert_int_equal(a.hash, PKIOT_HASH_SHA384);
    assert_int_equal(a.n_oids, 2);
    assert_int_equal(a.challenge_password, 0);
    check_truncation(der, n);

    /* runserver.sh sample: attributes with values, a brainpool curve, sha384. */
    n = b64("MGwGBysGAQEBARYwIgYDiDcBMRsTGVBhcnNlIFNFVCBhcyAyLjk5OS4xIGRhdGEwJwYDiDcCMSAGA4g3"
            "AxMZUGFyc2UgU0VUIGFzIDIuOTk5LjIgZGF0YQYJKyQDAwIIAQELBglghkgBZQMEAgI=",
            der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.n_attributes, 2);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
    assert_int_equal(a.key_type, PKIOT_KEY_NONE);
    assert_int_equal(a.key_bits, 384);
    assert_int_equal(a.hash, PKIOT_HASH_SHA384);
    assert_int_equal(a.n_oids, 1);
    check_truncation(der, n);

    /* The same, as captured from a running estserver (test/fuzz/corpus/est-captures). */
    static const char *const captures[] = { "csrattrs.der", "csrattrs-custom.der" };
    for (size_t i = 0; i < ARRAY_LEN(captures); i++) {
        char path[256];
        snprintf(path, sizeof path, "test/fuzz/corpus/est-captures/%s", captures[i]);
        if (pkiot_test_read_file(path, der, sizeof der, &n) != 0) {
            continue; /* run from outside the source tree */
        }
        assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
        assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
        assert_int_equal(a.hash, PKIOT_HASH_SHA384);
        check_truncation(der, n);
    }
}

static void test_rfc9908_examples(void **state)
{
    (void)state;
    uint8_t der[512];
    pkiot_csrattrs_t a;
    size_t n;

    /* 5.1: an extensionRequest with a critical subjectAltName (ACP otherName). */
    n = b64("MGgwZgYJKoZIhvcNAQkOMVkwVzBVBgNVHREBAf8ESzBJoEcGCCsGAQUFBwgKoDsWOXJmYzg5OTQrZmQ3"
            "MzlmYzIzYzM0NDAxMTIyMzM0NDU1MDAwMDAwMDArQGFjcC5leGFtcGxlLmNvbQ==",
            der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.n_extensions, 1);
    static const uint8_t san_head[] = { 0x30, 0x55, 0x06, 0x03, 0x55, 0x1D, 0x11, 0x01, 0x01, 0xFF };
    assert_int_equal(a.extensions[0].len, 0x57);
    assert_memory_equal(a.extensions[0].p, san_head, sizeof san_head);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_ANY);
    assert_int_equal(a.hash, PKIOT_HASH_NONE);
    assert_int_equal(a.challenge_password, 0);
    check_truncation(der, n);

    /* 5.2: the corrected RFC 7030 example. */
    n = b64("MDIGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiBgcrBgEBAQEWBggqhkjOPQQDAw==", der,
            sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.challenge_password, 1);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384);
    assert_int_equal(a.hash, PKIOT_HASH_SHA384);
    assert_int_equal(a.n_oids, 1);
    check_truncation(der, n);

    /* 5.4: RSA 4096 with SHA-256. */
    n = b64("MCkGCSqGSIb3DQEJBzARBgkqhkiG9w0BAQExBAICEAAGCSqGSIb3DQEBCw==", der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.challenge_password, 1);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_RSA);
    assert_int_equal(a.key_bits, 4096);
    assert_int_equal(a.key_type, PKIOT_KEY_RSA_4096);
    assert_int_equal(a.hash, PKIOT_HASH_SHA256);
    check_truncation(der, n);

    /* 5.5: P-384, serialNumber requested, SHA-384. */
    n = b64("MC4GCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiBgNVBAUGCCqGSM49BAMD", der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384);
    assert_int_equal(a.hash, PKIOT_HASH_SHA384);
    assert_int_equal(a.n_oids, 1);
    static const uint8_t sn[] = { 0x55, 0x04, 0x05 };
    assert_true(slice_is(&a.oids[0], sn, sizeof sn));
    check_truncation(der, n);

    /* 5.6: P-521 (not a pkiot key type), friendlyName, favoriteDrink, serialNumber, SHA-512. */
    n = b64("MEUGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAjBgkqhkiG9w0BCRQGCgmSJomT8ixkAQUGA1UE"
            "BQYIKoZIzj0EAwQ=",
            der, sizeof der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
    assert_int_equal(a.key_type, PKIOT_KEY_NONE);
    assert_int_equal(a.key_bits, 521);
    assert_int_equal(a.hash, PKIOT_HASH_SHA512);
    assert_int_equal(a.n_oids, 3);
    check_truncation(der, n);
}

/* ---- RFC 9908 templates ----------------------------------------------------------------- */

/* Template with a partial subject, an EC P-384 key, one extension to fill in (SAN) and one
 * dictated (keyUsage); legacy elements beside it that must yield to the template. */
static size_t template_partial(uint8_t *out)
{
    buf_t top = { .n = 0 };
    buf_t v = { .n = 0 };
    buf_t t = { .n = 0 };
    buf_t tmp = { .n = 0 };

    OID(&top, OID_CHALLENGE);
    OID(&top, OID_ECDSA256);
    /* legacy extensionRequest { basicConstraints } -> ignored */
    {
        buf_t exts = { .n = 0 };
        buf_t seq = { .n = 0 };
        static const uint8_t bc[] = { 0x30, 0x00 };
        ext(&exts, OID_BC, sizeof OID_BC, 1, bc, sizeof bc);
        wrap(&seq, 0x30, &exts);
        attr(&top, OID_EXTREQ, sizeof OID_EXTREQ, &seq);
    }
    /* legacy key hint -> ignored */
    {
        buf_t vals = { .n = 0 };
        OID(&vals, OID_P256);
        attr(&top, OID_EC, sizeof OID_EC, &vals);
    }
    /* CertificationRequestInfoTemplate */
    static const uint8_t v0[] = { 0x02, 0x01, 0x00 };
    put(&t, v0, sizeof v0);
    {
        buf_t name = { .n = 0 };
        buf_t rdn = { .n = 0 };
        buf_t sat = { .n = 0 };
        OID(&sat, OID_O);
        tlv(&sat, 0x0C, (const uint8_t *)"Acme", 4);
        wrap(&rdn, 0x30, &sat);
        wrap(&name, 0x31, &rdn);
        rdn.n = 0;
        sat.n = 0;
        OID(&sat, OID_CN); /* value left to the client */
        wrap(&rdn, 0x30, &sat);
        wrap(&name, 0x31, &rdn);
        wrap(&t, 0x30, &name);
    }
    {
        buf_t alg = { .n = 0 };
        buf_t spki = { .n = 0 };
        OID(&alg, OID_EC);
        OID(&alg, OID_P384);
        wrap(&spki, 0x30, &alg);
        wrap(&t, 0xA0, &spki);
    }
    {
        buf_t exts = { .n = 0 };
        buf_t seq = { .n = 0 };
        buf_t attrs = { .n = 0 };
        static const uint8_t ku[] = { 0x03, 0x02, 0x07, 0x80 };
        ext(&exts, OID_SAN, sizeof OID_SAN, 0, NULL, 0);
        ext(&exts, OID_KU, sizeof OID_KU, 1, ku, sizeof ku);
        wrap(&seq, 0x30, &exts);
        attr(&attrs, OID_EXTREQ_TMPL, sizeof OID_EXTREQ_TMPL, &seq);
        buf_t nov = { .n = 0 };
        attr(&attrs, OID_CHALLENGE, sizeof OID_CHALLENGE, &nov);
        wrap(&t, 0xA1, &attrs);
    }
    wrap(&tmp, 0x30, &t);
    attr(&top, OID_TEMPLATE, sizeof OID_TEMPLATE, &tmp);
    wrap(&v, 0x30, &top);
    memcpy(out, v.b, v.n);
    return v.n;
}

/* Template with a complete subject, an RSA-3072 placeholder key and an extensionRequest. */
static size_t template_complete(uint8_t *out)
{
    buf_t top = { .n = 0 };
    buf_t v = { .n = 0 };
    buf_t t = { .n = 0 };
    buf_t tmp = { .n = 0 };
    static const uint8_t v0[] = { 0x02, 0x01, 0x00 };
    put(&t, v0, sizeof v0);
    {
        buf_t name = { .n = 0 };
        buf_t rdn = { .n = 0 };
        buf_t sat = { .n = 0 };
        OID(&sat, OID_CN);
        tlv(&sat, 0x0C, (const uint8_t *)"from-template", 13);
        wrap(&rdn, 0x30, &sat);
        wrap(&name, 0x31, &rdn);
        wrap(&t, 0x30, &name);
    }
    {
        buf_t alg = { .n = 0 };
        buf_t spki = { .n = 0 };
        buf_t rsakey = { .n = 0 };
        buf_t ints = { .n = 0 };
        buf_t bits = { .n = 0 };
        static uint8_t modulus[385];
        static const uint8_t nul[] = { 0x05, 0x00 };
        static const uint8_t e[] = { 0x02, 0x03, 0x01, 0x00, 0x01 };
        memset(modulus, 0, sizeof modulus);
        modulus[1] = 0x80; /* 3072-bit placeholder, positive */
        OID(&alg, OID_RSA);
        put(&alg, nul, sizeof nul);
        wrap(&spki, 0x30, &alg);
        tlv(&ints, 0x02, modulus, sizeof modulus);
        put(&ints, e, sizeof e);
        wrap(&rsakey, 0x30, &ints);
        static const uint8_t zero = 0;
        put(&bits, &zero, 1);
        put(&bits, rsakey.b, rsakey.n);
        wrap(&spki, 0x03, &bits);
        wrap(&t, 0xA0, &spki);
    }
    {
        buf_t exts = { .n = 0 };
        buf_t seq = { .n = 0 };
        buf_t attrs = { .n = 0 };
        static const uint8_t bc[] = { 0x30, 0x00 };
        ext(&exts, OID_BC, sizeof OID_BC, 1, bc, sizeof bc);
        wrap(&seq, 0x30, &exts);
        attr(&attrs, OID_EXTREQ, sizeof OID_EXTREQ, &seq);
        wrap(&t, 0xA1, &attrs);
    }
    wrap(&tmp, 0x30, &t);
    attr(&top, OID_TEMPLATE, sizeof OID_TEMPLATE, &tmp);
    wrap(&v, 0x30, &top);
    memcpy(out, v.b, v.n);
    return v.n;
}

static void test_template_partial(void **state)
{
    (void)state;
    static uint8_t der[2048];
    pkiot_csrattrs_t a;
    size_t n = template_partial(der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.has_template, 1);
    assert_int_equal(a.challenge_password, 1);
    assert_int_equal(a.hash, PKIOT_HASH_SHA256);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_EC);
    assert_int_equal(a.key_type, PKIOT_KEY_EC_P384); /* the template wins over P-256 */
    assert_int_not_equal(a.subject_template.len, 0);
    assert_int_equal(a.subject_complete, 0);
    assert_int_equal(a.n_ext_requests, 1);
    assert_true(slice_is(&a.ext_requests[0], OID_SAN, sizeof OID_SAN));
    assert_int_equal(a.n_extensions, 1); /* keyUsage; the legacy basicConstraints is ignored */
    static const uint8_t ku_head[] = { 0x30, 0x0E, 0x06, 0x03, 0x55, 0x1D, 0x0F };
    assert_memory_equal(a.extensions[0].p, ku_head, sizeof ku_head);
    check_truncation(der, n);
}

static void test_template_complete_and_apply(void **state)
{
    (void)state;
    static uint8_t der[2048];
    pkiot_csrattrs_t a;
    size_t n = template_complete(der);
    assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_OK);
    assert_int_equal(a.has_template, 1);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_RSA);
    assert_int_equal(a.key_bits, 3072);
    assert_int_equal(a.key_type, PKIOT_KEY_RSA_3072);
    assert_int_equal(a.subject_complete, 1);
    assert_int_equal(a.n_extensions, 1);
    check_truncation(der, n);

    /* The CSR builder takes the subject and extension from it. */
    pkiot_mbedtls_crypto_t cst;
    pkiot_crypto_port_t crypto;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    pkiot_csr_ctx_t ctx;
    static uint8_t buf[2048];
    static char out[16384];
    const uint8_t *csr = NULL;
    size_t len = 0;
    char dir[PKIOT_TEST_PATH_MAX];
    if (!pkiot_test_have_openssl()) {
        skip();
    }
    assert_int_equal(pkiot_mbedtls_crypto_init(&cst, 0, &crypto), PKIOT_OK);
    assert_int_equal(crypto.key_generate(crypto.ctx, PKIOT_KEY_EC_P256, 0, &key), PKIOT_OK);
    memset(&p, 0, sizeof p);
    p.csrattrs = &a;
    pkiot_csr_init(&ctx);
    assert_int_equal(pkiot_csr_build(&ctx, &p, &crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_OK);
    assert_int_equal(pkiot_test_mkdtemp("pkiot_csrattrs_", dir, sizeof dir), 0);
    assert_int_equal(pkiot_test_write_in(dir, "t.csr", csr, len), 0);
    assert_int_equal(pkiot_test_sh(dir, "openssl req -verify -noout -text -nameopt RFC2253 "
                                        "-inform DER -in t.csr > t.txt 2>&1"),
                     0);
    size_t tl = 0;
    assert_int_equal(pkiot_test_read_in(dir, "t.txt", (uint8_t *)out, sizeof out - 1, &tl), 0);
    out[tl] = '\0';
    assert_non_null(strstr(out, "Subject: CN=from-template"));
    assert_non_null(strstr(out, "X509v3 Basic Constraints: critical"));
    assert_non_null(strstr(out, "verify OK"));
    pkiot_test_rmtree(dir);
    pkiot_zeroize(&key, sizeof key);
    pkiot_mbedtls_crypto_free(&cst);
}

static void test_errors(void **state)
{
    (void)state;
    pkiot_csrattrs_t a;
    buf_t top;
    buf_t v;
    buf_t vals;

    /* Empty list: nothing requested. */
    static const uint8_t empty[] = { 0x30, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(empty, sizeof empty, &a), PKIOT_OK);
    assert_int_equal(a.key_family, PKIOT_CSRATTRS_KEY_ANY);
    assert_int_equal(a.n_oids + a.n_extensions + a.n_attributes + a.challenge_password, 0);

    static const uint8_t not_seq[] = { 0x31, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(not_seq, sizeof not_seq, &a), PKIOT_E_CSRATTRS_FORMAT);
    static const uint8_t integer_item[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(integer_item, sizeof integer_item, &a),
                     PKIOT_E_CSRATTRS_FORMAT);
    static const uint8_t bad_attr[] = { 0x30, 0x04, 0x30, 0x02, 0x05, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(bad_attr, sizeof bad_attr, &a), PKIOT_E_CSRATTRS_FORMAT);
    static const uint8_t empty_oid[] = { 0x30, 0x02, 0x06, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(empty_oid, sizeof empty_oid, &a),
                     PKIOT_E_CSRATTRS_FORMAT);
    static const uint8_t nonmin[] = { 0x30, 0x81, 0x02, 0x06, 0x00 };
    assert_int_equal(pkiot_csrattrs_parse(nonmin, sizeof nonmin, &a), PKIOT_E_DER_BAD_LENGTH);

    /* Two extensionRequest attributes. */
    top.n = 0;
    vals.n = 0;
    {
        buf_t exts = { .n = 0 };
        static const uint8_t bc[] = { 0x30, 0x00 };
        ext(&exts, OID_BC, sizeof OID_BC, 0, bc, sizeof bc);
        wrap(&vals, 0x30, &exts);
    }
    attr(&top, OID_EXTREQ, sizeof OID_EXTREQ, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_OK);
    assert_int_equal(a.n_extensions, 1);
    attr(&top, OID_EXTREQ, sizeof OID_EXTREQ, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);

    /* An extension without extnValue in an extensionRequest. */
    top.n = 0;
    vals.n = 0;
    {
        buf_t exts = { .n = 0 };
        ext(&exts, OID_SAN, sizeof OID_SAN, 0, NULL, 0);
        wrap(&vals, 0x30, &exts);
    }
    attr(&top, OID_EXTREQ, sizeof OID_EXTREQ, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);

    /* extensionReqTemplate outside a template. */
    top.n = 0;
    attr(&top, OID_EXTREQ_TMPL, sizeof OID_EXTREQ_TMPL, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);

    /* ecPublicKey with an INTEGER, rsaEncryption with an absurd size. */
    top.n = 0;
    vals.n = 0;
    static const uint8_t i7[] = { 0x02, 0x01, 0x07 };
    put(&vals, i7, sizeof i7);
    attr(&top, OID_EC, sizeof OID_EC, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);
    top.n = 0;
    attr(&top, OID_RSA, sizeof OID_RSA, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);

    /* Template version 1; two templates. */
    {
        static uint8_t der[2048];
        size_t n = template_complete(der);
        /* version INTEGER is the first element of the template: find 02 01 00 after the OID. */
        for (size_t k = 0; k + 3 < n; k++) {
            if (der[k] == 0x02 && der[k + 1] == 0x01 && der[k + 2] == 0x00) {
                der[k + 2] = 0x01;
                break;
            }
        }
        assert_int_equal(pkiot_csrattrs_parse(der, n, &a), PKIOT_E_CSRATTRS_FORMAT);
        n = template_complete(der);
        /* der = 30 LL <attr>: duplicate <attr>. */
        pkiot_der_cursor_t c;
        pkiot_der_tlv_t outer;
        pkiot_der_init(&c, der, n);
        assert_int_equal(pkiot_der_next(&c, &outer), PKIOT_OK);
        top.n = 0;
        put(&top, outer.val, outer.len);
        put(&top, outer.val, outer.len);
        v.n = 0;
        wrap(&v, 0x30, &top);
        assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_CSRATTRS_FORMAT);
    }

    /* Capacity: more dictated extensions than fit is an error, more bare OIDs are dropped. */
    top.n = 0;
    vals.n = 0;
    {
        buf_t exts = { .n = 0 };
        static const uint8_t nul[] = { 0x05, 0x00 };
        for (int i = 0; i <= PKIOT_CSRATTRS_MAX_EXTENSIONS; i++) {
            uint8_t id[] = { 0x2A, 0x03, (uint8_t)i };
            ext(&exts, id, sizeof id, 0, nul, sizeof nul);
        }
        wrap(&vals, 0x30, &exts);
    }
    attr(&top, OID_EXTREQ, sizeof OID_EXTREQ, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_E_OVERFLOW);
    top.n = 0;
    for (int i = 0; i < PKIOT_CSRATTRS_MAX_OIDS + 3; i++) {
        uint8_t id[] = { 0x2A, 0x04, (uint8_t)i };
        OID(&top, id);
    }
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_OK);
    assert_int_equal(a.n_oids, PKIOT_CSRATTRS_MAX_OIDS);
    assert_int_equal(a.n_oids_dropped, 3);

    /* An attribute with values of an unknown type is kept for the CSR; without values it is
     * only a type. */
    top.n = 0;
    vals.n = 0;
    tlv(&vals, 0x0C, (const uint8_t *)"x", 1);
    attr(&top, OID_MAC, sizeof OID_MAC, &vals);
    vals.n = 0;
    attr(&top, OID_O, sizeof OID_O, &vals);
    v.n = 0;
    wrap(&v, 0x30, &top);
    assert_int_equal(pkiot_csrattrs_parse(v.b, v.n, &a), PKIOT_OK);
    assert_int_equal(a.n_attributes, 1);
    assert_int_equal(a.n_oids, 1);

    assert_int_equal(pkiot_csrattrs_parse(NULL, 3, &a), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_csrattrs_parse(empty, sizeof empty, NULL), PKIOT_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7030_example),
        cmocka_unit_test(test_rfc9908_examples),
        cmocka_unit_test(test_libest_examples),
        cmocka_unit_test(test_template_partial),
        cmocka_unit_test(test_template_complete_and_apply),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("csrattrs", tests, NULL, NULL);
}
