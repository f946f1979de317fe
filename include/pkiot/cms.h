/**
 * @file cms.h
 * @brief CMS SignedData "certs-only" reader (degenerate PKCS#7, RFC 5652 §5, RFC 7030
 *        §4.1.3 / §4.2.3): the body of EST /cacerts and /simpleenroll responses.
 *
 * @code
 * pkiot_cms_certs_t it;
 * pkiot_slice_t cert;
 * int rc = pkiot_cms_certs_init(&it, der, der_len);   // der: base64-decoded body
 * while (rc == PKIOT_OK && (rc = pkiot_cms_certs_next(&it, &cert)) == PKIOT_OK) {
 *     ... cert.p / cert.len is one DER certificate inside der ...
 * }
 * // rc == PKIOT_DONE after the last certificate
 * @endcode
 *
 * Accepted: ContentInfo { id-signedData, [0] SignedData { version, digestAlgorithms,
 * encapContentInfo { eContentType, [0] eContent OPTIONAL }, certificates [0] IMPLICIT
 * OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos } }. For certs-only the digest
 * algorithms and signer infos are empty and eContent is absent; they are checked for
 * form only (SET / SEQUENCE), so the certificates of a signed message can be read too.
 * BER is tolerated in the envelope, as some servers emit it: indefinite lengths and
 * non-minimal length octets (pkiot_der_next_ber()). Each certificate must itself be a DER
 * SEQUENCE; entries of other CertificateChoices (attribute certificates, ...) are skipped.
 * Certificates are not parsed: use pkiot_x509_cert_parse() on each.
 */
#ifndef PKIOT_CMS_H
#define PKIOT_CMS_H

#include "pkiot/common.h"
#include "pkiot/der.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Iterator over the certificates of a SignedData. Fields are private. */
typedef struct pkiot_cms_certs {
    pkiot_der_cursor_t cur; /**< private: position in the CertificateSet */
    size_t count;           /**< number of certificates (X.509 SEQUENCE entries) */
    size_t index;           /**< private: next certificate */
} pkiot_cms_certs_t;

/**
 * @brief Check the whole envelope and position @p it before the first certificate.
 * @param der  ContentInfo; must outlive the iterator and the slices it yields
 * @return PKIOT_OK (it->count >= 1); PKIOT_E_CMS_NO_CERTS (well-formed, but no
 *         certificate); PKIOT_E_CMS_FORMAT (not a SignedData of the expected shape);
 *         PKIOT_E_DER_* (malformed or truncated encoding, PKIOT_E_DER_TRAILING for bytes
 *         after the ContentInfo); PKIOT_E_INVALID_ARG.
 */
int pkiot_cms_certs_init(pkiot_cms_certs_t *it, const uint8_t *der, size_t len);

/**
 * @brief Next certificate.
 * @return PKIOT_OK with @p cert set to the whole Certificate TLV, PKIOT_DONE after the
 *         last one, PKIOT_E_INVALID_ARG.
 */
int pkiot_cms_certs_next(pkiot_cms_certs_t *it, pkiot_slice_t *cert);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_CMS_H */
