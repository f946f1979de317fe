/* Unit tests for the CMS certs-only reader (lib/x509/cms.c). */
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
#include "pkiot/cms.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"
#include "pkiot_test_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char g_dir[PKIOT_TEST_PATH_MAX];
static int g_ready;

typedef struct blob {
    const char *name;
    uint8_t der[8192];
    size_t len;
} blob_t;

enum { LEAF, INT, ROOT, ONE, THREE, NONE, WITHCRL, SIGNED_BER, SIGNED_DER, NBLOBS };

static blob_t g[NBLOBS] = {
    [LEAF] = { .name = "leaf.der" },
    [INT] = { .name = "int.der" },
    [ROOT] = { .name = "root.der" },
    [ONE] = { .name = "one.p7" },
    [THREE] = { .name = "three.p7" },
    [NONE] = { .name = "none.p7" },
    [WITHCRL] = { .name = "withcrl.p7" },
    [SIGNED_BER] = { .name = "signed.ber" },
    [SIGNED_DER] = { .name = "signed.p7" },
};

static const char k_script[] =
    "set -e\n"
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key "
    "  -out root.pem -subj '/CN=Root' -days 30 -addext 'basicConstraints=critical,CA:TRUE'\n"
    "openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj '/CN=Int'\n"
    "printf 'basicConstraints=critical,CA:TRUE\\n' > ca.ext\n"
    "openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 -days 30 "
    "  -extfile ca.ext -out int.pem\n"
    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout leaf.key "
    "  -out leaf.csr -subj '/CN=leaf'\n"
    "openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 3 -days 30 -out leaf.pem\n"
    "for f in leaf int root; do openssl x509 -in $f.pem -outform DER -out $f.der; done\n"
    "cat leaf.pem int.pem root.pem > chain.pem\n"
    "openssl crl2pkcs7 -nocrl -certfile leaf.pem -outform DER -out one.p7\n"
    "openssl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out three.p7\n"
    "openssl crl2pkcs7 -nocrl -outform DER -out none.p7\n"
    "mkdir -p ca && : > ca/index.txt && echo 01 > ca/crlnumber\n"
    "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=ca/index.txt\\ncrlnumber=ca/crlnumber\\n"
    "default_md=sha256\\ndefault_crl_days=30\\n' > ca.cnf\n"
    "openssl ca -config ca.cnf -gencrl -keyfile root.key -cert root.pem -out root.crl 2>/dev/null\n"
    "openssl crl2pkcs7 -in root.crl -certfile chain.pem -outform DER -out withcrl.p7\n"
    "printf 'hello' > msg.txt\n"
    "openssl cms -sign -in msg.txt -signer leaf.pem -inkey leaf.key -certfile int.pem "
    "  -nodetach -stream -outform DER -out signed.ber\n"
    "openssl cms -sign -in msg.txt -signer leaf.pem -inkey leaf.key -certfile int.pem "
    "  -nodetach -outform DER -out signed.p7\n";

static int setup(void **state)
{
    (void)state;
    if (pkiot_test_mkdtemp("pkiot_cms_", g_dir, sizeof g_dir) != 0) {
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
        if (pkiot_test_read_in(g_dir, g[i].name, g[i].der, sizeof g[i].der, &g[i].len) != 0) {
            return -1;
        }
    }
    g_ready = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pkiot_test_rmtree(g_dir);
    return 0;
}

#define REQUIRE_FIXTURES()                                                                     \
    do {                                                                                       \
        if (!g_ready) {                                                                        \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* Collect the certificates; each must be one of @p want (any order, each once). */
static void expect_certs(const uint8_t *der, size_t len, const int *want, size_t n_want)
{
    pkiot_cms_certs_t it;
    pkiot_slice_t cert;
    int seen[NBLOBS] = { 0 };
    size_t n = 0;
    int rc = pkiot_cms_certs_init(&it, der, len);
    if (rc != PKIOT_OK) {
        fprintf(stderr, "init: %s\n", pkiot_strerror_name(rc));
    }
    assert_int_equal(rc, PKIOT_OK);
    assert_int_equal(it.count, n_want);
    while ((rc = pkiot_cms_certs_next(&it, &cert)) == PKIOT_OK) {
        int found = 0;
        pkiot_x509_cert_t c;
        assert_true(cert.p >= der && cert.p + cert.len <= der + len);
        assert_int_equal(pkiot_x509_cert_parse(cert.p, cert.len, &c), PKIOT_OK);
        for (size_t i = 0; i < n_want; i++) {
            const blob_t *b = &g[want[i]];
            if (b->len == cert.len && memcmp(b->der, cert.p, cert.len) == 0) {
                assert_false(seen[want[i]]);
                seen[want[i]] = 1;
                found = 1;
            }
        }
        assert_true(found);
        n++;
    }
    assert_int_equal(rc, PKIOT_DONE);
    assert_int_equal(n, n_want);
    assert_int_equal(pkiot_cms_certs_next(&it, &cert), PKIOT_DONE);
    assert_null(cert.p);
}

static void test_openssl_certs_only(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    expect_certs(g[ONE].der, g[ONE].len, (const int[]){ LEAF }, 1);
    expect_certs(g[THREE].der, g[THREE].len, (const int[]){ LEAF, INT, ROOT }, 3);
    expect_certs(g[WITHCRL].der, g[WITHCRL].len, (const int[]){ LEAF, INT, ROOT }, 3);
    pkiot_cms_certs_t it;
    assert_int_equal(pkiot_cms_certs_init(&it, g[NONE].der, g[NONE].len), PKIOT_E_CMS_NO_CERTS);
}

static void test_signed_messages(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    /* openssl cms -stream writes indefinite lengths: the BER path is really exercised. */
    assert_int_equal(g[SIGNED_BER].der[1], 0x80);
    expect_certs(g[SIGNED_BER].der, g[SIGNED_BER].len, (const int[]){ LEAF, INT }, 2);
    expect_certs(g[SIGNED_DER].der, g[SIGNED_DER].len, (const int[]){ LEAF, INT }, 2);
}

static void test_truncation_and_oversize(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    const int inputs[] = { ONE, THREE, NONE, WITHCRL, SIGNED_BER, SIGNED_DER };
    for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
        const blob_t *b = &g[inputs[i]];
        pkiot_cms_certs_t it;
        for (size_t k = 0; k < b->len; k++) {
            uint8_t *p = malloc(k == 0 ? 1 : k);
            assert_non_null(p);
            memcpy(p, b->der, k);
            int rc = pkiot_cms_certs_init(&it, p, k);
            free(p);
            if (rc != PKIOT_E_DER_TRUNCATED) {
                fprintf(stderr, "%s at %zu: %s\n", b->name, k, pkiot_strerror_name(rc));
            }
            assert_int_equal(rc, PKIOT_E_DER_TRUNCATED);
        }
        static uint8_t big[8200];
        memcpy(big, b->der, b->len);
        big[b->len] = 0;
        assert_int_equal(pkiot_cms_certs_init(&it, big, b->len + 1), PKIOT_E_DER_TRAILING);
    }
}

/* Build SignedData { version, {}, { id-data }, [certs], {} } inside a ContentInfo. */
static size_t make_cms(uint8_t *buf, size_t cap, const uint8_t **out, uint32_t version,
                       const uint8_t *certs, size_t certs_len, const uint8_t *ct, size_t ct_len)
{
    static const uint8_t id_data[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01 };
    pkiot_der_writer_t w;
    size_t len = 0;
    pkiot_der_w_init(&w, buf, cap);
    size_t m_ci = pkiot_der_w_len(&w);
    size_t m_sd = m_ci;
    pkiot_der_w_header(&w, PKIOT_DER_SET, 0); /* signerInfos */
    if (certs != NULL) {
        pkiot_der_w_raw(&w, certs, certs_len);
    }
    size_t m_e = pkiot_der_w_len(&w);
    pkiot_der_w_oid(&w, id_data, sizeof id_data);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m_e);
    pkiot_der_w_header(&w, PKIOT_DER_SET, 0); /* digestAlgorithms */
    pkiot_der_w_u32(&w, version);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m_sd);
    pkiot_der_w_close(&w, PKIOT_DER_CTX_C(0), m_ci);
    pkiot_der_w_oid(&w, ct, ct_len);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m_ci);
    assert_int_equal(pkiot_der_w_result(&w, out, &len), PKIOT_OK);
    return len;
}

static void test_synthetic(void **state)
{
    (void)state;
    static const uint8_t signed_data[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02 };
    static const uint8_t data[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01 };
    /* [0] { [1] { attribute certificate stand-in }, SEQUENCE { "certificate" } } */
    static const uint8_t mixed[] = { 0xA0, 0x08, 0xA1, 0x02, 0x05, 0x00, 0x30, 0x02, 0x05, 0x00 };
    static const uint8_t only_other[] = { 0xA0, 0x04, 0xA1, 0x02, 0x05, 0x00 };
    static const uint8_t wrong[] = { 0xA0, 0x03, 0x02, 0x01, 0x00 };
    static const uint8_t empty_set[] = { 0xA0, 0x00 };
    static uint8_t buf[512];
    const uint8_t *der = NULL;
    pkiot_cms_certs_t it;
    pkiot_slice_t cert;
    size_t len;

    len = make_cms(buf, sizeof buf, &der, 1, mixed, sizeof mixed, signed_data, sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_OK);
    assert_int_equal(it.count, 1);
    assert_int_equal(pkiot_cms_certs_next(&it, &cert), PKIOT_OK);
    assert_int_equal(cert.len, 4);
    assert_int_equal(cert.p[0], 0x30);
    assert_int_equal(pkiot_cms_certs_next(&it, &cert), PKIOT_DONE);

    len = make_cms(buf, sizeof buf, &der, 1, only_other, sizeof only_other, signed_data,
                   sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_NO_CERTS);
    len = make_cms(buf, sizeof buf, &der, 1, empty_set, sizeof empty_set, signed_data,
                   sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_NO_CERTS);
    len = make_cms(buf, sizeof buf, &der, 1, NULL, 0, signed_data, sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_NO_CERTS);
    len = make_cms(buf, sizeof buf, &der, 1, wrong, sizeof wrong, signed_data, sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_FORMAT);
    len = make_cms(buf, sizeof buf, &der, 1, mixed, sizeof mixed, data, sizeof data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_FORMAT);
    len = make_cms(buf, sizeof buf, &der, 0, mixed, sizeof mixed, signed_data, sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_FORMAT);
    len = make_cms(buf, sizeof buf, &der, 6, mixed, sizeof mixed, signed_data, sizeof signed_data);
    assert_int_equal(pkiot_cms_certs_init(&it, der, len), PKIOT_E_CMS_FORMAT);

    /* Shapes that are not a ContentInfo at all. */
    static const uint8_t not_seq[] = { 0x31, 0x00 };
    assert_int_equal(pkiot_cms_certs_init(&it, not_seq, sizeof not_seq), PKIOT_E_CMS_FORMAT);
    static const uint8_t no_content[] = { 0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                          0xF7, 0x0D, 0x01, 0x07, 0x02 };
    assert_int_equal(pkiot_cms_certs_init(&it, no_content, sizeof no_content),
                     PKIOT_E_CMS_FORMAT);
    static const uint8_t empty[] = { 0 };
    assert_int_equal(pkiot_cms_certs_init(&it, empty, 0), PKIOT_E_DER_TRUNCATED);
    /* Indefinite length on a primitive element, stray end-of-contents. */
    static const uint8_t prim_indef[] = { 0x04, 0x80, 0x00, 0x00 };
    assert_int_equal(pkiot_cms_certs_init(&it, prim_indef, sizeof prim_indef),
                     PKIOT_E_DER_BAD_LENGTH);
    static const uint8_t eoc[] = { 0x00, 0x00 };
    assert_int_not_equal(pkiot_cms_certs_init(&it, eoc, sizeof eoc), PKIOT_OK);
    assert_int_equal(pkiot_cms_certs_init(NULL, eoc, sizeof eoc), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_cms_certs_next(NULL, &cert), PKIOT_E_INVALID_ARG);
}

/* A DER certs-only message rewritten with indefinite lengths at every envelope level. */
static void test_ber_rewrite(void **state)
{
    (void)state;
    REQUIRE_FIXTURES();
    /* Walk one.p7's envelope: ContentInfo > [0] > SignedData > [0] certificates. */
    const uint8_t *d = g[THREE].der;
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t ci, oid, ctx0, sd;
    pkiot_der_init(&c, d, g[THREE].len);
    assert_int_equal(pkiot_der_next(&c, &ci), PKIOT_OK);
    pkiot_der_enter(&ci, &c);
    assert_int_equal(pkiot_der_next(&c, &oid), PKIOT_OK);
    assert_int_equal(pkiot_der_next(&c, &ctx0), PKIOT_OK);
    pkiot_der_enter(&ctx0, &c);
    assert_int_equal(pkiot_der_next(&c, &sd), PKIOT_OK);
    static uint8_t out[9000];
    size_t o = 0;
    /* 30 80 | oid | A0 80 | 30 80 | SignedData contents | 00 00 x3 */
    out[o++] = 0x30;
    out[o++] = 0x80;
    memcpy(out + o, oid.raw, oid.raw_len);
    o += oid.raw_len;
    out[o++] = 0xA0;
    out[o++] = 0x80;
    out[o++] = 0x30;
    out[o++] = 0x80;
    /* Inside SignedData, give the certificates [0] an indefinite length too. */
    pkiot_der_cursor_t s;
    pkiot_der_enter(&sd, &s);
    while (!pkiot_der_at_end(&s)) {
        pkiot_der_tlv_t t;
        assert_int_equal(pkiot_der_next(&s, &t), PKIOT_OK);
        if (t.tag == PKIOT_DER_CTX_C(0)) {
            out[o++] = 0xA0;
            out[o++] = 0x80;
            memcpy(out + o, t.val, t.len);
            o += t.len;
            out[o++] = 0;
            out[o++] = 0;
        } else {
            memcpy(out + o, t.raw, t.raw_len);
            o += t.raw_len;
        }
    }
    for (int i = 0; i < 6; i++) {
        out[o++] = 0;
    }
    expect_certs(out, o, (const int[]){ LEAF, INT, ROOT }, 3);
    /* Missing end-of-contents octets. */
    pkiot_cms_certs_t it;
    assert_int_equal(pkiot_cms_certs_init(&it, out, o - 2), PKIOT_E_DER_TRUNCATED);
}

/* Responses captured from Cisco libest's estserver (test/fuzz/corpus/est-captures): every
 * body parses, and the enrolled certificate chains through /cacerts to the trust root. */
#define CAPTURES "test/fuzz/corpus/est-captures/"

static int read_capture(const char *name, uint8_t *buf, size_t cap, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, CAPTURES "%s", name);
    return pkiot_test_read_file(path, buf, cap, len);
}

static void test_libest_captures(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t count;
    } bodies[] = {
        { "cacerts.p7.der", 1 },      { "cacerts-chain.p7.der", 2 },
        { "simpleenroll.p7.der", 1 }, { "simplereenroll.p7.der", 1 },
        { "serverkeygen.p7.der", 1 },
    };
    static uint8_t buf[8192];
    static uint8_t chain_buf[8192];
    static uint8_t leaf_buf[8192];
    size_t len = 0;
    if (read_capture(bodies[0].name, buf, sizeof buf, &len) != 0) {
        skip();
    }
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        pkiot_cms_certs_t it;
        pkiot_slice_t cert;
        assert_int_equal(read_capture(bodies[i].name, buf, sizeof buf, &len), 0);
        assert_int_equal(pkiot_cms_certs_init(&it, buf, len), PKIOT_OK);
        assert_int_equal(it.count, bodies[i].count);
        while (pkiot_cms_certs_next(&it, &cert) == PKIOT_OK) {
            pkiot_x509_cert_t c;
            assert_int_equal(pkiot_x509_cert_parse(cert.p, cert.len, &c), PKIOT_OK);
        }
    }

    /* The enrolled leaf (issued by the root directly) chains to trust-root.pem; the issuing
     * CA of the other capture PKI chains to trust-root-chain.pem, whose root has the same
     * name but another key. */
    size_t chain_len = 0;
    size_t leaf_len = 0;
    pkiot_cms_certs_t it;
    pkiot_slice_t ints[4];
    size_t n_int = 0;
    pkiot_slice_t leaf_slice;
    pkiot_x509_cert_t leaf;
    pkiot_x509_cert_t issuing;
    assert_int_equal(read_capture("cacerts-chain.p7.der", chain_buf, sizeof chain_buf, &chain_len),
                     0);
    assert_int_equal(read_capture("simpleenroll.p7.der", leaf_buf, sizeof leaf_buf, &leaf_len), 0);
    assert_int_equal(pkiot_cms_certs_init(&it, chain_buf, chain_len), PKIOT_OK);
    while (n_int < ARRAY_LEN(ints) && pkiot_cms_certs_next(&it, &ints[n_int]) == PKIOT_OK) {
        n_int++;
    }
    assert_int_equal(pkiot_cms_certs_init(&it, leaf_buf, leaf_len), PKIOT_OK);
    assert_int_equal(pkiot_cms_certs_next(&it, &leaf_slice), PKIOT_OK);
    assert_int_equal(pkiot_x509_cert_parse(leaf_slice.p, leaf_slice.len, &leaf), PKIOT_OK);
    if (!g_ready) {
        return; /* no openssl to convert the PEM trust roots */
    }
    char pwd[PKIOT_TEST_PATH_MAX];
    assert_non_null(getcwd(pwd, sizeof pwd));
    assert_int_equal(pkiot_test_sh(g_dir, "openssl x509 -in %s/" CAPTURES "trust-root.pem "
                                          "-outform DER -out cap-root.der && "
                                          "openssl x509 -in %s/" CAPTURES "trust-root-chain.pem "
                                          "-outform DER -out cap-root2.der",
                                   pwd, pwd),
                     0);
    static uint8_t root[2048];
    static uint8_t root2[2048];
    size_t root_len = 0;
    size_t root2_len = 0;
    assert_int_equal(pkiot_test_read_in(g_dir, "cap-root.der", root, sizeof root, &root_len), 0);
    assert_int_equal(pkiot_test_read_in(g_dir, "cap-root2.der", root2, sizeof root2, &root2_len),
                     0);
    pkiot_slice_t anchor = { root, root_len };
    pkiot_slice_t anchor2 = { root2, root2_len };
    pkiot_mbedtls_crypto_t cst;
    pkiot_crypto_port_t crypto;
    pkiot_x509_chain_result_t r;
    assert_int_equal(pkiot_mbedtls_crypto_init(&cst, 0, &crypto), PKIOT_OK);
    assert_int_equal(pkiot_x509_chain_check(&leaf, ints, n_int, &anchor, 1, 0, &crypto, &r),
                     PKIOT_OK);
    assert_int_equal(r.path_len, 2);
    /* Same issuer name, but AKI/SKI tell the roots apart: no candidate issuer at all. */
    assert_int_equal(pkiot_x509_chain_check(&leaf, ints, n_int, &anchor2, 1, 0, &crypto, &r),
                     PKIOT_E_CERT_UNTRUSTED);
    assert_int_equal(pkiot_x509_cert_parse(ints[0].p, ints[0].len, &issuing), PKIOT_OK);
    assert_int_equal(pkiot_x509_chain_check(&issuing, ints, n_int, &anchor2, 1, 0, &crypto, &r),
                     PKIOT_OK);
    assert_int_equal(pkiot_x509_chain_check(&issuing, NULL, 0, &anchor, 1, 0, &crypto, &r),
                     PKIOT_E_CERT_UNTRUSTED);
    pkiot_mbedtls_crypto_free(&cst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_certs_only),
        cmocka_unit_test(test_signed_messages),
        cmocka_unit_test(test_truncation_and_oversize),
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_ber_rewrite),
        cmocka_unit_test(test_libest_captures),
    };
    return cmocka_run_group_tests_name("cms", tests, setup, teardown);
}
