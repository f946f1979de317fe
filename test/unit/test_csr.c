/* Unit tests for the PKCS#10 builder, DN and SAN strings (lib/x509/csr.c, dn.c, san.c). */
#define _GNU_SOURCE /* memmem */
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

#include "pkiot/csr.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"
#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "pkiot_test_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static pkiot_mbedtls_crypto_t g_cst;
static pkiot_crypto_port_t g_crypto;
static char g_dir[PKIOT_TEST_PATH_MAX];
static int g_openssl;

static int setup(void **state)
{
    (void)state;
    if (pkiot_mbedtls_crypto_init(&g_cst, 0, &g_crypto) != PKIOT_OK) {
        return -1;
    }
    if (pkiot_test_mkdtemp("pkiot_csr_", g_dir, sizeof g_dir) != 0) {
        return -1;
    }
    g_openssl = pkiot_test_have_openssl();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pkiot_mbedtls_crypto_free(&g_cst);
    pkiot_test_rmtree(g_dir);
    return 0;
}

/* Run `openssl req -verify -text` on a DER request and return its combined output. */
static void openssl_req_text(const uint8_t *csr, size_t len, const char *name, char *out,
                             size_t cap)
{
    char der[64];
    char txt[64];
    size_t n = 0;
    snprintf(der, sizeof der, "%s.der", name);
    snprintf(txt, sizeof txt, "%s.txt", name);
    assert_int_equal(pkiot_test_write_in(g_dir, der, csr, len), 0);
    int rc = pkiot_test_sh(g_dir, "openssl req -verify -noout -text -nameopt RFC2253 "
                                  "-inform DER -in %s > %s 2>&1", der, txt);
    assert_int_equal(pkiot_test_read_in(g_dir, txt, (uint8_t *)out, cap - 1, &n), 0);
    out[n] = '\0';
    if (rc != 0) {
        fprintf(stderr, "%s\n", out);
    }
    assert_int_equal(rc, 0);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        fprintf(stderr, "missing: [%s]\nin:\n%s\n", needle, hay);
        fail();
    }
}

/* Strip spaces so multi-line openssl output compares independent of its layout. */
static void squeeze(const char *in, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; in[i] != '\0' && j + 1 < cap; i++) {
        if (in[i] != ' ' && in[i] != '\n') {
            out[j++] = in[i];
        }
    }
    out[j] = '\0';
}

static const char *const k_sans[] = {
    "DNS:dev-1.example.com", "IP:192.0.2.7", "IP:2001:db8::7", "URI:urn:dev:1",
    "email:dev@example.com",
};

static void full_params(pkiot_csr_params_t *p, pkiot_slice_t *eku_extra, uint8_t *oidbuf)
{
    size_t olen = 0;
    memset(p, 0, sizeof *p);
    p->subject = "CN=dev-1,OU=x,O=Acme,L=Berlin,ST=Berlin,C=DE,serialNumber=SN 1234,"
                 "emailAddress=dev@example.com,DC=example,UID=u1";
    p->san_strings = k_sans;
    p->n_san_strings = ARRAY_LEN(k_sans);
    p->key_usage = PKIOT_KU_DIGITAL_SIGNATURE | PKIOT_KU_KEY_ENCIPHERMENT;
    p->key_usage_critical = 1;
    p->ext_key_usage = PKIOT_EKU_SERVER_AUTH | PKIOT_EKU_CLIENT_AUTH | PKIOT_EKU_CODE_SIGNING |
                       PKIOT_EKU_EMAIL_PROTECTION | PKIOT_EKU_OCSP_SIGNING;
    assert_int_equal(pkiot_x509_oid_from_string("1.3.6.1.4.1.99999.1", oidbuf, 16, &olen),
                     PKIOT_OK);
    eku_extra->p = oidbuf;
    eku_extra->len = olen;
    p->eku_oids = eku_extra;
    p->n_eku_oids = 1;
    p->basic_constraints = 1;
    p->bc_ca = 0;
    p->bc_path_len = -1;
    p->challenge_password = "s3cret-Pw";
    p->bc_path_len = -1;
}

static void build_ok(const pkiot_csr_params_t *p, const pkiot_key_ref_t *key, uint8_t *buf,
                     size_t cap, const uint8_t **csr, size_t *len)
{
    pkiot_csr_ctx_t ctx;
    pkiot_csr_init(&ctx);
    int rc = pkiot_csr_build(&ctx, p, &g_crypto, key, buf, cap, csr, len);
    if (rc != PKIOT_OK) {
        fprintf(stderr, "pkiot_csr_build: %s\n", pkiot_strerror_name(rc));
    }
    assert_int_equal(rc, PKIOT_OK);
    /* The request spans exactly the bytes reported. */
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t t;
    pkiot_der_init(&c, *csr, *len);
    assert_int_equal(pkiot_der_expect(&c, PKIOT_DER_SEQUENCE, &t), PKIOT_OK);
    assert_true(pkiot_der_at_end(&c));
}

static void check_full(pkiot_key_type_t type, const char *sigalg, const char *name)
{
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    pkiot_slice_t eku;
    uint8_t oid[16];
    static uint8_t buf[4096];
    static char out[16384];
    static char sq[16384];
    const uint8_t *csr = NULL;
    size_t len = 0;

    if (!g_openssl) {
        skip();
    }
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, type, 0, &key), PKIOT_OK);
    full_params(&p, &eku, oid);
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, name, out, sizeof out);
    assert_contains(out, "verify OK");
    assert_contains(out, "Subject: CN=dev-1,OU=x,O=Acme,L=Berlin,ST=Berlin,C=DE,"
                         "serialNumber=SN 1234,emailAddress=dev@example.com,DC=example,UID=u1");
    assert_contains(out, sigalg);
    squeeze(out, sq, sizeof sq);
    assert_contains(sq, "DNS:dev-1.example.com,IPAddress:192.0.2.7,IPAddress:2001:DB8:0:0:0:0:0:7,"
                        "URI:urn:dev:1,email:dev@example.com");
    assert_contains(sq, "X509v3KeyUsage:critical");
    assert_contains(sq, "DigitalSignature,KeyEncipherment");
    assert_contains(sq, "TLSWebServerAuthentication,TLSWebClientAuthentication,CodeSigning,"
                        "E-mailProtection,OCSPSigning,1.3.6.1.4.1.99999.1");
    assert_contains(sq, "X509v3BasicConstraints:critical");
    assert_contains(sq, "CA:FALSE");
    assert_contains(sq, "challengePassword:s3cret-Pw");

    /* Every prefix of the buffer short of the requirement fails cleanly. */
    for (size_t cap = 0; cap < len; cap += 7) {
        pkiot_csr_ctx_t ctx;
        const uint8_t *c2 = NULL;
        size_t l2 = 0;
        pkiot_csr_init(&ctx);
        int rc = pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, cap, &c2, &l2);
        assert_true(rc == PKIOT_E_BUFFER_TOO_SMALL);
    }
    /* The request is assembled in place: a buffer of exactly its size (with the longest
     * signature: RSA signatures have one length) is enough. */
    if (type == PKIOT_KEY_RSA_2048) {
        static uint8_t exact[4096];
        pkiot_csr_ctx_t ctx;
        const uint8_t *c2 = NULL;
        size_t l2 = 0;
        pkiot_csr_init(&ctx);
        assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, exact, len, &c2, &l2),
                         PKIOT_OK);
        assert_int_equal(l2, len);
        assert_ptr_equal(c2, exact);
        pkiot_csr_init(&ctx);
        assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, exact, len - 1, &c2, &l2),
                         PKIOT_E_BUFFER_TOO_SMALL);
    }
    pkiot_zeroize(&key, sizeof key);
}

static void test_csr_p256(void **state)
{
    (void)state;
    check_full(PKIOT_KEY_EC_P256, "Signature Algorithm: ecdsa-with-SHA256", "p256");
}

static void test_csr_p384(void **state)
{
    (void)state;
    check_full(PKIOT_KEY_EC_P384, "Signature Algorithm: ecdsa-with-SHA384", "p384");
}

static void test_csr_rsa2048(void **state)
{
    (void)state;
    check_full(PKIOT_KEY_RSA_2048, "Signature Algorithm: sha256WithRSAEncryption", "rsa2048");
}

/* A fresh P-256 key and request parameters that name only @p subject. */
static void p256_request(pkiot_key_ref_t *key, pkiot_csr_params_t *p, const char *subject)
{
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P256, 0, key), PKIOT_OK);
    memset(p, 0, sizeof *p);
    p->subject = subject;
}

/* anyExtendedKeyUsage is 2.5.29.37.0: its OID ends in a zero byte. */
static void test_csr_any_eku(void **state)
{
    (void)state;
    static const uint8_t any_eku[] = { 0x06, 0x04, 0x55, 0x1D, 0x25, 0x00 };
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    uint8_t buf[1024];
    char out[8192];
    const uint8_t *csr = NULL;
    size_t len = 0;

    p256_request(&key, &p, "CN=any");
    p.ext_key_usage = PKIOT_EKU_CLIENT_AUTH | PKIOT_EKU_ANY;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    assert_non_null(memmem(csr, len, any_eku, sizeof any_eku));
    if (g_openssl) {
        openssl_req_text(csr, len, "anyeku", out, sizeof out);
        assert_contains(out, "verify OK");
        assert_contains(out, "TLS Web Client Authentication, Any Extended Key Usage");
    }
    pkiot_zeroize(&key, sizeof key);
}

/* Minimal request, explicit hash, and the documented buffer rule. */
static void test_csr_minimal_and_hash(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    uint8_t buf[1024];
    char out[8192];
    const uint8_t *csr = NULL;
    size_t len = 0;

    if (!g_openssl) {
        skip();
    }
    p256_request(&key, &p, "CN=min");
    p.hash = PKIOT_HASH_SHA512;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, "min", out, sizeof out);
    assert_contains(out, "verify OK");
    assert_contains(out, "ecdsa-with-SHA512");
    assert_contains(out, "Subject: CN=min");
    {
        /* No attributes at all: CertificationRequestInfo ends with an empty [0]. */
        pkiot_der_cursor_t c;
        pkiot_der_tlv_t t;
        pkiot_der_init(&c, csr, len);
        assert_int_equal(pkiot_der_next(&c, &t), PKIOT_OK);
        pkiot_der_enter(&t, &c);
        assert_int_equal(pkiot_der_next(&c, &t), PKIOT_OK); /* CRI */
        pkiot_der_enter(&t, &c);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(pkiot_der_next(&c, &t), PKIOT_OK);
        }
        assert_int_equal(t.tag, PKIOT_DER_CTX_C(0));
        assert_int_equal(t.len, 0);
        assert_true(pkiot_der_at_end(&c));
    }

    /* Empty subject, no attributes at all. */
    memset(&p, 0, sizeof p);
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, "empty", out, sizeof out);
    assert_contains(out, "verify OK");

    /* Pre-encoded subject. */
    memset(&p, 0, sizeof p);
    static const uint8_t name[] = { 0x30, 0x0E, 0x31, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x04,
                                    0x03, 0x0C, 0x03, 'r', 'a', 'w' };
    p.subject_der.p = name;
    p.subject_der.len = sizeof name;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, "raw", out, sizeof out);
    assert_contains(out, "Subject: CN=raw");

    /* SHA-1 and unknown key types are refused. */
    pkiot_csr_ctx_t ctx;
    pkiot_csr_init(&ctx);
    p.hash = PKIOT_HASH_SHA1;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    p.hash = PKIOT_HASH_NONE;
    pkiot_key_ref_t bad = key;
    bad.type = PKIOT_KEY_NONE;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &bad, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_csr_build(NULL, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    pkiot_zeroize(&key, sizeof key);
}

/* PSA key with a small max-ops budget: sign_hash returns PKIOT_WANT_CRYPTO repeatedly. */
static void test_csr_interruptible(void **state)
{
    (void)state;
    pkiot_mbedtls_crypto_t cst;
    pkiot_crypto_port_t crypto;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    pkiot_csr_ctx_t ctx;
    uint8_t buf[1024];
    char out[8192];
    char cwd[PKIOT_TEST_PATH_MAX];
    const uint8_t *csr = NULL;
    size_t len = 0;
    int rounds = 0;
    int rc;

    if (!g_openssl) {
        skip();
    }
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(g_dir), 0); /* PSA ITS files land in the working directory */
    assert_int_equal(pkiot_mbedtls_crypto_init(&cst, 1, &crypto), PKIOT_OK);
    pkiot_mbedtls_crypto_set_max_ops(&cst, 20);
    rc = crypto.key_generate(crypto.ctx, PKIOT_KEY_EC_P256, 0, &key);
    assert_int_equal(rc, PKIOT_OK);
    memset(&p, 0, sizeof p);
    p.subject = "CN=slow-signer,O=Acme";
    p.challenge_password = "pw";
    pkiot_csr_init(&ctx);
    do {
        rc = pkiot_csr_build(&ctx, rounds == 0 ? &p : NULL, &crypto, &key, buf, sizeof buf, &csr,
                             &len);
        rounds++;
    } while (rc == PKIOT_WANT_CRYPTO && rounds < 100000);
    assert_int_equal(rc, PKIOT_OK);
    assert_true(rounds > 1);
    /* A continuation with another buffer is refused. */
    {
        uint8_t first[1024];
        uint8_t other[1024];
        const uint8_t *c2 = NULL;
        size_t l2 = 0;
        pkiot_csr_init(&ctx);
        rc = pkiot_csr_build(&ctx, &p, &crypto, &key, first, sizeof first, &c2, &l2);
        assert_int_equal(rc, PKIOT_WANT_CRYPTO);
        assert_int_equal(pkiot_csr_build(&ctx, NULL, &crypto, &key, other, sizeof other, &c2, &l2),
                         PKIOT_E_STATE);
        pkiot_csr_init(&ctx); /* abandon */
    }
    openssl_req_text(csr, len, "psa", out, sizeof out);
    assert_contains(out, "verify OK");
    assert_contains(out, "Subject: CN=slow-signer,O=Acme");
    pkiot_mbedtls_crypto_set_max_ops(&cst, PKIOT_MBEDTLS_MAX_OPS_UNLIMITED);
    (void)crypto.key_destroy(crypto.ctx, &key);
    pkiot_mbedtls_crypto_free(&cst);
    assert_int_equal(chdir(cwd), 0);
}

/* ---- DN strings ------------------------------------------------------------------------ */

static int name_of(const char *dn, uint8_t *buf, size_t cap, const uint8_t **out, size_t *len)
{
    pkiot_der_writer_t w;
    pkiot_der_w_init(&w, buf, cap);
    int rc = pkiot_x509_write_name(&w, dn);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_w_result(&w, out, len);
    }
    return rc;
}

static void expect_name_hex(const char *dn, const char *hex)
{
    uint8_t buf[512];
    const uint8_t *out = NULL;
    size_t len = 0;
    char got[1100];
    int rc = name_of(dn, buf, sizeof buf, &out, &len);
    if (rc != PKIOT_OK) {
        fprintf(stderr, "%s: %s\n", dn, pkiot_strerror_name(rc));
    }
    assert_int_equal(rc, PKIOT_OK);
    pkiot_test_hex_encode(out, len, got);
    if (strcmp(got, hex) != 0) {
        fprintf(stderr, "%s\n got  %s\n want %s\n", dn, got, hex);
    }
    assert_string_equal(got, hex);
}

static void expect_roundtrip(const char *dn, const char *printed)
{
    uint8_t buf[512];
    const uint8_t *out = NULL;
    size_t len = 0;
    char text[512];
    size_t tl = 0;
    assert_int_equal(name_of(dn, buf, sizeof buf, &out, &len), PKIOT_OK);
    assert_int_equal(pkiot_x509_dn_to_string(out, len, text, sizeof text, &tl), PKIOT_OK);
    assert_int_equal(tl, strlen(text));
    if (strcmp(text, printed) != 0) {
        fprintf(stderr, "%s -> %s (want %s)\n", dn, text, printed);
    }
    assert_string_equal(text, printed);
}

static void test_dn_encoding(void **state)
{
    (void)state;
    /* RFC 4514 order: the string's first RDN is the Name's last. */
    expect_name_hex("CN=a,C=DE", "3019310b3009060355040613024445310a300806035504030c0161");
    expect_name_hex("", "3000");
    expect_name_hex(NULL, "3000");
    /* String types: C/serialNumber PrintableString, emailAddress/DC IA5, others UTF8. */
    expect_name_hex("serialNumber=12", "300d310b3009060355040513023132");
    expect_name_hex("emailAddress=a@b", "30143112301006092a864886f70d0109011603614062");
    expect_name_hex("DC=ex", "301431123010060a0992268993f22c64011916026578");
    expect_name_hex("UID=u", "30133111300f060a0992268993f22c6401010c0175");
}

static void test_dn_syntax(void **state)
{
    (void)state;
    expect_roundtrip("CN=dev-1,O=Acme,C=DE", "CN=dev-1,O=Acme,C=DE");
    expect_roundtrip("  CN = spaced  ,  O=Org ", "CN=spaced,O=Org");
    expect_roundtrip("cn=lower,commonName=long,E=a@b", "CN=lower,CN=long,emailAddress=a@b");
    expect_roundtrip("CN=a\\,b\\+c\\\\d\\\"e\\<f\\>g\\;h", "CN=a\\,b\\+c\\\\d\\\"e\\<f\\>g\\;h");
    expect_roundtrip("CN=a\\2Cb", "CN=a\\,b");
    expect_roundtrip("CN=\\#hash\\ ", "CN=\\#hash\\ ");
    expect_roundtrip("CN=\\ lead", "CN=\\ lead");
    expect_roundtrip("CN=a=b", "CN=a=b");
    expect_roundtrip("CN=J\xC3\xBCrgen", "CN=J\xC3\xBCrgen");
    expect_roundtrip("CN=J\\C3\\BCrgen", "CN=J\xC3\xBCrgen");
    expect_roundtrip("2.5.4.3=byoid,1.2.3.4=other", "CN=byoid,1.2.3.4=other");
    expect_roundtrip("CN=#0C0378797A", "CN=xyz");
    expect_roundtrip("1.2.3.4=#020105", "1.2.3.4=#020105");
    expect_roundtrip("ST=Bayern,S=Berlin,street=Main 1,title=Dr,SN=Doe,GN=Jo,initials=J,"
                     "generationQualifier=III,dnQualifier=q1,pseudonym=p,postalCode=1,"
                     "organizationIdentifier=VATDE-1",
                     "ST=Bayern,ST=Berlin,street=Main 1,title=Dr,SN=Doe,GN=Jo,initials=J,"
                     "generationQualifier=III,dnQualifier=q1,pseudonym=p,postalCode=1,"
                     "organizationIdentifier=VATDE-1");
    /* Multi-valued RDN: printed in DER (sorted) order. */
    expect_roundtrip("OU=y+CN=x,O=z", "CN=x+OU=y,O=z");
    expect_roundtrip("CN=x+OU=y,O=z", "CN=x+OU=y,O=z");

    static const struct {
        const char *dn;
        int rc;
    } bad[] = {
        { "CN", PKIOT_E_X509_DN_SYNTAX },
        { "=x", PKIOT_E_X509_DN_SYNTAX },
        { "CN=", PKIOT_E_X509_DN_SYNTAX },
        { "CN=  ", PKIOT_E_X509_DN_SYNTAX },
        { "CN=x,", PKIOT_E_X509_DN_SYNTAX },
        { "CN=x,,O=y", PKIOT_E_X509_DN_SYNTAX },
        { "CN=x+", PKIOT_E_X509_DN_SYNTAX },
        { "XX=1", PKIOT_E_X509_UNKNOWN_ATTR },
        { "CN=x,foo=1", PKIOT_E_X509_UNKNOWN_ATTR },
        { "C=DEU", PKIOT_E_X509_DN_SYNTAX },
        { "C=D", PKIOT_E_X509_DN_SYNTAX },
        { "C=1A", PKIOT_E_X509_DN_SYNTAX },
        { "serialNumber=a_b", PKIOT_E_X509_DN_SYNTAX },
        { "emailAddress=\xC3\xA4@x", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a\\", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a\\q", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a\\4", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a;b", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a\"b", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a<b", PKIOT_E_X509_DN_SYNTAX },
        { "/C=DE/CN=x", PKIOT_E_X509_DN_SYNTAX },
        { "CN=\xC3\x28", PKIOT_E_X509_DN_SYNTAX },
        { "CN=\xED\xA0\x80", PKIOT_E_X509_DN_SYNTAX },
        { "CN=\xC0\xAF", PKIOT_E_X509_DN_SYNTAX },
        { "CN=a\\00b", PKIOT_E_X509_DN_SYNTAX },
        { "CN=#zz", PKIOT_E_X509_DN_SYNTAX },
        { "CN=#0C03", PKIOT_E_X509_DN_SYNTAX },
        { "CN=#0C0161 x", PKIOT_E_X509_DN_SYNTAX },
        { "CN=#", PKIOT_E_X509_DN_SYNTAX },
        { "1=x", PKIOT_E_X509_DN_SYNTAX },
        { "3.1=x", PKIOT_E_X509_DN_SYNTAX },
        { "1..2=x", PKIOT_E_X509_DN_SYNTAX },
        { "C N=x", PKIOT_E_X509_DN_SYNTAX },
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        uint8_t buf[512];
        const uint8_t *out = NULL;
        size_t len = 0;
        int rc = name_of(bad[i].dn, buf, sizeof buf, &out, &len);
        if (rc != bad[i].rc) {
            fprintf(stderr, "[%s]: %s\n", bad[i].dn, pkiot_strerror_name(rc));
        }
        assert_int_equal(rc, bad[i].rc);
    }

    /* RFC 5280 upper bounds: CN 64 characters (UTF-8 counts characters, not bytes). */
    char dn[400];
    strcpy(dn, "CN=");
    for (int i = 0; i < 64; i++) {
        strcat(dn, "\xC3\xBC");
    }
    uint8_t buf[512];
    const uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(name_of(dn, buf, sizeof buf, &out, &len), PKIOT_OK);
    strcat(dn, "x");
    assert_int_equal(name_of(dn, buf, sizeof buf, &out, &len), PKIOT_E_X509_DN_SYNTAX);

    /* A short writer buffer reports the writer's error, at every size. */
    const char *long_dn = "CN=dev-1,OU=x,O=Acme,L=Berlin,ST=Berlin,C=DE";
    size_t need = 0;
    assert_int_equal(name_of(long_dn, buf, sizeof buf, &out, &need), PKIOT_OK);
    for (size_t cap = 0; cap < need; cap++) {
        assert_int_equal(name_of(long_dn, buf, cap, &out, &len), PKIOT_E_BUFFER_TOO_SMALL);
    }
}

static void test_dn_print(void **state)
{
    (void)state;
    uint8_t buf[512];
    const uint8_t *out = NULL;
    size_t len = 0;
    char text[64];
    size_t tl = 0;

    assert_int_equal(name_of("CN=dev-1,O=Acme,C=DE", buf, sizeof buf, &out, &len), PKIOT_OK);
    /* snprintf-like truncation. */
    assert_int_equal(pkiot_x509_dn_to_string(out, len, text, 8, &tl), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(tl, strlen("CN=dev-1,O=Acme,C=DE"));
    assert_string_equal(text, "CN=dev-");
    assert_int_equal(pkiot_x509_dn_to_string(out, len, NULL, 0, &tl), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(tl, 20);
    assert_int_equal(pkiot_x509_dn_to_string(out, len, text, 21, &tl), PKIOT_OK);
    /* Control characters are escaped as hex; malformed names are refused. */
    static const uint8_t ctl[] = { 0x30, 0x0D, 0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55,
                                   0x04, 0x03, 0x0C, 0x02, 'a', 0x01 };
    assert_int_equal(pkiot_x509_dn_to_string(ctl, sizeof ctl, text, sizeof text, &tl), PKIOT_OK);
    assert_string_equal(text, "CN=a\\01");
    static const uint8_t bad[] = { 0x30, 0x03, 0x31, 0x01, 0x05 };
    assert_int_not_equal(pkiot_x509_dn_to_string(bad, sizeof bad, text, sizeof text, &tl),
                         PKIOT_OK);
    assert_string_equal(text, "");
    static const uint8_t not_seq[] = { 0x31, 0x00 };
    assert_int_equal(pkiot_x509_dn_to_string(not_seq, sizeof not_seq, text, sizeof text, &tl),
                     PKIOT_E_X509_FORMAT);

#if PKIOT_X509_BUILTIN /* name comparison exists for pkiot's own path check */
    /* Name comparison: case and Printable/UTF8 differences are equal. */
    uint8_t b1[128];
    uint8_t b2[128];
    const uint8_t *n1 = NULL;
    const uint8_t *n2 = NULL;
    size_t l1 = 0;
    size_t l2 = 0;
    assert_int_equal(name_of("CN=Dev,O=ACME", b1, sizeof b1, &n1, &l1), PKIOT_OK);
    assert_int_equal(name_of("CN=dev,O=acme", b2, sizeof b2, &n2, &l2), PKIOT_OK);
    assert_true(pkiot_x509_name_eq(n1, l1, n2, l2));
    assert_int_equal(name_of("CN=dev,O=acme2", b2, sizeof b2, &n2, &l2), PKIOT_OK);
    assert_false(pkiot_x509_name_eq(n1, l1, n2, l2));
    assert_int_equal(name_of("O=ACME", b2, sizeof b2, &n2, &l2), PKIOT_OK);
    assert_false(pkiot_x509_name_eq(n1, l1, n2, l2));
    assert_int_equal(name_of("CN=#1303446576,O=ACME", b2, sizeof b2, &n2, &l2), PKIOT_OK);
    assert_true(pkiot_x509_name_eq(n1, l1, n2, l2));
#endif
}

static void test_oid_text(void **state)
{
    (void)state;
    uint8_t o[32];
    size_t n = 0;
    char t[64];
    size_t tl = 0;
    static const char *const good[] = { "1.2.840.10045.2.1", "2.5.4.3", "0.9.2342.19200300.100.1.25",
                                        "2.999.4294967295", "1.3.6.1.4.1.311.21.7", "2.100.3" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        assert_int_equal(pkiot_x509_oid_from_string(good[i], o, sizeof o, &n), PKIOT_OK);
        assert_int_equal(pkiot_x509_oid_to_string(o, n, t, sizeof t, &tl), PKIOT_OK);
        assert_string_equal(t, good[i]);
    }
    static const char *const bad[] = { "", "1", "1.", ".1", "3.1", "1.40", "1.2.04",
                                       "1.2.4294967296", "1.2.x", "1 .2" };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(pkiot_x509_oid_from_string(bad[i], o, sizeof o, &n), PKIOT_E_INVALID_ARG);
    }
    assert_int_equal(pkiot_x509_oid_from_string("1.2.840.113549", o, 3, &n),
                     PKIOT_E_BUFFER_TOO_SMALL);
    static const uint8_t nonmin[] = { 0x2A, 0x80, 0x01 };
    assert_int_equal(pkiot_x509_oid_to_string(nonmin, sizeof nonmin, t, sizeof t, &tl),
                     PKIOT_E_DER_BAD_VALUE);
    static const uint8_t open_end[] = { 0x2A, 0x86 };
    assert_int_equal(pkiot_x509_oid_to_string(open_end, sizeof open_end, t, sizeof t, &tl),
                     PKIOT_E_DER_BAD_VALUE);
    static const uint8_t huge[] = { 0x2A, 0x90, 0x80, 0x80, 0x80, 0x00 };
    assert_int_equal(pkiot_x509_oid_to_string(huge, sizeof huge, t, sizeof t, &tl),
                     PKIOT_E_DER_BAD_VALUE);
    assert_int_equal(pkiot_x509_oid_from_string("1.2.840", o, sizeof o, &n), PKIOT_OK);
    assert_int_equal(pkiot_x509_oid_to_string(o, n, t, 4, &tl), PKIOT_E_BUFFER_TOO_SMALL);
    assert_string_equal(t, "1.2");
    assert_int_equal(tl, 7);
}

/* ---- SAN strings ----------------------------------------------------------------------- */

static void test_san_strings(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        const char *ip_hex;
    } ip[] = {
        { "IP:192.0.2.7", "c0000207" },
        { "ip:0.0.0.0", "00000000" },
        { "IP:::", "00000000000000000000000000000000" },
        { "IP:::1", "00000000000000000000000000000001" },
        { "IP:2001:db8::", "20010db8000000000000000000000000" },
        { "IP:2001:DB8::7", "20010db8000000000000000000000007" },
        { "IP:1:2:3:4:5:6:7:8", "00010002000300040005000600070008" },
        { "IP:1::8", "00010000000000000000000000000008" },
        { "IP:1:2:3:4:5:6::8", "00010002000300040005000600000008" },
        { "IP:::ffff:192.0.2.1", "00000000000000000000ffffc0000201" },
        { "IP:1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304" },
    };
    for (size_t i = 0; i < ARRAY_LEN(ip); i++) {
        pkiot_x509_san_t san;
        uint8_t b[16];
        char hex[40];
        int rc = pkiot_x509_san_from_string(ip[i].s, &san, b);
        if (rc != PKIOT_OK) {
            fprintf(stderr, "%s: %s\n", ip[i].s, pkiot_strerror_name(rc));
        }
        assert_int_equal(rc, PKIOT_OK);
        assert_int_equal(san.type, PKIOT_SAN_IP);
        pkiot_test_hex_encode(san.value, san.len, hex);
        assert_string_equal(hex, ip[i].ip_hex);
    }
    static const char *const bad[] = {
        "IP:1.2.3", "IP:256.1.1.1", "IP:01.2.3.4", "IP:1.2.3.4.5", "IP:1.2.3.4 ", "IP:",
        "IP:1:2:3:4:5:6:7:8:9", "IP:1::2::3", "IP:12345::", "IP::1", "IP:1:", "IP:1:::2",
        "IP:1:2:3:4:5:6:7::8", "IP:::1.2.3", "IP:1.2.3.4::", "IP:1:2:3:4:5:6:7:1.2.3.4",
        "IP:g::", "DNS:", "DNS:a..b", "DNS:.a", "DNS:a.", "DNS:a b", "DNS:x*.a", "FOO:x",
        "nocolon", "email:nouser", "email:@x", "email:x@", "email:a@b@c", "URI:nocolon",
        "URI:", "URI:a b:c", "RID:1", "RID:x",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        pkiot_x509_san_t san;
        uint8_t b[16];
        int rc = pkiot_x509_san_from_string(bad[i], &san, b);
        if (rc != PKIOT_E_X509_SAN_SYNTAX) {
            fprintf(stderr, "[%s] accepted\n", bad[i]);
        }
        assert_int_equal(rc, PKIOT_E_X509_SAN_SYNTAX);
    }
    pkiot_x509_san_t san;
    uint8_t b[16];
    assert_int_equal(pkiot_x509_san_from_string("DNS:*.example.com", &san, b), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_DNS);
    assert_int_equal(san.len, strlen("*.example.com"));
    assert_int_equal(pkiot_x509_san_from_string("RID:1.2.3.4", &san, b), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_RID);
    assert_int_equal(san.len, 3);
    assert_int_equal(pkiot_x509_san_from_string("Email:a@b", &san, b), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_EMAIL);
}

/* SANs from a struct list, extra extensions overriding generated ones, extra attributes,
 * CA requests, and a csrattrs response applied to the request. */
static void test_csr_struct_sans_and_extras(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    static uint8_t buf[2048];
    static char out[16384];
    static char sq[16384];
    const uint8_t *csr = NULL;
    size_t len = 0;

    if (!g_openssl) {
        skip();
    }
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P384, 0, &key), PKIOT_OK);
    static const uint8_t v6[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t v4[4] = { 10, 0, 0, 1 };
    pkiot_x509_san_t sans[3] = {
        { PKIOT_SAN_DNS, (const uint8_t *)"s.example", 9 },
        { PKIOT_SAN_IP, v4, 4 },
        { PKIOT_SAN_IP, v6, 16 },
    };
    /* keyUsage keyCertSign|cRLSign replacing the generated one; a custom extension. */
    static const uint8_t ku_ext[] = { 0x30, 0x0E, 0x06, 0x03, 0x55, 0x1D, 0x0F, 0x01, 0x01, 0xFF,
                                      0x04, 0x04, 0x03, 0x02, 0x01, 0x06 };
    /* Extension { 1.3.6.1.4.1.55555.6, UTF8String "z" } */
    static const uint8_t custom_ext[] = { 0x30, 0x10, 0x06, 0x09, 0x2B, 0x06, 0x01, 0x04, 0x01,
                                          0x83, 0xB2, 0x03, 0x06, 0x04, 0x03, 0x0C, 0x01, 'z' };
    /* Attribute { 1.3.6.1.4.1.55555.7, { UTF8String "attr" } } */
    static const uint8_t attr[] = { 0x30, 0x13, 0x06, 0x09, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83,
                                    0xB2, 0x03, 0x07, 0x31, 0x06, 0x0C, 0x04, 'a', 't', 't', 'r' };
    pkiot_slice_t exts[2] = { { ku_ext, sizeof ku_ext }, { custom_ext, sizeof custom_ext } };
    pkiot_slice_t attrs[1] = { { attr, sizeof attr } };
    memset(&p, 0, sizeof p);
    p.subject = "CN=ca-req";
    p.sans = sans;
    p.n_sans = ARRAY_LEN(sans);
    p.key_usage = PKIOT_KU_DIGITAL_SIGNATURE;
    p.basic_constraints = 1;
    p.bc_ca = 1;
    p.bc_path_len = 2;
    p.extra_extensions = exts;
    p.n_extra_extensions = 2;
    p.extra_attributes = attrs;
    p.n_extra_attributes = 1;
    p.challenge_password = "p\xC3\xA4ss"; /* not printable: UTF8String */
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, "extras", out, sizeof out);
    squeeze(out, sq, sizeof sq);
    assert_contains(sq, "DNS:s.example,IPAddress:10.0.0.1,IPAddress:FE80:0:0:0:0:0:0:1");
    assert_contains(sq, "CertificateSign,CRLSign");
    assert_null(strstr(sq, "DigitalSignature"));
    assert_contains(sq, "CA:TRUE,pathlen:2");
    assert_contains(sq, "1.3.6.1.4.1.55555.6:..z");
    assert_contains(sq, "1.3.6.1.4.1.55555.7:attr");
    assert_contains(out, "ecdsa-with-SHA384");
    assert_contains(out, "verify OK");

    /* Invalid combinations and malformed extras. */
    pkiot_csr_ctx_t ctx;
    pkiot_csr_init(&ctx);
    p.bc_ca = 0;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    p.bc_ca = 1;
    static const uint8_t not_ext[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    pkiot_slice_t bad_ext = { not_ext, sizeof not_ext };
    p.extra_extensions = &bad_ext;
    p.n_extra_extensions = 1;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    p.n_extra_extensions = 0;
    /* extensionRequest may not come as an extra attribute. */
    static const uint8_t extreq_attr[] = { 0x30, 0x0F, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                           0x0D, 0x01, 0x09, 0x0E, 0x31, 0x02, 0x30, 0x00 };
    pkiot_slice_t ea = { extreq_attr, sizeof extreq_attr };
    p.extra_attributes = &ea;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    p.n_extra_attributes = 0;
    const char *bad_san[] = { "DNS:ok", "IP:300.1.1.1" };
    p.san_strings = bad_san;
    p.n_san_strings = 2;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_X509_SAN_SYNTAX);
    p.n_san_strings = 0;
    p.subject = "CN=x,Q=1";
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_X509_UNKNOWN_ATTR);
    p.subject = "CN=x";
    char longpw[300];
    memset(longpw, 'a', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    p.challenge_password = longpw;
    assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                     PKIOT_E_INVALID_ARG);
    pkiot_zeroize(&key, sizeof key);
}

/* Pre-encoded GeneralNames (a re-enrollment's current SANs) are copied as they are, only
 * when no SAN is given otherwise, and must be whole context-tagged elements. */
static void test_csr_san_der(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    static uint8_t buf[2048];
    static char out[16384];
    static char sq[16384];
    const uint8_t *csr = NULL;
    size_t len = 0;

    if (!g_openssl) {
        skip();
    }
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P256, 0, &key), PKIOT_OK);
    static const uint8_t names[] = {
        0x82, 0x09, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', /* dNSName */
        0x87, 0x04, 10, 0, 0, 2,                                 /* iPAddress */
        0x86, 0x05, 'u', 'r', 'n', ':', 'x',                     /* URI */
    };
    memset(&p, 0, sizeof p);
    p.subject = "CN=re-enroll";
    p.san_der.p = names;
    p.san_der.len = sizeof names;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    assert_non_null(memmem(csr, len, names, sizeof names));
    openssl_req_text(csr, len, "sander", out, sizeof out);
    squeeze(out, sq, sizeof sq);
    assert_contains(sq, "DNS:a.example,IPAddress:10.0.0.2,URI:urn:x");

    /* SAN strings win: the pre-encoded names are not added */
    const char *mine[] = { "DNS:mine.example" };
    p.san_strings = mine;
    p.n_san_strings = 1;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    assert_null(memmem(csr, len, names, sizeof names));
    openssl_req_text(csr, len, "sander2", out, sizeof out);
    squeeze(out, sq, sizeof sq);
    assert_contains(sq, "DNS:mine.example");
    assert_null(strstr(sq, "a.example"));
    p.n_san_strings = 0;

    /* not GeneralNames contents: a universal tag, a truncated element, a tag beyond
     * registeredID, a high tag number */
    static const uint8_t universal[] = { 0x16, 0x01, 'a' };
    static const uint8_t truncated[] = { 0x82, 0x05, 'a' };
    static const uint8_t tag9[] = { 0x89, 0x01, 'a' };
    static const uint8_t high[] = { 0x9F, 0x20, 0x01, 'a' };
    const pkiot_slice_t bad[] = { { universal, sizeof universal }, { truncated, sizeof truncated },
                                  { tag9, sizeof tag9 }, { high, sizeof high } };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        pkiot_csr_ctx_t ctx;
        pkiot_csr_init(&ctx);
        p.san_der = bad[i];
        assert_int_equal(pkiot_csr_build(&ctx, &p, &g_crypto, &key, buf, sizeof buf, &csr, &len),
                         PKIOT_E_INVALID_ARG);
    }
    pkiot_zeroize(&key, sizeof key);
}

static void test_csr_with_csrattrs(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    pkiot_csr_params_t p;
    pkiot_csrattrs_t ca;
    static uint8_t buf[2048];
    static char out[16384];
    static char sq[16384];
    const uint8_t *csr = NULL;
    size_t len = 0;

    if (!g_openssl) {
        skip();
    }
    /* CsrAttrs { challengePassword, ecdsa-with-SHA384,
     *            Attribute { extensionRequest, { { SAN dNSName "srv.example" } } },
     *            Attribute { 1.3.6.1.4.1.55555.8, { UTF8String "v" } } } */
    static const uint8_t attrs_der[] = {
        0x30, 0x4C,
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x07,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03,
        0x30, 0x23, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0E,
        0x31, 0x16, 0x30, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x1D, 0x11, 0x04, 0x0B, 0x30, 0x09,
        0x82, 0x07, 's', 'r', 'v', '.', 'e', 'x', 'a',
        0x30, 0x10, 0x06, 0x09, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xB2, 0x03, 0x08, 0x31, 0x03,
        0x0C, 0x01, 'v',
    };
    assert_int_equal(pkiot_csrattrs_parse(attrs_der, sizeof attrs_der, &ca), PKIOT_OK);
    assert_int_equal(ca.challenge_password, 1);
    assert_int_equal(ca.hash, PKIOT_HASH_SHA384);
    assert_int_equal(ca.n_extensions, 1);
    assert_int_equal(ca.n_attributes, 1);

    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P256, 0, &key), PKIOT_OK);
    memset(&p, 0, sizeof p);
    static const char *const mine[] = { "DNS:mine.example" };
    p.subject = "CN=applied";
    p.san_strings = mine; /* replaced by the server's SAN */
    p.n_san_strings = 1;
    p.challenge_password = "otp-1234";
    p.csrattrs = &ca;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    openssl_req_text(csr, len, "applied", out, sizeof out);
    squeeze(out, sq, sizeof sq);
    assert_contains(out, "ecdsa-with-SHA384");
    assert_contains(sq, "DNS:srv.exa");
    assert_null(strstr(sq, "mine.example"));
    assert_contains(sq, "1.3.6.1.4.1.55555.8:v");
    assert_contains(sq, "challengePassword:otp-1234");
    assert_contains(out, "verify OK");
    pkiot_zeroize(&key, sizeof key);
}

/* The request is accepted by a CA: openssl issues a certificate from it, which pkiot parses
 * and matches against the key. */
static void test_csr_issue_and_match(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    pkiot_key_ref_t other;
    pkiot_csr_params_t p;
    static uint8_t buf[2048];
    static uint8_t cert[4096];
    uint8_t spki[PKIOT_SPKI_MAX];
    size_t spki_len = 0;
    size_t cert_len = 0;
    const uint8_t *csr = NULL;
    size_t len = 0;
    pkiot_x509_cert_t c;

    if (!g_openssl) {
        skip();
    }
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_RSA_2048, 0, &key), PKIOT_OK);
    memset(&p, 0, sizeof p);
    p.subject = "CN=issued,O=Acme";
    static const char *const s[] = { "DNS:issued.example", "IP:2001:db8::1" };
    p.san_strings = s;
    p.n_san_strings = 2;
    build_ok(&p, &key, buf, sizeof buf, &csr, &len);
    assert_int_equal(pkiot_test_write_in(g_dir, "issue.csr", csr, len), 0);
    int rc = pkiot_test_sh(
        g_dir,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
        "-out ca.pem -subj /CN=Issuing -days 30 && "
        "printf 'subjectAltName=DNS:issued.example,IP:2001:db8::1\\n' > ext.cnf && "
        "openssl x509 -req -inform DER -in issue.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-days 10 -extfile ext.cnf -outform DER -out issue.der");
    if (rc != 0) {
        pkiot_test_sh_log(g_dir);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(pkiot_test_read_in(g_dir, "issue.der", cert, sizeof cert, &cert_len), 0);
    assert_int_equal(pkiot_x509_cert_parse(cert, cert_len, &c), PKIOT_OK);
    assert_int_equal(g_crypto.key_export_spki(g_crypto.ctx, &key, spki, sizeof spki, &spki_len),
                     PKIOT_OK);
    assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, spki_len), PKIOT_OK);
    assert_int_equal(c.key_type, PKIOT_KEY_RSA_2048);
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P256, 0, &other), PKIOT_OK);
    assert_int_equal(g_crypto.key_export_spki(g_crypto.ctx, &other, spki, sizeof spki, &spki_len),
                     PKIOT_OK);
    assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, spki_len), PKIOT_E_CERT_KEY_MISMATCH);
    char dn[128];
    assert_int_equal(pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, sizeof dn, NULL),
                     PKIOT_OK);
    assert_string_equal(dn, "CN=issued,O=Acme");
    pkiot_zeroize(&key, sizeof key);
    pkiot_zeroize(&other, sizeof other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csr_p256),
        cmocka_unit_test(test_csr_p384),
        cmocka_unit_test(test_csr_rsa2048),
        cmocka_unit_test(test_csr_minimal_and_hash),
        cmocka_unit_test(test_csr_any_eku),
        cmocka_unit_test(test_csr_interruptible),
        cmocka_unit_test(test_dn_encoding),
        cmocka_unit_test(test_dn_syntax),
        cmocka_unit_test(test_dn_print),
        cmocka_unit_test(test_oid_text),
        cmocka_unit_test(test_san_strings),
        cmocka_unit_test(test_csr_struct_sans_and_extras),
        cmocka_unit_test(test_csr_san_der),
        cmocka_unit_test(test_csr_with_csrattrs),
        cmocka_unit_test(test_csr_issue_and_match),
    };
    return cmocka_run_group_tests_name("csr", tests, setup, teardown);
}
