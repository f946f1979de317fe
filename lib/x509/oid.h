/*
 * Object identifiers used by lib/ modules, as the contents octets of their DER encoding
 * (string literals, so a module pays only for the ones it uses), plus the internal tables
 * and helpers shared by the lib/x509 sources.
 *
 * Use with the PKIOT_OID_ARG() helper where an (oid, len) pair is expected:
 *     pkiot_der_oid_eq(&tlv, PKIOT_OID_ARG(PKIOT_OID_EXTENSION_REQUEST))
 *     pkiot_der_w_oid(&w, PKIOT_OID_ARG(PKIOT_OID_ECDSA_SHA256))
 */
#ifndef PKIOT_LIB_X509_OID_H
#define PKIOT_LIB_X509_OID_H

#include "pkiot/der.h"

/** Expands to the `const uint8_t *, size_t` pair of an OID literal below. */
#define PKIOT_OID_ARG(o) ((const uint8_t *)(o)), (sizeof(o) - 1u)
/** Length of an OID literal below. */
#define PKIOT_OID_LEN(o) (sizeof(o) - 1u)

/* --- public key algorithms and curves -------------------------------------------------- */
#define PKIOT_OID_RSA_ENCRYPTION "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01" /* 1.2.840.113549.1.1.1 */
#define PKIOT_OID_EC_PUBLIC_KEY "\x2A\x86\x48\xCE\x3D\x02\x01"          /* 1.2.840.10045.2.1 */
#define PKIOT_OID_SECP256R1 "\x2A\x86\x48\xCE\x3D\x03\x01\x07"          /* 1.2.840.10045.3.1.7 */
#define PKIOT_OID_SECP384R1 "\x2B\x81\x04\x00\x22"                      /* 1.3.132.0.34 */
#define PKIOT_OID_SECP521R1 "\x2B\x81\x04\x00\x23"                      /* 1.3.132.0.35 */
#define PKIOT_OID_ED25519 "\x2B\x65\x70"                                /* 1.3.101.112 */
#define PKIOT_OID_ED448 "\x2B\x65\x71"                                  /* 1.3.101.113 */

/* --- signature algorithms -------------------------------------------------------------- */
#define PKIOT_OID_SHA1_RSA "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x05"   /* sha1WithRSAEncryption */
#define PKIOT_OID_RSASSA_PSS "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0A" /* id-RSASSA-PSS */
#define PKIOT_OID_SHA256_RSA "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0B" /* sha256WithRSAEncryption */
#define PKIOT_OID_SHA384_RSA "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0C" /* sha384WithRSAEncryption */
#define PKIOT_OID_SHA512_RSA "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0D" /* sha512WithRSAEncryption */
#define PKIOT_OID_ECDSA_SHA1 "\x2A\x86\x48\xCE\x3D\x04\x01"         /* ecdsa-with-SHA1 */
#define PKIOT_OID_ECDSA_SHA256 "\x2A\x86\x48\xCE\x3D\x04\x03\x02"   /* ecdsa-with-SHA256 */
#define PKIOT_OID_ECDSA_SHA384 "\x2A\x86\x48\xCE\x3D\x04\x03\x03"   /* ecdsa-with-SHA384 */
#define PKIOT_OID_ECDSA_SHA512 "\x2A\x86\x48\xCE\x3D\x04\x03\x04"   /* ecdsa-with-SHA512 */

/* --- digest algorithms ----------------------------------------------------------------- */
#define PKIOT_OID_SHA1 "\x2B\x0E\x03\x02\x1A"                         /* 1.3.14.3.2.26 */
#define PKIOT_OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"       /* 2.16.840.1.101.3.4.2.1 */
#define PKIOT_OID_SHA384 "\x60\x86\x48\x01\x65\x03\x04\x02\x02"       /* 2.16.840.1.101.3.4.2.2 */
#define PKIOT_OID_SHA512 "\x60\x86\x48\x01\x65\x03\x04\x02\x03"       /* 2.16.840.1.101.3.4.2.3 */

/* --- PKCS#7 / CMS content types -------------------------------------------------------- */
#define PKIOT_OID_PKCS7_DATA "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01"      /* id-data */
#define PKIOT_OID_PKCS7_SIGNED_DATA "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02" /* id-signedData */
#define PKIOT_OID_PKCS7_ENVELOPED_DATA "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x03"

/* --- PKCS#9 attributes ----------------------------------------------------------------- */
#define PKIOT_OID_PKCS9_EMAIL "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x01"        /* emailAddress */
#define PKIOT_OID_PKCS9_CONTENT_TYPE "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x03"
#define PKIOT_OID_PKCS9_MESSAGE_DIGEST "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x04"
#define PKIOT_OID_PKCS9_SIGNING_TIME "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x05"
#define PKIOT_OID_CHALLENGE_PASSWORD "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x07"
#define PKIOT_OID_EXTENSION_REQUEST "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x0E"
/* RFC 9908: id-aa-certificationRequestInfoTemplate (id-aa 61), id-aa-extensionReqTemplate
 * (id-aa 62), id-aa = 1.2.840.113549.1.9.16.2 */
#define PKIOT_OID_CRI_TEMPLATE "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x02\x3D"
#define PKIOT_OID_EXT_REQ_TEMPLATE "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x02\x3E"

/* --- certificate extensions (2.5.29.x) ------------------------------------------------- */
#define PKIOT_OID_EXT_SKI "\x55\x1D\x0E"
#define PKIOT_OID_EXT_KEY_USAGE "\x55\x1D\x0F"
#define PKIOT_OID_EXT_SAN "\x55\x1D\x11"
#define PKIOT_OID_EXT_IAN "\x55\x1D\x12"
#define PKIOT_OID_EXT_BASIC_CONSTRAINTS "\x55\x1D\x13"
#define PKIOT_OID_EXT_NAME_CONSTRAINTS "\x55\x1D\x1E"
#define PKIOT_OID_EXT_CRL_DP "\x55\x1D\x1F"
#define PKIOT_OID_EXT_CERT_POLICIES "\x55\x1D\x20"
#define PKIOT_OID_EXT_POLICY_MAPPINGS "\x55\x1D\x21"
#define PKIOT_OID_EXT_AKI "\x55\x1D\x23"
#define PKIOT_OID_EXT_POLICY_CONSTRAINTS "\x55\x1D\x24"
#define PKIOT_OID_EXT_EXT_KEY_USAGE "\x55\x1D\x25"
#define PKIOT_OID_EXT_INHIBIT_ANY_POLICY "\x55\x1D\x36"
#define PKIOT_OID_EXT_AIA "\x2B\x06\x01\x05\x05\x07\x01\x01" /* 1.3.6.1.5.5.7.1.1 */

/* --- extended key usage purposes (1.3.6.1.5.5.7.3.x) ----------------------------------- */
#define PKIOT_OID_KP_SERVER_AUTH "\x2B\x06\x01\x05\x05\x07\x03\x01"
#define PKIOT_OID_KP_CLIENT_AUTH "\x2B\x06\x01\x05\x05\x07\x03\x02"
#define PKIOT_OID_KP_CODE_SIGNING "\x2B\x06\x01\x05\x05\x07\x03\x03"
#define PKIOT_OID_KP_EMAIL_PROTECTION "\x2B\x06\x01\x05\x05\x07\x03\x04"
#define PKIOT_OID_KP_TIME_STAMPING "\x2B\x06\x01\x05\x05\x07\x03\x08"
#define PKIOT_OID_KP_OCSP_SIGNING "\x2B\x06\x01\x05\x05\x07\x03\x09"
#define PKIOT_OID_KP_CMC_RA "\x2B\x06\x01\x05\x05\x07\x03\x1C" /* RFC 6402 id-kp-cmcRA */
#define PKIOT_OID_ANY_EKU "\x55\x1D\x25\x00"                     /* anyExtendedKeyUsage */

/* --- X.520 / RFC 4519 naming attributes ------------------------------------------------ */
#define PKIOT_OID_AT_CN "\x55\x04\x03"
#define PKIOT_OID_AT_SERIAL_NUMBER "\x55\x04\x05"
#define PKIOT_OID_AT_COUNTRY "\x55\x04\x06"
#define PKIOT_OID_AT_ORG "\x55\x04\x0A"
#define PKIOT_OID_AT_ORG_UNIT "\x55\x04\x0B"
#define PKIOT_OID_AT_DC "\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x19"  /* 0.9.2342.19200300.100.1.25 */
#define PKIOT_OID_AT_UID "\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x01" /* 0.9.2342.19200300.100.1.1 */

/* ---------------------------------------------------------------------------------------- */
/* Internal tables and helpers shared by lib/x509 (not part of the public API).             */
/* ---------------------------------------------------------------------------------------- */

/** A naming attribute the DN string syntax knows by name. Its names and OID are reached
 *  through the functions below: the table stores no pointers, which keeps it small. */
typedef struct pkiot_x509_dn_attr {
    uint8_t arc_base;    /**< private: which OID arc the attribute type sits under */
    uint8_t arc_last;    /**< private: last contents octet of its OID */
    uint8_t str_tag;     /**< string type used when encoding */
    uint16_t max_chars;  /**< RFC 5280 upper bound in characters, 0 = none */
} pkiot_x509_dn_attr_t;

/** Longest OID contents of a naming attribute in the table. */
#define PKIOT_X509_DN_ATTR_OID_MAX 10u

/** Look up a naming attribute by (case-insensitive) name of @p len bytes; NULL if unknown. */
const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_name(const char *name, size_t len);

/** Look up a naming attribute by OID contents; NULL if unknown. */
const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_oid(const uint8_t *oid, size_t len);

/** Short name used when printing ("CN"). */
const char *pkiot_x509_dn_attr_name(const pkiot_x509_dn_attr_t *attr);

/** Copy the attribute's OID contents to @p out; @return their length. */
size_t pkiot_x509_dn_attr_oid(const pkiot_x509_dn_attr_t *attr,
                              uint8_t out[PKIOT_X509_DN_ATTR_OID_MAX]);

/** Signature algorithm families. */
#define PKIOT_X509_SIGFAM_NONE 0u
#define PKIOT_X509_SIGFAM_RSA 1u   /* RSASSA-PKCS1-v1_5 */
#define PKIOT_X509_SIGFAM_ECDSA 2u
#define PKIOT_X509_SIGFAM_RSA_PSS 3u
#define PKIOT_X509_SIGFAM_EDDSA 4u

/**
 * Decode a signature AlgorithmIdentifier's OID contents into a family and hash.
 * @return 1 when known, 0 otherwise (*fam = NONE).
 */
int pkiot_x509_sigalg_lookup(const uint8_t *oid, size_t len, unsigned *fam,
                             pkiot_hash_alg_t *hash);

/** OID contents of the signature algorithm for @p fam + @p hash, or NULL. */
const char *pkiot_x509_sigalg_oid(unsigned fam, pkiot_hash_alg_t hash, size_t *len);

/**
 * Sort the elements of a DER SET OF in place (X.690 11.6: ascending encodings), for the
 * @p len contents bytes at @p p. Elements are moved with in-place rotations, so no scratch
 * memory is needed. @return PKIOT_OK or a DER error when the contents are not a TLV list.
 */
int pkiot_x509_der_sort_set(uint8_t *p, size_t len);

/** Exchange the adjacent blocks [p, p+a) and [p+a, p+a+b) in place (three reversals). */
void pkiot_x509_swap_blocks(uint8_t *p, size_t a, size_t b);

/** pkiot_x509_oid_from_string() for the @p len characters at @p text (no NUL needed). */
int pkiot_x509_oid_parse(const char *text, size_t len, uint8_t *out, size_t cap, size_t *olen);

/** ASCII case-insensitive comparison of @p len bytes; 0 when equal. */
int pkiot_x509_ascii_casecmp(const char *a, const char *b, size_t len);

#endif /* PKIOT_LIB_X509_OID_H */
