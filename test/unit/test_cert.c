/* Unit tests for certificate parsing, signature and path checks (lib/x509/cert.c). */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"
#include "pkiot_test_util.h"
#include "pkiot_test_cert_fields.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static pkiot_mbedtls_crypto_t g_cst;
static pkiot_crypto_port_t g_crypto;
static char g_dir[PKIOT_TEST_PATH_MAX];
static int g_ready;

typedef struct blob {
    const char *name;
    uint8_t der[4096];
    size_t len;
} blob_t;

enum {
    ROOT, INT, LEAF, LEAF_ROOT, OTHER, LEAF_OTHER, FAKE, LEAF_FAKE, SUB, LEAF_SUB, SHORTINT,
    LEAF_SHORT, NOKCS, LEAF_NOKCS, LEAF_SHA1, LEAF_SHA512, LEAF_PSS, ODD, V1, CRIT, RSA4096,
    MID, ISS2, LEAF_DEEP, NWN, NWO, OWN, LEAF_NEW, NBLOBS
};

static blob_t g[NBLOBS] = {
    [ROOT] = { .name = "root" },
    [INT] = { .name = "int" },
    [LEAF] = { .name = "leaf" },
    [LEAF_ROOT] = { .name = "leaf_root" },
    [OTHER] = { .name = "other" },
    [LEAF_OTHER] = { .name = "leaf_other" },
    [FAKE] = { .name = "fake" },
    [LEAF_FAKE] = { .name = "leaf_fake" },
    [SUB] = { .name = "sub" },
    [LEAF_SUB] = { .name = "leaf_sub" },
    [SHORTINT] = { .name = "shortint" },
    [LEAF_SHORT] = { .name = "leaf_short" },
    [NOKCS] = { .name = "nokcs" },
    [LEAF_NOKCS] = { .name = "leaf_nokcs" },
    [LEAF_SHA1] = { .name = "leaf_sha1" },
    [LEAF_SHA512] = { .name = "leaf_sha512" },
    [LEAF_PSS] = { .name = "leaf_pss" },
    [ODD] = { .name = "odd" },
    [V1] = { .name = "v1" },
    [CRIT] = { .name = "crit" },
    [RSA4096] = { .name = "rsa4096" },
    [MID] = { .name = "mid" },
    [ISS2] = { .name = "iss2" },
    [LEAF_DEEP] = { .name = "leaf_deep" },
    /* Root CA key update (RFC 7030 §4.4): the root's name with a new key, self-signed
     * (NewWithNew), and the cross certificates NewWithOld and OldWithNew; a leaf of the new
     * key. Every one has the name "Root CA". */
    [NWN] = { .name = "rootnew" },
    [NWO] = { .name = "nwo" },
    [OWN] = { .name = "own" },
    [LEAF_NEW] = { .name = "leaf_new" },
};

static const char k_script[] =
    "set -e\n"
    "ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:$1 -nodes -keyout $2.key "
    "  -out $2.csr -subj \"$3\"; }\n"
    "sign() { openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -set_serial $3 -days $4 "
    "  -extfile $5 -out $6.pem $7; }\n"
    "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign,cRLSign\\n"
    "subjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid\\n' > int.ext\n"
    "printf 'basicConstraints=critical,CA:TRUE\\nsubjectKeyIdentifier=hash\\n"
    "authorityKeyIdentifier=keyid\\n' > ca.ext\n"
    "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,digitalSignature\\n' > nokcs.ext\n"
    "printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature,keyAgreement\\n"
    "extendedKeyUsage=clientAuth,serverAuth,1.3.6.1.4.1.55555.1\\n"
    "subjectAltName=DNS:dev-1.example.com,IP:192.0.2.1,IP:2001:db8::1,email:dev@example.com,"
    "URI:urn:dev:1\\nsubjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid\\n' > leaf.ext\n"
    "printf 'basicConstraints=CA:FALSE\\n' > ee.ext\n"
    "printf 'basicConstraints=CA:FALSE\\n1.3.6.1.4.1.55555.9=critical,ASN1:NULL\\n' > crit.ext\n"
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key "
    "  -out root.pem -subj '/C=DE/O=Acme/CN=Root CA' -days 3650 "
    "  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'\n"
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key "
    "  -out other.pem -subj '/CN=Other Root' -days 3650\n"
    "openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj '/C=DE/O=Acme/CN=Issuing CA'\n"
    "sign int root 0x1001 1000 int.ext int -sha256\n"
    "ec P-384 leaf '/CN=dev-1/O=Acme'\n"
    "sign leaf int 0x00A1B2C3D4E5F60708 365 leaf.ext leaf -sha384\n"
    "sign leaf root 2 30 leaf.ext leaf_root -sha512\n"
    "sign leaf other 3 30 leaf.ext leaf_other -sha256\n"
    "ec P-256 fake '/CN=Not A CA'\n"
    "sign fake root 4 30 ee.ext fake -sha256\n"
    "sign leaf fake 5 30 leaf.ext leaf_fake -sha256\n"
    "ec P-256 sub '/CN=Sub CA'\n"
    "sign sub int 6 30 ca.ext sub -sha256\n"
    "sign leaf sub 7 30 leaf.ext leaf_sub -sha256\n"
    "ec P-256 shortint '/CN=Short CA'\n"
    "sign shortint root 8 1 ca.ext shortint -sha256\n"
    "sign leaf shortint 9 3650 leaf.ext leaf_short -sha256\n"
    "ec P-256 nokcs '/CN=No KeyCertSign CA'\n"
    "sign nokcs root 10 30 nokcs.ext nokcs -sha256\n"
    "sign leaf nokcs 11 30 leaf.ext leaf_nokcs -sha256\n"
    "sign leaf int 12 30 leaf.ext leaf_sha1 -sha1\n"
    "sign leaf int 13 30 leaf.ext leaf_sha512 -sha512\n"
    "sign leaf int 14 30 leaf.ext leaf_pss '-sha256 -sigopt rsa_padding_mode:pss'\n"
    "ec P-256 odd '/CN=a,b;c<d>/O=Q\"R/OU= lead#'\n"
    "openssl x509 -req -in odd.csr -signkey odd.key -days 30 -out odd.pem\n"
    "openssl x509 -req -in fake.csr -CA root.pem -CAkey root.key -set_serial 15 -days 30 "
    "  -out v1.pem\n"
    "sign fake root 16 30 crit.ext crit -sha256\n"
    "openssl req -x509 -newkey rsa:4096 -nodes -keyout rsa4096.key -out rsa4096.pem "
    "  -subj '/CN=RSA 4096' -days 30 -sha384\n"
    "ec P-256 mid '/CN=Mid CA'\n"
    "sign mid root 17 30 ca.ext mid -sha256\n"
    "ec P-256 iss2 '/CN=Second Issuing CA'\n"
    "sign iss2 mid 18 30 ca.ext iss2 -sha256\n"
    "sign leaf iss2 19 30 leaf.ext leaf_deep -sha256\n"
    "openssl req -new -key root.key -out rootold.csr -subj '/C=DE/O=Acme/CN=Root CA'\n"
    "ec P-256 rootnew '/C=DE/O=Acme/CN=Root CA'\n"
    "openssl x509 -req -in rootnew.csr -signkey rootnew.key -days 30 -extfile ca.ext "
    "  -out rootnew.pem\n"
    "sign rootnew root 20 30 ca.ext nwo -sha256\n"
    "sign rootold rootnew 21 30 ca.ext own -sha256\n"
    "sign leaf rootnew 22 30 leaf.ext leaf_new -sha256\n"
    "for f in *.pem; do openssl x509 -in $f -outform DER -out ${f%.pem}.der; done\n";

static int setup(void **state)
{
    (void)state;
    if (pkiot_mbedtls_crypto_init(&g_cst, 0, &g_crypto) != PKIOT_OK ||
        pkiot_test_mkdtemp("pkiot_cert_", g_dir, sizeof g_dir) != 0) {
        return -1;
    }
    if (!pkiot_test_have_openssl()) {
        return 0;
    }
    if (pkiot_test_write_in(g_dir, "gen.sh", k_script, sizeof k_script - 1) != 0 ||
        pkiot_test_sh(g_dir, "sh gen.sh") != 0) {
        pkiot_test_sh_log(g_dir);
        return -1;
    }
    for (int i = 0; i < NBLOBS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.der", g[i].name);
        if (pkiot_test_read_in(g_dir, name, g[i].der, sizeof g[i].der, &g[i].len) != 0) {
            return -1;
        }
    }
    g_ready = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pkiot_mbedtls_crypto_free(&g_cst);
    pkiot_test_rmtree(g_dir);
    return 0;
}

static void parse(int i, pkiot_x509_cert_t *c)
{
    int rc = pkiot_x509_cert_parse(g[i].der, g[i].len, c);
    if (rc != PKIOT_OK) {
        fprintf(stderr, "%s: %s\n", g[i].name, pkiot_strerror_name(rc));
    }
    assert_int_equal(rc, PKIOT_OK);
}

/* One line of `openssl x509 <opts>` output for blob @p i, without the trailing newline. */
static void openssl_line(int i, const char *opts, char *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(pkiot_test_sh(g_dir, "openssl x509 -in %s.pem -noout %s > line.txt",
                                   g[i].name, opts),
                     0);
    assert_int_equal(pkiot_test_read_in(g_dir, "line.txt", (uint8_t *)out, cap - 1, &n), 0);
    out[n] = '\0';
    char *nl = strchr(out, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
}

static int64_t openssl_date(int i, const char *which)
{
    char line[128];
    char opt[64];
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    snprintf(opt, sizeof opt, "-dateopt iso_8601 -%s", which);
    openssl_line(i, opt, line, sizeof line);
    const char *eq = strchr(line, '=');
    assert_non_null(eq);
    assert_int_equal(sscanf(eq + 1, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

#define REQUIRE_FIXTURES()                                                                     \
    do {                                                                                       \
        if (!g_ready) {                                                                        \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* Serial, dates, names compared with what `openssl x509` prints. */
static void test_fields_match_openssl(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    for (int i = 0; i < NBLOBS; i++) {
        pkiot_x509_cert_t c;
        char line[512];
        char hex[200];
        char dn[512];
        parse(i, &c);

        openssl_line(i, "-serial", line, sizeof line);
        size_t k = 0;
        while (k + 1 < c.serial.len && c.serial.p[k] == 0) {
            k++;
        }
        for (size_t j = 0; j < c.serial.len - k; j++) {
            snprintf(hex + 2 * j, 3, "%02X", c.serial.p[k + j]);
        }
        assert_string_equal(line + strlen("serial="), hex);

        assert_int_equal(c.not_before, openssl_date(i, "startdate"));
        assert_int_equal(c.not_after, openssl_date(i, "enddate"));

        openssl_line(i, "-subject -nameopt RFC2253", line, sizeof line);
        assert_int_equal(pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, sizeof dn, NULL),
                         PKIOT_OK);
        assert_string_equal(line + strlen("subject="), dn);
        openssl_line(i, "-issuer -nameopt RFC2253", line, sizeof line);
        assert_int_equal(pkiot_x509_dn_to_string(c.issuer.p, c.issuer.len, dn, sizeof dn, NULL),
                         PKIOT_OK);
        assert_string_equal(line + strlen("issuer="), dn);

        /* The SPKI openssl extracts from the certificate matches. */
        uint8_t spki[1024];
        size_t spki_len = 0;
        assert_int_equal(pkiot_test_sh(g_dir, "openssl x509 -in %s.pem -noout -pubkey | "
                                              "openssl pkey -pubin -outform DER -out spki.der",
                                       g[i].name),
                         0);
        assert_int_equal(pkiot_test_read_in(g_dir, "spki.der", spki, sizeof spki, &spki_len), 0);
        assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, spki_len), PKIOT_OK);
        spki[spki_len - 1] ^= 1;
        assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, spki_len),
                         PKIOT_E_CERT_KEY_MISMATCH);
        assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, spki_len - 1),
                         PKIOT_E_CERT_KEY_MISMATCH);
    }
}

static void test_leaf_extensions(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_cert_t c;
    pkiot_x509_cert_t issuer;
    parse(LEAF, &c);
    parse(INT, &issuer);

    assert_int_equal(c.version, 3);
    assert_int_equal(c.key_alg, PKIOT_X509_KEY_EC);
    assert_int_equal(c.key_type, PKIOT_KEY_EC_P384);
    assert_int_equal(c.key_bits, 384);
    assert_int_equal(c.public_key.len, 97);
    assert_int_equal(c.sig_hash, PKIOT_HASH_SHA384);
    assert_int_equal(issuer.key_type, PKIOT_KEY_RSA_2048);
    assert_int_equal(issuer.key_bits, 2048);

    assert_true(c.has_basic_constraints);
    assert_false(c.is_ca);
    assert_int_equal(c.path_len, -1);
    assert_true(issuer.is_ca);
    assert_int_equal(issuer.path_len, 0);

    assert_true(c.has_key_usage);
    assert_int_equal(c.key_usage, PKIOT_KU_DIGITAL_SIGNATURE | PKIOT_KU_KEY_AGREEMENT);
    assert_int_equal(issuer.key_usage, PKIOT_KU_KEY_CERT_SIGN | PKIOT_KU_CRL_SIGN);

    assert_true(c.has_ext_key_usage);
    assert_int_equal(c.ext_key_usage,
                     PKIOT_EKU_CLIENT_AUTH | PKIOT_EKU_SERVER_AUTH | PKIOT_EKU_OTHER);
    static const uint8_t custom[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xB2, 0x03, 0x01 };
    static const uint8_t client_auth[] = { 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02 };
    static const uint8_t code_sign[] = { 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03 };
    assert_true(pkiot_x509_cert_has_eku(&c, custom, sizeof custom));
    assert_true(pkiot_x509_cert_has_eku(&c, client_auth, sizeof client_auth));
    assert_false(pkiot_x509_cert_has_eku(&c, code_sign, sizeof code_sign));
    assert_false(pkiot_x509_cert_has_eku(&issuer, client_auth, sizeof client_auth));

    /* AKI of the leaf is the issuer's SKI. */
    assert_int_equal(c.aki_key_id.len, 20);
    assert_int_equal(issuer.ski.len, 20);
    assert_memory_equal(c.aki_key_id.p, issuer.ski.p, 20);
    assert_false(c.unknown_critical);

    /* subjectAltName, in order. */
    pkiot_der_cursor_t it;
    pkiot_x509_san_t san;
    static const uint8_t v4[] = { 192, 0, 2, 1 };
    static const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    pkiot_der_init(&it, c.san.p, c.san.len);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_DNS);
    assert_int_equal(san.len, strlen("dev-1.example.com"));
    assert_memory_equal(san.value, "dev-1.example.com", san.len);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_IP);
    assert_int_equal(san.len, 4);
    assert_memory_equal(san.value, v4, 4);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_IP);
    assert_int_equal(san.len, 16);
    assert_memory_equal(san.value, v6, 16);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_EMAIL);
    assert_memory_equal(san.value, "dev@example.com", san.len);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_URI);
    assert_memory_equal(san.value, "urn:dev:1", san.len);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_DONE);

    /* A v1 certificate has no extensions; a certificate with an unknown critical one is
     * flagged. */
    parse(V1, &c);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.extensions.len, 0);
    assert_false(c.has_basic_constraints);
    parse(CRIT, &c);
    assert_true(c.unknown_critical);

    /* The tbs slice is inside the certificate and is what was signed. */
    parse(LEAF, &c);
    assert_true(c.tbs.p > c.raw.p && c.tbs.p + c.tbs.len < c.raw.p + c.raw.len);
    assert_int_equal(c.raw.len, g[LEAF].len);
}

static void test_odd_names(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_cert_t c;
    char dn[256];
    size_t n = 0;
    parse(ODD, &c);
    assert_int_equal(pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, sizeof dn, &n),
                     PKIOT_OK);
    assert_string_equal(dn, "OU=\\ lead#,O=Q\\\"R,CN=a\\,b\\;c\\<d\\>");
#if PKIOT_X509_BUILTIN
    /* Self-issued: issuer equals subject. */
    assert_true(pkiot_x509_name_eq(c.subject.p, c.subject.len, c.issuer.p, c.issuer.len));
#endif
    /* Truncated output keeps a terminated prefix and reports the needed size. */
    assert_int_equal(pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, 5, &n),
                     PKIOT_E_BUFFER_TOO_SMALL);
    assert_string_equal(dn, "OU=\\");
    assert_int_equal(n, strlen("OU=\\ lead#,O=Q\\\"R,CN=a\\,b\\;c\\<d\\>"));
}

#if PKIOT_X509_BUILTIN
static void test_verify_signature(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_cert_t c;
    pkiot_x509_cert_t iss;
    pkiot_x509_cert_t root;
    parse(ROOT, &root);
    parse(INT, &iss);
    parse(LEAF, &c);
    assert_int_equal(pkiot_x509_verify_signature(&c, &iss, &g_crypto), PKIOT_OK);   /* RSA/384 */
    assert_int_equal(pkiot_x509_verify_signature(&iss, &root, &g_crypto), PKIOT_OK); /* EC/256 */
    assert_int_equal(pkiot_x509_verify_signature(&root, &root, &g_crypto), PKIOT_OK);
    parse(LEAF_ROOT, &c);
    assert_int_equal(c.sig_hash, PKIOT_HASH_SHA512);
    assert_int_equal(pkiot_x509_verify_signature(&c, &root, &g_crypto), PKIOT_OK);    /* EC/512 */
    parse(LEAF_SHA512, &c);
    assert_int_equal(pkiot_x509_verify_signature(&c, &iss, &g_crypto), PKIOT_OK);     /* RSA/512 */
    parse(LEAF_SHA1, &c);
    assert_int_equal(c.sig_hash, PKIOT_HASH_SHA1);
    assert_int_equal(pkiot_x509_verify_signature(&c, &iss, &g_crypto), PKIOT_OK);     /* RSA/1 */
    parse(LEAF_PSS, &c);
    assert_int_equal(pkiot_x509_verify_signature(&c, &iss, &g_crypto), PKIOT_E_UNSUPPORTED);
    parse(RSA4096, &c);
    assert_int_equal(c.key_type, PKIOT_KEY_RSA_4096);
    assert_int_equal(c.key_bits, 4096);
    assert_int_equal(c.sig_hash, PKIOT_HASH_SHA384);
    assert_int_equal(pkiot_x509_verify_signature(&c, &c, &g_crypto), PKIOT_OK); /* RSA/384 */
    /* Wrong issuer key, wrong key type. */
    parse(LEAF, &c);
    assert_int_equal(pkiot_x509_verify_signature(&c, &root, &g_crypto), PKIOT_E_CERT_BAD_SIGNATURE);
    parse(LEAF_ROOT, &c);
    assert_int_equal(pkiot_x509_verify_signature(&c, &iss, &g_crypto), PKIOT_E_CERT_BAD_SIGNATURE);
    pkiot_x509_cert_t other;
    parse(OTHER, &other);
    assert_int_equal(pkiot_x509_verify_signature(&c, &other, &g_crypto),
                     PKIOT_E_CERT_BAD_SIGNATURE);
    /* A port without verify. */
    pkiot_crypto_port_t none = g_crypto;
    none.verify_hash = NULL;
    assert_int_equal(pkiot_x509_verify_signature(&c, &root, &none), PKIOT_E_UNSUPPORTED);
    assert_int_equal(pkiot_x509_verify_signature(NULL, &root, &g_crypto), PKIOT_E_INVALID_ARG);
}
#endif

static pkiot_slice_t sl(int i)
{
    pkiot_slice_t s = { g[i].der, g[i].len };
    return s;
}

/* 1: the path checks below call the crypto port's cert_verify (Mbed TLS's own validator)
 * directly; 0: through pkiot_x509_chain_check(), which is pkiot's own validator, or the
 * same port call in a build with PKIOT_X509_BUILTIN = 0. */
static int g_via_port;

/* The port reports every failure other than validity as PKIOT_E_CERT_UNTRUSTED. */
static int want(int builtin_rc)
{
    if ((g_via_port || !PKIOT_X509_BUILTIN) &&
        (builtin_rc == PKIOT_E_CERT_NOT_CA || builtin_rc == PKIOT_E_CERT_BAD_SIGNATURE)) {
        return PKIOT_E_CERT_UNTRUSTED;
    }
    return builtin_rc;
}

static int check_path(const pkiot_x509_cert_t *leaf, const pkiot_slice_t *is, size_t n_int,
                      const pkiot_slice_t *as, size_t n_anc, int64_t now,
                      pkiot_x509_chain_result_t *res)
{
    if (!g_via_port) {
        return pkiot_x509_chain_check(leaf, is, n_int, as, n_anc, now, &g_crypto, res);
    }
    pkiot_x509_chain_result_t tmp;
    if (res == NULL) {
        res = &tmp;
    }
    assert_non_null(g_crypto.cert_verify);
    return g_crypto.cert_verify(g_crypto.ctx, leaf->raw.p, leaf->raw.len, is, n_int, as, n_anc,
                                now, &res->anchor_index, &res->path_len);
}

static int chain(int leaf_idx, const int *ints, size_t n_int, const int *anchors, size_t n_anc,
                 int64_t now, pkiot_x509_chain_result_t *res)
{
    pkiot_x509_cert_t leaf;
    pkiot_slice_t is[16];
    pkiot_slice_t as[16];
    parse(leaf_idx, &leaf);
    for (size_t i = 0; i < n_int; i++) {
        is[i] = sl(ints[i]);
    }
    for (size_t i = 0; i < n_anc; i++) {
        as[i] = sl(anchors[i]);
    }
    return check_path(&leaf, is, n_int, as, n_anc, now, res);
}

static void test_chain_positive(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_chain_result_t r;
    pkiot_x509_cert_t leaf;
    int64_t now = (int64_t)time(NULL);
    const int ints[] = { INT };
    const int junk_ints[] = { LEAF_OTHER, OTHER, LEAF, FAKE, INT, SUB };
    const int anchors[] = { OTHER, ROOT };
    const int root[] = { ROOT };

    assert_int_equal(chain(LEAF, ints, 1, root, 1, 0, &r), PKIOT_OK);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.anchor_index, 0);
    assert_int_equal(chain(LEAF, ints, 1, root, 1, now, &r), PKIOT_OK);
    assert_int_equal(chain(LEAF, junk_ints, ARRAY_LEN(junk_ints), anchors, 2, now, &r), PKIOT_OK);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.anchor_index, 1);
    assert_int_equal(chain(LEAF_ROOT, NULL, 0, root, 1, now, &r), PKIOT_OK);
    assert_int_equal(r.path_len, 2);
    /* Two CAs below the anchor, in any order (a certs-only SET OF may come sorted), also
     * mixed with the anchor and an unrelated CA. */
    assert_int_equal(chain(LEAF_DEEP, (const int[]){ MID, ISS2 }, 2, root, 1, now, &r), PKIOT_OK);
    assert_int_equal(r.path_len, 4);
    assert_int_equal(chain(LEAF_DEEP, (const int[]){ ISS2, MID }, 2, root, 1, now, &r), PKIOT_OK);
    assert_int_equal(r.path_len, 4);
    assert_int_equal(chain(LEAF_DEEP, (const int[]){ ROOT, MID, INT, ISS2 }, 4, root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(chain(LEAF_DEEP, (const int[]){ ISS2 }, 1, root, 1, now, &r),
                     PKIOT_E_CERT_UNTRUSTED);
    /* The chain as servers send it: the root inside the intermediates. */
    const int with_root[] = { ROOT, INT };
    assert_int_equal(chain(LEAF, with_root, 2, root, 1, now, &r), PKIOT_OK);
    /* A leaf that is itself a trust anchor (decided before any path search). */
    const int self[] = { LEAF };
    if (!g_via_port) {
        assert_int_equal(chain(LEAF, NULL, 0, self, 1, now, &r), PKIOT_OK);
        assert_int_equal(r.path_len, 1);
    }
    /* Result is optional; time 0 skips validity. */
    assert_int_equal(chain(LEAF_SHORT, (const int[]){ SHORTINT }, 1, root, 1, 0, NULL), PKIOT_OK);

    parse(LEAF, &leaf);
    assert_int_equal(check_path(&leaf, NULL, 1, NULL, 0, 0, NULL), PKIOT_E_INVALID_ARG);
    assert_int_equal(check_path(&leaf, NULL, 0, NULL, 0, 0, NULL), PKIOT_E_CERT_UNTRUSTED);
}

static void test_chain_negative(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_chain_result_t r;
    pkiot_x509_cert_t leaf;
    int64_t now = (int64_t)time(NULL);
    const int root[] = { ROOT };

    /* Wrong issuer: the leaf's issuer is not known / not trusted. */
    assert_int_equal(chain(LEAF_OTHER, NULL, 0, root, 1, now, &r), PKIOT_E_CERT_UNTRUSTED);
    assert_int_equal(chain(LEAF, NULL, 0, root, 1, now, &r), PKIOT_E_CERT_UNTRUSTED);
    assert_int_equal(chain(LEAF, (const int[]){ INT }, 1, (const int[]){ OTHER }, 1, now, &r),
                     PKIOT_E_CERT_UNTRUSTED);

    /* Expired / not yet valid, at the leaf and at an intermediate. */
    parse(LEAF, &leaf);
    assert_int_equal(chain(LEAF, (const int[]){ INT }, 1, root, 1, leaf.not_after + 1, &r),
                     PKIOT_E_CERT_EXPIRED);
    assert_int_equal(chain(LEAF, (const int[]){ INT }, 1, root, 1, leaf.not_before - 1, &r),
                     PKIOT_E_CERT_EXPIRED);
    assert_int_equal(chain(LEAF, (const int[]){ INT }, 1, root, 1, 1000, &r),
                     PKIOT_E_CERT_EXPIRED);
    pkiot_x509_cert_t si;
    parse(SHORTINT, &si);
    assert_int_equal(chain(LEAF_SHORT, (const int[]){ SHORTINT }, 1, root, 1, si.not_after + 60, &r),
                     PKIOT_E_CERT_EXPIRED);
    pkiot_x509_cert_t rc;
    parse(ROOT, &rc);
    assert_int_equal(chain(LEAF_ROOT, NULL, 0, root, 1, rc.not_after + 1, &r),
                     PKIOT_E_CERT_EXPIRED);

    /* Issuer that is not a CA, CA without keyCertSign. */
    assert_int_equal(chain(LEAF_FAKE, (const int[]){ FAKE }, 1, root, 1, now, &r),
                     want(PKIOT_E_CERT_NOT_CA));
    assert_int_equal(chain(LEAF_NOKCS, (const int[]){ NOKCS }, 1, root, 1, now, &r),
                     want(PKIOT_E_CERT_NOT_CA));
    /* pathLenConstraint 0 on the intermediate forbids the sub-CA below it. */
    assert_int_equal(chain(LEAF_SUB, (const int[]){ SUB, INT }, 2, root, 1, now, &r),
                     PKIOT_E_CERT_UNTRUSTED);
    /* An unprocessed critical extension. */
    assert_int_equal(chain(CRIT, NULL, 0, root, 1, now, &r), PKIOT_E_CERT_UNTRUSTED);

    /* Bad signature: flip one bit of the signature, and one of the signed part. */
    static blob_t tmp;
    memcpy(tmp.der, g[LEAF].der, g[LEAF].len);
    tmp.len = g[LEAF].len;
    tmp.der[tmp.len - 1] ^= 0x01;
    pkiot_x509_cert_t bad;
    pkiot_slice_t is[1] = { sl(INT) };
    pkiot_slice_t as[1] = { sl(ROOT) };
    assert_int_equal(pkiot_x509_cert_parse(tmp.der, tmp.len, &bad), PKIOT_OK);
    assert_int_equal(check_path(&bad, is, 1, as, 1, now, &r),
                     want(PKIOT_E_CERT_BAD_SIGNATURE));
    memcpy(tmp.der, g[LEAF_ROOT].der, g[LEAF_ROOT].len);
    tmp.len = g[LEAF_ROOT].len;
    tmp.der[tmp.len - 3] ^= 0x40; /* inside the ECDSA s value */
    assert_int_equal(pkiot_x509_cert_parse(tmp.der, tmp.len, &bad), PKIOT_OK);
    assert_int_equal(check_path(&bad, NULL, 0, as, 1, now, &r),
                     want(PKIOT_E_CERT_BAD_SIGNATURE));
    pkiot_x509_cert_t orig;
    parse(LEAF_ROOT, &orig);
    memcpy(tmp.der, g[LEAF_ROOT].der, g[LEAF_ROOT].len);
    size_t serial_off = (size_t)(orig.serial.p - g[LEAF_ROOT].der);
    tmp.der[serial_off] ^= 0x10; /* serial number: part of the TBS */
    assert_int_equal(pkiot_x509_cert_parse(tmp.der, tmp.len, &bad), PKIOT_OK);
    assert_int_equal(check_path(&bad, NULL, 0, as, 1, now, &r),
                     want(PKIOT_E_CERT_BAD_SIGNATURE));
    /* A bad intermediate signature. */
    static blob_t tint;
    memcpy(tint.der, g[INT].der, g[INT].len);
    tint.len = g[INT].len;
    tint.der[tint.len - 2] ^= 0x04;
    is[0].p = tint.der;
    is[0].len = tint.len;
    parse(LEAF, &leaf);
    assert_int_equal(check_path(&leaf, is, 1, as, 1, now, &r),
                     want(PKIOT_E_CERT_BAD_SIGNATURE));
}

/* During a root CA key update four CA certificates share the root's name; the issuer of
 * each certificate on a path is the one whose key signed it, whatever the order given. */
static void test_chain_root_key_update(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_chain_result_t r;
    int64_t now = (int64_t)time(NULL);
    const int old_root[] = { ROOT };
    const int new_root[] = { NWN };

    /* A device trusting the old root accepts the new root and both cross certificates. */
    assert_int_equal(chain(NWN, (const int[]){ OWN, NWN, NWO, ROOT }, 4, old_root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(chain(OWN, (const int[]){ OWN, NWN, NWO, ROOT }, 4, old_root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(chain(NWO, (const int[]){ OWN, NWN, NWO }, 3, old_root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(r.path_len, 2);
    /* ... and a leaf of the new key through NewWithOld, with OldWithNew listed first. */
    assert_int_equal(chain(LEAF_NEW, (const int[]){ OWN, NWN, NWO }, 3, old_root, 1, now, &r),
                     PKIOT_OK);
    /* A device trusting the new root accepts the old one and a leaf of the old key. */
    assert_int_equal(chain(ROOT, (const int[]){ NWO, NWN, OWN, ROOT }, 4, new_root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(chain(LEAF_ROOT, (const int[]){ NWO, OWN }, 2, new_root, 1, now, &r),
                     PKIOT_OK);
    assert_int_equal(r.path_len, 3);
    /* Without the cross certificate there is no path. */
    assert_int_equal(chain(LEAF_ROOT, (const int[]){ NWO }, 1, new_root, 1, now, &r),
                     PKIOT_E_CERT_UNTRUSTED);
    assert_int_equal(chain(LEAF_NEW, (const int[]){ OWN }, 1, old_root, 1, now, &r),
                     PKIOT_E_CERT_UNTRUSTED);
}

static void test_chain_root_key_update_port(void **state)
{
    g_via_port = 1;
    test_chain_root_key_update(state);
    g_via_port = 0;
}

/* The same paths, good and bad, judged by the crypto port's validator. */
static void test_chain_positive_port(void **state)
{
    g_via_port = 1;
    test_chain_positive(state);
    g_via_port = 0;
}

static void test_chain_negative_port(void **state)
{
    g_via_port = 1;
    test_chain_negative(state);
    g_via_port = 0;
}

/* Every parser input truncated at every offset fails with PKIOT_E_DER_TRUNCATED; extra bytes
 * after the certificate are refused. */
static void test_truncation_and_oversize(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    for (int i = 0; i < NBLOBS; i++) {
        pkiot_x509_cert_t c;
        for (size_t k = 0; k < g[i].len; k++) {
            /* A private copy of exactly k bytes lets ASan catch any over-read. */
            uint8_t *p = malloc(k == 0 ? 1 : k);
            assert_non_null(p);
            memcpy(p, g[i].der, k);
            int rc = pkiot_x509_cert_parse(p, k, &c);
            free(p);
            if (rc != PKIOT_E_DER_TRUNCATED) {
                fprintf(stderr, "%s at %zu: %s\n", g[i].name, k, pkiot_strerror_name(rc));
            }
            assert_int_equal(rc, PKIOT_E_DER_TRUNCATED);
        }
        static uint8_t big[4100];
        memcpy(big, g[i].der, g[i].len);
        big[g[i].len] = 0;
        assert_int_equal(pkiot_x509_cert_parse(big, g[i].len + 1, &c), PKIOT_E_DER_TRAILING);
    }
}

/* Hand-made malformed certificates give specific errors. */
static void test_malformed(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    pkiot_x509_cert_t c;
    static uint8_t b[4096];
    size_t n = g[LEAF_ROOT].len;
    pkiot_x509_cert_t orig;
    parse(LEAF_ROOT, &orig);

    /* Not a SEQUENCE. */
    memcpy(b, g[LEAF_ROOT].der, n);
    b[0] = 0x31;
    assert_int_equal(pkiot_x509_cert_parse(b, n, &c), PKIOT_E_X509_FORMAT);
    /* Non-minimal outer length. */
    static const uint8_t nonmin[] = { 0x30, 0x81, 0x01, 0x00 };
    assert_int_equal(pkiot_x509_cert_parse(nonmin, sizeof nonmin, &c), PKIOT_E_DER_BAD_LENGTH);
    /* Empty SEQUENCE. */
    static const uint8_t empty[] = { 0x30, 0x00 };
    assert_int_equal(pkiot_x509_cert_parse(empty, sizeof empty, &c), PKIOT_E_X509_FORMAT);
    /* Inner algorithm differs from outer: change the last byte of the inner OID. */
    memcpy(b, g[LEAF_ROOT].der, n);
    size_t oid_off = (size_t)(orig.sig_oid.p - g[LEAF_ROOT].der);
    /* The inner copy comes first in the TBS; find it by searching before the outer one. */
    for (size_t k = 0; k + orig.sig_oid.len < oid_off; k++) {
        if (memcmp(b + k, orig.sig_oid.p, orig.sig_oid.len) == 0) {
            b[k + orig.sig_oid.len - 1] ^= 0x01;
            break;
        }
    }
    assert_int_equal(pkiot_x509_cert_parse(b, n, &c), PKIOT_E_X509_FORMAT);
    /* A bad validity time. */
    memcpy(b, g[LEAF_ROOT].der, n);
    for (size_t k = 0; k + 15 < n; k++) {
        if (b[k] == 0x17 && b[k + 1] == 13 && b[k + 14] == 'Z') {
            b[k + 4] = '1'; /* month 1x */
            b[k + 5] = '9';
            break;
        }
    }
    int rc = pkiot_x509_cert_parse(b, n, &c);
    assert_true(rc == PKIOT_E_TIME_RANGE || rc == PKIOT_E_TIME_FORMAT);
    /* Parse failures leave nothing half-filled. */
    assert_null(c.raw.p);
    assert_int_equal(pkiot_x509_cert_parse(NULL, 5, &c), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_x509_cert_parse(b, n, NULL), PKIOT_E_INVALID_ARG);
}

/* The crypto port's cert_parse (Mbed TLS's parser, used by the engine in builds with
 * PKIOT_X509_BUILTIN = 0) reports the fields it promises exactly as pkiot's parser does. */
static void test_port_parse_matches(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    assert_non_null(g_crypto.cert_parse);
    for (int i = 0; i < NBLOBS; i++) {
        pkiot_x509_cert_t a, b;
        int rc = g_crypto.cert_parse(g_crypto.ctx, g[i].der, g[i].len, &b);
        if (i == CRIT) {
            /* an unprocessed critical extension: the provider must refuse the certificate */
            assert_int_equal(rc, PKIOT_E_X509_FORMAT);
            assert_null(b.raw.p);
            continue;
        }
        if (rc != PKIOT_OK) {
            fprintf(stderr, "%s: %s (Mbed TLS -0x%04x)\n", g[i].name, pkiot_strerror_name(rc),
                    (unsigned)-pkiot_mbedtls_crypto_last_error(&g_cst));
        }
        /* RSASSA-PSS and SHA-1 signatures depend on the Mbed TLS configuration */
        if (rc != PKIOT_OK && (i == LEAF_PSS || i == LEAF_SHA1)) {
            continue;
        }
        assert_int_equal(rc, PKIOT_OK);
        parse(i, &a);
        const char *differs = pkiot_test_cert_fields_differ(&a, &b);
        if (differs != NULL) {
            fprintf(stderr, "%s: %s differs\n", g[i].name, differs);
        }
        assert_null(differs);
    }
    /* the fixtures cover what the engine relies on: a CA, a leaf with SANs, v1, RSA */
    pkiot_x509_cert_t c;
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, g[INT].der, g[INT].len, &c), PKIOT_OK);
    assert_true(c.is_ca && c.has_basic_constraints && c.key_type == PKIOT_KEY_RSA_2048);
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, g[LEAF].der, g[LEAF].len, &c), PKIOT_OK);
    assert_true(!c.is_ca && c.san.len > 0 && c.key_type == PKIOT_KEY_EC_P384);
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, g[V1].der, g[V1].len, &c), PKIOT_OK);
    assert_true(c.version == 1 && !c.has_basic_constraints && c.extensions.len == 0);

    /* bytes after the certificate, every truncation, garbage, bad arguments */
    static uint8_t buf[4100];
    memcpy(buf, g[LEAF].der, g[LEAF].len);
    buf[g[LEAF].len] = 0;
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, buf, g[LEAF].len + 1, &c),
                     PKIOT_E_DER_TRAILING);
    assert_null(c.raw.p);
    for (size_t k = 1; k < g[LEAF].len; k++) {
        uint8_t *p = malloc(k);
        assert_non_null(p);
        memcpy(p, g[LEAF].der, k);
        assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, p, k, &c), PKIOT_E_X509_FORMAT);
        free(p);
    }
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, junk, sizeof junk, &c), PKIOT_E_X509_FORMAT);
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, NULL, 5, &c), PKIOT_E_INVALID_ARG);
    assert_int_equal(g_crypto.cert_parse(g_crypto.ctx, junk, sizeof junk, NULL),
                     PKIOT_E_INVALID_ARG);
}

/* SAN iterator on hand-made input. */
static void test_san_iter(void **state)
{
    (void)state;
    pkiot_der_cursor_t it;
    pkiot_x509_san_t san;
    static const uint8_t names[] = {
        0xA4, 0x0F, 0x30, 0x0D, 0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x02,
        'd', 'n',                                   /* directoryName CN=dn */
        0x88, 0x03, 0x2A, 0x03, 0x04,               /* registeredID 1.2.3.4 */
        0xA0, 0x05, 0x06, 0x01, 0x2A, 0xA0, 0x00,   /* otherName (shape only) */
    };
    pkiot_der_init(&it, names, sizeof names);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_DIR_NAME);
    assert_int_equal(san.len, 15);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_RID);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_OK);
    assert_int_equal(san.type, PKIOT_SAN_OTHER_NAME);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_DONE);
    static const uint8_t bad_ip[] = { 0x87, 0x03, 1, 2, 3 };
    pkiot_der_init(&it, bad_ip, sizeof bad_ip);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_E_X509_FORMAT);
    static const uint8_t univ[] = { 0x16, 0x01, 'a' };
    pkiot_der_init(&it, univ, sizeof univ);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_E_X509_FORMAT);
    static const uint8_t high[] = { 0x82, 0x01, 0xC3 };
    pkiot_der_init(&it, high, sizeof high);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_E_X509_FORMAT);
    static const uint8_t trunc[] = { 0x82, 0x05, 'a' };
    pkiot_der_init(&it, trunc, sizeof trunc);
    assert_int_equal(pkiot_x509_san_next(&it, &san), PKIOT_E_DER_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_match_openssl),
        cmocka_unit_test(test_leaf_extensions),
        cmocka_unit_test(test_odd_names),
#if PKIOT_X509_BUILTIN
        cmocka_unit_test(test_verify_signature),
#endif
        cmocka_unit_test(test_chain_positive),
        cmocka_unit_test(test_chain_negative),
        cmocka_unit_test(test_chain_positive_port),
        cmocka_unit_test(test_chain_negative_port),
        cmocka_unit_test(test_chain_root_key_update),
        cmocka_unit_test(test_chain_root_key_update_port),
        cmocka_unit_test(test_truncation_and_oversize),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_san_iter),
        cmocka_unit_test(test_port_parse_matches),
    };
    return cmocka_run_group_tests_name("cert", tests, setup, teardown);
}
