/* Unit tests for calendar, ASN.1 time, HTTP-date and Retry-After (lib/codec/datetime.c). */
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

#include "pkiot/datetime.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 9110's example instant: Sun, 06 Nov 1994 08:49:37 GMT */
#define T_RFC INT64_C(784111777)
/* 2025-01-01T00:00:00Z */
#define T_2025 INT64_C(1735689600)

/* ---- calendar ----------------------------------------------------------------------------- */

static void check_civil(int64_t t, int y, int mo, int d, int h, int mi, int s, int wd)
{
    pkiot_datetime_t dt;
    int64_t back = 0;
    assert_int_equal(pkiot_time_to_civil(t, &dt), PKIOT_OK);
    assert_int_equal(dt.year, y);
    assert_int_equal(dt.month, mo);
    assert_int_equal(dt.day, d);
    assert_int_equal(dt.hour, h);
    assert_int_equal(dt.minute, mi);
    assert_int_equal(dt.second, s);
    assert_int_equal(dt.wday, wd);
    assert_int_equal(pkiot_time_from_civil(&dt, &back), PKIOT_OK);
    assert_true(back == t);
}

static void test_known_dates(void **state)
{
    (void)state;
    check_civil(0, 1970, 1, 1, 0, 0, 0, 4);
    check_civil(-1, 1969, 12, 31, 23, 59, 59, 3);
    check_civil(T_RFC, 1994, 11, 6, 8, 49, 37, 0);
    check_civil(951782400, 2000, 2, 29, 0, 0, 0, 2);
    check_civil(951868800, 2000, 3, 1, 0, 0, 0, 3);
    check_civil(-2203891200, 1900, 3, 1, 0, 0, 0, 4); /* 1900 is not a leap year */
    check_civil(-2203977600, 1900, 2, 28, 0, 0, 0, 3);
    check_civil(INT64_C(2147483647), 2038, 1, 19, 3, 14, 7, 2);
    check_civil(INT64_C(2147483648), 2038, 1, 19, 3, 14, 8, 2);
    check_civil(INT64_C(4102444800), 2100, 1, 1, 0, 0, 0, 5);
    check_civil(INT64_C(-62135596800), 1, 1, 1, 0, 0, 0, 1);
    check_civil(PKIOT_TIME_MIN, 0, 1, 1, 0, 0, 0, 6);
    check_civil(INT64_C(-62162121600), 0, 2, 29, 0, 0, 0, 2); /* year 0 is leap */
    check_civil(PKIOT_TIME_MAX, 9999, 12, 31, 23, 59, 59, 5);

    pkiot_datetime_t dt;
    assert_int_equal(pkiot_time_to_civil(PKIOT_TIME_MIN - 1, &dt), PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_to_civil(PKIOT_TIME_MAX + 1, &dt), PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_to_civil(INT64_MIN, &dt), PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_to_civil(INT64_MAX, &dt), PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_to_civil(0, NULL), PKIOT_E_INVALID_ARG);
}

/* Every day from 0000-01-01 to 9999-12-31 against a day-by-day counter. */
static void test_every_day(void **state)
{
    (void)state;
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, m = 1, d = 1, wd = 6;
    for (int64_t t = PKIOT_TIME_MIN; t <= PKIOT_TIME_MAX; t += 86400) {
        pkiot_datetime_t dt;
        int64_t back;
        int64_t probe = t + (t / 86400 % 86400 + 86400) % 86400; /* vary the time of day */
        assert_int_equal(pkiot_time_to_civil(probe, &dt), PKIOT_OK);
        if (dt.year != y || dt.month != m || dt.day != d || dt.wday != wd) {
            fail_msg("t=%lld: got %04d-%02d-%02d/%d want %04d-%02d-%02d/%d", (long long)probe,
                     dt.year, dt.month, dt.day, dt.wday, y, m, d, wd);
        }
        assert_int_equal(pkiot_time_from_civil(&dt, &back), PKIOT_OK);
        if (back != probe) {
            fail_msg("round trip %lld -> %lld", (long long)probe, (long long)back);
        }
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        wd = (wd + 1) % 7;
        if (++d > dim[m - 1] + (m == 2 && leap)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    assert_int_equal(y, 10000);
}

/* Agreement with the C library's gmtime_r on pseudo-random instants. */
static void test_vs_gmtime(void **state)
{
    (void)state;
    if (sizeof(time_t) < 8) {
        skip();
    }
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = PKIOT_TIME_MIN + (int64_t)(x % (uint64_t)(PKIOT_TIME_MAX - PKIOT_TIME_MIN + 1));
        time_t tt = (time_t)t;
        struct tm tm;
        pkiot_datetime_t dt;
        assert_non_null(gmtime_r(&tt, &tm));
        assert_int_equal(pkiot_time_to_civil(t, &dt), PKIOT_OK);
        assert_int_equal(dt.year, tm.tm_year + 1900);
        assert_int_equal(dt.month, tm.tm_mon + 1);
        assert_int_equal(dt.day, tm.tm_mday);
        assert_int_equal(dt.hour, tm.tm_hour);
        assert_int_equal(dt.minute, tm.tm_min);
        assert_int_equal(dt.second, tm.tm_sec);
        assert_int_equal(dt.wday, tm.tm_wday);
    }
}

static void test_from_civil_range(void **state)
{
    (void)state;
    static const pkiot_datetime_t bad[] = {
        {2001, 2, 29, 0, 0, 0, 0}, {1900, 2, 29, 0, 0, 0, 0}, {2024, 0, 1, 0, 0, 0, 0},
        {2024, 13, 1, 0, 0, 0, 0}, {2024, 1, 0, 0, 0, 0, 0},  {2024, 1, 32, 0, 0, 0, 0},
        {2024, 4, 31, 0, 0, 0, 0}, {2024, 1, 1, 24, 0, 0, 0}, {2024, 1, 1, 0, 60, 0, 0},
        {2024, 1, 1, 0, 0, 60, 0}, {10000, 1, 1, 0, 0, 0, 0},
    };
    int64_t t;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(pkiot_time_from_civil(&bad[i], &t), PKIOT_E_TIME_RANGE);
    }
    pkiot_datetime_t ok = {2000, 2, 29, 23, 59, 59, 0};
    assert_int_equal(pkiot_time_from_civil(&ok, &t), PKIOT_OK);
    assert_true(t == 951868799);
    assert_int_equal(pkiot_time_from_civil(NULL, &t), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_time_from_civil(&ok, NULL), PKIOT_E_INVALID_ARG);
}

/* ---- ASN.1 -------------------------------------------------------------------------------- */

struct asn1_case {
    const char *s;
    int err;
    int64_t want;
};

static void run_asn1(const struct asn1_case *c, size_t n, int generalized)
{
    for (size_t i = 0; i < n; i++) {
        int64_t t = 0;
        const uint8_t *p = (const uint8_t *)c[i].s;
        size_t len = strlen(c[i].s);
        int rc = generalized ? pkiot_time_parse_generalized(p, len, &t)
                             : pkiot_time_parse_utc(p, len, &t);
        if (rc != c[i].err || (rc == PKIOT_OK && t != c[i].want)) {
            fail_msg("\"%s\": got %s / %lld", c[i].s, pkiot_strerror_name(rc), (long long)t);
        }
    }
}

static void test_utctime(void **state)
{
    (void)state;
    static const struct asn1_case cases[] = {
        {"700101000000Z", PKIOT_OK, 0},
        {"941106084937Z", PKIOT_OK, T_RFC},
        {"500101000000Z", PKIOT_OK, INT64_C(-631152000)},
        {"491231235959Z", PKIOT_OK, INT64_C(2524607999)},
        {"000229000000Z", PKIOT_OK, 951782400},
        {"7001010000Z", PKIOT_E_TIME_FORMAT, 0},        /* no seconds */
        {"700101000000", PKIOT_E_TIME_FORMAT, 0},       /* no Z */
        {"700101000000z", PKIOT_E_TIME_FORMAT, 0},
        {"700101000000+0000", PKIOT_E_TIME_FORMAT, 0}, /* offsets not allowed */
        {"70010100000aZ", PKIOT_E_TIME_FORMAT, 0},
        {" 70101000000Z", PKIOT_E_TIME_FORMAT, 0},
        {"7001010000000Z", PKIOT_E_TIME_FORMAT, 0},
        {"701301000000Z", PKIOT_E_TIME_RANGE, 0},
        {"700001000000Z", PKIOT_E_TIME_RANGE, 0},
        {"010229000000Z", PKIOT_E_TIME_RANGE, 0},
        {"700101240000Z", PKIOT_E_TIME_RANGE, 0},
        {"700101006000Z", PKIOT_E_TIME_RANGE, 0},
        {"700101000060Z", PKIOT_E_TIME_RANGE, 0},
    };
    run_asn1(cases, ARRAY_LEN(cases), 0);
}

static void test_generalized(void **state)
{
    (void)state;
    static const struct asn1_case cases[] = {
        {"19700101000000Z", PKIOT_OK, 0},
        {"20500101000000Z", PKIOT_OK, INT64_C(2524608000)},
        {"19491231235959Z", PKIOT_OK, INT64_C(-631152001)},
        {"99991231235959Z", PKIOT_OK, PKIOT_TIME_MAX},
        {"00000101000000Z", PKIOT_OK, PKIOT_TIME_MIN},
        {"20240229120000Z", PKIOT_OK, INT64_C(1709208000)},
        {"20230229120000Z", PKIOT_E_TIME_RANGE, 0},
        {"21000229000000Z", PKIOT_E_TIME_RANGE, 0},
        {"20240101000000.5Z", PKIOT_E_TIME_FORMAT, 0}, /* no fractions in RFC 5280 */
        {"20240101000000", PKIOT_E_TIME_FORMAT, 0},
        {"2024010100000Z", PKIOT_E_TIME_FORMAT, 0},
        {"202401010000Z", PKIOT_E_TIME_FORMAT, 0},
        {"20240101000000+0100", PKIOT_E_TIME_FORMAT, 0},
        {"-0240101000000Z", PKIOT_E_TIME_FORMAT, 0},
    };
    run_asn1(cases, ARRAY_LEN(cases), 1);
}

static void test_asn1_truncation(void **state)
{
    (void)state;
    static const char utc[] = "941106084937Z";
    static const char gen[] = "19941106084937Z";
    int64_t t;
    for (size_t k = 0; k < sizeof utc - 1; k++) {
        uint8_t *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, utc, k);
        assert_int_equal(pkiot_time_parse_utc(p, k, &t), PKIOT_E_TIME_FORMAT);
        free(p);
    }
    for (size_t k = 0; k < sizeof gen - 1; k++) {
        uint8_t *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, gen, k);
        assert_int_equal(pkiot_time_parse_generalized(p, k, &t), PKIOT_E_TIME_FORMAT);
        free(p);
    }
    assert_int_equal(pkiot_time_parse_utc(NULL, 0, &t), PKIOT_E_TIME_FORMAT);
    assert_int_equal(pkiot_time_parse_utc(NULL, 13, &t), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_time_parse_utc((const uint8_t *)utc, 13, NULL), PKIOT_E_INVALID_ARG);
}

static void test_parse_der(void **state)
{
    (void)state;
    static const uint8_t utc[] = "941106084937Z";
    static const uint8_t gen[] = "19941106084937Z";
    int64_t t = 0;
    pkiot_der_tlv_t tlv = {PKIOT_DER_UTC_TIME, utc, 13, NULL, 0};
    assert_int_equal(pkiot_time_parse_der(&tlv, &t), PKIOT_OK);
    assert_true(t == T_RFC);
    tlv.tag = PKIOT_DER_GENERALIZED_TIME;
    assert_int_equal(pkiot_time_parse_der(&tlv, &t), PKIOT_E_TIME_FORMAT);
    tlv.val = gen;
    tlv.len = 15;
    assert_int_equal(pkiot_time_parse_der(&tlv, &t), PKIOT_OK);
    assert_true(t == T_RFC);
    tlv.tag = PKIOT_DER_OCTET_STRING;
    assert_int_equal(pkiot_time_parse_der(&tlv, &t), PKIOT_E_DER_BAD_TAG);
    assert_int_equal(pkiot_time_parse_der(NULL, &t), PKIOT_E_INVALID_ARG);
}

static void test_writers(void **state)
{
    (void)state;
    char buf[32];
    size_t n = 0;
    memset(buf, '#', sizeof buf);
    assert_int_equal(pkiot_time_write_generalized(0, buf, sizeof buf, &n), PKIOT_OK);
    assert_int_equal(n, PKIOT_TIME_GENERALIZED_LEN);
    assert_memory_equal(buf, "19700101000000Z#", 16);
    assert_int_equal(pkiot_time_write_generalized(PKIOT_TIME_MIN, buf, sizeof buf, &n), PKIOT_OK);
    assert_memory_equal(buf, "00000101000000Z", 15);
    assert_int_equal(pkiot_time_write_generalized(PKIOT_TIME_MAX, buf, sizeof buf, &n), PKIOT_OK);
    assert_memory_equal(buf, "99991231235959Z", 15);
    assert_int_equal(pkiot_time_write_generalized(PKIOT_TIME_MAX + 1, buf, sizeof buf, &n),
                     PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_write_generalized(0, buf, 14, &n), PKIOT_E_BUFFER_TOO_SMALL);

    memset(buf, '#', sizeof buf);
    assert_int_equal(pkiot_time_write_utc(T_RFC, buf, sizeof buf, &n), PKIOT_OK);
    assert_int_equal(n, PKIOT_TIME_UTC_LEN);
    assert_memory_equal(buf, "941106084937Z#", 14);
    assert_int_equal(pkiot_time_write_utc(INT64_C(2524607999), buf, sizeof buf, &n), PKIOT_OK);
    assert_memory_equal(buf, "491231235959Z", 13);
    assert_int_equal(pkiot_time_write_utc(INT64_C(-631152000), buf, sizeof buf, &n), PKIOT_OK);
    assert_memory_equal(buf, "500101000000Z", 13);
    assert_int_equal(pkiot_time_write_utc(INT64_C(2524608000), buf, sizeof buf, &n),
                     PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_write_utc(INT64_C(-631152001), buf, sizeof buf, &n),
                     PKIOT_E_TIME_RANGE);
    assert_int_equal(pkiot_time_write_utc(0, buf, 12, &n), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(pkiot_time_write_utc(0, NULL, 13, &n), PKIOT_E_INVALID_ARG);

    /* write then parse back, across the range */
    for (int64_t t = PKIOT_TIME_MIN; t <= PKIOT_TIME_MAX; t += INT64_C(9876543)) {
        int64_t back;
        assert_int_equal(pkiot_time_write_generalized(t, buf, sizeof buf, &n), PKIOT_OK);
        assert_int_equal(pkiot_time_parse_generalized((const uint8_t *)buf, n, &back), PKIOT_OK);
        assert_true(back == t);
    }
}

static void test_der_write(void **state)
{
    (void)state;
    uint8_t buf[64];
    pkiot_der_writer_t w;
    const uint8_t *out;
    size_t len;
    static const struct {
        uint32_t tag;
        int64_t t;
        uint32_t want_tag;
        const char *want;
    } cases[] = {
        {0, INT64_C(2524607999), PKIOT_DER_UTC_TIME, "491231235959Z"},
        {0, INT64_C(2524608000), PKIOT_DER_GENERALIZED_TIME, "20500101000000Z"},
        {0, INT64_C(-631152000), PKIOT_DER_UTC_TIME, "500101000000Z"},
        {0, INT64_C(-631152001), PKIOT_DER_GENERALIZED_TIME, "19491231235959Z"},
        {PKIOT_DER_GENERALIZED_TIME, 0, PKIOT_DER_GENERALIZED_TIME, "19700101000000Z"},
        {PKIOT_DER_UTC_TIME, 0, PKIOT_DER_UTC_TIME, "700101000000Z"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        pkiot_der_w_init(&w, buf, sizeof buf);
        pkiot_time_der_write(&w, cases[i].tag, cases[i].t);
        assert_int_equal(pkiot_der_w_result(&w, &out, &len), PKIOT_OK);
        assert_int_equal(out[0], cases[i].want_tag);
        assert_int_equal(out[1], strlen(cases[i].want));
        assert_memory_equal(out + 2, cases[i].want, out[1]);
    }
    pkiot_der_w_init(&w, buf, sizeof buf);
    pkiot_time_der_write(&w, PKIOT_DER_UTC_TIME, INT64_C(2524608000));
    assert_int_equal(pkiot_der_w_result(&w, &out, &len), PKIOT_E_TIME_RANGE);
    pkiot_der_w_init(&w, buf, sizeof buf);
    pkiot_time_der_write(&w, PKIOT_DER_OCTET_STRING, 0);
    assert_int_equal(pkiot_der_w_result(&w, &out, &len), PKIOT_E_INVALID_ARG);
    pkiot_der_w_init(&w, buf, 10);
    pkiot_time_der_write(&w, 0, 0);
    assert_int_equal(pkiot_der_w_result(&w, &out, &len), PKIOT_E_BUFFER_TOO_SMALL);
}

/* The DER a writer produces, as `openssl asn1parse` shows it. */
static void test_der_write_openssl(void **state)
{
    (void)state;
    if (system("openssl version >/dev/null 2>&1") != 0) {
        skip();
    }
    uint8_t buf[64];
    pkiot_der_writer_t w;
    const uint8_t *out;
    size_t len;
    pkiot_der_w_init(&w, buf, sizeof buf);
    size_t mark = pkiot_der_w_len(&w);
    pkiot_time_der_write(&w, 0, INT64_C(2524608000));
    pkiot_time_der_write(&w, 0, T_RFC);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, mark);
    assert_int_equal(pkiot_der_w_result(&w, &out, &len), PKIOT_OK);

    char dir[256], path[300], cmd[700], text[4096];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pkiot_dt_XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/v.der", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(out, 1, len, f), len);
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl asn1parse -inform DER -in '%s'; rm -rf '%s'", path, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(text, 1, sizeof text - 1, p);
    text[n] = '\0';
    pclose(p);
    assert_non_null(strstr(text, "UTCTIME           :941106084937Z"));
    assert_non_null(strstr(text, "GENERALIZEDTIME   :20500101000000Z"));
}

/* ---- HTTP-date ---------------------------------------------------------------------------- */

struct http_case {
    const char *s;
    int64_t now;
    int err;
    int64_t want;
};

static void test_http_date(void **state)
{
    (void)state;
    static const struct http_case cases[] = {
        /* RFC 9110 §5.6.7's three forms of one instant */
        {"Sun, 06 Nov 1994 08:49:37 GMT", T_2025, PKIOT_OK, T_RFC},
        {"Sunday, 06-Nov-94 08:49:37 GMT", T_2025, PKIOT_OK, T_RFC},
        {"Sun Nov  6 08:49:37 1994", T_2025, PKIOT_OK, T_RFC},
        {"Sun Nov 06 08:49:37 1994", T_2025, PKIOT_OK, T_RFC},
        {"  Sun, 06 Nov 1994 08:49:37 GMT\t ", T_2025, PKIOT_OK, T_RFC},
        {"Thu, 01 Jan 1970 00:00:00 GMT", -1, PKIOT_OK, 0},
        {"Fri, 31 Dec 9999 23:59:59 GMT", -1, PKIOT_OK, PKIOT_TIME_MAX},
        {"Sun, 06 Nov 1994 08:49:60 GMT", -1, PKIOT_OK, T_RFC + 23}, /* leap second */
        /* the day name is not checked against the date */
        {"Mon, 06 Nov 1994 08:49:37 GMT", -1, PKIOT_OK, T_RFC},
        /* RFC 850 two-digit years: > 50 years ahead of now means last century */
        {"Thursday, 01-Jan-70 00:00:00 GMT", -1, PKIOT_OK, 0},
        {"Thursday, 01-Jan-70 00:00:00 GMT", T_2025, PKIOT_OK, INT64_C(3155760000)},
        {"Wednesday, 01-Jan-25 00:00:00 GMT", T_2025, PKIOT_OK, T_2025},
        {"Wednesday, 01-Jan-25 00:00:00 GMT", -1, PKIOT_OK, T_2025},
        {"Friday, 01-Jan-76 00:00:00 GMT", T_2025, PKIOT_OK, INT64_C(189302400)},
        /* format errors */
        {"", -1, PKIOT_E_TIME_FORMAT, 0},
        {"   ", -1, PKIOT_E_TIME_FORMAT, 0},
        {"sun, 06 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 94 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 1994 8:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 1994 08:49 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 1994 08:49:37 UTC", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 1994 08:49:37 +0000", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT x", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun,  06 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06 Foo 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun Nov 6 08:49:37 1994", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun Nov  6 08:49:37 94", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun Nov  6 08:49:37 1994 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sun, 06-Nov-94 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sunday, 06 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"Sunday, 06-Nov-1994 08:49:37 GMT", -1, PKIOT_E_TIME_FORMAT, 0},
        {"1994-11-06T08:49:37Z", -1, PKIOT_E_TIME_FORMAT, 0},
        /* range errors */
        {"Sun, 31 Feb 1994 08:49:37 GMT", -1, PKIOT_E_TIME_RANGE, 0},
        {"Sun, 00 Nov 1994 08:49:37 GMT", -1, PKIOT_E_TIME_RANGE, 0},
        {"Sun, 06 Nov 1994 24:00:00 GMT", -1, PKIOT_E_TIME_RANGE, 0},
        {"Sun, 06 Nov 1994 08:60:00 GMT", -1, PKIOT_E_TIME_RANGE, 0},
        {"Sun, 06 Nov 1994 08:49:61 GMT", -1, PKIOT_E_TIME_RANGE, 0},
        {"Fri, 31 Dec 9999 23:59:60 GMT", -1, PKIOT_E_TIME_RANGE, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t t = 0;
        int rc = pkiot_time_parse_http(cases[i].s, strlen(cases[i].s), cases[i].now, &t);
        if (rc != cases[i].err || (rc == PKIOT_OK && t != cases[i].want)) {
            fail_msg("\"%s\": got %s / %lld", cases[i].s, pkiot_strerror_name(rc), (long long)t);
        }
    }
    int64_t t;
    assert_int_equal(pkiot_time_parse_http(NULL, 3, -1, &t), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_time_parse_http("x", 1, -1, NULL), PKIOT_E_INVALID_ARG);
}

static void test_http_truncation(void **state)
{
    (void)state;
    static const char *const forms[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                        "Sunday, 06-Nov-94 08:49:37 GMT",
                                        "Sun Nov  6 08:49:37 1994"};
    for (size_t f = 0; f < ARRAY_LEN(forms); f++) {
        size_t len = strlen(forms[f]);
        for (size_t k = 0; k < len; k++) {
            char *p = malloc(k ? k : 1);
            assert_non_null(p);
            memcpy(p, forms[f], k);
            int64_t t;
            int rc = pkiot_time_parse_http(p, k, T_2025, &t);
            if (rc != PKIOT_E_TIME_FORMAT) {
                fail_msg("\"%.*s\": %s", (int)k, forms[f], pkiot_strerror_name(rc));
            }
            pkiot_retry_after_t ra;
            assert_int_equal(pkiot_time_parse_retry_after(p, k, T_2025, &ra),
                             PKIOT_E_TIME_FORMAT);
            free(p);
        }
    }
}

/* IMF-fixdate strings produced by the C library's strftime agree with the parser. */
static void test_http_vs_strftime(void **state)
{
    (void)state;
    if (sizeof(time_t) < 8) {
        skip();
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = (int64_t)(x % (uint64_t)PKIOT_TIME_MAX);
        time_t tt = (time_t)t;
        struct tm tm;
        char s[64];
        assert_non_null(gmtime_r(&tt, &tm));
        /* the C locale's names are the HTTP ones; pad the year to 4 digits ourselves */
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        snprintf(s, sizeof s, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
                 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        int64_t back;
        assert_int_equal(pkiot_time_parse_http(s, strlen(s), -1, &back), PKIOT_OK);
        assert_true(back == t);
        char a[64];
        strftime(a, sizeof a, "%a %b %e %H:%M:%S %Y", &tm);
        if (tm.tm_year + 1900 >= 1000) {
            assert_int_equal(pkiot_time_parse_http(a, strlen(a), -1, &back), PKIOT_OK);
            assert_true(back == t);
        }
    }
}

/* ---- Retry-After -------------------------------------------------------------------------- */

static void test_retry_after(void **state)
{
    (void)state;
    pkiot_retry_after_t ra;

    assert_int_equal(pkiot_time_parse_retry_after("120", 3, T_2025, &ra), PKIOT_OK);
    assert_int_equal(ra.is_date, 0);
    assert_true(ra.delay == 120);
    assert_true(ra.at == T_2025 + 120);

    assert_int_equal(pkiot_time_parse_retry_after(" 0 ", 3, T_2025, &ra), PKIOT_OK);
    assert_true(ra.delay == 0 && ra.at == T_2025);

    assert_int_equal(pkiot_time_parse_retry_after("120", 3, PKIOT_TIME_NOW_UNKNOWN, &ra),
                     PKIOT_OK);
    assert_true(ra.delay == 120 && ra.at == -1);

    static const char big[] = "9223372036854775807";
    assert_int_equal(pkiot_time_parse_retry_after(big, strlen(big), -1, &ra), PKIOT_OK);
    assert_true(ra.delay == INT64_MAX);
    assert_int_equal(pkiot_time_parse_retry_after(big, strlen(big), T_2025, &ra), PKIOT_OK);
    assert_true(ra.at == INT64_MAX); /* saturates */
    static const char bigger[] = "9223372036854775808";
    assert_int_equal(pkiot_time_parse_retry_after(bigger, strlen(bigger), -1, &ra),
                     PKIOT_E_OVERFLOW);
    static const char huge[] = "99999999999999999999999999";
    assert_int_equal(pkiot_time_parse_retry_after(huge, strlen(huge), -1, &ra),
                     PKIOT_E_OVERFLOW);
    static const char zeros[] = "0000000000000000000000000120";
    assert_int_equal(pkiot_time_parse_retry_after(zeros, strlen(zeros), -1, &ra), PKIOT_OK);
    assert_true(ra.delay == 120);

    /* HTTP-date in the future, in the past, and with no clock */
    static const char d[] = "Wed, 01 Jan 2025 00:02:00 GMT";
    assert_int_equal(pkiot_time_parse_retry_after(d, strlen(d), T_2025, &ra), PKIOT_OK);
    assert_int_equal(ra.is_date, 1);
    assert_true(ra.at == T_2025 + 120 && ra.delay == 120);
    assert_int_equal(pkiot_time_parse_retry_after(d, strlen(d), T_2025 + 1000, &ra), PKIOT_OK);
    assert_true(ra.delay == 0);
    assert_int_equal(pkiot_time_parse_retry_after(d, strlen(d), -1, &ra), PKIOT_OK);
    assert_true(ra.at == T_2025 + 120 && ra.delay == -1);

    static const char *const bad[] = {"", " ", "120s", "-1", "+5", "1.5", "1 2", "0x10",
                                      "12\r\n", "soon"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int rc = pkiot_time_parse_retry_after(bad[i], strlen(bad[i]), T_2025, &ra);
        if (rc != PKIOT_E_TIME_FORMAT) {
            fail_msg("\"%s\": %s", bad[i], pkiot_strerror_name(rc));
        }
    }
    assert_int_equal(pkiot_time_parse_retry_after("1", 1, T_2025, NULL), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_time_parse_retry_after(NULL, 1, T_2025, &ra), PKIOT_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),
        cmocka_unit_test(test_every_day),
        cmocka_unit_test(test_vs_gmtime),
        cmocka_unit_test(test_from_civil_range),
        cmocka_unit_test(test_utctime),
        cmocka_unit_test(test_generalized),
        cmocka_unit_test(test_asn1_truncation),
        cmocka_unit_test(test_parse_der),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_der_write),
        cmocka_unit_test(test_der_write_openssl),
        cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_http_truncation),
        cmocka_unit_test(test_http_vs_strftime),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests_name("datetime", tests, NULL, NULL);
}
