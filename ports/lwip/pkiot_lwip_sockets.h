/**
 * @file pkiot_lwip_sockets.h
 * @brief pkiot network port over lwIP's BSD sockets API (NO_SYS=0: FreeRTOS or another RTOS).
 *
 * Same contract as the raw-API port (pkiot_lwip_net.h), for builds where lwIP runs its own
 * tcpip thread and the application lives in another task. Requirements on lwipopts.h:
 * NO_SYS=0, LWIP_SOCKET=1, LWIP_SOCKET_SELECT=1 (the default), LWIP_DNS=1 for host names
 * (address literals work without it), and an errno (LWIP_ERRNO_STDINCLUDE or
 * LWIP_PROVIDE_ERRNO). Each connection uses one socket descriptor (MEMP_NUM_NETCONN) and
 * resolving a name one MEMP_NETDB entry for the duration of the lookup.
 *
 * Behaviour:
 * - connect(): the first call takes an IPv4/IPv6 address literal as it is, or resolves a
 *   name with lwip_getaddrinfo() — this blocks the calling task (never the tcpip thread)
 *   until DNS answers or times out; without LWIP_DNS a name fails with PKIOT_E_NET_DNS —
 *   then starts a non-blocking lwip_connect() and returns PKIOT_WANT_WRITE; later calls check
 *   completion with a zero-timeout lwip_select() and SO_ERROR.
 * - send()/recv(): EWOULDBLOCK/EAGAIN become PKIOT_WANT_WRITE/PKIOT_WANT_READ; a task that
 *   wants to sleep until then can lwip_select() on pkiot_lwip_sock_fd().
 * - ECONNRESET/EPIPE/ENOTCONN become PKIOT_E_NET_CLOSED, other errors PKIOT_E_NET_IO.
 *
 * Run for real (lwIP's unix port as the OS, a TAP link, EST against libest) by
 * test/interop/test_lwip_sockets.sh; see test/lwip-sockets/README.md.
 *
 * Build: compile ports/lwip/pkiot_lwip_sockets.c with the application's lwipopts.h and
 * arch/ headers on the include path (ports/lwip/check/ holds a minimal NO_SYS=0 configuration
 * that `make lwip-port-check` uses to compile it on every build).
 */
#ifndef PKIOT_LWIP_SOCKETS_H
#define PKIOT_LWIP_SOCKETS_H

#include "pkiot/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Caller-owned context of one connection. Fields are private. */
typedef struct pkiot_lwip_sock {
    int fd;        /**< lwIP socket descriptor, -1 when closed */
    int state;     /**< 0 idle, 1 connecting, 2 connected, 3 failed */
    int err;       /**< PKIOT_E_* once failed */
} pkiot_lwip_sock_t;

/**
 * Initialises @p s (closed) and fills @p port with its functions and `port->ctx = s`.
 * @return PKIOT_OK or PKIOT_E_INVALID_ARG.
 */
int pkiot_lwip_sock_init(pkiot_lwip_sock_t *s, pkiot_net_port_t *port);

/** The socket descriptor (for lwip_select()), or -1. */
int pkiot_lwip_sock_fd(const pkiot_lwip_sock_t *s);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_LWIP_SOCKETS_H */
