/**
 * @file datetime.h
 * @brief Unix time <-> civil time, ASN.1 UTCTime/GeneralizedTime, HTTP-date and Retry-After.
 *
 * Time is an `int64_t` count of seconds since 1970-01-01T00:00:00Z without leap seconds
 * (POSIX time). Civil dates use the proleptic Gregorian calendar in UTC; no libc time
 * function, time zone or locale is involved, so results are identical on every target.
 * Supported years are 0000..9999 (what a 4-digit year can express); anything outside is
 * PKIOT_E_TIME_RANGE.
 *
 * Errors: PKIOT_E_TIME_FORMAT for text that does not follow the syntax (wrong length,
 * non-digit, missing 'Z', fractional seconds, unknown month name, ...), PKIOT_E_TIME_RANGE
 * for well-formed text naming an impossible date or time (month 13, February 30, 24:00:00).
 */
#ifndef PKIOT_DATETIME_H
#define PKIOT_DATETIME_H

#include "pkiot/common.h"
#include "pkiot/der.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Unix time of 0000-01-01T00:00:00Z, the earliest supported instant. */
#define PKIOT_TIME_MIN INT64_C(-62167219200)
/** Unix time of 9999-12-31T23:59:59Z, the latest supported instant. */
#define PKIOT_TIME_MAX INT64_C(253402300799)

/** Characters of a UTCTime value "YYMMDDHHMMSSZ". */
#define PKIOT_TIME_UTC_LEN 13u
/** Characters of a GeneralizedTime value "YYYYMMDDHHMMSSZ". */
#define PKIOT_TIME_GENERALIZED_LEN 15u

/** A broken-down UTC time. */
typedef struct pkiot_datetime {
    uint16_t year;  /**< 0..9999 */
    uint8_t month;  /**< 1..12 */
    uint8_t day;    /**< 1..31 (validated against the month) */
    uint8_t hour;   /**< 0..23 */
    uint8_t minute; /**< 0..59 */
    uint8_t second; /**< 0..59 */
    uint8_t wday;   /**< 0 = Sunday .. 6; output of pkiot_time_to_civil(), ignored on input */
} pkiot_datetime_t;

/**
 * @brief Convert Unix time to civil time.
 * @return PKIOT_OK, PKIOT_E_TIME_RANGE (outside PKIOT_TIME_MIN..PKIOT_TIME_MAX),
 *         PKIOT_E_INVALID_ARG.
 */
int pkiot_time_to_civil(int64_t t, pkiot_datetime_t *dt);

/**
 * @brief Convert civil time to Unix time; every field is validated (wday is ignored).
 * @return PKIOT_OK, PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG.
 */
int pkiot_time_from_civil(const pkiot_datetime_t *dt, int64_t *t);

/**
 * @brief Parse the contents of a DER UTCTime as RFC 5280 §4.1.2.5.1 requires:
 *        exactly "YYMMDDHHMMSSZ"; YY >= 50 means 19YY, YY < 50 means 20YY.
 * @return PKIOT_OK, PKIOT_E_TIME_FORMAT, PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG.
 */
int pkiot_time_parse_utc(const uint8_t *s, size_t len, int64_t *t);

/**
 * @brief Parse the contents of a DER GeneralizedTime as RFC 5280 §4.1.2.5.2 requires:
 *        exactly "YYYYMMDDHHMMSSZ", no fractional seconds.
 * @return PKIOT_OK, PKIOT_E_TIME_FORMAT, PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG.
 */
int pkiot_time_parse_generalized(const uint8_t *s, size_t len, int64_t *t);

/**
 * @brief Parse an X.509 `Time` (CHOICE of UTCTime and GeneralizedTime) element.
 * @return as the two parsers above, or PKIOT_E_DER_BAD_TAG for any other tag.
 */
int pkiot_time_parse_der(const pkiot_der_tlv_t *tlv, int64_t *t);

/**
 * @brief Write "YYYYMMDDHHMMSSZ" (PKIOT_TIME_GENERALIZED_LEN chars, no NUL) into @p out.
 * @param out_len receives the length written (may be NULL)
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL, PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG.
 */
int pkiot_time_write_generalized(int64_t t, char *out, size_t cap, size_t *out_len);

/**
 * @brief Write "YYMMDDHHMMSSZ" (PKIOT_TIME_UTC_LEN chars, no NUL) into @p out.
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL, PKIOT_E_INVALID_ARG, and PKIOT_E_TIME_RANGE
 *         outside 1950..2049 (the years UTCTime can express).
 */
int pkiot_time_write_utc(int64_t t, char *out, size_t cap, size_t *out_len);

/**
 * @brief Prepend a time element to a DER writer.
 * @param tag PKIOT_DER_UTC_TIME, PKIOT_DER_GENERALIZED_TIME, or 0 for the RFC 5280 rule
 *            (UTCTime through 2049, GeneralizedTime from 2050).
 * Errors (PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG for another tag, or the writer's own) are
 * recorded in the writer and reported by pkiot_der_w_result().
 */
void pkiot_time_der_write(pkiot_der_writer_t *w, uint32_t tag, int64_t t);

/** Value of @p now meaning "the wall clock is not known" (any negative value also does). */
#define PKIOT_TIME_NOW_UNKNOWN INT64_C(-1)

/**
 * @brief Parse an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
 *        or the obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
 *        ("Sun Nov  6 08:49:37 1994") forms.
 *
 * Names are case-sensitive as the grammar says; leading and trailing spaces/tabs are ignored;
 * the day name must be a valid name but is not checked against the date; a leap second (:60)
 * is accepted and counts as the next second.
 * @param now current Unix time, used only for the two-digit year of the RFC 850 form (a year
 *            more than 50 years ahead of @p now belongs to the previous century). When
 *            unknown (negative), years 70..99 mean 19xx and 00..69 mean 20xx.
 * @return PKIOT_OK, PKIOT_E_TIME_FORMAT, PKIOT_E_TIME_RANGE, PKIOT_E_INVALID_ARG.
 */
int pkiot_time_parse_http(const char *s, size_t len, int64_t now, int64_t *t);

/** A parsed Retry-After header value. */
typedef struct pkiot_retry_after {
    int64_t at;    /**< absolute Unix time to retry at, or -1 when unknown (delay with no now) */
    int64_t delay; /**< seconds to wait from @p now (0 for a date in the past), or -1 when
                        unknown (HTTP-date with no now) */
    int is_date;   /**< 1 when the value was an HTTP-date, 0 for delay-seconds */
} pkiot_retry_after_t;

/**
 * @brief Parse a Retry-After field value (RFC 9110 §10.2.3): delay-seconds (1*DIGIT) or an
 *        HTTP-date. Leading/trailing spaces and tabs are ignored.
 * @param now current Unix time, or negative when unknown (then only the form the server used
 *            is available: `delay` for delay-seconds, `at` for a date). Sums saturate at
 *            INT64_MAX.
 * @return PKIOT_OK, PKIOT_E_TIME_FORMAT, PKIOT_E_TIME_RANGE, PKIOT_E_OVERFLOW (delay-seconds
 *         beyond INT64_MAX), PKIOT_E_INVALID_ARG.
 */
int pkiot_time_parse_retry_after(const char *s, size_t len, int64_t now,
                                 pkiot_retry_after_t *ra);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_DATETIME_H */
