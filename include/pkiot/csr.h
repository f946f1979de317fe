/**
 * @file csr.h
 * @brief PKCS#10 certification request builder (RFC 2986), DN/SAN string encoding and the
 *        EST CSR attributes parser (RFC 7030 §4.5.2, RFC 8951, RFC 9908).
 *
 * The builder writes DER backwards into one caller buffer (see der.h), hashes the
 * CertificationRequestInfo through the crypto port and signs it with crypto->sign_hash.
 * Signing may be interruptible: pkiot_csr_build() then returns PKIOT_WANT_CRYPTO and is
 * called again with the same arguments; the to-be-signed bytes stay in the caller's buffer
 * and the small ::pkiot_csr_ctx_t remembers where.
 *
 * Subject strings follow RFC 4514: `CN=dev-1,O=Acme,C=DE`. Commas separate RDNs and the
 * first RDN of the string is the *last* of the encoded Name (so the usual string above
 * encodes as C, O, CN); `+` joins the attributes of a multi-valued RDN; a backslash escapes
 * one of `,+"\<>;=#` or a space, or introduces two hex digits (a UTF-8 byte); a value that
 * starts with `#` is the hex of a complete DER value. Spaces around separators are ignored.
 * Attribute names are case-insensitive: CN, SN (surname), serialNumber, C, L, ST (or S),
 * street, O, OU, title, postalCode, GN (givenName), initials, generationQualifier,
 * dnQualifier, pseudonym, organizationIdentifier, emailAddress (or E), DC, UID, or a dotted
 * OID. Values are UTF8String except C, serialNumber and dnQualifier (PrintableString) and
 * emailAddress and DC (IA5String), as RFC 5280 requires; C must be two letters; RFC 5280
 * upper bounds on lengths are enforced.
 *
 * SAN strings: `DNS:host.example`, `IP:192.0.2.7`, `IP:2001:db8::7`, `URI:urn:dev:1`,
 * `email:dev@example.com` (prefixes case-insensitive; `RID:1.2.3` for a registeredID).
 */
#ifndef PKIOT_CSR_H
#define PKIOT_CSR_H

#include "pkiot/common.h"
#include "pkiot/crypto.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name csrattrs capacities (override at build time) */
/**@{*/
#ifndef PKIOT_CSRATTRS_MAX_EXTENSIONS
#define PKIOT_CSRATTRS_MAX_EXTENSIONS 8 /**< complete extensions the server may dictate */
#endif
#ifndef PKIOT_CSRATTRS_MAX_ATTRIBUTES
#define PKIOT_CSRATTRS_MAX_ATTRIBUTES 4 /**< attributes with values the server may dictate */
#endif
#ifndef PKIOT_CSRATTRS_MAX_OIDS
#define PKIOT_CSRATTRS_MAX_OIDS 8 /**< bare OIDs / value-less extension requests kept */
#endif
/**@}*/

/** Key family a csrattrs response asks for. */
typedef enum pkiot_csrattrs_key_family {
    PKIOT_CSRATTRS_KEY_ANY = 0, /**< no requirement */
    PKIOT_CSRATTRS_KEY_EC = 1,
    PKIOT_CSRATTRS_KEY_RSA = 2,
    PKIOT_CSRATTRS_KEY_OTHER = 3 /**< e.g. Ed25519: not a ::pkiot_key_type_t */
} pkiot_csrattrs_key_family_t;

/**
 * What an EST server asked for in its CSR attributes response. Slices point into the
 * buffer given to pkiot_csrattrs_parse(), which must outlive this struct and any CSR
 * built from it.
 */
typedef struct pkiot_csrattrs {
    pkiot_csrattrs_key_family_t key_family;
    /** Exact key when the curve (P-256/P-384) or RSA size (2048/3072/4096) is named, else
     *  PKIOT_KEY_NONE (see key_bits / curve_oid). */
    pkiot_key_type_t key_type;
    uint16_t key_bits;          /**< requested RSA modulus bits or EC curve size, 0 = any */
    pkiot_slice_t curve_oid;    /**< requested namedCurve OID contents, if any */
    /** Hash of a requested signature algorithm (ecdsa-with-SHA384 -> SHA384), or NONE. */
    pkiot_hash_alg_t hash;
    uint8_t challenge_password; /**< 1: the server wants a challengePassword attribute */
    uint8_t has_template;       /**< 1: an RFC 9908 CertificationRequestInfoTemplate was seen */
    /** RFC 9908 NameTemplate TLV (a SEQUENCE like a Name whose values may be absent). */
    pkiot_slice_t subject_template;
    /** 1 when every attribute of subject_template has a value: it is then a valid Name and
     *  pkiot_csr_build() uses it when the caller gives no subject. */
    uint8_t subject_complete;
    /** Complete Extension TLVs to include in the CSR (from an extensionRequest attribute or
     *  template extensions that carry a value). */
    pkiot_slice_t extensions[PKIOT_CSRATTRS_MAX_EXTENSIONS];
    size_t n_extensions;
    /** extnID contents of extensions the server wants but leaves to the client (RFC 9908
     *  ExtensionTemplate without extnValue). */
    pkiot_slice_t ext_requests[PKIOT_CSRATTRS_MAX_OIDS];
    size_t n_ext_requests;
    /** Complete Attribute TLVs with values of types pkiot does not interpret; the CSR
     *  builder copies them into the request attributes. */
    pkiot_slice_t attributes[PKIOT_CSRATTRS_MAX_ATTRIBUTES];
    size_t n_attributes;
    /** Other bare OIDs (contents octets), e.g. macAddress or serialNumber: informational,
     *  RFC 7030 leaves their meaning to the client. */
    pkiot_slice_t oids[PKIOT_CSRATTRS_MAX_OIDS];
    size_t n_oids;
    size_t n_oids_dropped;      /**< bare OIDs beyond PKIOT_CSRATTRS_MAX_OIDS (ignored) */
} pkiot_csrattrs_t;

/**
 * @brief Parse a CSR attributes response (the base64-decoded body of /csrattrs).
 *
 * CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID; AttrOrOID ::= CHOICE { OBJECT
 * IDENTIFIER, Attribute }. Understood:
 * - bare challengePassword -> challenge_password = 1;
 * - bare ecPublicKey / rsaEncryption / Ed25519 / a bare named curve (secp256r1, secp384r1,
 *   secp521r1, brainpool) -> key_family (+ curve);
 * - Attribute { ecPublicKey, { namedCurve } } -> EC key on that curve;
 *   Attribute { rsaEncryption, { INTEGER bits } } -> RSA key of that size (RFC 9908);
 * - bare signature algorithm OIDs (ecdsa-with-SHA256/384/512, shaNNNWithRSAEncryption)
 *   -> hash (and key family, when none was named); bare digest OIDs (id-sha256/384/512,
 *   as libest's example server sends) -> hash;
 * - Attribute { extensionRequest, { Extensions } } -> extensions;
 * - RFC 9908 Attribute { id-aa-certificationRequestInfoTemplate, { template } }: subject
 *   template, key algorithm from subjectPKInfo, extensionRequest and
 *   id-aa-extensionReqTemplate attributes (values -> extensions, no value ->
 *   ext_requests), challengePassword. When a template is present it is authoritative for
 *   the key and the extensions: extension requests outside it are ignored (RFC 9908 §4).
 * Unknown OIDs and attributes are kept (oids / attributes), never an error.
 *
 * Compatibility: the example in RFC 7030 §4.5.2 (erratum 4384) declares an outer length
 * shorter than its contents. When an element of the list runs past the declared end and
 * there are more input bytes, the rest of the input is read as the list; the strict reading
 * is always tried first.
 *
 * @return PKIOT_OK; PKIOT_E_DER_* for malformed DER; PKIOT_E_CSRATTRS_FORMAT for well-formed
 *         DER that is not CsrAttrs (or two extensionRequest / template attributes);
 *         PKIOT_E_OVERFLOW when extensions / attributes / ext_requests exceed capacity.
 */
int pkiot_csrattrs_parse(const uint8_t *der, size_t len, pkiot_csrattrs_t *out);

/** A CSR's content. Zero-initialise, then set what is needed. */
typedef struct pkiot_csr_params {
    /** Subject DN string (see the file comment); NULL or "" for none (empty Name). */
    const char *subject;
    /** Pre-encoded subject Name TLV, used when @p subject is NULL (e.g. the subject of the
     *  current certificate for a re-enrollment). */
    pkiot_slice_t subject_der;

    /** SANs as strings ("DNS:x", "IP:...", "URI:...", "email:..."). */
    const char *const *san_strings;
    size_t n_san_strings;
    /** SANs as structs (IP: 4 or 16 bytes); written after the strings. */
    const pkiot_x509_san_t *sans;
    size_t n_sans;
    /** SANs pre-encoded: the contents of a GeneralNames SEQUENCE (e.g. the current
     *  certificate's subjectAltName for a re-enrollment, which RFC 7030 §4.2.2 wants
     *  identical), copied as they are. Each element must be a whole context-tagged TLV
     *  (else PKIOT_E_INVALID_ARG). Used only when there are no @p san_strings and no
     *  @p sans. */
    pkiot_slice_t san_der;

    uint16_t key_usage;          /**< PKIOT_KU_* bits; 0 = no keyUsage extension */
    uint8_t key_usage_critical;  /**< mark keyUsage critical (RFC 5280 SHOULD) */
    uint16_t ext_key_usage;      /**< PKIOT_EKU_* bits (not OTHER) */
    /** Further KeyPurposeId OIDs (contents octets, see pkiot_x509_oid_from_string()). */
    const pkiot_slice_t *eku_oids;
    size_t n_eku_oids;
    uint8_t ext_key_usage_critical;

    uint8_t basic_constraints;   /**< 1: include basicConstraints (critical) */
    uint8_t bc_ca;               /**< its cA flag */
    int32_t bc_path_len;         /**< pathLenConstraint, -1 for none (only with cA) */

    /** PKCS#9 challengePassword (NUL-terminated, 1..255 bytes), or NULL. Encoded as
     *  PrintableString when possible, else UTF8String. Never logged. */
    const char *challenge_password;

    /** Complete Extension TLVs to add (e.g. from a csrattrs response or the application). An
     *  extension here replaces a generated one with the same extnID. */
    const pkiot_slice_t *extra_extensions;
    size_t n_extra_extensions;
    /** Complete Attribute TLVs to add to the request attributes (not extensionRequest). */
    const pkiot_slice_t *extra_attributes;
    size_t n_extra_attributes;

    /** A parsed csrattrs response to apply, or NULL: its extensions and attributes are added
     *  (after extra_extensions / extra_attributes, duplicates by extnID skipped), its hash
     *  is used when @p hash is NONE, its complete subject template when no subject is
     *  given. The key type and challengePassword requests are the caller's to honour.
     *  Ignored in builds without PKIOT_EST_CSRATTRS (which have no csrattrs parser). */
    const pkiot_csrattrs_t *csrattrs;

    /** Signature hash; PKIOT_HASH_NONE: csrattrs' choice, else SHA-384 for P-384 keys and
     *  SHA-256 for P-256 and RSA keys. */
    pkiot_hash_alg_t hash;
} pkiot_csr_params_t;

/** Builder state. Caller-owned; must stay at the same address between calls. */
typedef struct pkiot_csr_ctx {
    uint8_t state;                        /**< private */
    pkiot_hash_alg_t hash;                /**< private */
    pkiot_key_type_t key_type;            /**< private */
    const uint8_t *buf;                   /**< private: buffer of the pending request */
    size_t cap;                           /**< private */
    size_t tbs_off;                       /**< private: TBS position in buf */
    size_t tbs_len;                       /**< private */
    size_t digest_len;                    /**< private */
    uint8_t digest[PKIOT_HASH_MAX_SIZE];  /**< private */
} pkiot_csr_ctx_t;

/**
 * Largest signature of a key type (DER ECDSA signatures at their maximum length), 0 for a
 * type the builder cannot sign with.
 */
size_t pkiot_csr_sig_max(pkiot_key_type_t type);

/** Room pkiot_csr_build() needs beyond the CertificationRequestInfo: the signature of at
 *  most @p sig_max bytes plus the algorithm identifier and headers. */
#define PKIOT_CSR_EXTRA(sig_max) ((size_t)(sig_max) + 32u)

/** Reset a builder (before building a new request). */
void pkiot_csr_init(pkiot_csr_ctx_t *ctx);

/**
 * @brief Build and sign a PKCS#10 request for @p key.
 *
 * The public key comes from crypto->key_export_spki(), the digest from crypto->hash() and
 * the signature from crypto->sign_hash(); the algorithm is ecdsa-with-SHA256/384/512 for
 * EC keys and shaNNNWithRSAEncryption for RSA keys. All extensions requested (subjectAltName,
 * keyUsage, extKeyUsage, basicConstraints, extra and csrattrs ones) are carried in one
 * PKCS#9 extensionRequest attribute; attributes are sorted as DER SET OF requires.
 *
 * Buffer: the request is assembled in place, so @p cap only has to hold the final CSR as it
 * would be with the longest signature of the key type (pkiot_csr_sig_max()); that is at most
 * CRI + PKIOT_CSR_EXTRA(pkiot_csr_sig_max(type)), checked before signing
 * (PKIOT_E_BUFFER_TOO_SMALL). The signature is first produced in the free front of @p buf.
 * Measured for "CN=dev-1,O=Acme,C=DE", two SANs, keyUsage and extKeyUsage: P-256 ~ 322
 * bytes, P-384 ~ 384, RSA-2048 716, RSA-3072 972, RSA-4096 1228 (ECDSA requests vary by a
 * byte or two with the signature). The CSR is left at the end of @p buf.
 *
 * Resumption: when crypto->sign_hash returns PKIOT_WANT_CRYPTO this returns it too; call
 * again with the same @p ctx, @p crypto, @p key, @p buf and @p cap (@p params is not read
 * again) until PKIOT_OK. Any error resets @p ctx; pkiot_csr_init() abandons a pending build.
 *
 * @param csr      receives a pointer into @p buf to the DER request
 * @param csr_len  receives its length
 * @return PKIOT_OK; PKIOT_WANT_CRYPTO; PKIOT_E_X509_DN_SYNTAX / PKIOT_E_X509_UNKNOWN_ATTR (bad
 *         subject string); PKIOT_E_X509_SAN_SYNTAX; PKIOT_E_BUFFER_TOO_SMALL;
 *         PKIOT_E_INVALID_ARG (bad parameter combination, e.g. a challenge password over
 *         255 bytes or an unsupported key/hash pair); PKIOT_E_UNSUPPORTED (port lacks
 *         key_export_spki/hash/sign_hash); PKIOT_E_STATE (continuation with another buffer);
 *         crypto port errors.
 */
int pkiot_csr_build(pkiot_csr_ctx_t *ctx, const pkiot_csr_params_t *params,
                    const pkiot_crypto_port_t *crypto, const pkiot_key_ref_t *key,
                    uint8_t *buf, size_t cap, const uint8_t **csr, size_t *csr_len);

/**
 * @brief Prepend the DER Name for an RFC 4514 subject string to a backward writer.
 *        NULL or "" writes an empty Name (SEQUENCE {}).
 * @return PKIOT_OK; PKIOT_E_X509_DN_SYNTAX (malformed string, bad characters for the
 *         string type, bad length, invalid UTF-8); PKIOT_E_X509_UNKNOWN_ATTR (unknown
 *         attribute name); the writer's error (PKIOT_E_BUFFER_TOO_SMALL).
 */
int pkiot_x509_write_name(pkiot_der_writer_t *w, const char *dn);

/**
 * @brief Parse one SAN string ("DNS:x", "IP:...", "URI:...", "email:...", "RID:1.2.3").
 * @param ip_buf  receives the binary address for IP entries (and RID OID bytes, up to 16);
 *                out->value then points to it
 * @return PKIOT_OK or PKIOT_E_X509_SAN_SYNTAX.
 */
int pkiot_x509_san_from_string(const char *s, pkiot_x509_san_t *out, uint8_t ip_buf[16]);

/**
 * @brief Prepend the Extensions SEQUENCE the request parameters describe (subjectAltName,
 *        keyUsage, extKeyUsage, basicConstraints, extra and csrattrs extensions). Nothing
 *        is written when there are none. Reusable for a CMP CertTemplate.
 * @param count  receives the number of extensions written (may be NULL)
 * @return PKIOT_OK, PKIOT_E_X509_SAN_SYNTAX, PKIOT_E_INVALID_ARG, PKIOT_E_DER_* (a malformed
 *         extra extension), or the writer's error.
 */
int pkiot_csr_write_extensions(pkiot_der_writer_t *w, const pkiot_csr_params_t *params,
                               size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_CSR_H */
