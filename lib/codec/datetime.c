/* Calendar arithmetic, ASN.1 times, HTTP-date and Retry-After. */
#include "pkiot/datetime.h"

#include <string.h>

/*
 * Everything below works in 32-bit integers: years 0..9999 are under 3.7 million days, and
 * a 64-bit division would pull the C library's long-division helpers into a 32-bit image
 * for the sake of a few dates. The civil/day conversions are the era-based ones (one era =
 * 400 Gregorian years = 146097 days, years counted from March so the leap day is last).
 */
#define SECS_PER_DAY 86400u
/* Days from 0000-03-01 to 1970-01-01. */
#define MARCH0_TO_EPOCH 719468
#define ERA_DAYS 146097

static int is_leap(uint32_t y)
{
    return (y % 4u == 0 && y % 100u != 0) || y % 400u == 0;
}

static uint32_t days_in_month(uint32_t y, uint32_t m)
{
    static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return dim[m - 1u] + ((m == 2u && is_leap(y)) ? 1u : 0u);
}

/* Days from 1970-01-01 to y-m-d; m and d valid, y from 0 to a few years past 9999. */
static int32_t days_from_civil(uint32_t y, uint32_t m, uint32_t d)
{
    /* One era later, so that January and February of year 0 stay non-negative. */
    uint32_t ys = y + 400u - (m <= 2u ? 1u : 0u);
    uint32_t era = ys / 400u;
    uint32_t yoe = ys - era * 400u;
    uint32_t doy = (153u * (m > 2u ? m - 3u : m + 9u) + 2u) / 5u + d - 1u;
    uint32_t doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return (int32_t)(era * (uint32_t)ERA_DAYS + doe) - ERA_DAYS - MARCH0_TO_EPOCH;
}

int pkiot_time_to_civil(int64_t t, pkiot_datetime_t *dt)
{
    if (dt == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (t < PKIOT_TIME_MIN || t > PKIOT_TIME_MAX) {
        return PKIOT_E_TIME_RANGE;
    }
    /* Seconds since 0000-01-01 are below 2^39; 86400 = 128 * 675, so after a shift by 7
     * the day count is a 32-bit division. */
    uint64_t u = (uint64_t)(t - PKIOT_TIME_MIN);
    uint32_t days0 = (uint32_t)(u >> 7) / 675u; /* days since 0000-01-01 */
    uint32_t secs = (uint32_t)(u - (uint64_t)days0 * SECS_PER_DAY);
    /* Days since 0000-03-01 (year 0 is a leap year: 60 days earlier), one era later. */
    uint32_t z = days0 + (uint32_t)ERA_DAYS - 60u;
    uint32_t era = z / (uint32_t)ERA_DAYS;
    uint32_t doe = z - era * (uint32_t)ERA_DAYS;
    uint32_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint32_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    uint32_t mp = (5u * doy + 2u) / 153u;
    uint32_t m = mp < 10u ? mp + 3u : mp - 9u;
    uint32_t y = yoe + era * 400u - 400u + (m <= 2u ? 1u : 0u);

    dt->year = (uint16_t)y;
    dt->month = (uint8_t)m;
    dt->day = (uint8_t)(doy - (153u * mp + 2u) / 5u + 1u);
    dt->hour = (uint8_t)(secs / 3600u);
    dt->minute = (uint8_t)(secs / 60u % 60u);
    dt->second = (uint8_t)(secs % 60u);
    /* 0000-01-01 was a Saturday (proleptic Gregorian). */
    dt->wday = (uint8_t)((days0 + 6u) % 7u);
    return PKIOT_OK;
}

/* A broken-down time as the parsers collect it, each field from at most four digits. */
enum { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_COUNT };

/* Validate and convert; @p max_sec is 59, or 60 where a leap second is allowed. */
static int from_fields(const int32_t f[F_COUNT], int32_t max_sec, int64_t *t)
{
    const int32_t y = f[F_YEAR], mo = f[F_MONTH], d = f[F_DAY];
    if (y < 0 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        (uint32_t)d > days_in_month((uint32_t)y, (uint32_t)mo) || f[F_HOUR] < 0 ||
        f[F_HOUR] > 23 || f[F_MINUTE] < 0 || f[F_MINUTE] > 59 || f[F_SECOND] < 0 ||
        f[F_SECOND] > max_sec) {
        return PKIOT_E_TIME_RANGE;
    }
    int32_t days = days_from_civil((uint32_t)y, (uint32_t)mo, (uint32_t)d);
    int64_t r = (int64_t)days * (int64_t)SECS_PER_DAY + f[F_HOUR] * 3600 + f[F_MINUTE] * 60 +
                f[F_SECOND];
    if (r > PKIOT_TIME_MAX) {
        return PKIOT_E_TIME_RANGE; /* 9999-12-31T23:59:60 */
    }
    *t = r;
    return PKIOT_OK;
}

int pkiot_time_from_civil(const pkiot_datetime_t *dt, int64_t *t)
{
    if (dt == NULL || t == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    const int32_t f[F_COUNT] = {dt->year, dt->month, dt->day, dt->hour, dt->minute, dt->second};
    return from_fields(f, 59, t);
}

/* ---- ASN.1 ------------------------------------------------------------------------------ */

/* Value of @p n (at most 4) decimal digits at @p s, or -1 when any is not a digit. */
static int32_t digits(const uint8_t *s, size_t n)
{
    int32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYMMDDHHMMSSZ" or "YYYYMMDDHHMMSSZ": @p year_digits is 2 or 4. */
static int parse_asn1(const uint8_t *s, size_t len, size_t year_digits, int64_t *t)
{
    int32_t f[F_COUNT];

    if (t == NULL || (s == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (len != year_digits + 11u || s[len - 1u] != 'Z') {
        return PKIOT_E_TIME_FORMAT;
    }
    f[F_YEAR] = digits(s, year_digits);
    for (size_t i = 1; i < F_COUNT; i++) {
        f[i] = digits(s + year_digits + 2u * (i - 1u), 2);
    }
    for (size_t i = 0; i < F_COUNT; i++) {
        if (f[i] < 0) {
            return PKIOT_E_TIME_FORMAT;
        }
    }
    if (year_digits == 2) {
        f[F_YEAR] += f[F_YEAR] >= 50 ? 1900 : 2000;
    }
    return from_fields(f, 59, t);
}

int pkiot_time_parse_utc(const uint8_t *s, size_t len, int64_t *t)
{
    return parse_asn1(s, len, 2, t);
}

int pkiot_time_parse_generalized(const uint8_t *s, size_t len, int64_t *t)
{
    return parse_asn1(s, len, 4, t);
}

int pkiot_time_parse_der(const pkiot_der_tlv_t *tlv, int64_t *t)
{
    if (tlv == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (tlv->tag == PKIOT_DER_UTC_TIME) {
        return pkiot_time_parse_utc(tlv->val, tlv->len, t);
    }
    if (tlv->tag == PKIOT_DER_GENERALIZED_TIME) {
        return pkiot_time_parse_generalized(tlv->val, tlv->len, t);
    }
    return PKIOT_E_DER_BAD_TAG;
}

static void put_digits(char *o, uint32_t v, size_t n)
{
    while (n-- > 0) {
        o[n] = (char)('0' + v % 10u);
        v /= 10u;
    }
}

/* Writes the 4- or 2-digit year form; @p year_digits is 4 or 2. */
static int write_asn1(int64_t t, size_t year_digits, char *out, size_t cap, size_t *out_len)
{
    pkiot_datetime_t dt;
    if (out == NULL && cap != 0) {
        return PKIOT_E_INVALID_ARG;
    }
    int rc = pkiot_time_to_civil(t, &dt);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (year_digits == 2 && (dt.year < 1950 || dt.year > 2049)) {
        return PKIOT_E_TIME_RANGE;
    }
    size_t n = year_digits + 11u;
    if (cap < n) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    put_digits(out, (uint32_t)dt.year % (year_digits == 2 ? 100u : 10000u), year_digits);
    char *o = out + year_digits;
    put_digits(o, dt.month, 2);
    put_digits(o + 2, dt.day, 2);
    put_digits(o + 4, dt.hour, 2);
    put_digits(o + 6, dt.minute, 2);
    put_digits(o + 8, dt.second, 2);
    o[10] = 'Z';
    if (out_len != NULL) {
        *out_len = n;
    }
    return PKIOT_OK;
}

int pkiot_time_write_generalized(int64_t t, char *out, size_t cap, size_t *out_len)
{
    return write_asn1(t, 4, out, cap, out_len);
}

int pkiot_time_write_utc(int64_t t, char *out, size_t cap, size_t *out_len)
{
    return write_asn1(t, 2, out, cap, out_len);
}

void pkiot_time_der_write(pkiot_der_writer_t *w, uint32_t tag, int64_t t)
{
    char buf[PKIOT_TIME_GENERALIZED_LEN];
    size_t n = 0;
    int rc;

    if (w == NULL || w->err != PKIOT_OK) {
        return;
    }
    if (tag == 0) {
        /* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on. */
        tag = (t < INT64_C(2524608000)) ? PKIOT_DER_UTC_TIME : PKIOT_DER_GENERALIZED_TIME;
        if (t < INT64_C(-631152000)) {
            tag = PKIOT_DER_GENERALIZED_TIME; /* before 1950 */
        }
    }
    if (tag == PKIOT_DER_UTC_TIME) {
        rc = pkiot_time_write_utc(t, buf, sizeof buf, &n);
    } else if (tag == PKIOT_DER_GENERALIZED_TIME) {
        rc = pkiot_time_write_generalized(t, buf, sizeof buf, &n);
    } else {
        rc = PKIOT_E_INVALID_ARG;
    }
    if (rc != PKIOT_OK) {
        w->err = rc;
        return;
    }
    pkiot_der_w_prim(w, tag, (const uint8_t *)buf, n);
}

/* ---- HTTP-date -------------------------------------------------------------------------- */

typedef struct scan {
    const char *p;
    const char *end;
} scan_t;

static int lit(scan_t *sc, char c)
{
    if (sc->p == sc->end || *sc->p != c) {
        return 0;
    }
    sc->p++;
    return 1;
}

static int32_t num(scan_t *sc, size_t n)
{
    if ((size_t)(sc->end - sc->p) < n) {
        return -1;
    }
    int32_t v = digits((const uint8_t *)sc->p, n);
    if (v >= 0) {
        sc->p += n;
    }
    return v;
}

/* Names as the grammar spells them (case-sensitive), '|'-separated. */
static const char k_months[] = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
static const char k_days[] = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
static const char k_days_long[] = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";

/* Number (from 1) of the entry of @p names the input starts with, or -1. */
static int32_t name(scan_t *sc, const char *names)
{
    for (int32_t i = 1;; i++) {
        size_t n = 0;
        while (names[n] != '|' && names[n] != '\0') {
            n++;
        }
        if ((size_t)(sc->end - sc->p) >= n && memcmp(sc->p, names, n) == 0) {
            sc->p += n;
            return i;
        }
        if (names[n] == '\0') {
            return -1;
        }
        names += n + 1u;
    }
}

/*
 * The three HTTP-date forms in strftime notation: %a / %A a short / long day name (any day:
 * it is not checked against the date), %b a month name, %e a day as "06" or " 6", %Y four
 * digits, %d %y %H %M %S two; any other character stands for itself.
 */
static const char k_imf_fixdate[] = "%a, %d %b %Y %H:%M:%S GMT"; /* Sun, 06 Nov 1994 08:49:37 GMT */
static const char k_rfc850[] = "%A, %d-%b-%y %H:%M:%S GMT";     /* Sunday, 06-Nov-94 08:49:37 GMT */
static const char k_asctime[] = "%a %b %e %H:%M:%S %Y";          /* Sun Nov  6 08:49:37 1994 */

/* 1 when the whole input follows @p fmt; %y leaves the two digits in f[F_YEAR]. */
static int scan_date(scan_t *sc, const char *fmt, int32_t f[F_COUNT + 1])
{
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            if (!lit(sc, *fmt)) {
                return 0;
            }
            continue;
        }
        const char *names = NULL;
        size_t field = F_COUNT; /* day names are read but not kept */
        size_t width = 2;
        char c = *++fmt;
        if (c == 'a') {
            names = k_days;
        } else if (c == 'A') {
            names = k_days_long;
        } else if (c == 'b') {
            names = k_months;
            field = F_MONTH;
        } else if (c == 'd' || c == 'e') {
            if (c == 'e' && lit(sc, ' ')) {
                width = 1;
            }
            field = F_DAY;
        } else if (c == 'Y' || c == 'y') {
            width = c == 'Y' ? 4 : 2;
            field = F_YEAR;
        } else {
            field = c == 'H' ? F_HOUR : c == 'M' ? F_MINUTE : F_SECOND;
        }
        f[field] = names != NULL ? name(sc, names) : num(sc, width);
        if (f[field] < 0) {
            return 0;
        }
    }
    return sc->p == sc->end;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}

/* RFC 9110: a two-digit year more than 50 years ahead is the previous century's. */
static int32_t expand_year(int32_t yy, int64_t now)
{
    if (now < 0 || now > PKIOT_TIME_MAX) {
        return yy < 70 ? 2000 + yy : 1900 + yy;
    }
    /* now < 2^38, and 86400 = 128 * 675: after a shift by 7 the day count is a 32-bit
     * division. */
    int32_t days = (int32_t)((uint32_t)((uint64_t)now >> 7) / 675u);
    /* Only the current year is needed, and stepping back over January 1sts keeps the whole
     * civil conversion out of images that only parse HTTP dates. A year has at least 365
     * days, so the first guess is the current year or a few years past it. */
    int32_t cur = 1970 + days / 365;
    while (days_from_civil((uint32_t)cur, 1, 1) > days) {
        cur--;
    }
    int32_t y = cur - cur % 100 + yy;
    if (y > cur + 50) {
        y -= 100;
    }
    return y;
}

int pkiot_time_parse_http(const char *s, size_t len, int64_t now, int64_t *t)
{
    int32_t f[F_COUNT + 1];

    if (t == NULL || (s == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    trim(&s, &len);
    if (len == 0) {
        return PKIOT_E_TIME_FORMAT;
    }
    scan_t sc = {s, s + len};
    /* The fourth character tells the forms apart: "Sun," "Sun " "Sunday," */
    const char *fmt = len > 3 && s[3] == ',' ? k_imf_fixdate
                      : len > 3 && s[3] == ' ' ? k_asctime
                                               : k_rfc850;
    if (!scan_date(&sc, fmt, f)) {
        return PKIOT_E_TIME_FORMAT;
    }
    if (fmt == k_rfc850) {
        f[F_YEAR] = expand_year(f[F_YEAR], now);
    }
    return from_fields(f, 60, t);
}

int pkiot_time_parse_retry_after(const char *s, size_t len, int64_t now,
                                 pkiot_retry_after_t *ra)
{
    if (ra == NULL || (s == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    trim(&s, &len);
    if (len == 0) {
        return PKIOT_E_TIME_FORMAT;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        int64_t v = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return PKIOT_E_TIME_FORMAT;
            }
            int64_t dgt = s[i] - '0';
            if (v > INT64_MAX / 10 || (v == INT64_MAX / 10 && dgt > INT64_MAX % 10)) {
                return PKIOT_E_OVERFLOW;
            }
            v = v * 10 + dgt;
        }
        ra->is_date = 0;
        ra->delay = v;
        ra->at = now < 0 ? -1 : (now > INT64_MAX - v ? INT64_MAX : now + v);
        return PKIOT_OK;
    }
    int64_t at;
    int rc = pkiot_time_parse_http(s, len, now, &at);
    if (rc != PKIOT_OK) {
        return rc;
    }
    ra->is_date = 1;
    ra->at = at;
    ra->delay = now < 0 ? -1 : (at > now ? at - now : 0);
    return PKIOT_OK;
}
