/**
 * @file common.h
 * @brief Status codes, error codes and small value types shared by every pkiot module.
 *
 * Conventions used across the whole library:
 * - Every function that can fail returns an `int`: `PKIOT_OK` (0) on success, one of the
 *   positive `PKIOT_WANT_*` / `PKIOT_SLEEP` / `PKIOT_DONE` statuses where the caller has to do
 *   something before calling again, or a negative `PKIOT_E_*` error code.
 * - Sizes travel in `size_t` out-parameters, never in the return value, so a byte count can
 *   never be confused with a status.
 * - Error codes are stable: their numeric values never change once released, so firmware may
 *   store or transmit them. `pkiot_strerror()` gives a short English message for each.
 * - No function allocates; buffers are owned by the caller and their required sizes are given
 *   by macros or documented in the function's comment.
 */
#ifndef PKIOT_COMMON_H
#define PKIOT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Success. */
#define PKIOT_OK 0

/**
 * Positive statuses: "not finished, call again once the condition holds".
 * Ports return them too (a transport that would block returns PKIOT_WANT_READ/WRITE).
 */
#define PKIOT_WANT_READ   1 /**< wait until the transport is readable, then call again */
#define PKIOT_WANT_WRITE  2 /**< wait until the transport is writable, then call again */
#define PKIOT_WANT_CRYPTO 3 /**< a long crypto operation made progress; call again soon */
#define PKIOT_SLEEP       4 /**< state is checkpointed; call again at pkiot_wake_at() */
#define PKIOT_DONE        5 /**< the operation completed */

/**
 * X-macro list of every error: X(NAME, value, "message").
 * Values are grouped by module in blocks of 0x100 so each module can grow without renumbering.
 * Only append inside a block; never reuse or renumber a value.
 */
#define PKIOT_ERROR_LIST(X)                                                                    \
    /* generic 0x001.. */                                                                      \
    X(PKIOT_E_INVALID_ARG, -0x001, "invalid argument")                                         \
    X(PKIOT_E_BUFFER_TOO_SMALL, -0x002, "output buffer too small")                             \
    X(PKIOT_E_STATE, -0x003, "function called in the wrong state")                             \
    X(PKIOT_E_UNSUPPORTED, -0x004, "feature not supported or not enabled in this build")      \
    X(PKIOT_E_NOT_FOUND, -0x005, "item not found")                                             \
    X(PKIOT_E_INTERNAL, -0x006, "internal error")                                              \
    X(PKIOT_E_WORKSPACE_TOO_SMALL, -0x007, "workspace smaller than PKIOT_WORKSPACE_SIZE")      \
    X(PKIOT_E_TIMEOUT, -0x008, "time budget exhausted")                                        \
    X(PKIOT_E_OVERFLOW, -0x009, "value does not fit its type")                                 \
    /* DER 0x100.. */                                                                          \
    X(PKIOT_E_DER_TRUNCATED, -0x101, "DER: input ends inside an element")                      \
    X(PKIOT_E_DER_BAD_TAG, -0x102, "DER: unexpected or unsupported tag")                       \
    X(PKIOT_E_DER_BAD_LENGTH, -0x103, "DER: invalid or non-minimal length")                    \
    X(PKIOT_E_DER_BAD_VALUE, -0x104, "DER: invalid value encoding")                            \
    X(PKIOT_E_DER_TRAILING, -0x105, "DER: trailing data after element")                        \
    X(PKIOT_E_DER_TOO_DEEP, -0x106, "DER: nesting too deep")                                   \
    /* base64 / PEM 0x200.. */                                                                 \
    X(PKIOT_E_B64_BAD_CHAR, -0x201, "base64: invalid character")                               \
    X(PKIOT_E_B64_BAD_PADDING, -0x202, "base64: invalid padding or length")                    \
    X(PKIOT_E_PEM_NO_BEGIN, -0x203, "PEM: no BEGIN line")                                      \
    X(PKIOT_E_PEM_NO_END, -0x204, "PEM: missing or mismatched END line")                       \
    X(PKIOT_E_PEM_BAD_LABEL, -0x205, "PEM: malformed BEGIN line or label")                     \
    /* HTTP 0x300.. */                                                                         \
    X(PKIOT_E_HTTP_BAD_STATUS_LINE, -0x301, "HTTP: malformed status line")                     \
    X(PKIOT_E_HTTP_BAD_HEADER, -0x302, "HTTP: malformed header line")                          \
    X(PKIOT_E_HTTP_HEADER_TOO_LONG, -0x303, "HTTP: header line longer than the parser buffer") \
    X(PKIOT_E_HTTP_BAD_LENGTH, -0x304, "HTTP: invalid Content-Length")                         \
    X(PKIOT_E_HTTP_BAD_CHUNK, -0x305, "HTTP: malformed chunked encoding")                      \
    X(PKIOT_E_HTTP_BODY_TOO_LARGE, -0x306, "HTTP: body larger than the receive buffer")        \
    X(PKIOT_E_HTTP_TRUNCATED, -0x307, "HTTP: connection closed before the response ended")    \
    X(PKIOT_E_HTTP_TOO_MANY_HEADERS, -0x308, "HTTP: too many header lines")                    \
    X(PKIOT_E_HTTP_BAD_VERSION, -0x309, "HTTP: unsupported protocol version")                  \
    X(PKIOT_E_HTTP_URL, -0x30A, "HTTP: malformed URL")                                         \
    X(PKIOT_E_HTTP_STATUS, -0x30B, "HTTP: server answered with an error status")               \
    X(PKIOT_E_HTTP_CONTENT_TYPE, -0x30C, "HTTP: unexpected Content-Type")                      \
    X(PKIOT_E_HTTP_AUTH_REQUIRED, -0x30D, "HTTP: server requires authentication")              \
    X(PKIOT_E_HTTP_MULTIPART, -0x30E, "HTTP: malformed multipart body")                        \
    X(PKIOT_E_HTTP_TRANSFER_ENCODING, -0x30F, "HTTP: unsupported Transfer-Encoding")           \
    /* JSON 0x400.. */                                                                         \
    X(PKIOT_E_JSON_SYNTAX, -0x401, "JSON: syntax error")                                       \
    X(PKIOT_E_JSON_TYPE, -0x402, "JSON: value has the wrong type")                             \
    X(PKIOT_E_JSON_TOO_DEEP, -0x403, "JSON: nesting too deep")                                 \
    X(PKIOT_E_JSON_BAD_ESCAPE, -0x404, "JSON: invalid string escape")                          \
    /* time 0x500.. */                                                                         \
    X(PKIOT_E_TIME_FORMAT, -0x501, "time: malformed UTCTime/GeneralizedTime/HTTP-date")        \
    X(PKIOT_E_TIME_UNKNOWN, -0x502, "time: wall clock not available")                          \
    X(PKIOT_E_TIME_RANGE, -0x503, "time: field out of range or year outside 0000..9999")       \
    /* X.509 / CSR / CMS 0x600.. */                                                            \
    X(PKIOT_E_X509_FORMAT, -0x601, "X.509: malformed certificate")                             \
    X(PKIOT_E_X509_DN_SYNTAX, -0x602, "X.509: malformed distinguished name string")            \
    X(PKIOT_E_X509_SAN_SYNTAX, -0x603, "X.509: malformed subjectAltName string")               \
    X(PKIOT_E_X509_UNKNOWN_ATTR, -0x604, "X.509: unknown attribute type in DN string")         \
    X(PKIOT_E_CMS_FORMAT, -0x605, "CMS: malformed or unsupported CMS structure")               \
    X(PKIOT_E_CMS_NO_CERTS, -0x606, "CMS: no certificates present")                            \
    X(PKIOT_E_CERT_KEY_MISMATCH, -0x607, "certificate does not match the device key")          \
    X(PKIOT_E_CERT_UNTRUSTED, -0x608, "certificate does not chain to a trust anchor")          \
    X(PKIOT_E_CERT_EXPIRED, -0x609, "certificate is not valid at the current time")            \
    X(PKIOT_E_CERT_BAD_SIGNATURE, -0x60A, "certificate signature does not verify")             \
    X(PKIOT_E_CSRATTRS_FORMAT, -0x60B, "EST csrattrs: malformed attribute list")               \
    X(PKIOT_E_PKCS8_FORMAT, -0x60C, "PKCS#8: malformed private key")                           \
    X(PKIOT_E_CERT_NOT_CA, -0x60D, "issuer certificate is not allowed to issue certificates") \
    /* crypto port 0x700.. */                                                                  \
    X(PKIOT_E_CRYPTO, -0x701, "crypto: operation failed")                                      \
    X(PKIOT_E_CRYPTO_RNG, -0x702, "crypto: random number generator failed")                    \
    X(PKIOT_E_CRYPTO_KEY, -0x703, "crypto: invalid or unusable key")                           \
    X(PKIOT_E_CRYPTO_VERIFY, -0x704, "crypto: signature or MAC verification failed")           \
    X(PKIOT_E_CRYPTO_UNSUPPORTED, -0x705, "crypto: algorithm not supported by the port")      \
    /* transport port 0x800.. */                                                               \
    X(PKIOT_E_NET_DNS, -0x801, "network: host name did not resolve")                           \
    X(PKIOT_E_NET_CONNECT, -0x802, "network: connection failed")                               \
    X(PKIOT_E_NET_IO, -0x803, "network: send or receive failed")                               \
    X(PKIOT_E_NET_CLOSED, -0x804, "network: connection closed by peer")                        \
    X(PKIOT_E_TLS_HANDSHAKE, -0x805, "TLS: handshake failed")                                  \
    X(PKIOT_E_TLS_VERIFY, -0x806, "TLS: server certificate or host name did not verify")       \
    X(PKIOT_E_TLS_CONFIG, -0x807, "TLS: invalid configuration (trust anchors, client cert)")   \
    X(PKIOT_E_TLS_ALERT, -0x808, "TLS: fatal alert or record error")                           \
    /* storage port / checkpoint 0x900.. */                                                    \
    X(PKIOT_E_STORAGE_IO, -0x901, "storage: read or write failed")                             \
    X(PKIOT_E_STORAGE_EMPTY, -0x902, "storage: no checkpoint stored")                          \
    X(PKIOT_E_CKPT_MAGIC, -0x903, "checkpoint: not a pkiot checkpoint")                        \
    X(PKIOT_E_CKPT_VERSION, -0x904, "checkpoint: unsupported version")                         \
    X(PKIOT_E_CKPT_CORRUPT, -0x905, "checkpoint: integrity check failed")                      \
    X(PKIOT_E_CKPT_MISMATCH, -0x906, "checkpoint: belongs to another protocol or profile")     \
    /* engine / protocols 0xA00.. */                                                           \
    X(PKIOT_E_PROTO, -0xA01, "protocol: unexpected or malformed server message")               \
    X(PKIOT_E_SERVER_REJECTED, -0xA02, "protocol: server rejected the request")                \
    X(PKIOT_E_RETRY_EXHAUSTED, -0xA03, "protocol: retries exhausted")                          \
    X(PKIOT_E_EST_BAD_RESPONSE, -0xA10, "EST: malformed response body")                        \
    X(PKIOT_E_FINGERPRINT, -0xA11, "bootstrap CA fingerprint not confirmed")                   \
    X(PKIOT_E_CMP_PROTECTION, -0xA20, "CMP: response protection invalid")                     \
    X(PKIOT_E_CMP_NONCE, -0xA21, "CMP: nonce or transactionID mismatch")                       \
    X(PKIOT_E_CMP_ERROR_MSG, -0xA22, "CMP: server sent an error message")                      \
    X(PKIOT_E_ACME_PROBLEM, -0xA30, "ACME: server returned a problem document")                \
    X(PKIOT_E_ACME_BAD_NONCE, -0xA31, "ACME: bad nonce")                                       \
    X(PKIOT_E_SCEP_FAILURE, -0xA40, "SCEP: server answered FAILURE")                           \
    X(PKIOT_E_SCEP_SIGNATURE, -0xA41, "SCEP: CertRep signature invalid")

/** Every error code as an enumerator. */
enum pkiot_error {
#define PKIOT_ERR_ENUM_(name, value, msg) name = (value),
    PKIOT_ERROR_LIST(PKIOT_ERR_ENUM_)
#undef PKIOT_ERR_ENUM_
};

/**
 * @brief Short English description of a status or error code.
 * @return a static string; never NULL ("unknown error" for an unknown code).
 */
const char *pkiot_strerror(int code);

/**
 * @brief Symbolic name of a status or error code, e.g. "PKIOT_E_DER_TRUNCATED".
 * @return a static string; never NULL.
 */
const char *pkiot_strerror_name(int code);

/** What an application can do about an error: the same classes for every protocol. */
typedef enum pkiot_error_class {
    PKIOT_ERRCLASS_NONE = 0,     /**< PKIOT_OK or a positive status */
    PKIOT_ERRCLASS_NETWORK,      /**< server unreachable, connection lost, time-out: try later */
    PKIOT_ERRCLASS_AUTH,         /**< authentication required or refused: fix credentials */
    PKIOT_ERRCLASS_REJECTED,     /**< the server refused the request: see pkiot_server_text() */
    PKIOT_ERRCLASS_TRUST,        /**< TLS, certificate or fingerprint verification failed */
    PKIOT_ERRCLASS_STORAGE,      /**< checkpoint storage failed or holds a foreign blob */
    PKIOT_ERRCLASS_CONFIG,       /**< a configuration value is invalid or not supported */
    PKIOT_ERRCLASS_SERVER_DATA,  /**< a malformed or unexpected server response */
    PKIOT_ERRCLASS_INTERNAL      /**< a crypto, port or library failure */
} pkiot_error_class_t;

/** Class of a status or error code (PKIOT_ERRCLASS_SERVER_DATA for unknown errors). */
pkiot_error_class_t pkiot_error_class(int code);

/** A read-only view of bytes owned by someone else. */
typedef struct pkiot_slice {
    const uint8_t *p; /**< first byte; may be NULL when len is 0 */
    size_t len;       /**< number of bytes */
} pkiot_slice_t;

/** Hash algorithms the library asks of a crypto port. */
typedef enum pkiot_hash_alg {
    PKIOT_HASH_NONE = 0,
    PKIOT_HASH_SHA1 = 1, /**< legacy only: SCEP, CMP PBM with old servers */
    PKIOT_HASH_SHA256 = 2,
    PKIOT_HASH_SHA384 = 3,
    PKIOT_HASH_SHA512 = 4
} pkiot_hash_alg_t;

/** Largest digest any supported hash produces. */
#define PKIOT_HASH_MAX_SIZE 64

/** Digest length of @p alg in bytes, 0 for PKIOT_HASH_NONE or unknown values. */
size_t pkiot_hash_size(pkiot_hash_alg_t alg);

/** Key types a device key may have. */
typedef enum pkiot_key_type {
    PKIOT_KEY_NONE = 0,
    PKIOT_KEY_EC_P256 = 1,
    PKIOT_KEY_EC_P384 = 2,
    PKIOT_KEY_RSA_2048 = 3,
    PKIOT_KEY_RSA_3072 = 4,
    PKIOT_KEY_RSA_4096 = 5 /**< accepted from servers (EST serverkeygen); larger checkpoints */
} pkiot_key_type_t;

/** Constant-time comparison: 0 when equal. Use for MACs, nonces and fingerprints. */
int pkiot_ct_memcmp(const void *a, const void *b, size_t len);

/** Overwrite @p len bytes at @p p with zeros in a way the compiler may not remove. */
void pkiot_zeroize(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_COMMON_H */
