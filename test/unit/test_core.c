/* lib/core: error texts, error classes, constant-time compare, zeroize, hash sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pkiot/common.h"

static const int all_codes[] = {
#define CODE_(name, value, msg) (value),
    PKIOT_ERROR_LIST(CODE_)
#undef CODE_
};

static void test_every_error_has_a_distinct_name_and_text(void **state)
{
    (void)state;
    size_t n = sizeof all_codes / sizeof all_codes[0];
    for (size_t i = 0; i < n; i++) {
        assert_true(all_codes[i] < 0);
        assert_string_not_equal(pkiot_strerror(all_codes[i]), "unknown error");
        assert_memory_equal(pkiot_strerror_name(all_codes[i]), "PKIOT_E_", 8);
        for (size_t j = i + 1; j < n; j++) {
            assert_int_not_equal(all_codes[i], all_codes[j]); /* values never reused */
        }
    }
    assert_string_equal(pkiot_strerror_name(PKIOT_E_DER_TRUNCATED), "PKIOT_E_DER_TRUNCATED");
    assert_string_equal(pkiot_strerror_name(PKIOT_SLEEP), "PKIOT_SLEEP");
    assert_string_equal(pkiot_strerror(-0x7FFF), "unknown error");
}

static void test_error_classes(void **state)
{
    (void)state;
    assert_int_equal(pkiot_error_class(PKIOT_OK), PKIOT_ERRCLASS_NONE);
    assert_int_equal(pkiot_error_class(PKIOT_SLEEP), PKIOT_ERRCLASS_NONE);
    assert_int_equal(pkiot_error_class(PKIOT_E_NET_CONNECT), PKIOT_ERRCLASS_NETWORK);
    assert_int_equal(pkiot_error_class(PKIOT_E_HTTP_AUTH_REQUIRED), PKIOT_ERRCLASS_AUTH);
    assert_int_equal(pkiot_error_class(PKIOT_E_SERVER_REJECTED), PKIOT_ERRCLASS_REJECTED);
    assert_int_equal(pkiot_error_class(PKIOT_E_CERT_UNTRUSTED), PKIOT_ERRCLASS_TRUST);
    assert_int_equal(pkiot_error_class(PKIOT_E_CKPT_CORRUPT), PKIOT_ERRCLASS_STORAGE);
    assert_int_equal(pkiot_error_class(PKIOT_E_X509_DN_SYNTAX), PKIOT_ERRCLASS_CONFIG);
    assert_int_equal(pkiot_error_class(PKIOT_E_CRYPTO_RNG), PKIOT_ERRCLASS_INTERNAL);
    assert_int_equal(pkiot_error_class(PKIOT_E_DER_TRUNCATED), PKIOT_ERRCLASS_SERVER_DATA);
    /* Every error falls in some class other than NONE. */
    for (size_t i = 0; i < sizeof all_codes / sizeof all_codes[0]; i++) {
        assert_int_not_equal(pkiot_error_class(all_codes[i]), PKIOT_ERRCLASS_NONE);
    }
}

static void test_ct_memcmp_and_zeroize(void **state)
{
    (void)state;
    uint8_t a[33], b[33];
    memset(a, 0x5A, sizeof a);
    memcpy(b, a, sizeof b);
    assert_int_equal(pkiot_ct_memcmp(a, b, sizeof a), 0);
    for (size_t i = 0; i < sizeof a; i++) {
        b[i] ^= 0x80;
        assert_int_not_equal(pkiot_ct_memcmp(a, b, sizeof a), 0);
        b[i] ^= 0x80;
    }
    assert_int_equal(pkiot_ct_memcmp(a, b, 0), 0);
    pkiot_zeroize(a, sizeof a);
    for (size_t i = 0; i < sizeof a; i++) {
        assert_int_equal(a[i], 0);
    }
}

static void test_hash_sizes(void **state)
{
    (void)state;
    assert_int_equal(pkiot_hash_size(PKIOT_HASH_SHA1), 20);
    assert_int_equal(pkiot_hash_size(PKIOT_HASH_SHA256), 32);
    assert_int_equal(pkiot_hash_size(PKIOT_HASH_SHA384), 48);
    assert_int_equal(pkiot_hash_size(PKIOT_HASH_SHA512), 64);
    assert_int_equal(pkiot_hash_size(PKIOT_HASH_NONE), 0);
    assert_true(pkiot_hash_size(PKIOT_HASH_SHA512) <= PKIOT_HASH_MAX_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_has_a_distinct_name_and_text),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_ct_memcmp_and_zeroize),
        cmocka_unit_test(test_hash_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
