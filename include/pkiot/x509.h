/**
 * @file x509.h
 * @brief X.509 certificate field extraction, names, signature and chain checks.
 *
 * Nothing here builds a tree or copies: pkiot_x509_cert_parse() fills a flat
 * ::pkiot_x509_cert_t whose slices point into the caller's DER buffer, which must outlive
 * it. Parsing is strict DER (minimal lengths, no trailing bytes) and bounded by the input
 * length; the nesting of a certificate is fixed, so there is no recursion.
 *
 * Error convention of every parser in lib/x509: byte-level encoding problems keep their
 * DER code (PKIOT_E_DER_TRUNCATED for input that ends early, PKIOT_E_DER_BAD_LENGTH, ...);
 * well-formed DER that is not the expected structure gives the module's error
 * (PKIOT_E_X509_FORMAT here).
 *
 * Certificate path checks (pkiot_x509_chain_check()) verify signatures through the crypto
 * port (`hash` and `verify_hash` must be set); lib/ never links a crypto library.
 */
#ifndef PKIOT_X509_H
#define PKIOT_X509_H

#include "pkiot/common.h"
#include "pkiot/crypto.h"
#include "pkiot/der.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest path pkiot_x509_chain_check() builds: intermediates between leaf and anchor. */
#ifndef PKIOT_X509_MAX_CHAIN_DEPTH
#define PKIOT_X509_MAX_CHAIN_DEPTH 8
#endif

/** Most intermediate certificates pkiot_x509_chain_check() accepts in one call. */
#define PKIOT_X509_MAX_INTERMEDIATES 32

/** @name keyUsage bits (bit n of the KeyUsage BIT STRING is (1u << n)) */
/**@{*/
#define PKIOT_KU_DIGITAL_SIGNATURE 0x0001u
#define PKIOT_KU_NON_REPUDIATION 0x0002u
#define PKIOT_KU_KEY_ENCIPHERMENT 0x0004u
#define PKIOT_KU_DATA_ENCIPHERMENT 0x0008u
#define PKIOT_KU_KEY_AGREEMENT 0x0010u
#define PKIOT_KU_KEY_CERT_SIGN 0x0020u
#define PKIOT_KU_CRL_SIGN 0x0040u
#define PKIOT_KU_ENCIPHER_ONLY 0x0080u
#define PKIOT_KU_DECIPHER_ONLY 0x0100u
/**@}*/

/** @name extKeyUsage purposes known by name */
/**@{*/
#define PKIOT_EKU_SERVER_AUTH 0x0001u      /**< id-kp-serverAuth */
#define PKIOT_EKU_CLIENT_AUTH 0x0002u      /**< id-kp-clientAuth */
#define PKIOT_EKU_CODE_SIGNING 0x0004u     /**< id-kp-codeSigning */
#define PKIOT_EKU_EMAIL_PROTECTION 0x0008u /**< id-kp-emailProtection */
#define PKIOT_EKU_TIME_STAMPING 0x0010u    /**< id-kp-timeStamping */
#define PKIOT_EKU_OCSP_SIGNING 0x0020u     /**< id-kp-OCSPSigning */
#define PKIOT_EKU_CMC_RA 0x0040u           /**< id-kp-cmcRA (RFC 6402, EST RA certificates) */
#define PKIOT_EKU_ANY 0x0080u              /**< anyExtendedKeyUsage */
#define PKIOT_EKU_OTHER 0x8000u            /**< (parsed certificates) an OID not listed above */
/**@}*/

/**
 * GeneralName choices (RFC 5280 §4.2.1.6). The value is the context tag number, so an
 * entry of a parsed subjectAltName and a requested SAN use the same type.
 */
typedef enum pkiot_x509_san_type {
    PKIOT_SAN_OTHER_NAME = 0, /**< otherName: value is the constructed contents */
    PKIOT_SAN_EMAIL = 1,      /**< rfc822Name (IA5) */
    PKIOT_SAN_DNS = 2,        /**< dNSName (IA5) */
    PKIOT_SAN_X400 = 3,       /**< x400Address: value is the raw contents */
    PKIOT_SAN_DIR_NAME = 4,   /**< directoryName: value is the Name (SEQUENCE, with header) */
    PKIOT_SAN_EDI_PARTY = 5,  /**< ediPartyName: raw contents */
    PKIOT_SAN_URI = 6,        /**< uniformResourceIdentifier (IA5) */
    PKIOT_SAN_IP = 7,         /**< iPAddress: 4 (IPv4) or 16 (IPv6) bytes */
    PKIOT_SAN_RID = 8         /**< registeredID: OID contents octets */
} pkiot_x509_san_type_t;

/** One subjectAltName entry. In parsed certificates @p value points into the DER. */
typedef struct pkiot_x509_san {
    pkiot_x509_san_type_t type;
    const uint8_t *value; /**< characters (not NUL-terminated), address bytes or contents */
    size_t len;
} pkiot_x509_san_t;

/** Public key algorithm of a SubjectPublicKeyInfo. */
typedef enum pkiot_x509_key_alg {
    PKIOT_X509_KEY_UNKNOWN = 0,
    PKIOT_X509_KEY_RSA = 1,
    PKIOT_X509_KEY_EC = 2,
    PKIOT_X509_KEY_ED25519 = 3,
    PKIOT_X509_KEY_ED448 = 4
} pkiot_x509_key_alg_t;

/**
 * Fields of a parsed certificate. Slices point into the buffer given to
 * pkiot_x509_cert_parse(); an absent optional field has len 0 (and p NULL).
 */
typedef struct pkiot_x509_cert {
    pkiot_slice_t raw;           /**< the whole Certificate TLV */
    pkiot_slice_t tbs;           /**< the whole TBSCertificate TLV: what the issuer signed */
    uint32_t version;            /**< 1, 2 or 3 */
    pkiot_slice_t serial;        /**< INTEGER contents octets (big-endian, as encoded) */
    pkiot_slice_t sig_oid;       /**< outer signatureAlgorithm OID contents */
    pkiot_slice_t sig_params;    /**< its parameters TLV, if any (NULL, or RSASSA-PSS-params) */
    pkiot_hash_alg_t sig_hash;   /**< hash of the signature algorithm, NONE if unknown */
    pkiot_slice_t signature;     /**< signatureValue bits (ECDSA: DER Ecdsa-Sig-Value) */
    pkiot_slice_t issuer;        /**< issuer Name TLV (SEQUENCE, raw DER) */
    pkiot_slice_t subject;       /**< subject Name TLV (SEQUENCE, raw DER; may be empty SEQ) */
    int64_t not_before;          /**< Unix seconds (UTC) */
    int64_t not_after;           /**< Unix seconds (UTC) */
    pkiot_slice_t spki;          /**< SubjectPublicKeyInfo TLV (raw DER) */
    pkiot_x509_key_alg_t key_alg;
    pkiot_key_type_t key_type;   /**< when the key is one pkiot can hold, else NONE */
    uint16_t key_bits;           /**< RSA modulus size or EC field size, 0 if unknown */
    pkiot_slice_t key_params;    /**< EC: namedCurve OID contents; empty otherwise */
    pkiot_slice_t public_key;    /**< subjectPublicKey bits (EC point / RSAPublicKey DER) */
    pkiot_slice_t extensions;    /**< contents of the Extensions SEQUENCE (v3), else empty */

    /* decoded extensions; has_* says whether the extension is present */
    uint8_t has_basic_constraints;
    uint8_t is_ca;               /**< basicConstraints cA */
    int32_t path_len;            /**< basicConstraints pathLenConstraint, -1 when absent */
    uint8_t has_key_usage;
    uint16_t key_usage;          /**< PKIOT_KU_* bits */
    uint8_t has_ext_key_usage;
    uint16_t ext_key_usage;      /**< PKIOT_EKU_* bits */
    pkiot_slice_t eku_oids;      /**< contents of the KeyPurposeId SEQUENCE (walk with der) */
    pkiot_slice_t san;           /**< contents of the subjectAltName GeneralNames SEQUENCE */
    pkiot_slice_t aki_key_id;    /**< authorityKeyIdentifier keyIdentifier octets */
    pkiot_slice_t ski;           /**< subjectKeyIdentifier octets */
    /** 1 when a critical extension pkiot does not process is present (nameConstraints,
     *  policyConstraints, policyMappings, inhibitAnyPolicy or an unknown one). Path
     *  validation rejects such certificates, as RFC 5280 §4.2 requires. */
    uint8_t unknown_critical;
} pkiot_x509_cert_t;

/**
 * @brief Parse a DER certificate into @p out.
 *
 * Checks: strict DER structure; exactly one Certificate spanning @p len bytes; the inner
 * and outer signature algorithms are identical; version 1..3 (extensions only in v3); a
 * serial number of 1..32 octets; UTCTime/GeneralizedTime in the RFC 5280 forms; no
 * duplicated extension of a kind pkiot decodes; well-formed values for the extensions it
 * decodes (basicConstraints, keyUsage, extKeyUsage, subjectAltName, AKI, SKI).
 *
 * @param der  certificate; must outlive @p out
 * @return PKIOT_OK; PKIOT_E_DER_* for malformed or truncated DER (PKIOT_E_DER_TRAILING when
 *         bytes follow the certificate); PKIOT_E_X509_FORMAT for well-formed DER that is not
 *         a valid certificate; PKIOT_E_TIME_FORMAT / PKIOT_E_TIME_RANGE for a malformed
 *         validity time (pkiot/datetime.h);
 *         PKIOT_E_INVALID_ARG.
 */
int pkiot_x509_cert_parse(const uint8_t *der, size_t len, pkiot_x509_cert_t *out);

/**
 * @brief Iterate the entries of a subjectAltName (or any GeneralNames contents).
 *
 * @code
 * pkiot_der_cursor_t it;
 * pkiot_x509_san_t san;
 * pkiot_der_init(&it, cert.san.p, cert.san.len);
 * while (pkiot_x509_san_next(&it, &san) == PKIOT_OK) { ... }
 * @endcode
 * @return PKIOT_OK with @p out filled, PKIOT_DONE at the end, or PKIOT_E_X509_FORMAT /
 *         PKIOT_E_DER_* on a malformed entry.
 */
int pkiot_x509_san_next(pkiot_der_cursor_t *it, pkiot_x509_san_t *out);

/**
 * @brief 1 when the certificate's extKeyUsage lists the purpose OID whose contents octets
 *        are @p oid (@p len bytes), 0 otherwise (also when the extension is absent).
 */
int pkiot_x509_cert_has_eku(const pkiot_x509_cert_t *cert, const uint8_t *oid, size_t len);

/**
 * @brief Write a Name as one readable line in RFC 4514 form ("CN=dev-1,O=Acme,C=DE": the
 *        last RDN of the DER first, so it re-parses with pkiot_x509_write_name()).
 *
 * Known attributes print by short name (CN, O, OU, C, L, ST, street, serialNumber,
 * emailAddress, DC, UID, ...), others as dotted OIDs. String values are escaped per
 * RFC 4514 (control bytes as \\XX); values that are not strings print as #hex of the DER.
 * Like snprintf: the output is always NUL-terminated when @p cap > 0, and *@p olen receives
 * the full length without the NUL even when it did not fit.
 *
 * @param name  a Name TLV (e.g. cert.subject.p / cert.subject.len)
 * @param out   destination, may be NULL when @p cap is 0 (to ask for the length)
 * @param olen  may be NULL
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL (truncated output), PKIOT_E_X509_FORMAT or
 *         PKIOT_E_DER_* for a malformed Name.
 */
int pkiot_x509_dn_to_string(const uint8_t *name, size_t name_len, char *out, size_t cap,
                            size_t *olen);

/**
 * @brief 1 when the two Name TLVs are equal: byte-identical, or the same attribute types in
 *        the same RDN structure with string values that differ only in ASCII letter case
 *        or in the choice between PrintableString and UTF8String (RFC 5280 §7.1 matching
 *        restricted to what devices meet in practice). 0 otherwise, also when malformed.
 */
#if PKIOT_X509_BUILTIN /* only path validation compares names */
int pkiot_x509_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
#endif

/**
 * @brief Dotted-decimal text of an OID's contents octets ("1.2.840.10045.2.1").
 * @return PKIOT_OK, PKIOT_E_BUFFER_TOO_SMALL (output NUL-terminated and truncated; *@p olen
 *         is the full length), PKIOT_E_DER_BAD_VALUE (not a valid OID encoding or an arc
 *         beyond 32 bits).
 */
int pkiot_x509_oid_to_string(const uint8_t *oid, size_t len, char *out, size_t cap,
                             size_t *olen);

/**
 * @brief Encode dotted-decimal text as OID contents octets (arcs up to 2^32-1; the first
 *        arc 0..2, the second below 40 unless the first is 2).
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG (malformed text), PKIOT_E_BUFFER_TOO_SMALL.
 */
int pkiot_x509_oid_from_string(const char *text, uint8_t *out, size_t cap, size_t *olen);

/**
 * @brief Check that the certificate carries the public key @p spki (a DER
 *        SubjectPublicKeyInfo as exported by crypto->key_export_spki()).
 * @return PKIOT_OK or PKIOT_E_CERT_KEY_MISMATCH (PKIOT_E_INVALID_ARG for NULL input).
 */
int pkiot_x509_cert_matches_key(const pkiot_x509_cert_t *cert, const uint8_t *spki,
                                size_t spki_len);

/**
 * @brief Check @p now (Unix seconds) against notBefore/notAfter (both inclusive).
 * @return PKIOT_OK (also when @p now is 0 or negative, e.g. PKIOT_TIME_NOW_UNKNOWN: time
 *         unknown) or PKIOT_E_CERT_EXPIRED.
 */
int pkiot_x509_cert_check_time(const pkiot_x509_cert_t *cert, int64_t now);

/**
 * @brief Verify that @p issuer's key signed @p cert.
 *
 * Hashes cert->tbs with the hash of the signature algorithm through crypto->hash and
 * verifies with crypto->verify_hash over issuer->spki. Supports ecdsa-with-SHA256/384/512
 * and sha1/sha256/sha384/sha512WithRSAEncryption (SHA-1 only when the port hashes it).
 * RSASSA-PSS and EdDSA are not supported by the port contract. Names are not compared.
 *
 * @return PKIOT_OK; PKIOT_E_CERT_BAD_SIGNATURE (signature does not verify, or the issuer
 *         key type does not match the algorithm); PKIOT_E_UNSUPPORTED (algorithm unknown,
 *         RSA-PSS, EdDSA, or crypto->hash/verify_hash missing); other crypto port errors.
 */
#if PKIOT_X509_BUILTIN /* else the crypto port's cert_verify checks signatures */
int pkiot_x509_verify_signature(const pkiot_x509_cert_t *cert,
                                const pkiot_x509_cert_t *issuer,
                                const pkiot_crypto_port_t *crypto);
#endif

/** Result details of pkiot_x509_chain_check(). */
typedef struct pkiot_x509_chain_result {
    size_t path_len;     /**< certificates in the path including leaf and anchor */
    size_t anchor_index; /**< index into the anchors array of the anchor reached */
} pkiot_x509_chain_result_t;

/**
 * @brief Find and check a certification path from @p leaf to one of @p anchors.
 *
 * Starting at the leaf, each step looks for an issuer among the trust anchors first, then
 * among the unused intermediates: its subject must equal the current certificate's issuer
 * (pkiot_x509_name_eq(); when both carry key identifiers, AKI must equal SKI), it must be a
 * CA (basicConstraints cA; trust anchors without basicConstraints, i.e. v1 roots, are
 * accepted), keyUsage, when present, must allow keyCertSign, pathLenConstraint must
 * allow the intermediates below it, and its key must verify the signature. The first
 * candidate passing every check is taken (no backtracking across alternatives that pass).
 * A leaf byte-identical to a trust anchor is trusted as it is. Certificates with an
 * unprocessed critical extension are rejected.
 *
 * Validity: when @p now is positive every certificate on the path, the anchor included,
 * must be valid at @p now; 0 or a negative value skips the check (the device may not know
 * the time yet).
 *
 * @param leaf           the parsed end-entity certificate
 * @param intermediates  candidate intermediate certificates (DER slices, any order, may
 *                       contain the leaf or unrelated certificates), may be NULL if @p n_int
 *                       is 0; at most PKIOT_X509_MAX_INTERMEDIATES
 * @param anchors        trust anchors (DER certificates); malformed ones are skipped
 * @param now            Unix seconds, or 0 / negative when unknown
 * @param crypto         port with hash and verify_hash (with PKIOT_X509_BUILTIN = 0:
 *                       cert_verify)
 * @param result         may be NULL
 * @return PKIOT_OK; PKIOT_E_CERT_UNTRUSTED (no path to an anchor, path too long, path length
 *         constraint violated or unprocessed critical extension); PKIOT_E_CERT_EXPIRED (a
 *         certificate on the only path found is outside its validity); PKIOT_E_CERT_NOT_CA
 *         (the issuer found is not allowed to issue certificates);
 *         PKIOT_E_CERT_BAD_SIGNATURE (the issuer found does not verify the signature);
 *         PKIOT_E_INVALID_ARG; PKIOT_E_UNSUPPORTED / crypto errors from the port. When several
 *         candidates fail, the error of the one that got furthest is reported.
 *
 * Built with PKIOT_X509_BUILTIN = 0, everything after the "leaf is an anchor" test is
 * the crypto port's cert_verify (see ::pkiot_crypto_port_t): the same checks by the
 * provider's X.509 code, under the provider's rules where they are stricter (see the port's
 * header), which reports every failure other than validity as PKIOT_E_CERT_UNTRUSTED
 * (PKIOT_E_UNSUPPORTED when the port has no cert_verify).
 */
int pkiot_x509_chain_check(const pkiot_x509_cert_t *leaf, const pkiot_slice_t *intermediates,
                           size_t n_int, const pkiot_slice_t *anchors, size_t n_anchors,
                           int64_t now, const pkiot_crypto_port_t *crypto,
                           pkiot_x509_chain_result_t *result);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_X509_H */
