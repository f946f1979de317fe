/* Checkpoint blob: round trip, and rejection of every corruption without a partial read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "enroll/checkpoint.h"
#include "pkiot/crc32.h"

static size_t make_blob(uint8_t *buf, size_t cap)
{
    pkiot_ckpt_writer_t w;
    size_t len = 0;
    static const uint8_t key[5] = {1, 2, 3, 4, 5};
    pkiot_ckpt_begin(&w, buf, cap, 1, 2);
    pkiot_ckpt_put(&w, PKIOT_CKPT_T_KEY, key, sizeof key);
    pkiot_ckpt_put_u32(&w, PKIOT_CKPT_T_WAIT_S, 3600);
    pkiot_ckpt_put_i64(&w, PKIOT_CKPT_T_WAKE_UNIX, -5);
    pkiot_ckpt_put(&w, PKIOT_CKPT_T_CSR, NULL, 0);
    assert_int_equal(pkiot_ckpt_end(&w, &len), PKIOT_OK);
    return len;
}

static void test_crc32_known_answer(void **state)
{
    (void)state;
    /* The CRC-32 check value of "123456789". */
    assert_int_equal(pkiot_crc32(0, "123456789", 9), 0xCBF43926u);
    /* Incremental equals one-shot. */
    uint32_t c = pkiot_crc32(0, "12345", 5);
    assert_int_equal(pkiot_crc32(c, "6789", 4), 0xCBF43926u);
    assert_int_equal(pkiot_crc32(0, "", 0), 0u);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = make_blob(buf, sizeof buf);
    pkiot_ckpt_reader_t r;
    assert_int_equal(pkiot_ckpt_open(&r, buf, len), PKIOT_OK);
    assert_int_equal(r.protocol, 1);
    assert_int_equal(r.operation, 2);
    pkiot_slice_t s;
    assert_int_equal(pkiot_ckpt_get(&r, PKIOT_CKPT_T_KEY, &s), PKIOT_OK);
    assert_int_equal(s.len, 5);
    assert_int_equal(s.p[4], 5);
    uint32_t u = 0;
    int64_t i = 0;
    assert_int_equal(pkiot_ckpt_get_u32(&r, PKIOT_CKPT_T_WAIT_S, &u), PKIOT_OK);
    assert_int_equal(u, 3600);
    assert_int_equal(pkiot_ckpt_get_i64(&r, PKIOT_CKPT_T_WAKE_UNIX, &i), PKIOT_OK);
    assert_true(i == -5);
    assert_int_equal(pkiot_ckpt_get(&r, PKIOT_CKPT_T_CSR, &s), PKIOT_OK);
    assert_int_equal(s.len, 0);
    assert_int_equal(pkiot_ckpt_get(&r, PKIOT_CKPT_T_CERT, &s), PKIOT_E_NOT_FOUND);
    /* A record of the wrong size is reported, not misread. */
    assert_int_equal(pkiot_ckpt_get_u32(&r, PKIOT_CKPT_T_KEY, &u), PKIOT_E_CKPT_CORRUPT);
}

static void test_every_truncation_rejected(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = make_blob(buf, sizeof buf);
    pkiot_ckpt_reader_t r;
    for (size_t cut = 0; cut < len; cut++) {
        int rc = pkiot_ckpt_open(&r, buf, cut);
        assert_true(rc == PKIOT_E_CKPT_MAGIC || rc == PKIOT_E_CKPT_CORRUPT);
    }
}

static void test_every_bit_flip_rejected(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = make_blob(buf, sizeof buf);
    pkiot_ckpt_reader_t r;
    for (size_t i = 0; i < len; i++) {
        for (int b = 0; b < 8; b++) {
            buf[i] ^= (uint8_t)(1u << b);
            int rc = pkiot_ckpt_open(&r, buf, len);
            assert_true(rc == PKIOT_E_CKPT_MAGIC || rc == PKIOT_E_CKPT_VERSION ||
                        rc == PKIOT_E_CKPT_CORRUPT);
            buf[i] ^= (uint8_t)(1u << b);
        }
    }
    assert_int_equal(pkiot_ckpt_open(&r, buf, len), PKIOT_OK);
}

static void test_foreign_and_version(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = make_blob(buf, sizeof buf);
    pkiot_ckpt_reader_t r;
    uint8_t foreign[64];
    memset(foreign, 0xA5, sizeof foreign);
    assert_int_equal(pkiot_ckpt_open(&r, foreign, sizeof foreign), PKIOT_E_CKPT_MAGIC);
    /* A newer version with a valid CRC is refused as a version, not as corruption. */
    buf[4] = 2;
    uint32_t crc = pkiot_crc32(0, buf, len - 4);
    for (int k = 0; k < 4; k++) {
        buf[len - 4 + (size_t)k] = (uint8_t)(crc >> (8 * k));
    }
    assert_int_equal(pkiot_ckpt_open(&r, buf, len), PKIOT_E_CKPT_VERSION);
}

static void test_framing_checked_even_with_valid_crc(void **state)
{
    (void)state;
    uint8_t buf[64];
    pkiot_ckpt_writer_t w;
    size_t len = 0;
    pkiot_ckpt_begin(&w, buf, sizeof buf, 1, 1);
    pkiot_ckpt_put_u32(&w, PKIOT_CKPT_T_WAIT_S, 1);
    assert_int_equal(pkiot_ckpt_end(&w, &len), PKIOT_OK);
    /* Claim a record longer than the payload and re-seal: framing must catch it. */
    buf[12 + 1] = 0xFF;
    uint32_t crc = pkiot_crc32(0, buf, len - 4);
    for (int k = 0; k < 4; k++) {
        buf[len - 4 + (size_t)k] = (uint8_t)(crc >> (8 * k));
    }
    pkiot_ckpt_reader_t r;
    assert_int_equal(pkiot_ckpt_open(&r, buf, len), PKIOT_E_CKPT_CORRUPT);
}

static void test_writer_overflow_is_sticky(void **state)
{
    (void)state;
    uint8_t buf[24];
    uint8_t big[32] = {0};
    pkiot_ckpt_writer_t w;
    size_t len = 0;
    pkiot_ckpt_begin(&w, buf, sizeof buf, 1, 1);
    pkiot_ckpt_put(&w, PKIOT_CKPT_T_CERT, big, sizeof big);
    pkiot_ckpt_put_u32(&w, PKIOT_CKPT_T_WAIT_S, 1);
    assert_int_equal(pkiot_ckpt_end(&w, &len), PKIOT_E_BUFFER_TOO_SMALL);
    pkiot_ckpt_begin(&w, buf, 8, 1, 1);
    assert_int_equal(pkiot_ckpt_end(&w, &len), PKIOT_E_BUFFER_TOO_SMALL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known_answer),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_every_bit_flip_rejected),
        cmocka_unit_test(test_foreign_and_version),
        cmocka_unit_test(test_framing_checked_even_with_valid_crc),
        cmocka_unit_test(test_writer_overflow_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
