/**
 * @file pem.h
 * @brief PEM (RFC 7468 textual encoding) block finder/decoder and encoder.
 *
 * Decoding walks a caller buffer that may hold several blocks (a certificate chain, a key
 * followed by its certificate, a CA bundle with explanatory text between blocks):
 *
 * @code
 * size_t pos = 0;
 * pkiot_pem_block_t blk;
 * int rc;
 * while ((rc = pkiot_pem_next(text, text_len, &pos, "CERTIFICATE", der, sizeof der, &blk))
 *        == PKIOT_OK) {
 *     use(der, blk.der_len);
 * }
 * if (rc != PKIOT_E_PEM_NO_BEGIN) { ...malformed... }
 * @endcode
 *
 * Accepted syntax (RFC 7468 "lax" parsing):
 * - any text before, between and after blocks is skipped;
 * - `-----BEGIN <label>-----`, where label follows RFC 7468 (printable ASCII except '-',
 *   with single spaces or hyphens between characters, possibly empty), then optional spaces
 *   or tabs and a line break (LF or CRLF);
 * - a base64 body (standard alphabet, padded) broken into lines of any length, with any
 *   mix of CR, LF, spaces and tabs;
 * - `-----END <label>-----` with the same label, then optional spaces or tabs and a line
 *   break or the end of the input.
 * RFC 1421 encapsulated headers (`Proc-Type: 4,ENCRYPTED`, legacy encrypted keys) are not
 * supported.
 *
 * Nothing is allocated; the decoded DER goes to a caller buffer and the label is reported as
 * a pointer into the input.
 */
#ifndef PKIOT_PEM_H
#define PKIOT_PEM_H

#include "pkiot/base64.h"
#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Bytes pkiot_pem_encode() needs for a label of @p label_len characters and @p der_len bytes
 * of DER, including the terminating NUL it writes: BEGIN line, base64 in 64-column lines
 * (each ended by LF), END line ended by LF, NUL.
 */
#define PKIOT_PEM_ENCODED_SIZE(label_len, der_len)                                             \
    (2u * (size_t)(label_len) + 32u + PKIOT_BASE64_ENCODED_LEN(der_len) +                      \
     (PKIOT_BASE64_ENCODED_LEN(der_len) + 63u) / 64u + 1u)

/** Upper bound on the DER bytes in a PEM text of @p text_len characters. */
#define PKIOT_PEM_DECODED_MAX(text_len) PKIOT_BASE64_DECODED_MAX(text_len)

/** One decoded block. Offsets are relative to the start of the input buffer. */
typedef struct pkiot_pem_block {
    const char *label; /**< label inside the input buffer, not NUL-terminated */
    size_t label_len;  /**< its length (0 for an empty label) */
    size_t der_len;    /**< bytes of DER written to the caller's buffer */
    size_t begin;      /**< offset of the first '-' of the BEGIN line */
    size_t end;        /**< offset just past the END line and its line break */
} pkiot_pem_block_t;

/**
 * @brief Find and decode the next PEM block at or after offset *@p pos.
 *
 * @param in         text to search (need not be NUL-terminated); may be NULL when
 *                   @p in_len is 0
 * @param pos        in: offset to start searching; out (on success only): offset just past
 *                   the block, where the search for the next one continues
 * @param want_label NUL-terminated label to look for (e.g. "CERTIFICATE"); blocks with other
 *                   labels are skipped without being decoded. NULL accepts any label.
 * @param der        output buffer for the decoded bytes; PKIOT_PEM_DECODED_MAX(in_len)
 *                   always suffices. May be NULL only with @p der_cap 0.
 * @param blk        receives the block description (may be NULL)
 * @return PKIOT_OK;
 *         PKIOT_E_PEM_NO_BEGIN when no (further) block with a wanted label exists;
 *         PKIOT_E_PEM_BAD_LABEL for a BEGIN line with a malformed label or trailing garbage;
 *         PKIOT_E_PEM_NO_END when the END line is missing, has another label, is followed by
 *         garbage, or another BEGIN line comes first;
 *         PKIOT_E_UNSUPPORTED for RFC 1421 headers inside the block;
 *         PKIOT_E_B64_BAD_CHAR / PKIOT_E_B64_BAD_PADDING for a malformed body;
 *         PKIOT_E_BUFFER_TOO_SMALL when the DER does not fit @p der_cap (the buffer content
 *         is then unspecified);
 *         PKIOT_E_INVALID_ARG.
 *         *@p pos is left unchanged on every error.
 */
int pkiot_pem_next(const char *in, size_t in_len, size_t *pos, const char *want_label,
                   uint8_t *der, size_t der_cap, pkiot_pem_block_t *blk);

/**
 * @brief Decode every PEM block labelled @p want_label in @p in and concatenate the DER
 *        (e.g. a trust-anchor bundle of "CERTIFICATE" blocks into the concatenated DER the
 *        library and the TLS layer take).
 *
 * Arguments as for pkiot_pem_next(); @p der_len receives the bytes written.
 * @return PKIOT_OK (at least one block); PKIOT_E_PEM_NO_BEGIN when there is none; otherwise
 *         the first error of pkiot_pem_next() (*@p der_len is then 0).
 */
int pkiot_pem_decode_all(const char *in, size_t in_len, const char *want_label, uint8_t *der,
                         size_t der_cap, size_t *der_len);

/**
 * @brief Encode @p der_len bytes as a PEM block with LF line breaks and 64-column lines.
 *
 * @param label   NUL-terminated RFC 7468 label, e.g. "CERTIFICATE REQUEST"
 * @param out     buffer of at least PKIOT_PEM_ENCODED_SIZE(strlen(label), der_len) bytes; a
 *                terminating NUL is written after the text (Mbed TLS PEM parsers want it)
 * @param out_len receives the text length without the NUL; on PKIOT_E_BUFFER_TOO_SMALL,
 *                the buffer size needed including the NUL. May be NULL.
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL (nothing written), PKIOT_E_INVALID_ARG (bad
 *         label or pointers), PKIOT_E_OVERFLOW.
 */
int pkiot_pem_encode(const char *label, const uint8_t *der, size_t der_len, char *out,
                     size_t out_cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_PEM_H */
