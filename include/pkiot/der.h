/**
 * @file der.h
 * @brief DER reader (bounded TLV cursor) and backward DER writer.
 *
 * Reader: a cursor over a caller-owned buffer. Every read checks the remaining length before
 * touching a byte; lengths must be minimal definite DER lengths (BER indefinite lengths are
 * rejected with PKIOT_E_DER_BAD_LENGTH, except where a caller explicitly uses
 * pkiot_der_next_ber() for CMS content that some servers still emit in BER). Nothing is copied:
 * a TLV points into the input buffer, which must outlive it.
 *
 * Writer: fills a caller buffer from its end towards its start, so a constructed element's
 * length is known when its header is written (no second pass, no shifting). Errors are sticky:
 * after the first failure every call is a no-op and pkiot_der_w_result() reports it, so
 * builders can chain calls and check once.
 */
#ifndef PKIOT_DER_H
#define PKIOT_DER_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Universal tags (class bits included, so they compare directly with pkiot_der_tlv_t.tag). */
#define PKIOT_DER_BOOLEAN 0x01u
#define PKIOT_DER_INTEGER 0x02u
#define PKIOT_DER_BIT_STRING 0x03u
#define PKIOT_DER_OCTET_STRING 0x04u
#define PKIOT_DER_NULL 0x05u
#define PKIOT_DER_OID 0x06u
#define PKIOT_DER_ENUMERATED 0x0Au
#define PKIOT_DER_UTF8_STRING 0x0Cu
#define PKIOT_DER_PRINTABLE_STRING 0x13u
#define PKIOT_DER_T61_STRING 0x14u
#define PKIOT_DER_IA5_STRING 0x16u
#define PKIOT_DER_UTC_TIME 0x17u
#define PKIOT_DER_GENERALIZED_TIME 0x18u
#define PKIOT_DER_BMP_STRING 0x1Eu
#define PKIOT_DER_SEQUENCE 0x30u
#define PKIOT_DER_SET 0x31u
/** Context-specific tag n, constructed ([n] EXPLICIT or constructed IMPLICIT). */
#define PKIOT_DER_CTX_C(n) (0xA0u | (unsigned)(n))
/** Context-specific tag n, primitive ([n] IMPLICIT of a primitive type). */
#define PKIOT_DER_CTX_P(n) (0x80u | (unsigned)(n))

/** Deepest nesting a recursive walker in pkiot follows. */
#define PKIOT_DER_MAX_DEPTH 16

/** A cursor: the unread part of a buffer. */
typedef struct pkiot_der_cursor {
    const uint8_t *p;   /**< next unread byte */
    const uint8_t *end; /**< one past the last byte the cursor may read */
} pkiot_der_cursor_t;

/** One decoded element. Pointers refer into the cursor's buffer. */
typedef struct pkiot_der_tlv {
    uint32_t tag;       /**< identifier octet(s); low-tag-number form is the identifier byte,
                             high-tag-number form packs its 2..4 octets big-endian
                             (e.g. [31] constructed context tag = 0xBF1F) */
    const uint8_t *val; /**< contents octets */
    size_t len;         /**< contents length */
    const uint8_t *raw; /**< first identifier octet (whole element, for hashing/copying) */
    size_t raw_len;     /**< header + contents length */
} pkiot_der_tlv_t;

/** Start a cursor over @p len bytes at @p buf. */
void pkiot_der_init(pkiot_der_cursor_t *cur, const uint8_t *buf, size_t len);

/** Cursor over the contents of @p tlv (to walk a SEQUENCE/SET/explicit tag). */
void pkiot_der_enter(const pkiot_der_tlv_t *tlv, pkiot_der_cursor_t *inner);

/** 1 when the cursor has no bytes left. */
int pkiot_der_at_end(const pkiot_der_cursor_t *cur);

/**
 * Read the next element, whatever its tag.
 * @return PKIOT_OK, PKIOT_E_DER_TRUNCATED (input ends inside the element or is empty),
 *         PKIOT_E_DER_BAD_LENGTH (indefinite, non-minimal or > 4-byte length),
 *         PKIOT_E_DER_BAD_TAG (high-tag-number form longer than 4 bytes).
 */
int pkiot_der_next(pkiot_der_cursor_t *cur, pkiot_der_tlv_t *tlv);

/**
 * Like pkiot_der_next() but accepts BER lengths: the indefinite form on constructed elements
 * (the element ends at its matching end-of-contents octets, nested up to PKIOT_DER_MAX_DEPTH
 * indefinite levels) and non-minimal definite lengths. For an indefinite element, @p tlv->len
 * excludes the closing 00 00 while @p tlv->raw_len includes it. Walk the contents with
 * pkiot_der_next_ber() again; BER constructed strings are returned as they are (tag 0x24 for
 * a constructed OCTET STRING), their segments are the caller's to join.
 * @return as pkiot_der_next(), plus PKIOT_E_DER_TOO_DEEP, and PKIOT_E_DER_BAD_LENGTH for an
 *         indefinite length on a primitive element.
 */
int pkiot_der_next_ber(pkiot_der_cursor_t *cur, pkiot_der_tlv_t *tlv);

/** Read the next element and require tag @p tag (PKIOT_E_DER_BAD_TAG otherwise; the cursor
 *  does not move on failure). */
int pkiot_der_expect(pkiot_der_cursor_t *cur, uint32_t tag, pkiot_der_tlv_t *tlv);

/**
 * Read the next element only if its tag is @p tag. Sets *@p present to 1 and consumes it, or
 * to 0 and leaves the cursor where it is (also at end of input). Errors only on malformed DER.
 */
int pkiot_der_optional(pkiot_der_cursor_t *cur, uint32_t tag, pkiot_der_tlv_t *tlv,
                       int *present);

/** Tag of the next element without consuming it (PKIOT_E_DER_TRUNCATED at end). */
int pkiot_der_peek_tag(const pkiot_der_cursor_t *cur, uint32_t *tag);

/** Require that the cursor is exhausted (PKIOT_E_DER_TRAILING otherwise). */
int pkiot_der_finish(const pkiot_der_cursor_t *cur);

/** Decode a non-negative INTEGER element that fits in 32 bits (PKIOT_E_DER_BAD_VALUE for
 *  empty, negative or non-minimal, PKIOT_E_OVERFLOW for too large). Only the contents are
 *  checked, not the tag, so ENUMERATED and implicitly tagged integers decode too. */
int pkiot_der_get_u32(const pkiot_der_tlv_t *tlv, uint32_t *out);

/** Decode a BOOLEAN element (DER: 0x00 or 0xFF only). */
int pkiot_der_get_bool(const pkiot_der_tlv_t *tlv, int *out);

/** Contents of a BIT STRING without its unused-bits octet; *@p unused_bits receives it. */
int pkiot_der_get_bitstring(const pkiot_der_tlv_t *tlv, pkiot_slice_t *bits,
                            unsigned *unused_bits);

/** 1 when @p tlv is an OID whose contents equal the @p oid_len bytes at @p oid. */
int pkiot_der_oid_eq(const pkiot_der_tlv_t *tlv, const uint8_t *oid, size_t oid_len);

/** Backward writer. Buffer and result are owned by the caller. */
typedef struct pkiot_der_writer {
    uint8_t *start; /**< beginning of the caller's buffer */
    uint8_t *p;     /**< first written byte; output grows downwards from start + cap */
    uint8_t *end;   /**< start + cap */
    int err;        /**< first error, sticky */
} pkiot_der_writer_t;

void pkiot_der_w_init(pkiot_der_writer_t *w, uint8_t *buf, size_t cap);

/** Bytes written so far; use as a mark before writing the contents of a constructed type. */
size_t pkiot_der_w_len(const pkiot_der_writer_t *w);

/** Prepend raw bytes (pre-encoded DER, or contents). */
void pkiot_der_w_raw(pkiot_der_writer_t *w, const uint8_t *data, size_t len);

/** Prepend an identifier and length header for @p len content bytes. */
void pkiot_der_w_header(pkiot_der_writer_t *w, uint32_t tag, size_t len);

/** Wrap everything written since @p mark in a header with @p tag (SEQUENCE, SET, [n], ...). */
void pkiot_der_w_close(pkiot_der_writer_t *w, uint32_t tag, size_t mark);

/** Prepend a primitive element: header + @p len content bytes. */
void pkiot_der_w_prim(pkiot_der_writer_t *w, uint32_t tag, const uint8_t *data, size_t len);

/** Prepend a non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped,
 *  0x00 added when the top bit is set). */
void pkiot_der_w_uint_bytes(pkiot_der_writer_t *w, const uint8_t *be, size_t len);

/** Prepend a small non-negative INTEGER. */
void pkiot_der_w_u32(pkiot_der_writer_t *w, uint32_t v);

/** Prepend a BOOLEAN. */
void pkiot_der_w_bool(pkiot_der_writer_t *w, int v);

/** Prepend a NULL. */
void pkiot_der_w_null(pkiot_der_writer_t *w);

/** Prepend a BIT STRING with 0 unused bits around @p len bytes. */
void pkiot_der_w_bitstring(pkiot_der_writer_t *w, const uint8_t *data, size_t len);

/** Prepend an OID from its pre-encoded contents octets. */
void pkiot_der_w_oid(pkiot_der_writer_t *w, const uint8_t *oid, size_t len);

/**
 * First error (PKIOT_E_BUFFER_TOO_SMALL when the buffer ran out), or PKIOT_OK with the
 * encoding in [*@p out, *@p out + *@p len) — inside the caller's buffer, at its end.
 */
int pkiot_der_w_result(const pkiot_der_writer_t *w, const uint8_t **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_DER_H */
