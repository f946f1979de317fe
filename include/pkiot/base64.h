/**
 * @file base64.h
 * @brief Base64 (RFC 4648 §4) and base64url (RFC 4648 §5, unpadded) encoders and decoders.
 *
 * Encoders write into a caller buffer whose size is given by the macros below; they do not
 * add a NUL terminator.
 *
 * The decoder is a push decoder: the caller feeds text in chunks of any size (an HTTP body
 * as it arrives) and the bytes are written to a caller buffer as soon as each 4-character
 * group is complete. Its whole state lives in ::pkiot_b64_dec_t, so it survives between calls
 * without any allocation.
 *
 * Decoding rules, standard alphabet (used by EST, RFC 7030 / RFC 8951, and PEM):
 * - space, horizontal tab, CR and LF are ignored anywhere: servers send bodies with CRLF, LF
 *   or no line breaks at all, at any line length;
 * - any other character outside `A-Z a-z 0-9 + /` and `=` is PKIOT_E_B64_BAD_CHAR;
 * - padding is required: the significant characters must come in groups of four, the last
 *   one possibly ending in `=` or `==`. A missing, excess or misplaced `=`, data after the
 *   padding, a lone trailing character, or non-zero unused bits in the last character
 *   (a non-canonical encoding) is PKIOT_E_B64_BAD_PADDING.
 *
 * Decoding rules, base64url (used by ACME, RFC 8555, where values sit in JSON strings):
 * - alphabet `A-Z a-z 0-9 - _`; whitespace and `=` are not accepted (PKIOT_E_B64_BAD_CHAR and
 *   PKIOT_E_B64_BAD_PADDING): RFC 8555 strips the padding and JSON strings carry no breaks;
 * - a final group of 2 or 3 characters is decoded; a final single character, or non-zero
 *   unused bits, is PKIOT_E_B64_BAD_PADDING.
 *
 * Character classification and encoding avoid secret-dependent table look-ups and branches
 * (PEM private keys go through this code).
 */
#ifndef PKIOT_BASE64_H
#define PKIOT_BASE64_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Characters produced by pkiot_base64_encode() for @p n input bytes (padded, no NUL). */
#define PKIOT_BASE64_ENCODED_LEN(n) ((((size_t)(n) + 2u) / 3u) * 4u)

/** Characters produced by pkiot_base64url_encode() for @p n input bytes (unpadded, no NUL). */
#define PKIOT_BASE64URL_ENCODED_LEN(n)                                                         \
    (((size_t)(n) / 3u) * 4u + (((size_t)(n) % 3u) * 4u + 2u) / 3u)

/**
 * Upper bound on the bytes decoded from @p n characters of input (either alphabet, with or
 * without whitespace and padding). Exact for unpadded input without whitespace.
 */
#define PKIOT_BASE64_DECODED_MAX(n) (((size_t)(n) / 4u) * 3u + (((size_t)(n) % 4u) * 3u) / 4u)

/**
 * @brief Encode @p in_len bytes as padded standard base64.
 * @param in      input bytes (may be NULL when @p in_len is 0)
 * @param out     caller buffer of at least PKIOT_BASE64_ENCODED_LEN(@p in_len) chars;
 *                must not overlap @p in
 * @param out_len receives the number of characters written; on PKIOT_E_BUFFER_TOO_SMALL it
 *                receives the number needed. May be NULL.
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL (nothing written), PKIOT_E_INVALID_ARG,
 *         PKIOT_E_OVERFLOW (the encoded length does not fit a size_t).
 */
int pkiot_base64_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                        size_t *out_len);

/** @brief As pkiot_base64_encode(), base64url alphabet without padding; the buffer needs
 *  PKIOT_BASE64URL_ENCODED_LEN(@p in_len) chars. */
int pkiot_base64url_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                           size_t *out_len);

/** Alphabet selector for pkiot_b64_dec_init(). */
typedef enum pkiot_b64_alphabet {
    PKIOT_B64_STD = 0, /**< RFC 4648 §4, padded, whitespace ignored */
    PKIOT_B64_URL = 1  /**< RFC 4648 §5, unpadded, no whitespace */
} pkiot_b64_alphabet_t;

/**
 * Streaming decoder state. Caller-owned (stack, static or inside a larger context); treat
 * the fields as private. Size is a few words; no pointers other than the output buffer.
 */
typedef struct pkiot_b64_dec {
    uint8_t *out;   /**< caller's output buffer */
    size_t cap;     /**< its capacity */
    size_t len;     /**< bytes written so far */
    uint32_t acc;   /**< pending sextets, most recent in the low bits */
    uint8_t nsext;  /**< sextets pending in acc (0..3) */
    uint8_t npad;   /**< '=' characters seen */
    uint8_t url;    /**< 1 for the base64url alphabet */
    uint8_t done;   /**< pkiot_b64_dec_final() was called */
    int err;        /**< first error, sticky */
} pkiot_b64_dec_t;

/**
 * @brief Start decoding into @p out (@p cap bytes; PKIOT_BASE64_DECODED_MAX of the input
 *        length always suffices).
 *
 * @p out may be the input buffer itself when the whole input is passed to a single
 * pkiot_b64_dec_update() call (output never overtakes input), which lets a received body be
 * decoded in place.
 */
void pkiot_b64_dec_init(pkiot_b64_dec_t *dec, pkiot_b64_alphabet_t alphabet, uint8_t *out,
                        size_t cap);

/**
 * @brief Feed the next @p len characters (any chunking, including 0 bytes).
 * @return PKIOT_OK, PKIOT_E_B64_BAD_CHAR, PKIOT_E_B64_BAD_PADDING,
 *         PKIOT_E_BUFFER_TOO_SMALL (output would overflow; nothing is written past @p cap),
 *         PKIOT_E_STATE (called after pkiot_b64_dec_final()), PKIOT_E_INVALID_ARG.
 *         Errors are sticky: every later call returns the first one.
 */
int pkiot_b64_dec_update(pkiot_b64_dec_t *dec, const char *in, size_t len);

/**
 * @brief Finish: flush a final partial group (base64url) and check the padding is complete.
 * @param out_len receives the total number of bytes written to the output buffer (may be
 *                NULL; also readable as dec->len).
 * @return PKIOT_OK, or the sticky error, or PKIOT_E_B64_BAD_PADDING for input that stops
 *         inside a group, PKIOT_E_STATE when called twice.
 */
int pkiot_b64_dec_final(pkiot_b64_dec_t *dec, size_t *out_len);

/**
 * @brief One-shot decode of standard base64 (whitespace ignored, padding required).
 * @param out     buffer of @p out_cap bytes; PKIOT_BASE64_DECODED_MAX(@p in_len) suffices.
 *                May equal @p in (in-place decoding).
 * @param out_len receives the decoded length on success. May be NULL.
 * @return as pkiot_b64_dec_update() / pkiot_b64_dec_final().
 */
int pkiot_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                        size_t *out_len);

/** @brief One-shot decode of unpadded base64url; see pkiot_base64_decode(). */
int pkiot_base64url_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                           size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_BASE64_H */
