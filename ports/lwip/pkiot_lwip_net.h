/**
 * @file pkiot_lwip_net.h
 * @brief pkiot network port over lwIP 2.2's raw TCP API (NO_SYS=1, bare metal).
 *
 * Implements ::pkiot_net_port_t (plain TCP bytes); the TLS layer (ports/mbedtls/pkiot_tls.c)
 * runs on top of it. Everything is non-blocking and callback-driven inside lwIP; the port
 * only records what lwIP reported, so each call returns immediately:
 *
 * | call    | returns |
 * |---------|---------|
 * | connect | PKIOT_WANT_READ while DNS resolves, PKIOT_WANT_WRITE while the TCP handshake runs, PKIOT_OK once connected, PKIOT_E_NET_DNS / PKIOT_E_NET_CONNECT on failure |
 * | send    | PKIOT_OK with `*n` > 0 bytes queued (copied into lwIP; may be fewer than asked), PKIOT_WANT_WRITE when lwIP's send buffer (TCP_SND_BUF / TCP_SND_QUEUELEN / MEM_SIZE) is full |
 * | recv    | PKIOT_OK with `*n` > 0 bytes, PKIOT_OK with `*n` == 0 once the peer sent FIN and everything before it was read, PKIOT_WANT_READ when nothing is queued |
 * | any     | PKIOT_E_NET_CLOSED (peer reset), PKIOT_E_NET_IO (timeout/abort), PKIOT_E_STATE (send/recv before connect succeeded) |
 *
 * Received data stays in the pbufs lwIP delivered (no copy until recv()); the TCP window is
 * reopened (tcp_recved) only as the application consumes bytes, so at most TCP_WND bytes
 * are ever buffered per connection. In addition the queue holds at most
 * PKIOT_LWIP_RXQ_MAX_PBUFS pbufs: beyond that the port refuses delivery and lwIP keeps the
 * data and offers it again (every 250 ms or on the next segment), which protects the shared
 * PBUF_POOL against a peer sending many tiny segments.
 *
 * Threading and the main loop: in NO_SYS mode lwIP and this port must only be called from
 * one context. Between calls that returned PKIOT_WANT_*, the main loop must drive lwIP:
 * @code
 *   for (;;) {
 *       lan9118_netif_poll(&netif);   // or the board's driver poll: frames into lwIP
 *       sys_check_timeouts();         // TCP/DNS/DHCP timers
 *       rc = port.recv(port.ctx, buf, sizeof buf, &n);
 *       if (rc != PKIOT_WANT_READ) break;
 *   }
 * @endcode
 * The context must outlive any DNS query it started: lwIP cannot cancel one, and a late
 * answer is delivered to the context (it is ignored unless that context is resolving the same
 * name). Keep the context static or in a long-lived structure.
 *
 * Requirements on lwipopts.h: NO_SYS=1, LWIP_TCP=1, LWIP_DNS=1 (for names; address literals
 * work without DNS), LWIP_CALLBACK_API=1 (the default).
 *
 * Sockets variant (RTOS users: FreeRTOS, Zephyr's lwIP, any NO_SYS=0 build): use
 * ports/lwip/pkiot_lwip_sockets.c / pkiot_lwip_sockets.h instead of this file. It needs
 * LWIP_SOCKET=1 (and therefore NO_SYS=0 with a sys_arch providing semaphores, mutexes and
 * threads), LWIP_SO_RCVTIMEO is not needed, and LWIP_DNS=1 for lwip_getaddrinfo(). Sockets
 * are put in O_NONBLOCK mode; connect() maps EINPROGRESS to PKIOT_WANT_WRITE and polls
 * completion with lwip_select() and SO_ERROR; send/recv map EWOULDBLOCK to PKIOT_WANT_*.
 * Name resolution there is lwip_getaddrinfo(), which blocks the calling task (not the stack)
 * until DNS answers. Build it by compiling pkiot_lwip_sockets.c with the application's
 * lwipopts.h on the include path; do not compile pkiot_lwip_net.c in the same image unless
 * LWIP_TCP raw API use from the tcpip thread is arranged (tcpip_callback).
 */
#ifndef PKIOT_LWIP_NET_H
#define PKIOT_LWIP_NET_H

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "pkiot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest host name accepted by connect(), without the terminating NUL. */
#ifndef PKIOT_LWIP_HOST_MAX
#define PKIOT_LWIP_HOST_MAX 127
#endif

/** Most pbufs the receive queue holds before refusing further delivery (see above). */
#ifndef PKIOT_LWIP_RXQ_MAX_PBUFS
#define PKIOT_LWIP_RXQ_MAX_PBUFS 8
#endif

/** Connection state; read it only for diagnostics. */
typedef enum pkiot_lwip_state {
    PKIOT_LWIP_IDLE = 0,
    PKIOT_LWIP_RESOLVING,
    PKIOT_LWIP_CONNECTING,
    PKIOT_LWIP_CONNECTED,
    PKIOT_LWIP_FAILED
} pkiot_lwip_state_t;

/** Caller-owned context of one connection. Fields are private. */
typedef struct pkiot_lwip_net {
    struct tcp_pcb *pcb;
    struct pbuf *rxq;        /**< received, not yet read */
    ip_addr_t addr;
    uint16_t port;
    uint8_t state;           /**< pkiot_lwip_state_t */
    uint8_t fin;             /**< peer sent FIN */
    int err;                 /**< PKIOT_E_* once state is FAILED */
    char host[PKIOT_LWIP_HOST_MAX + 1];
} pkiot_lwip_net_t;

/**
 * Initialises @p net (idle) and fills @p port with its functions and `port->ctx = net`.
 * Call once per context; after close() the context can connect again.
 * @return PKIOT_OK or PKIOT_E_INVALID_ARG.
 */
int pkiot_lwip_net_init(pkiot_lwip_net_t *net, pkiot_net_port_t *port);

/** Current state (pkiot_lwip_state_t), for logs. */
int pkiot_lwip_net_state(const pkiot_lwip_net_t *net);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_LWIP_NET_H */
