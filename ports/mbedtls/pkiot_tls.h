/**
 * @file pkiot_tls.h
 * @brief The one TLS layer: ::pkiot_transport_port_t on Mbed TLS 3.6 over any
 *        ::pkiot_net_port_t (POSIX sockets, lwIP, ...).
 *
 * Usage (POSIX):
 * @code
 *   static pkiot_mbedtls_crypto_t cst;  static pkiot_crypto_port_t crypto;
 *   static pkiot_posix_net_t ns;        static pkiot_net_port_t net;
 *   static pkiot_tls_t tls;             static pkiot_transport_port_t tp;
 *   pkiot_mbedtls_crypto_init(&cst, 0, &crypto);
 *   pkiot_posix_net_init(&ns, &net);
 *   pkiot_tls_init(&tls, &net, &cst, &tp);
 *   while ((rc = tp.connect(tp.ctx, &params)) == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE)
 *       pkiot_posix_wait(pkiot_posix_net_fd(&ns), rc, 10000);
 * @endcode
 *
 * connect(params), called repeatedly with the same @p params until it stops returning
 * PKIOT_WANT_*:
 * 1. connects the net port to params->host:params->port;
 * 2. with `use_tls == 0` that is all: send/recv pass bytes straight through;
 * 3. with `use_tls == 1` runs a TLS 1.2/1.3 client handshake (non-blocking). The server
 *    certificate must chain to params->trust_anchors (concatenated DER certificates, or one
 *    NUL-terminated PEM bundle with the NUL counted in the length) and match params->host:
 *    a DNS name is checked against dNSName SANs (CN fallback as Mbed TLS does) and sent as
 *    SNI; an IPv4/IPv6 literal is checked against iPAddress SANs only and not sent as SNI
 *    (RFC 6066 forbids literals there). `insecure_bootstrap` skips all server verification.
 *    With params->client_cert (DER chain, leaf first) and params->client_key the client
 *    authenticates; the key may be a software or a PSA key of the crypto port (a PSA RSA
 *    key limits the connection to TLS 1.2, see pkiot_mbedtls_crypto.h).
 *
 * Return codes (transport.h contract): PKIOT_OK, PKIOT_WANT_READ / PKIOT_WANT_WRITE (poll the
 * net port's socket), or negative:
 * - PKIOT_E_TLS_CONFIG: no/unparseable trust anchors, bad client certificate or key;
 * - PKIOT_E_TLS_VERIFY: server certificate untrusted, expired or wrong name
 *   (pkiot_tls_verify_flags() has the MBEDTLS_X509_BADCERT_* bits);
 * - PKIOT_E_TLS_HANDSHAKE: any other handshake failure (alert from the server, no common
 *   cipher suite or version, connection closed during the handshake);
 * - PKIOT_E_TLS_ALERT: fatal alert or bad record after the handshake (e.g. the server
 *   rejecting a missing client certificate in TLS 1.3 shows up on the first recv());
 * - the net port's PKIOT_E_NET_* codes unchanged.
 * After a negative return the connection is dead: call close().
 *
 * recv(): `*n == 0` with PKIOT_OK means the peer closed (close_notify or TCP FIN). Mbed TLS
 * may hold decrypted bytes that are no longer visible on the socket: after a recv() that
 * returned data, call recv() again before waiting for readability; only PKIOT_WANT_READ
 * means "wait". send() may accept fewer bytes than offered (`*n`); after PKIOT_WANT_*,
 * repeat it with the same buffer and length.
 *
 * close() sends close_notify (best effort, once), closes the net port and frees every
 * Mbed TLS object; the ::pkiot_tls_t can then connect again. export_keying_material()
 * implements RFC 5705 (TLS 1.2) / RFC 8446 §7.5 (TLS 1.3); @p context NULL means "no
 * context", out_len is at most MBEDTLS_SSL_EXPORT_MAX_KEY_LEN.
 *
 * Ownership: caller owns the ::pkiot_tls_t, the net port and the crypto state, all of which
 * must outlive the connection; params and everything it points to must stay valid until
 * close(). Memory: Mbed TLS allocates its record buffers (about
 * MBEDTLS_SSL_IN_CONTENT_LEN + MBEDTLS_SSL_OUT_CONTENT_LEN plus overhead) and the parsed
 * certificates through its platform allocator for the duration of the connection.
 */
#ifndef PKIOT_TLS_H
#define PKIOT_TLS_H

#include "pkiot/transport.h"

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** State; treat members as private. */
typedef struct pkiot_tls {
    const pkiot_net_port_t *net;
    pkiot_mbedtls_crypto_t *crypto;
    int state;
    int use_tls;
    int objs_ready;
    int close_sent;
    int fail_rc;
    int last_mbedtls_error;
    int net_error;
    uint32_t verify_flags;
    size_t ip_len; /* nonzero when the host is an address literal */
    uint8_t ip[16];
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own_chain;
    mbedtls_pk_context own_key;
    /* Last verified session, offered again on the next connection with the same server,
     * trust anchors and client certificate: a reconnect (EST servers close after 401 and
     * after each HTTP/1.0 answer) then costs an abbreviated handshake, not a full one. */
    mbedtls_ssl_session session;
    int session_valid;
    int insecure;
    uint32_t session_id_hash;
    int resumed;
    void (*dbg_fn)(void *, int, const char *, int, const char *);
    void *dbg_arg;
    int dbg_level;
} pkiot_tls_t;

/**
 * @brief Prepare @p t and fill in @p port_out (port_out->ctx == t).
 * @param net     network port the bytes travel over (not copied; must outlive @p t)
 * @param crypto  initialised crypto state (RNG for TLS, client keys)
 * @return PKIOT_OK or PKIOT_E_INVALID_ARG.
 */
int pkiot_tls_init(pkiot_tls_t *t, const pkiot_net_port_t *net, pkiot_mbedtls_crypto_t *crypto,
                   pkiot_transport_port_t *port_out);

/** @brief 1 when the last handshake resumed a previous session (abbreviated handshake). */
int pkiot_tls_resumed(const pkiot_tls_t *t);

/** @brief Forget the saved session (e.g. after the device certificate changed). */
void pkiot_tls_forget_session(pkiot_tls_t *t);

/** @brief close() plus release of everything; @p t may be re-initialised afterwards. */
void pkiot_tls_free(pkiot_tls_t *t);

/**
 * @brief MBEDTLS_X509_BADCERT_* flags of the last server certificate verification (0 when it
 *        passed or did not run). Kept after close() for diagnostics.
 */
uint32_t pkiot_tls_verify_flags(const pkiot_tls_t *t);

/** @brief Raw Mbed TLS error of the last failure (0 if none). Kept after close(). */
int pkiot_tls_last_mbedtls_error(const pkiot_tls_t *t);

/**
 * @brief Human-readable description of the last failure for logs and the CLI: the Mbed TLS
 *        error text (when MBEDTLS_ERROR_C is enabled) and the certificate verification
 *        problems, NUL-terminated and truncated to @p cap. Never contains secrets.
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG.
 */
int pkiot_tls_last_error_text(const pkiot_tls_t *t, char *buf, size_t cap);

/**
 * @brief Route Mbed TLS debug output (levels 0..4, see mbedtls_debug_set_threshold(); the
 *        threshold is process-global) of the following connections to @p fn. Effective only
 *        when MBEDTLS_DEBUG_C is enabled; @p fn NULL turns it off.
 */
void pkiot_tls_set_debug(pkiot_tls_t *t, int level,
                         void (*fn)(void *arg, int level, const char *file, int line,
                                    const char *msg),
                         void *arg);

/** @brief Negotiated protocol ("TLSv1.2", "TLSv1.3"), or "none" when not connected by TLS. */
const char *pkiot_tls_version(const pkiot_tls_t *t);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_TLS_H */
