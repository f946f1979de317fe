/* Crypto port on Mbed TLS: known answers and cross-checks with the openssl command line. */
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
#include "pkiot_test_util.h"

static char g_dir[PKIOT_TEST_PATH_MAX];
static char g_oldcwd[PKIOT_TEST_PATH_MAX];
static pkiot_mbedtls_crypto_t g_sw_st, g_psa_st;
static pkiot_crypto_port_t g_sw, g_psa;

#define SH(...)                                                                               \
    do {                                                                                      \
        int sh_rc_ = pkiot_test_sh(g_dir, __VA_ARGS__);                                       \
        if (sh_rc_ != 0) {                                                                    \
            pkiot_test_sh_log(g_dir);                                                         \
        }                                                                                     \
        assert_int_equal(0, sh_rc_);                                                          \
    } while (0)

static int group_setup(void **state)
{
    (void)state;
    if (!pkiot_test_have_openssl()) {
        fprintf(stderr, "openssl command line program not found\n");
        return -1;
    }
    if (pkiot_test_mkdtemp("pkiot-crypto-", g_dir, sizeof g_dir) != 0 ||
        getcwd(g_oldcwd, sizeof g_oldcwd) == NULL) {
        return -1;
    }
    /* Mbed TLS keeps PSA persistent keys as files in the current directory. */
    if (chdir(g_dir) != 0) {
        return -1;
    }
    if (pkiot_mbedtls_crypto_init(&g_sw_st, 0, &g_sw) != PKIOT_OK ||
        pkiot_mbedtls_crypto_init(&g_psa_st, 1, &g_psa) != PKIOT_OK) {
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pkiot_mbedtls_crypto_free(&g_sw_st);
    pkiot_mbedtls_crypto_free(&g_psa_st);
    mbedtls_psa_crypto_free();
    if (chdir(g_oldcwd) != 0) {
        return -1;
    }
    if (getenv("PKIOT_TEST_KEEP") == NULL) {
        pkiot_test_rmtree(g_dir);
    }
    return 0;
}

static void write_in(const char *name, const void *p, size_t len)
{
    assert_int_equal(0, pkiot_test_write_in(g_dir, name, p, len));
}

static size_t read_in(const char *name, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    assert_int_equal(0, pkiot_test_read_in(g_dir, name, buf, cap, &len));
    return len;
}

static void hex(const char *h, uint8_t *out, size_t cap, size_t *len)
{
    assert_int_equal(0, pkiot_test_hex_decode(h, strlen(h), out, cap, len));
}

static void sha(pkiot_crypto_port_t *c, pkiot_hash_alg_t alg, const void *msg, size_t len,
                uint8_t *out)
{
    pkiot_slice_t s = {(const uint8_t *)msg, len};
    assert_int_equal(PKIOT_OK, c->hash(c->ctx, alg, &s, 1, out, PKIOT_HASH_MAX_SIZE));
}

/* Sign with @p c and let openssl verify; then verify our own signature and a corrupted one. */
static void sign_and_check(pkiot_crypto_port_t *c, const pkiot_key_ref_t *key,
                           const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg)
{
    static const char msg[] = "pkiot signs this message";
    static const char *const dg[] = {"", "sha1", "sha256", "sha384", "sha512"};
    uint8_t h[PKIOT_HASH_MAX_SIZE], sig[PKIOT_SIG_MAX];
    size_t sig_len = 0;
    sha(c, alg, msg, sizeof msg - 1, h);
    int rc;
    int rounds = 0;
    do {
        rc = c->sign_hash(c->ctx, key, alg, h, pkiot_hash_size(alg), sig, sizeof sig, &sig_len);
        rounds++;
    } while (rc == PKIOT_WANT_CRYPTO && rounds < 100000);
    assert_int_equal(PKIOT_OK, rc);
    assert_true(sig_len > 0 && sig_len <= PKIOT_SIG_MAX);
    write_in("msg.bin", msg, sizeof msg - 1);
    write_in("sig.bin", sig, sig_len);
    write_in("spki.der", spki, spki_len);
    SH("openssl pkey -pubin -inform DER -in spki.der -out spki.pem");
    SH("openssl dgst -%s -verify spki.pem -signature sig.bin msg.bin", dg[alg]);

    assert_int_equal(PKIOT_OK, c->verify_hash(c->ctx, spki, spki_len, alg, h,
                                              pkiot_hash_size(alg), sig, sig_len));
    h[0] ^= 1;
    assert_int_equal(PKIOT_E_CRYPTO_VERIFY, c->verify_hash(c->ctx, spki, spki_len, alg, h,
                                                           pkiot_hash_size(alg), sig, sig_len));
}

static void keygen_one(pkiot_crypto_port_t *c, pkiot_key_type_t type, int psa)
{
    static pkiot_key_ref_t key;
    uint8_t spki[PKIOT_SPKI_MAX];
    size_t spki_len = 0;
    assert_int_equal(PKIOT_OK, c->key_generate(c->ctx, type, 0, &key));
    assert_int_equal(type, key.type);
    assert_int_equal(PKIOT_OK, c->key_export_spki(c->ctx, &key, spki, sizeof spki, &spki_len));
    write_in("gen_spki.der", spki, spki_len);
    SH("openssl pkey -pubin -inform DER -in gen_spki.der -noout");
    SH("openssl pkey -pubin -inform DER -in gen_spki.der -noout -text | grep -q '%s'",
       type == PKIOT_KEY_EC_P256   ? "P-256"
       : type == PKIOT_KEY_EC_P384 ? "P-384"
       : type == PKIOT_KEY_RSA_2048 ? "(2048 bit)"
                                    : "(3072 bit)");
    uint8_t priv[PKIOT_KEY_REF_MAX];
    size_t priv_len = 0;
    int rc = c->key_export_private(c->ctx, &key, priv, sizeof priv, &priv_len);
    if (psa) {
        assert_int_equal(PKIOT_E_UNSUPPORTED, rc);
        assert_int_equal(4, key.len);
    } else {
        assert_int_equal(PKIOT_OK, rc);
        write_in("gen_priv.der", priv, priv_len);
        /* our PKCS#8 parses, and its public half is the SPKI we exported */
        SH("openssl pkey -inform DER -in gen_priv.der -pubout -outform DER -out gen_pub2.der");
        SH("cmp gen_pub2.der gen_spki.der");
        SH("openssl asn1parse -inform DER -in gen_priv.der | head -3 | grep -q 'INTEGER *:00'");
    }
    sign_and_check(c, &key, spki, spki_len, PKIOT_HASH_SHA256);
    if (type == PKIOT_KEY_EC_P384 || type == PKIOT_KEY_RSA_3072) {
        sign_and_check(c, &key, spki, spki_len, PKIOT_HASH_SHA384);
    }
    assert_int_equal(PKIOT_OK, c->key_destroy(c->ctx, &key));
    assert_int_equal(0, key.len);
}

static void test_keygen_sw_ec(void **state)
{
    (void)state;
    keygen_one(&g_sw, PKIOT_KEY_EC_P256, 0);
    keygen_one(&g_sw, PKIOT_KEY_EC_P384, 0);
}

static void test_keygen_sw_rsa(void **state)
{
    (void)state;
    keygen_one(&g_sw, PKIOT_KEY_RSA_2048, 0);
    keygen_one(&g_sw, PKIOT_KEY_RSA_3072, 0);
}

static void test_keygen_psa_ec(void **state)
{
    (void)state;
    keygen_one(&g_psa, PKIOT_KEY_EC_P256, 1);
    keygen_one(&g_psa, PKIOT_KEY_EC_P384, 1);
}

static void test_keygen_psa_rsa(void **state)
{
    (void)state;
    keygen_one(&g_psa, PKIOT_KEY_RSA_2048, 1);
    keygen_one(&g_psa, PKIOT_KEY_RSA_3072, 1);
}

static void test_keygen_bad_type(void **state)
{
    (void)state;
    static pkiot_key_ref_t key;
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED, g_sw.key_generate(g_sw.ctx, PKIOT_KEY_NONE, 0, &key));
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED,
                     g_psa.key_generate(g_psa.ctx, (pkiot_key_type_t)99, 0, &key));
}

/* PSA keys survive a restart of the key store, slot hints are honoured and never overwritten. */
static void test_psa_persistence(void **state)
{
    (void)state;
    static pkiot_key_ref_t key, again, dup;
    uint8_t spki1[PKIOT_SPKI_MAX], spki2[PKIOT_SPKI_MAX];
    size_t l1 = 0, l2 = 0;
    const uint32_t slot = 0x1234;

    assert_int_equal(PKIOT_OK, g_psa.key_generate(g_psa.ctx, PKIOT_KEY_EC_P256, slot, &key));
    assert_int_equal(4, key.len);
    assert_int_equal(0, memcmp(key.data, "\x00\x00\x12\x34", 4));
    assert_int_equal(PKIOT_OK, g_psa.key_export_spki(g_psa.ctx, &key, spki1, sizeof spki1, &l1));
    assert_int_equal(PKIOT_E_CRYPTO_KEY, g_psa.key_generate(g_psa.ctx, PKIOT_KEY_EC_P256, slot, &dup));

    /* "reboot": drop every in-memory PSA state, then come back */
    pkiot_mbedtls_crypto_free(&g_psa_st);
    mbedtls_psa_crypto_free();
    assert_int_equal(PKIOT_OK, pkiot_mbedtls_crypto_init(&g_psa_st, 1, &g_psa));
    /* the software port shares the PSA core; its DRBG is independent */

    assert_int_equal(PKIOT_OK, g_psa.key_export_spki(g_psa.ctx, &key, spki2, sizeof spki2, &l2));
    assert_int_equal(l1, l2);
    assert_memory_equal(spki1, spki2, l1);
    assert_int_equal(PKIOT_OK, pkiot_mbedtls_psa_key_ref(slot, &again));
    assert_int_equal(PKIOT_KEY_EC_P256, again.type);
    assert_memory_equal(key.data, again.data, 4);
    sign_and_check(&g_psa, &again, spki2, l2, PKIOT_HASH_SHA256);

    assert_int_equal(PKIOT_OK, g_psa.key_destroy(g_psa.ctx, &key));
    assert_int_equal(PKIOT_E_CRYPTO_KEY, pkiot_mbedtls_psa_key_ref(slot, &dup));
    assert_int_equal(PKIOT_E_CRYPTO_KEY,
                     g_psa.key_export_spki(g_psa.ctx, &again, spki2, sizeof spki2, &l2));
    /* destroying an already destroyed key is harmless */
    assert_int_equal(PKIOT_OK, g_psa.key_destroy(g_psa.ctx, &again));
}

static void test_interruptible_sign(void **state)
{
    (void)state;
    static pkiot_key_ref_t key;
    uint8_t spki[PKIOT_SPKI_MAX], h[32], sig[PKIOT_SIG_MAX];
    size_t spki_len = 0, sig_len = 0;
    static const pkiot_key_type_t types[] = {PKIOT_KEY_EC_P256, PKIOT_KEY_EC_P384};

    for (size_t t = 0; t < 2; t++) {
        assert_int_equal(PKIOT_OK, g_psa.key_generate(g_psa.ctx, types[t], 0, &key));
        assert_int_equal(PKIOT_OK,
                         g_psa.key_export_spki(g_psa.ctx, &key, spki, sizeof spki, &spki_len));
        sha(&g_psa, PKIOT_HASH_SHA256, "interrupt me", 12, h);

        pkiot_mbedtls_crypto_set_max_ops(&g_psa_st, 20);
        int wants = 0, rc;
        while ((rc = g_psa.sign_hash(g_psa.ctx, &key, PKIOT_HASH_SHA256, h, 32, sig, sizeof sig,
                                     &sig_len)) == PKIOT_WANT_CRYPTO) {
            wants++;
            assert_true(wants < 100000);
        }
        assert_int_equal(PKIOT_OK, rc);
        assert_true(wants >= 1);
        assert_int_equal(PKIOT_OK, g_psa.verify_hash(g_psa.ctx, spki, spki_len, PKIOT_HASH_SHA256,
                                                     h, 32, sig, sig_len));

        /* a different digest in the middle abandons the old operation and signs the new one */
        assert_int_equal(PKIOT_WANT_CRYPTO, g_psa.sign_hash(g_psa.ctx, &key, PKIOT_HASH_SHA256, h,
                                                            32, sig, sizeof sig, &sig_len));
        h[5] ^= 0x40;
        while ((rc = g_psa.sign_hash(g_psa.ctx, &key, PKIOT_HASH_SHA256, h, 32, sig, sizeof sig,
                                     &sig_len)) == PKIOT_WANT_CRYPTO) {
        }
        assert_int_equal(PKIOT_OK, rc);
        assert_int_equal(PKIOT_OK, g_psa.verify_hash(g_psa.ctx, spki, spki_len, PKIOT_HASH_SHA256,
                                                     h, 32, sig, sig_len));
        sign_and_check(&g_psa, &key, spki, spki_len, PKIOT_HASH_SHA256);

        /* unlimited: one call */
        pkiot_mbedtls_crypto_set_max_ops(&g_psa_st, PKIOT_MBEDTLS_MAX_OPS_UNLIMITED);
        assert_int_equal(PKIOT_OK, g_psa.sign_hash(g_psa.ctx, &key, PKIOT_HASH_SHA256, h, 32, sig,
                                                   sizeof sig, &sig_len));
        assert_int_equal(PKIOT_OK, g_psa.key_destroy(g_psa.ctx, &key));
    }
}

static void test_sign_args(void **state)
{
    (void)state;
    static pkiot_key_ref_t key;
    uint8_t h[32] = {0}, sig[PKIOT_SIG_MAX];
    size_t sig_len;
    assert_int_equal(PKIOT_OK, g_sw.key_generate(g_sw.ctx, PKIOT_KEY_EC_P256, 0, &key));
    assert_int_equal(PKIOT_E_INVALID_ARG,
                     g_sw.sign_hash(g_sw.ctx, &key, PKIOT_HASH_SHA256, h, 31, sig, sizeof sig, &sig_len));
    assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL,
                     g_sw.sign_hash(g_sw.ctx, &key, PKIOT_HASH_SHA256, h, 32, sig, 10, &sig_len));
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED,
                     g_sw.sign_hash(g_sw.ctx, &key, PKIOT_HASH_NONE, h, 32, sig, sizeof sig, &sig_len));
    key.data[10] ^= 0xFF; /* corrupt the PKCS#8 */
    int rc = g_sw.sign_hash(g_sw.ctx, &key, PKIOT_HASH_SHA256, h, 32, sig, sizeof sig, &sig_len);
    assert_true(rc < 0);
    assert_int_equal(PKIOT_OK, g_sw.key_destroy(g_sw.ctx, &key));
}

/* Signatures made by openssl verify with our port; a flipped bit does not. */
static void test_verify_openssl_sig(void **state)
{
    (void)state;
    static const struct {
        const char *genpkey;
        const char *dgst;
        pkiot_hash_alg_t alg;
    } cases[] = {
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "sha256", PKIOT_HASH_SHA256},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-384", "sha384", PKIOT_HASH_SHA384},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "sha1", PKIOT_HASH_SHA1},
        {"-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "sha256", PKIOT_HASH_SHA256},
        {"-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "sha512", PKIOT_HASH_SHA512},
    };
    static uint8_t spki[2048], sig[1024], msg[64];
    uint8_t h[PKIOT_HASH_MAX_SIZE];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SH("openssl genpkey %s -out v.key", cases[i].genpkey);
        SH("openssl pkey -in v.key -pubout -outform DER -out v.spki");
        SH("printf 'message number %u' > v.msg", (unsigned)i);
        SH("openssl dgst -%s -sign v.key -out v.sig v.msg", cases[i].dgst);
        size_t spki_len = read_in("v.spki", spki, sizeof spki);
        size_t sig_len = read_in("v.sig", sig, sizeof sig);
        size_t msg_len = read_in("v.msg", msg, sizeof msg);
        sha(&g_sw, cases[i].alg, msg, msg_len, h);
        size_t hl = pkiot_hash_size(cases[i].alg);
        assert_int_equal(PKIOT_OK, g_sw.verify_hash(g_sw.ctx, spki, spki_len, cases[i].alg, h, hl,
                                                    sig, sig_len));
        sig[sig_len / 2] ^= 0x01;
        assert_int_equal(PKIOT_E_CRYPTO_VERIFY, g_sw.verify_hash(g_sw.ctx, spki, spki_len,
                                                                 cases[i].alg, h, hl, sig, sig_len));
        sig[sig_len / 2] ^= 0x01;
        assert_int_equal(PKIOT_E_CRYPTO_VERIFY, g_sw.verify_hash(g_sw.ctx, spki, spki_len,
                                                                 cases[i].alg, h, hl, sig, sig_len - 1));
        assert_int_equal(PKIOT_E_CRYPTO_KEY, g_sw.verify_hash(g_sw.ctx, spki, spki_len - 3,
                                                              cases[i].alg, h, hl, sig, sig_len));
    }
}

static void test_hash_kat(void **state)
{
    (void)state;
    static const struct {
        pkiot_hash_alg_t alg;
        const char *hex;
    } v[] = {
        {PKIOT_HASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {PKIOT_HASH_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {PKIOT_HASH_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                            "8086072ba1e7cc2358baeca134c825a7"},
        {PKIOT_HASH_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    };
    /* "abc" split over three slices, one of them empty */
    pkiot_slice_t parts[3] = {{(const uint8_t *)"a", 1}, {NULL, 0}, {(const uint8_t *)"bc", 2}};
    for (size_t i = 0; i < 4; i++) {
        uint8_t want[64], got[64];
        size_t wl;
        hex(v[i].hex, want, sizeof want, &wl);
        assert_int_equal(wl, pkiot_hash_size(v[i].alg));
        memset(got, 0, sizeof got);
        assert_int_equal(PKIOT_OK, g_sw.hash(g_sw.ctx, v[i].alg, parts, 3, got, sizeof got));
        assert_memory_equal(want, got, wl);
        assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL,
                         g_sw.hash(g_sw.ctx, v[i].alg, parts, 3, got, wl - 1));
    }
    uint8_t out[64];
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED,
                     g_sw.hash(g_sw.ctx, PKIOT_HASH_NONE, parts, 3, out, sizeof out));
}

/* RFC 4231 test cases 1, 2 and 6; RFC 2202 case 2 for HMAC-SHA-1. */
static void test_hmac_kat(void **state)
{
    (void)state;
    uint8_t k1[20], k6[131];
    memset(k1, 0x0b, sizeof k1);
    memset(k6, 0xaa, sizeof k6);
    static const char d6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const struct {
        int key; /* 1: 0x0b*20, 2: "Jefe", 6: 0xaa*131 */
        pkiot_hash_alg_t alg;
        const char *hex;
    } v[] = {
        {1, PKIOT_HASH_SHA256, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {1, PKIOT_HASH_SHA384, "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                               "faea9ea9076ede7f4af152e8b2fa9cb6"},
        {1, PKIOT_HASH_SHA512, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                               "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        {2, PKIOT_HASH_SHA256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {2, PKIOT_HASH_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
        {6, PKIOT_HASH_SHA256, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const uint8_t *key = v[i].key == 1 ? k1 : v[i].key == 2 ? (const uint8_t *)"Jefe" : k6;
        size_t kl = v[i].key == 1 ? sizeof k1 : v[i].key == 2 ? 4 : sizeof k6;
        pkiot_slice_t parts[2];
        if (v[i].key == 1) {
            parts[0] = (pkiot_slice_t){(const uint8_t *)"Hi ", 3};
            parts[1] = (pkiot_slice_t){(const uint8_t *)"There", 5};
        } else if (v[i].key == 2) {
            parts[0] = (pkiot_slice_t){(const uint8_t *)"what do ya want ", 16};
            parts[1] = (pkiot_slice_t){(const uint8_t *)"for nothing?", 12};
        } else {
            parts[0] = (pkiot_slice_t){(const uint8_t *)d6, sizeof d6 - 1};
            parts[1] = (pkiot_slice_t){NULL, 0};
        }
        uint8_t want[64], got[64];
        size_t wl;
        hex(v[i].hex, want, sizeof want, &wl);
        assert_int_equal(PKIOT_OK, g_sw.hmac(g_sw.ctx, v[i].alg, key, kl, parts, 2, got, sizeof got));
        assert_memory_equal(want, got, wl);
    }
}

/* RFC 6070 (PBKDF2-HMAC-SHA1) and RFC 7914 §11 (PBKDF2-HMAC-SHA256). */
static void test_pbkdf2_kat(void **state)
{
    (void)state;
    static const struct {
        pkiot_hash_alg_t alg;
        const char *pw;
        size_t pw_len;
        const char *salt;
        size_t salt_len;
        uint32_t iter;
        const char *hex;
    } v[] = {
        {PKIOT_HASH_SHA1, "password", 8, "salt", 4, 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
        {PKIOT_HASH_SHA1, "password", 8, "salt", 4, 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
        {PKIOT_HASH_SHA1, "password", 8, "salt", 4, 4096, "4b007901b765489abead49d926f721d065a429c1"},
        {PKIOT_HASH_SHA1, "passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36,
         4096, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
        {PKIOT_HASH_SHA1, "pass\0word", 9, "sa\0lt", 5, 4096, "56fa6aa75548099dcc37d7f03425e0c3"},
        {PKIOT_HASH_SHA256, "passwd", 6, "salt", 4, 1,
         "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
         "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t want[64], got[64];
        size_t wl;
        hex(v[i].hex, want, sizeof want, &wl);
        assert_int_equal(PKIOT_OK, g_sw.pbkdf2(g_sw.ctx, v[i].alg, (const uint8_t *)v[i].pw,
                                               v[i].pw_len, (const uint8_t *)v[i].salt,
                                               v[i].salt_len, v[i].iter, got, wl));
        assert_memory_equal(want, got, wl);
    }
    uint8_t out[16];
    assert_int_equal(PKIOT_E_INVALID_ARG, g_sw.pbkdf2(g_sw.ctx, PKIOT_HASH_SHA256,
                                                      (const uint8_t *)"a", 1, (const uint8_t *)"b",
                                                      1, 0, out, sizeof out));
}

static void test_aes_cbc_vs_openssl(void **state)
{
    (void)state;
    static const pkiot_cipher_t ciphers[] = {PKIOT_CIPHER_AES128_CBC, PKIOT_CIPHER_AES192_CBC,
                                             PKIOT_CIPHER_AES256_CBC};
    static const char *const names[] = {"aes-128-cbc", "aes-192-cbc", "aes-256-cbc"};
    static const size_t klen[] = {16, 24, 32};
    static const size_t lens[] = {0, 1, 15, 16, 17, 100};
    uint8_t key[32], iv[16], pt[128], ct[160], back[160], ossl[160];
    char khex[65], ivhex[33];
    for (size_t c = 0; c < 3; c++) {
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, key, klen[c]));
            assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, iv, 16));
            assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, pt, lens[l]));
            pkiot_test_hex_encode(key, klen[c], khex);
            pkiot_test_hex_encode(iv, 16, ivhex);
            write_in("aes.pt", pt, lens[l]);
            SH("openssl enc -%s -K %s -iv %s -in aes.pt -out aes.ct", names[c], khex, ivhex);
            size_t ol = read_in("aes.ct", ossl, sizeof ossl);
            size_t n = 0;
            assert_int_equal(PKIOT_OK, g_sw.cipher_cbc(g_sw.ctx, ciphers[c], 1, key, klen[c], iv, pt,
                                                       lens[l], ct, lens[l] + 16, &n));
            assert_int_equal(ol, n);
            assert_memory_equal(ossl, ct, n);
            size_t m = 0;
            assert_int_equal(PKIOT_OK, g_sw.cipher_cbc(g_sw.ctx, ciphers[c], 0, key, klen[c], iv, ct,
                                                       n, back, n, &m));
            assert_int_equal(lens[l], m);
            if (m > 0) {
                assert_memory_equal(pt, back, m);
            }
        }
    }
    /* wrong key length, short output, broken padding */
    size_t n;
    assert_int_equal(PKIOT_E_INVALID_ARG, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_AES128_CBC, 1, key,
                                                          15, iv, pt, 16, ct, sizeof ct, &n));
    assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_AES128_CBC, 1,
                                                               key, 16, iv, pt, 16, ct, 16, &n));
    assert_int_equal(PKIOT_OK, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_AES128_CBC, 1, key, 16, iv, pt,
                                               16, ct, sizeof ct, &n));
    assert_int_equal(32, n);
    /* A bit flipped in the last block decrypts to random bytes, whose padding is valid one time in
     * ~256; flipping the previous block's last byte turns the padding byte 0x10 into 0x45 instead,
     * which is never valid. */
    ct[15] ^= 0x55;
    assert_int_equal(PKIOT_E_CRYPTO, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_AES128_CBC, 0, key, 16,
                                                     iv, ct, 32, back, sizeof back, &n));
    assert_int_equal(PKIOT_E_CRYPTO, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_AES128_CBC, 0, key, 16,
                                                     iv, ct, 31, back, sizeof back, &n));
}

static void test_des_decrypt(void **state)
{
    (void)state;
    static const char pt[] = "legacy SCEP servers still answer with DES";
    uint8_t key[24], iv[8], ct[128], out[128];
    char khex[49], ivhex[17];
    size_t n = 0;
    assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, key, 24));
    assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, iv, 8));
    pkiot_test_hex_encode(key, 24, khex);
    pkiot_test_hex_encode(iv, 8, ivhex);
    write_in("des.pt", pt, sizeof pt - 1);
    SH("openssl enc -des-ede3-cbc -K %s -iv %s -in des.pt -out des3.ct", khex, ivhex);
    size_t cl = read_in("des3.ct", ct, sizeof ct);
    assert_int_equal(PKIOT_OK, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_DES3_CBC, 0, key, 24, iv, ct,
                                               cl, out, sizeof out, &n));
    assert_int_equal(sizeof pt - 1, n);
    assert_memory_equal(pt, out, n);

    /* single DES needs OpenSSL 3's legacy provider; skip that half when it is absent */
    pkiot_test_hex_encode(key, 8, khex);
    if (pkiot_test_sh(g_dir, "openssl enc -provider legacy -provider default -des-cbc -K %s "
                             "-iv %s -in des.pt -out des.ct", khex, ivhex) == 0) {
        cl = read_in("des.ct", ct, sizeof ct);
        assert_int_equal(PKIOT_OK, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_DES_CBC, 0, key, 8, iv,
                                                   ct, cl, out, sizeof out, &n));
        assert_int_equal(sizeof pt - 1, n);
        assert_memory_equal(pt, out, n);
    } else {
        fprintf(stderr, "note: openssl legacy provider missing, DES-CBC cross-check skipped\n");
    }
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_DES3_CBC, 1,
                                                                 key, 24, iv, out, 8, ct, sizeof ct, &n));
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED, g_sw.cipher_cbc(g_sw.ctx, PKIOT_CIPHER_DES_CBC, 1,
                                                                 key, 8, iv, out, 8, ct, sizeof ct, &n));
}

static void rsa_roundtrip(pkiot_crypto_port_t *c, int psa)
{
    static pkiot_key_ref_t key;
    static uint8_t pem[4096];
    uint8_t spki[PKIOT_SPKI_MAX], ct[512], pt[512];
    size_t spki_len = 0, ct_len = 0, pt_len = 0;
    static const char secret[] = "0123456789abcdef content key";

    SH("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key");
    SH("openssl pkey -in rsa.key -pubout -out rsa.pub");
    size_t pem_len = read_in("rsa.key", pem, sizeof pem - 1);
    pem[pem_len++] = '\0';
    assert_int_equal(PKIOT_OK, c->key_import(c->ctx, pem, pem_len, &key));
    assert_int_equal(PKIOT_KEY_RSA_2048, key.type);
    assert_int_equal(psa ? 4 : key.len, key.len);
    assert_int_equal(PKIOT_OK, c->key_export_spki(c->ctx, &key, spki, sizeof spki, &spki_len));

    /* ours -> ours */
    assert_int_equal(PKIOT_OK, c->rsa_encrypt(c->ctx, spki, spki_len, (const uint8_t *)secret,
                                              sizeof secret - 1, ct, sizeof ct, &ct_len));
    assert_int_equal(256, ct_len);
    assert_int_equal(PKIOT_OK, c->rsa_decrypt(c->ctx, &key, ct, ct_len, pt, sizeof pt, &pt_len));
    assert_int_equal(sizeof secret - 1, pt_len);
    assert_memory_equal(secret, pt, pt_len);

    /* ours -> openssl */
    write_in("rsa_ours.ct", ct, ct_len);
    SH("openssl pkeyutl -decrypt -inkey rsa.key -pkeyopt rsa_padding_mode:pkcs1 -in rsa_ours.ct "
       "-out rsa_ours.pt");
    size_t l = read_in("rsa_ours.pt", pt, sizeof pt);
    assert_int_equal(sizeof secret - 1, l);
    assert_memory_equal(secret, pt, l);

    /* openssl -> ours */
    write_in("rsa.pt", secret, sizeof secret - 1);
    SH("openssl pkeyutl -encrypt -pubin -inkey rsa.pub -pkeyopt rsa_padding_mode:pkcs1 -in rsa.pt "
       "-out rsa.ct");
    ct_len = read_in("rsa.ct", ct, sizeof ct);
    memset(pt, 0, sizeof pt);
    assert_int_equal(PKIOT_OK, c->rsa_decrypt(c->ctx, &key, ct, ct_len, pt, sizeof pt, &pt_len));
    assert_int_equal(sizeof secret - 1, pt_len);
    assert_memory_equal(secret, pt, pt_len);

    /* tampered ciphertext, short output */
    assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL, c->rsa_decrypt(c->ctx, &key, ct, ct_len, pt, 4, &pt_len));
    ct[0] ^= 0x80;
    assert_true(c->rsa_decrypt(c->ctx, &key, ct, ct_len, pt, sizeof pt, &pt_len) < 0);
    assert_int_equal(PKIOT_OK, c->key_destroy(c->ctx, &key));
}

static void test_rsa_sw(void **state)
{
    (void)state;
    rsa_roundtrip(&g_sw, 0);
}

static void test_rsa_psa(void **state)
{
    (void)state;
    rsa_roundtrip(&g_psa, 1);
}

static void test_rsa_encrypt_to_ec(void **state)
{
    (void)state;
    static pkiot_key_ref_t key;
    uint8_t spki[PKIOT_SPKI_MAX], ct[512];
    size_t spki_len, ct_len;
    assert_int_equal(PKIOT_OK, g_sw.key_generate(g_sw.ctx, PKIOT_KEY_EC_P256, 0, &key));
    assert_int_equal(PKIOT_OK, g_sw.key_export_spki(g_sw.ctx, &key, spki, sizeof spki, &spki_len));
    assert_int_equal(PKIOT_E_CRYPTO_KEY, g_sw.rsa_encrypt(g_sw.ctx, spki, spki_len,
                                                          (const uint8_t *)"x", 1, ct, sizeof ct, &ct_len));
    assert_int_equal(PKIOT_E_CRYPTO_KEY, g_sw.rsa_decrypt(g_sw.ctx, &key, ct, 256, ct, sizeof ct, &ct_len));
    assert_int_equal(PKIOT_OK, g_sw.key_destroy(g_sw.ctx, &key));
}

/* Keys made by openssl in every container format import and keep their public half. */
static void test_key_import_formats(void **state)
{
    (void)state;
    static const struct {
        const char *make; /* shell command producing imp.key (and imp.src, the PKCS#8 PEM) */
        int pem;
        pkiot_key_type_t type;
    } cases[] = {
        /* PKCS#8 PEM */
        {"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out imp.key", 1,
         PKIOT_KEY_EC_P256},
        /* PKCS#8 DER */
        {"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -outform DER -out imp.key",
         0, PKIOT_KEY_EC_P384},
        /* SEC1 PEM */
        {"openssl ecparam -name prime256v1 -genkey -noout -out imp.key", 1, PKIOT_KEY_EC_P256},
        /* SEC1 DER */
        {"openssl ecparam -name secp384r1 -genkey -noout -outform DER -out imp.key", 0,
         PKIOT_KEY_EC_P384},
        /* PKCS#1 PEM */
        {"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out imp.tmp && "
         "openssl rsa -in imp.tmp -traditional -out imp.key",
         1, PKIOT_KEY_RSA_2048},
        /* PKCS#1 DER */
        {"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out imp.tmp && "
         "openssl rsa -in imp.tmp -traditional -outform DER -out imp.key",
         0, PKIOT_KEY_RSA_2048},
    };
    static uint8_t buf[4096], want[PKIOT_SPKI_MAX];
    static pkiot_key_ref_t key;
    uint8_t spki[PKIOT_SPKI_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SH("%s", cases[i].make);
        SH("openssl pkey -in imp.key -inform %s -pubout -outform DER -out imp.spki",
           cases[i].pem ? "PEM" : "DER");
        if (cases[i].pem) {
            SH("head -1 imp.key | grep -q -- '-----BEGIN'");
        }
        size_t len = read_in("imp.key", buf, sizeof buf - 1);
        if (cases[i].pem) {
            buf[len++] = '\0';
        }
        size_t wl = read_in("imp.spki", want, sizeof want);
        for (int psa = 0; psa < 2; psa++) {
            pkiot_crypto_port_t *c = psa ? &g_psa : &g_sw;
            size_t sl = 0;
            assert_int_equal(PKIOT_OK, c->key_import(c->ctx, buf, len, &key));
            assert_int_equal(cases[i].type, key.type);
            assert_int_equal(PKIOT_OK, c->key_export_spki(c->ctx, &key, spki, sizeof spki, &sl));
            assert_int_equal(wl, sl);
            assert_memory_equal(want, spki, sl);
            sign_and_check(c, &key, spki, sl, PKIOT_HASH_SHA256);
            assert_int_equal(PKIOT_OK, c->key_destroy(c->ctx, &key));
        }
    }
    /* garbage, a truncated key, an unsupported size */
    assert_int_equal(PKIOT_E_CRYPTO_KEY, g_sw.key_import(g_sw.ctx, (const uint8_t *)"junk", 4, &key));
    size_t len = read_in("imp.key", buf, sizeof buf);
    assert_int_equal(PKIOT_E_CRYPTO_KEY, g_sw.key_import(g_sw.ctx, buf, len - 10, &key));
    SH("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -outform DER -out small.key");
    len = read_in("small.key", buf, sizeof buf);
    assert_int_equal(PKIOT_E_CRYPTO_UNSUPPORTED, g_sw.key_import(g_sw.ctx, buf, len, &key));
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[2500], b[2500], zero[2500];
    memset(zero, 0, sizeof zero);
    assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, a, sizeof a));
    assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, b, sizeof b));
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a + 2000, zero, 500);
    assert_int_equal(PKIOT_OK, g_sw.random(g_sw.ctx, a, 0));
}

static void test_key_to_pk(void **state)
{
    (void)state;
    static pkiot_key_ref_t key;
    for (int psa = 0; psa < 2; psa++) {
        pkiot_crypto_port_t *c = psa ? &g_psa : &g_sw;
        pkiot_mbedtls_crypto_t *st = psa ? &g_psa_st : &g_sw_st;
        assert_int_equal(PKIOT_OK, c->key_generate(c->ctx, PKIOT_KEY_EC_P256, 0, &key));
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        assert_int_equal(PKIOT_OK, pkiot_mbedtls_key_to_pk(st, &key, &pk));
        assert_true(mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY));
        uint8_t h[32] = {1, 2, 3}, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        size_t sl = 0;
        assert_int_equal(0, mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, h, 32, sig, sizeof sig, &sl,
                                            pkiot_mbedtls_rng, st));
        uint8_t spki[PKIOT_SPKI_MAX];
        size_t spki_len;
        assert_int_equal(PKIOT_OK, c->key_export_spki(c->ctx, &key, spki, sizeof spki, &spki_len));
        assert_int_equal(PKIOT_OK, c->verify_hash(c->ctx, spki, spki_len, PKIOT_HASH_SHA256, h, 32,
                                                  sig, sl));
        mbedtls_pk_free(&pk);
        assert_int_equal(PKIOT_OK, c->key_destroy(c->ctx, &key));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_hash_kat),
        cmocka_unit_test(test_hmac_kat),
        cmocka_unit_test(test_pbkdf2_kat),
        cmocka_unit_test(test_aes_cbc_vs_openssl),
        cmocka_unit_test(test_des_decrypt),
        cmocka_unit_test(test_keygen_bad_type),
        cmocka_unit_test(test_keygen_sw_ec),
        cmocka_unit_test(test_keygen_psa_ec),
        cmocka_unit_test(test_keygen_sw_rsa),
        cmocka_unit_test(test_keygen_psa_rsa),
        cmocka_unit_test(test_psa_persistence),
        cmocka_unit_test(test_interruptible_sign),
        cmocka_unit_test(test_sign_args),
        cmocka_unit_test(test_verify_openssl_sig),
        cmocka_unit_test(test_rsa_sw),
        cmocka_unit_test(test_rsa_psa),
        cmocka_unit_test(test_rsa_encrypt_to_ec),
        cmocka_unit_test(test_key_import_formats),
        cmocka_unit_test(test_key_to_pk),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
