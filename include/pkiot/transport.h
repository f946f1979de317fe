/**
 * @file transport.h
 * @brief The transport port (a byte stream to the server, TLS included) and the network port
 *        underneath it (plain TCP bytes).
 *
 * Two layers, so TLS is written once:
 * - ::pkiot_net_port_t moves plain TCP bytes. Each network stack (POSIX sockets, lwIP raw
 *   API, Zephyr, FreeRTOS) implements only this.
 * - ::pkiot_transport_port_t is what the protocol engine talks to: a connection to
 *   host:port, optionally inside TLS with server verification. `ports/mbedtls/pkiot_tls.c`
 *   implements it once on top of any ::pkiot_net_port_t, and it passes through plain
 *   connections (HTTP for CMP/SCEP) unchanged.
 *
 * Every function is non-blocking. Return contract (both layers):
 * - PKIOT_OK: done (for send/recv, `*n` says how many bytes moved; recv with `*n == 0`
 *   means the peer closed the stream in an orderly way).
 * - PKIOT_WANT_READ / PKIOT_WANT_WRITE: nothing could be done now; call the same function
 *   again with the same arguments once the socket is readable / writable (or on the next
 *   main-loop tick for stacks without readiness notification).
 * - negative PKIOT_E_NET_* / PKIOT_E_TLS_* on failure; the connection must then be closed.
 * close() may be called in any state, more than once.
 */
#ifndef PKIOT_TRANSPORT_H
#define PKIOT_TRANSPORT_H

#include "pkiot/common.h"
#include "pkiot/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Plain TCP byte stream; implemented per network stack. */
typedef struct pkiot_net_port {
    void *ctx;
    /** Start or continue connecting to @p host (name or literal address) : @p port. */
    int (*connect)(void *ctx, const char *host, uint16_t port);
    int (*send)(void *ctx, const uint8_t *buf, size_t len, size_t *n);
    int (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *n);
    void (*close)(void *ctx);
} pkiot_net_port_t;

/** What a connection should look like. Pointers must stay valid until close(). */
typedef struct pkiot_transport_params {
    const char *host;  /**< DNS name or address literal; also the TLS server name */
    uint16_t port;
    int use_tls;       /**< 0: plain TCP (HTTP), 1: TLS 1.2/1.3 */
    /**
     * Trust anchors for the server certificate: concatenated DER certificates, or one
     * NUL-terminated PEM bundle (len includes the NUL). Required when use_tls is 1.
     */
    const uint8_t *trust_anchors;
    size_t trust_anchors_len;
    /**
     * Skip server verification. Only for EST bootstrap (RFC 7030 §4.1.1), where the caller
     * then confirms the CA certificates out of band. Never set it otherwise.
     */
    int insecure_bootstrap;
    /** Optional TLS client certificate chain (DER, leaf first, concatenated) and its key. */
    const uint8_t *client_cert;
    size_t client_cert_len;
    const pkiot_key_ref_t *client_key;
} pkiot_transport_params_t;

/** Connection used by the engine; the TLS layer implements it over a ::pkiot_net_port_t. */
typedef struct pkiot_transport_port {
    void *ctx;
    /** Start or continue connecting (TCP, then the TLS handshake when requested). */
    int (*connect)(void *ctx, const pkiot_transport_params_t *params);
    int (*send)(void *ctx, const uint8_t *buf, size_t len, size_t *n);
    int (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *n);
    void (*close)(void *ctx);
    /**
     * RFC 5705 / RFC 8446 §7.5 keying material exporter (EST tls-unique replacement,
     * channel binding). NULL or PKIOT_E_UNSUPPORTED when the port cannot do it.
     */
    int (*export_keying_material)(void *ctx, const char *label, const uint8_t *context,
                                  size_t context_len, uint8_t *out, size_t out_len);
} pkiot_transport_port_t;

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_TRANSPORT_H */
