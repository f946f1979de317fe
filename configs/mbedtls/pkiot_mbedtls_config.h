/*
 * Mbed TLS 3.6 configuration for pkiot: client only, TLS 1.2 + 1.3, P-256/P-384, RSA,
 * SHA-1/256/384/512, AES, DES/3DES (decrypt of legacy SCEP envelopes), PSA crypto, keying
 * material exporter. The same file serves the host and Cortex-M builds; PKIOT_MBEDTLS_BAREMETAL
 * (set by the Makefile for cross builds) swaps OS services for a static heap arena.
 */
#ifndef PKIOT_MBEDTLS_CONFIG_H
#define PKIOT_MBEDTLS_CONFIG_H

/* --- platform -------------------------------------------------------------------------- */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#if defined(PKIOT_MBEDTLS_BAREMETAL)
/*
 * Bare metal: no libc heap, no stdio, no file system, no sockets, no OS clock. The firmware
 * links these hooks:
 *   int mbedtls_hardware_poll(void *data, unsigned char *out, size_t len, size_t *olen);
 *   mbedtls_ms_time_t mbedtls_ms_time(void);            monotonic milliseconds
 *   struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *buf);
 * and at start-up, before any other Mbed TLS call:
 *   mbedtls_memory_buffer_alloc_init(arena, sizeof arena);
 *   mbedtls_platform_set_time(wall_clock);               seconds since 1970
 *   mbedtls_platform_set_snprintf(...); mbedtls_platform_set_vsnprintf(...);
 *   mbedtls_platform_set_printf(...)                     optional, self-test/debug text only
 * Until then mbedtls_calloc() returns NULL and mbedtls_time() returns 0, so a board that
 * forgets fails closed. Heap corruption detected by the arena allocator calls exit().
 */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Leaves mbedtls_calloc/free without a libc default: the static arena is the only heap. */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* newlib's printf family allocates stdio buffers (malloc, _sbrk), so formatting goes through
 * function pointers the board sets to its own allocation-free implementation. */
#define MBEDTLS_PLATFORM_SNPRINTF_ALT
#define MBEDTLS_PLATFORM_VSNPRINTF_ALT
#define MBEDTLS_PLATFORM_PRINTF_ALT
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_PLATFORM_TIME_ALT
/* 3.6 needs mbedtls_ms_time() whenever MBEDTLS_HAVE_TIME is set and only knows Unix/Windows. */
#define MBEDTLS_PLATFORM_MS_TIME_ALT
/* Otherwise Mbed TLS falls back to gmtime(), whose newlib-nano buffer is lazily malloc'ed. */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT
#else
#define MBEDTLS_FS_IO
#define MBEDTLS_NET_C
#define MBEDTLS_TIMING_C
#endif
#define MBEDTLS_HAVE_ASM

/* --- primitives ------------------------------------------------------------------------ */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_DES_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_PADDING_PKCS7
#define MBEDTLS_GCM_C
#define MBEDTLS_CCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_MD_C
#define MBEDTLS_MD5_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_PKCS5_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_GENPRIME
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_RESTARTABLE
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECDH_C

/* --- ASN.1, keys, X.509 ---------------------------------------------------------------- */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
/* TLS 1.3 offers rsa_pss_rsae_* only with this; without it RSA-certified servers refuse 1.3. */
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CSR_WRITE_C
#if !defined(PKIOT_MBEDTLS_BAREMETAL)
/* Host tests issue certificates in-process (test/unit/test_engine.c). */
#define MBEDTLS_X509_CRT_WRITE_C
#endif
#define MBEDTLS_X509_CREATE_C

/* --- PSA ------------------------------------------------------------------------------- */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
#if !defined(PKIOT_MBEDTLS_BAREMETAL)
#define MBEDTLS_PSA_CRYPTO_STORAGE_C
#define MBEDTLS_PSA_ITS_FILE_C
#endif

/* --- TLS (client only) ----------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_KEYING_MATERIAL_EXPORT
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#define MBEDTLS_ERROR_C
#define MBEDTLS_DEBUG_C

/* TLS record buffers: 16 KiB in, 4 KiB out keeps RAM bounded on the device. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#endif /* PKIOT_MBEDTLS_CONFIG_H */
