/**
 * @file crypto.h
 * @brief The crypto port: every cryptographic operation the protocol core needs.
 *
 * The core never links a crypto library; it calls these function pointers. A port is a
 * struct of function pointers plus an opaque context owned by the caller. The reference
 * implementation is `ports/mbedtls` (Mbed TLS 3.6, legacy and PSA variants).
 *
 * Keys are handles (::pkiot_key_ref_t): opaque bytes chosen by the port. A PSA port stores a
 * persistent key id there and the private key never leaves the key store; a software port may
 * store the private key itself (PKCS#8 DER), in which case the reference is a secret and the
 * core zeroizes every copy it holds. The core persists key references in its checkpoint so the
 * same key is used after a reboot: a reference must therefore stay valid across power cycles
 * until key_destroy() is called.
 *
 * Return contract for every function: PKIOT_OK, PKIOT_WANT_CRYPTO (only where stated: the
 * operation is interruptible and made progress; call again with identical arguments), or a
 * negative PKIOT_E_* code (PKIOT_E_CRYPTO* or PKIOT_E_BUFFER_TOO_SMALL / PKIOT_E_INVALID_ARG).
 * Functions a port does not implement are NULL; the core then fails the feature that needs
 * them with PKIOT_E_UNSUPPORTED.
 */
#ifndef PKIOT_CRYPTO_H
#define PKIOT_CRYPTO_H

#include "pkiot/common.h"
#include "pkiot/config.h"

struct pkiot_x509_cert; /* pkiot/x509.h, which includes this header */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Largest key reference a port may produce, sized by the key types the build enables: with
 * RSA, an RSA-4096 PKCS#8 DER (some EST servers generate RSA-4096 keys for /serverkeygen
 * whatever the request says); EC only, a P-384 PKCS#8 DER. A PSA key id needs 4 bytes.
 */
#ifndef PKIOT_KEY_REF_MAX
#if PKIOT_ENABLE_RSA
#define PKIOT_KEY_REF_MAX 2400
#else
#define PKIOT_KEY_REF_MAX 192
#endif
#endif

/** Opaque, persistable handle to a private key. */
typedef struct pkiot_key_ref {
    pkiot_key_type_t type; /**< key type, filled in by the port */
    uint16_t len;          /**< used bytes of data */
    uint8_t data[PKIOT_KEY_REF_MAX];
} pkiot_key_ref_t;

/** Largest DER SubjectPublicKeyInfo of a supported key (RSA-4096 = 550 bytes). */
#define PKIOT_SPKI_MAX 600
/** Largest signature of a supported key (RSA-4096 = 512; ECDSA P-384 DER ≤ 104). */
#define PKIOT_SIG_MAX 512

/** Symmetric ciphers used by SCEP/CMP envelopes. */
typedef enum pkiot_cipher {
    PKIOT_CIPHER_AES128_CBC = 1,
    PKIOT_CIPHER_AES192_CBC = 2,
    PKIOT_CIPHER_AES256_CBC = 3,
    PKIOT_CIPHER_DES_CBC = 4,  /**< decrypt only: legacy SCEP servers */
    PKIOT_CIPHER_DES3_CBC = 5  /**< decrypt only: legacy SCEP servers */
} pkiot_cipher_t;

/** The crypto port. All pointers except ctx may be NULL when unsupported. */
typedef struct pkiot_crypto_port {
    void *ctx; /**< passed back as the first argument; owned by the caller */

    /** Fill @p out with @p len bytes from a cryptographically secure RNG. */
    int (*random)(void *ctx, uint8_t *out, size_t len);

    /**
     * Generate a new private key of @p type and describe it in @p key.
     * May return PKIOT_WANT_CRYPTO (RSA generation, interruptible ports).
     * @p slot_hint lets a PSA port pick a persistent key id; 0 means "port's choice".
     */
    int (*key_generate)(void *ctx, pkiot_key_type_t type, uint32_t slot_hint,
                        pkiot_key_ref_t *key);

    /**
     * Make a key reference from a private key given as DER (PKCS#8, SEC1 or PKCS#1) or
     * NUL-terminated PEM (@p len then counts the NUL). Used for `--newkey` and server keygen.
     */
    int (*key_import)(void *ctx, const uint8_t *der_or_pem, size_t len, pkiot_key_ref_t *key);

    /**
     * Write the private key as PKCS#8 DER (only where the port permits export; a PSA port
     * with a non-exportable key returns PKIOT_E_UNSUPPORTED). The caller zeroizes @p out.
     */
    int (*key_export_private)(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                              size_t *olen);

    /** Write the public key as DER SubjectPublicKeyInfo. */
    int (*key_export_spki)(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                           size_t *olen);

    /** Forget the key; a PSA port also deletes it from the key store. */
    int (*key_destroy)(void *ctx, pkiot_key_ref_t *key);

    /**
     * Sign a precomputed digest. ECDSA signatures are DER `Ecdsa-Sig-Value`; RSA signatures
     * are PKCS#1 v1.5. May return PKIOT_WANT_CRYPTO (interruptible signing).
     */
    int (*sign_hash)(void *ctx, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg,
                     const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_cap,
                     size_t *sig_len);

    /**
     * Verify a signature over a digest with a public key given as DER SubjectPublicKeyInfo.
     * @return PKIOT_OK, PKIOT_E_CRYPTO_VERIFY on a bad signature, or another error.
     */
    int (*verify_hash)(void *ctx, const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg,
                       const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                       size_t sig_len);

    /** One-shot hash over the concatenation of @p nparts slices. */
    int (*hash)(void *ctx, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t nparts,
                uint8_t *out, size_t out_cap);

    /** One-shot HMAC over the concatenation of @p nparts slices. */
    int (*hmac)(void *ctx, pkiot_hash_alg_t alg, const uint8_t *key, size_t key_len,
                const pkiot_slice_t *parts, size_t nparts, uint8_t *out, size_t out_cap);

    /** PBKDF2 with HMAC-@p alg. */
    int (*pbkdf2)(void *ctx, pkiot_hash_alg_t alg, const uint8_t *pw, size_t pw_len,
                  const uint8_t *salt, size_t salt_len, uint32_t iterations, uint8_t *out,
                  size_t out_len);

    /**
     * CBC encryption or decryption with PKCS#7 padding. @p out needs in_len + 16 bytes.
     * DES variants are decrypt-only.
     */
    int (*cipher_cbc)(void *ctx, pkiot_cipher_t cipher, int encrypt, const uint8_t *key,
                      size_t key_len, const uint8_t *iv, const uint8_t *in, size_t in_len,
                      uint8_t *out, size_t out_cap, size_t *out_len);

    /** RSAES-PKCS1-v1_5 encryption to the public key in @p spki (SCEP content keys). */
    int (*rsa_encrypt)(void *ctx, const uint8_t *spki, size_t spki_len, const uint8_t *in,
                       size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

    /** RSAES-PKCS1-v1_5 decryption with the device key (SCEP CertRep envelope). */
    int (*rsa_decrypt)(void *ctx, const pkiot_key_ref_t *key, const uint8_t *in,
                       size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

    /**
     * Validate a certification path with the provider's own X.509 code. Called by
     * pkiot_x509_chain_check() when the library is built with PKIOT_X509_BUILTIN = 0
     * (then it is required, and pkiot_init() refuses a port without it); may be NULL
     * otherwise.
     *
     * The path runs from @p leaf (DER) through any of @p intermediates (DER certificates in
     * any order, unusable ones skipped) to one of @p anchors (DER). Checks: signatures,
     * issuer/subject chaining, basicConstraints cA and pathLen, keyUsage keyCertSign,
     * critical extensions the provider does not process, and validity of every certificate
     * at Unix time @p now, whatever clock the provider has; @p now <= 0 means the device
     * does not know the time yet, and validity is then not checked. All buffers belong to
     * the caller and are only read during the call.
     *
     * @param[out] anchor_index index into @p anchors of the anchor the path reached
     * @param[out] path_len     certificates in the path, leaf and anchor included
     * @return PKIOT_OK; PKIOT_E_CERT_EXPIRED (some certificate outside its validity),
     *         PKIOT_E_CERT_UNTRUSTED (no path: unknown issuer, bad signature, issuer not a
     *         CA, a leaf the provider cannot process, ...), PKIOT_E_INVALID_ARG.
     */
    int (*cert_verify)(void *ctx, const uint8_t *leaf, size_t leaf_len,
                       const pkiot_slice_t *intermediates, size_t n_int,
                       const pkiot_slice_t *anchors, size_t n_anchors, int64_t now,
                       size_t *anchor_index, size_t *path_len);
    /**
     * Read a DER certificate with the provider's own X.509 parser. Used by the engine
     * instead of pkiot_x509_cert_parse() when the library is built with
     * PKIOT_X509_BUILTIN = 0 (then it is required, and pkiot_init() refuses a port without
     * it); may be NULL otherwise.
     *
     * Fills, as pkiot_x509_cert_parse() does and with every slice pointing into @p der (the
     * caller's buffer, which must outlive @p out): raw, tbs, version, serial, sig_oid (which
     * may point to the TBSCertificate's copy, equal to the outer one), issuer, subject,
     * not_before, not_after, spki, key_alg, key_type, key_bits, extensions,
     * has_basic_constraints, is_ca and san. Not reported: path_len is -1; signature,
     * key_usage, ext_key_usage, eku_oids, aki_key_id and ski are empty or 0;
     * unknown_critical is 0, as a certificate with a critical extension the provider does
     * not process must fail to parse. Nothing of @p der is kept after the call.
     *
     * @return PKIOT_OK; PKIOT_E_DER_TRAILING (bytes follow the certificate);
     *         PKIOT_E_X509_FORMAT (the provider refuses the certificate: malformed, or an
     *         algorithm or critical extension it does not support); PKIOT_E_INVALID_ARG.
     */
    int (*cert_parse)(void *ctx, const uint8_t *der, size_t len, struct pkiot_x509_cert *out);
} pkiot_crypto_port_t;

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_CRYPTO_H */
