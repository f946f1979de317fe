/**
 * @file json.h
 * @brief Minimal JSON (RFC 8259) reader over a complete buffer, and a string escaper.
 *
 * For ACME (RFC 8555) directory, account, order, authorization and problem documents.
 * Nothing is copied or allocated: a ::pkiot_json_t is a view of one value inside the
 * caller's document, which must stay valid while views of it are used. Lookups re-scan the
 * document (documents are small; there is no index to size).
 *
 * Call order: pkiot_json_parse() once on the whole document (validates it completely: syntax,
 * UTF-8, escapes, nesting at most PKIOT_JSON_MAX_DEPTH), then navigate from the root with
 * pkiot_json_get() / pkiot_json_at() / pkiot_json_find() / iterators, and read leaves with
 * pkiot_json_string(), pkiot_json_int(), pkiot_json_bool(), pkiot_json_is_null().
 * Navigation functions stay bounded even on views that were not produced by the parser.
 *
 * Errors: PKIOT_E_JSON_SYNTAX (malformed, truncated, trailing data, invalid UTF-8, control
 * characters in strings), PKIOT_E_JSON_BAD_ESCAPE (unknown escape, bad \\u hex, unpaired
 * surrogate), PKIOT_E_JSON_TOO_DEEP, PKIOT_E_JSON_TYPE (value of another type than asked),
 * PKIOT_E_NOT_FOUND (no such member / index), PKIOT_E_OVERFLOW (integer out of range),
 * PKIOT_E_BUFFER_TOO_SMALL, PKIOT_E_INVALID_ARG.
 * Duplicate object keys: lookups return the first member with the key.
 */
#ifndef PKIOT_JSON_H
#define PKIOT_JSON_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest nesting of objects/arrays accepted (1..64). */
#ifndef PKIOT_JSON_MAX_DEPTH
#define PKIOT_JSON_MAX_DEPTH 16
#endif
#if PKIOT_JSON_MAX_DEPTH < 1 || PKIOT_JSON_MAX_DEPTH > 64
#error "pkiot: PKIOT_JSON_MAX_DEPTH must be 1..64"
#endif

/** Value types. */
typedef enum pkiot_json_type {
    PKIOT_JSON_INVALID = 0,
    PKIOT_JSON_OBJECT,
    PKIOT_JSON_ARRAY,
    PKIOT_JSON_STRING,
    PKIOT_JSON_NUMBER,
    PKIOT_JSON_TRUE,
    PKIOT_JSON_FALSE,
    PKIOT_JSON_NULL
} pkiot_json_type_t;

/** A view of one value: its raw text inside the document. */
typedef struct pkiot_json {
    const uint8_t *p;       /**< first byte of the value ('{', '"', digit, ...) */
    size_t len;             /**< length of the value's text */
    pkiot_json_type_t type; /**< its type */
} pkiot_json_t;

/** Iterator over an array's elements or an object's members (internal fields). */
typedef struct pkiot_json_iter {
    const uint8_t *p;   /* next unread byte inside the container */
    const uint8_t *end; /* the container's closing bracket */
    uint8_t object;     /* 1: object, 0: array */
    uint8_t started;
    uint8_t done;
} pkiot_json_iter_t;

/**
 * @brief Validate a complete document and return its top-level value.
 * Whitespace around the value is allowed; anything else after it is PKIOT_E_JSON_SYNTAX.
 * A leading UTF-8 byte order mark is rejected (RFC 8259 §8.1).
 */
int pkiot_json_parse(const uint8_t *doc, size_t len, pkiot_json_t *root);

/**
 * @brief Member @p key (NUL-terminated, compared with the unescaped member name) of object
 *        @p obj.
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND, PKIOT_E_JSON_TYPE (@p obj is not an object), or a
 *         syntax error for views not produced by the parser.
 */
int pkiot_json_get(const pkiot_json_t *obj, const char *key, pkiot_json_t *out);

/** @brief Element @p index (0-based) of array @p arr. Returns as pkiot_json_get(). */
int pkiot_json_at(const pkiot_json_t *arr, size_t index, pkiot_json_t *out);

/**
 * @brief Follow a JSON Pointer (RFC 6901) from @p root, e.g. "/challenges/0/url";
 *        "" is @p root itself. "~0" and "~1" stand for '~' and '/'. Array indexes are
 *        decimal without leading zeros.
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND, PKIOT_E_JSON_TYPE (stepping into a scalar),
 *         PKIOT_E_INVALID_ARG (pointer not starting with '/', bad ~ escape).
 */
int pkiot_json_find(const pkiot_json_t *root, const char *pointer, pkiot_json_t *out);

/** @brief Number of elements of an array or members of an object. */
int pkiot_json_count(const pkiot_json_t *container, size_t *count);

/** @brief Start iterating over @p container (array or object); PKIOT_E_JSON_TYPE otherwise. */
int pkiot_json_iter_init(pkiot_json_iter_t *it, const pkiot_json_t *container);

/**
 * @brief Next element / member.
 * @param key for objects, receives the member name (a string value); may be NULL. For arrays
 *            it is set to an invalid view.
 * @param val receives the element or member value (required)
 * @return PKIOT_OK, PKIOT_DONE (no more), or a syntax error for views not from the parser.
 */
int pkiot_json_iter_next(pkiot_json_iter_t *it, pkiot_json_t *key, pkiot_json_t *val);

/**
 * @brief Unescape string @p v into @p out as UTF-8 and NUL-terminate it. \\uXXXX escapes,
 *        surrogate pairs included, become UTF-8. A "\\u0000" escape yields a NUL byte inside
 *        the output: use @p out_len, not strlen, when that matters.
 * @param out_len length without the NUL; on PKIOT_E_BUFFER_TOO_SMALL the length needed
 *                (without the NUL; @p cap must exceed it)
 * @return PKIOT_OK, PKIOT_E_JSON_TYPE, PKIOT_E_BUFFER_TOO_SMALL, PKIOT_E_JSON_BAD_ESCAPE.
 */
int pkiot_json_string(const pkiot_json_t *v, char *out, size_t cap, size_t *out_len);

/** @brief 1 when @p v is a string whose unescaped value equals NUL-terminated @p s, else 0. */
int pkiot_json_string_eq(const pkiot_json_t *v, const char *s);

/**
 * @brief Integer value of number @p v.
 * @return PKIOT_OK, PKIOT_E_JSON_TYPE (not a number, or has a fraction or exponent),
 *         PKIOT_E_OVERFLOW (outside int64_t).
 */
int pkiot_json_int(const pkiot_json_t *v, int64_t *out);

/** @brief Boolean value: PKIOT_OK with *out 0 or 1, or PKIOT_E_JSON_TYPE. */
int pkiot_json_bool(const pkiot_json_t *v, int *out);

/** @brief 1 when @p v is the literal null, else 0. */
int pkiot_json_is_null(const pkiot_json_t *v);

/**
 * @brief Escape @p len bytes of UTF-8 text for use inside a JSON string (without the
 *        surrounding quotes): '"' and '\\' are backslash-escaped, control characters become
 *        \\b \\f \\n \\r \\t or \\u00XX; other bytes are copied. No NUL is appended.
 * @param out_len bytes written; on PKIOT_E_BUFFER_TOO_SMALL the exact size needed
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL (nothing usable written), PKIOT_E_INVALID_ARG.
 */
int pkiot_json_escape(const char *in, size_t len, char *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_JSON_H */
