/**
 * @file pkiot_mbedtls_crypto.h
 * @brief Crypto port (::pkiot_crypto_port_t) on Mbed TLS 3.6, software and PSA key variants.
 *
 * Usage:
 * @code
 *   static pkiot_mbedtls_crypto_t cst;
 *   pkiot_crypto_port_t crypto;
 *   int rc = pkiot_mbedtls_crypto_init(&cst, 1, &crypto);   // 1: keys live in PSA
 *   ...
 *   pkiot_mbedtls_crypto_free(&cst);
 * @endcode
 *
 * Ownership: the caller owns the ::pkiot_mbedtls_crypto_t (it is large: entropy and DRBG
 * state plus one interruptible signing operation, a few KiB) and must keep it alive and at
 * the same address for as long as the port (or a ::pkiot_tls_t using it) is in use. The port
 * never allocates; Mbed TLS allocates through its platform layer (libc heap on the host,
 * `MBEDTLS_MEMORY_BUFFER_ALLOC_C` arena on boards).
 *
 * Key references (::pkiot_key_ref_t), both kinds are accepted in either mode:
 * - software keys (`use_psa_keys == 0`): `data` is the PKCS#8 DER PrivateKeyInfo (a secret:
 *   zeroize copies). key_export_private() returns it unchanged.
 * - PSA keys (`use_psa_keys == 1`): `len == 4`, `data` is the persistent PSA key id, big
 *   endian. The private key is created inside the PSA key store without the EXPORT usage
 *   flag and never leaves it; key_export_private() returns PKIOT_E_UNSUPPORTED. Policies:
 *   EC keys allow ECDSA with any hash; RSA keys allow PKCS#1 v1.5 signatures with any hash
 *   and, as enrollment algorithm, PKCS#1 v1.5 decryption (SCEP envelopes). Because TLS 1.3
 *   requires RSA-PSS, a PSA RSA key used as TLS client key limits that connection to TLS 1.2.
 *
 * PSA persistent keys are stored by Mbed TLS's PSA ITS. On POSIX hosts
 * (`MBEDTLS_PSA_ITS_FILE_C`) that is one file per key named `<16 hex digits>.psa_its`
 * **in the current working directory**: run the program from the directory that should
 * hold the key store (the unit tests chdir into a temporary directory).
 *
 * key_generate() in PSA mode uses @p slot_hint as the key id when it is non-zero
 * (1..PSA_KEY_ID_USER_MAX); otherwise the first free id from PKIOT_MBEDTLS_PSA_KEY_ID_BASE
 * upwards. A slot that already holds a key is never overwritten: PKIOT_E_CRYPTO_KEY (after a
 * power cut between generation and checkpoint, pkiot_mbedtls_psa_key_ref() recovers the
 * reference, or key_destroy() on it frees the slot). key_import() in PSA mode always takes
 * the first free id from the base. Key generation is not interruptible (RSA-3072 may take
 * seconds on a microcontroller); only PSA EC signing is.
 *
 * Return codes follow crypto.h. Mbed TLS / PSA errors are mapped as: verification failure
 * -> PKIOT_E_CRYPTO_VERIFY, RNG/entropy -> PKIOT_E_CRYPTO_RNG, malformed/unusable key or
 * unknown PSA key id -> PKIOT_E_CRYPTO_KEY, unsupported algorithm/key size ->
 * PKIOT_E_CRYPTO_UNSUPPORTED, short output -> PKIOT_E_BUFFER_TOO_SMALL, anything else ->
 * PKIOT_E_CRYPTO. pkiot_mbedtls_crypto_last_error() gives the raw Mbed TLS / PSA code.
 *
 * cert_verify() is mbedtls_x509_crt_verify() with Mbed TLS's default profile, so it is
 * stricter than pkiot's own path check in two ways: signatures with SHA-1 and RSA keys
 * under 2048 bits are refused, and a v3 CA certificate (trust anchors included) must carry
 * basicConstraints cA. Validity is judged against the time pkiot passes in, but among two
 * candidate issuers with the same name Mbed TLS prefers the one valid by its own platform
 * clock (mbedtls_time()): keep that clock the one the application gives pkiot (the QEMU
 * boards read both from the same source).
 *
 * sign_hash() with a PSA EC key is interruptible: it runs at most
 * pkiot_mbedtls_crypto_set_max_ops() units of work per call and returns PKIOT_WANT_CRYPTO
 * until the signature is ready; the caller repeats the call with identical arguments. A call
 * with a different key or digest abandons the pending operation and starts a new one.
 */
#ifndef PKIOT_MBEDTLS_CRYPTO_H
#define PKIOT_MBEDTLS_CRYPTO_H

#include "pkiot/crypto.h"

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "psa/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** First PSA key id tried when key_generate()/key_import() get no slot hint. */
#ifndef PKIOT_MBEDTLS_PSA_KEY_ID_BASE
#define PKIOT_MBEDTLS_PSA_KEY_ID_BASE 0x00504B00u
#endif
/** How many ids from the base are probed for a free one. */
#ifndef PKIOT_MBEDTLS_PSA_KEY_ID_SPAN
#define PKIOT_MBEDTLS_PSA_KEY_ID_SPAN 256u
#endif

/** Max-ops value meaning "never interrupt" (the default). */
#define PKIOT_MBEDTLS_MAX_OPS_UNLIMITED PSA_INTERRUPTIBLE_MAX_OPS_UNLIMITED

/** Port state. Treat every member as private. */
typedef struct pkiot_mbedtls_crypto {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int use_psa_keys;
    int ready;
    uint32_t max_ops;
    int last_error;
    /* pending interruptible signature (PSA EC keys) */
    psa_sign_hash_interruptible_operation_t sign_op;
    int sign_active;
    uint32_t sign_key_id;
    pkiot_hash_alg_t sign_alg;
    size_t sign_hash_len;
    uint8_t sign_hash[PKIOT_HASH_MAX_SIZE];
} pkiot_mbedtls_crypto_t;

/**
 * @brief Seed a CTR_DRBG from the Mbed TLS entropy sources, call psa_crypto_init() and fill
 *        in @p port_out (every function pointer of ::pkiot_crypto_port_t is set).
 * @param st            caller-owned state, must outlive the port
 * @param use_psa_keys  0: software keys (PKCS#8 in the reference), 1: persistent PSA keys
 * @param port_out      receives the port; port_out->ctx == st
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG, PKIOT_E_CRYPTO_RNG (no entropy), PKIOT_E_CRYPTO.
 */
int pkiot_mbedtls_crypto_init(pkiot_mbedtls_crypto_t *st, int use_psa_keys,
                              pkiot_crypto_port_t *port_out);

/**
 * @brief Release the DRBG/entropy state and abort a pending signature. Keys in the PSA
 *        store are kept. The PSA subsystem itself stays initialised (it is process-global
 *        and may be shared with other users); call mbedtls_psa_crypto_free() at exit if wanted.
 */
void pkiot_mbedtls_crypto_free(pkiot_mbedtls_crypto_t *st);

/**
 * @brief Work units per sign_hash() call for PSA EC keys (psa_interruptible_set_max_ops());
 *        PKIOT_MBEDTLS_MAX_OPS_UNLIMITED (the default) signs in one call. Roughly, a P-256
 *        signature costs a few hundred units.
 */
void pkiot_mbedtls_crypto_set_max_ops(pkiot_mbedtls_crypto_t *st, uint32_t max_ops);

/** @brief Raw Mbed TLS error or PSA status of the last failed operation (0 if none). */
int pkiot_mbedtls_crypto_last_error(const pkiot_mbedtls_crypto_t *st);

/**
 * @brief Load a key reference into a PK context (for a TLS client certificate, CSR code
 *        that wants Mbed TLS types, ...). Software keys are parsed into a transparent
 *        context; PSA keys become an opaque context (mbedtls_pk_setup_opaque) that signs
 *        inside the key store. @p pk must be initialised by the caller (mbedtls_pk_init)
 *        and freed by the caller (mbedtls_pk_free) — it then holds a copy of the secret.
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG, PKIOT_E_CRYPTO_KEY.
 */
int pkiot_mbedtls_key_to_pk(pkiot_mbedtls_crypto_t *st, const pkiot_key_ref_t *key,
                            mbedtls_pk_context *pk);

/** @brief Nonzero when @p key refers to a PSA key store entry (rather than a software key). */
int pkiot_mbedtls_key_is_psa(const pkiot_key_ref_t *key);

/**
 * @brief Build the reference of an existing persistent PSA key (e.g. provisioned at the
 *        factory, or found after a power cut between key generation and the checkpoint).
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG, PKIOT_E_CRYPTO_KEY (no such key),
 *         PKIOT_E_CRYPTO_UNSUPPORTED (key type/size not one of ::pkiot_key_type_t).
 */
int pkiot_mbedtls_psa_key_ref(uint32_t key_id, pkiot_key_ref_t *key);

/**
 * @brief f_rng-compatible wrapper over the port's DRBG, for Mbed TLS APIs that want one
 *        (@p p_rng is the ::pkiot_mbedtls_crypto_t).
 */
int pkiot_mbedtls_rng(void *p_rng, unsigned char *out, size_t len);

/** @brief Map an Mbed TLS error code or a (negative) PSA status to a PKIOT_E_CRYPTO* code. */
int pkiot_mbedtls_map_error(int mbedtls_err);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_MBEDTLS_CRYPTO_H */
