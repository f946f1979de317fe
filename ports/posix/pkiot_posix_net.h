/**
 * @file pkiot_posix_net.h
 * @brief Network port (::pkiot_net_port_t) over non-blocking POSIX TCP sockets.
 *
 * connect() resolves the host with getaddrinfo() (names, IPv4 and IPv6 literals; IPv6
 * literals without brackets), keeps up to PKIOT_POSIX_NET_MAX_ADDRS addresses and tries them
 * in order: a non-blocking connect() that is in progress returns PKIOT_WANT_WRITE; call
 * connect() again with the same arguments when the socket is writable (see
 * pkiot_posix_net_fd()); a refused/unreachable address moves on to the next one.
 * Name resolution itself blocks (getaddrinfo has no non-blocking form); pass an address
 * literal to avoid that.
 *
 * send() uses MSG_NOSIGNAL (no SIGPIPE). EAGAIN maps to PKIOT_WANT_WRITE (send) /
 * PKIOT_WANT_READ (recv). recv() returning `*n == 0` with PKIOT_OK means orderly close.
 *
 * Errors: PKIOT_E_NET_DNS (no address), PKIOT_E_NET_CONNECT (every address failed),
 * PKIOT_E_NET_CLOSED (connection reset / broken pipe), PKIOT_E_NET_IO (other socket errors),
 * PKIOT_E_STATE (send/recv before the connection is up), PKIOT_E_INVALID_ARG.
 * pkiot_posix_net_errno() keeps the errno (or getaddrinfo code) of the last failure.
 *
 * Ownership: the caller owns the ::pkiot_posix_net_t; close() releases the socket and may be
 * called any number of times. The state can be reused for a new connection after close().
 */
#ifndef PKIOT_POSIX_NET_H
#define PKIOT_POSIX_NET_H

#include "pkiot/transport.h"

#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PKIOT_POSIX_NET_MAX_ADDRS
#define PKIOT_POSIX_NET_MAX_ADDRS 8
#endif

/** State; treat members as private. */
typedef struct pkiot_posix_net {
    int fd;
    int state;
    int last_errno;
    int fail_rc;
    size_t naddrs;
    size_t cur;
    struct sockaddr_storage addrs[PKIOT_POSIX_NET_MAX_ADDRS];
    socklen_t addr_lens[PKIOT_POSIX_NET_MAX_ADDRS];
} pkiot_posix_net_t;

/** @brief Reset @p st and fill in @p port_out (port_out->ctx == st). @return PKIOT_OK or
 *         PKIOT_E_INVALID_ARG. */
int pkiot_posix_net_init(pkiot_posix_net_t *st, pkiot_net_port_t *port_out);

/** @brief The socket to poll() (-1 when there is none). Do not read or write it directly. */
int pkiot_posix_net_fd(const pkiot_posix_net_t *st);

/** @brief errno (or EAI_* code for PKIOT_E_NET_DNS) of the last failure, 0 if none. */
int pkiot_posix_net_errno(const pkiot_posix_net_t *st);

/**
 * @brief Block until @p fd is ready for what @p want asks (PKIOT_WANT_READ: readable,
 *        PKIOT_WANT_WRITE: writable) or @p timeout_ms passes (-1: forever). Any other @p want
 *        (e.g. PKIOT_WANT_CRYPTO) returns PKIOT_OK at once. For examples and simple loops.
 * @return PKIOT_OK (ready, or the socket has an error/hang-up the next call will report),
 *         PKIOT_E_TIMEOUT, PKIOT_E_INVALID_ARG (fd < 0), PKIOT_E_NET_IO.
 */
int pkiot_posix_wait(int fd, int want, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_POSIX_NET_H */
