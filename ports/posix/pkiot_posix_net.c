/* Network port over non-blocking POSIX TCP sockets. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC where available */

#include "posix/pkiot_posix_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

enum { ST_IDLE = 0, ST_CONNECTING, ST_CONNECTED, ST_FAILED };

static void close_fd(pkiot_posix_net_t *st)
{
    if (st->fd >= 0) {
        (void)close(st->fd);
        st->fd = -1;
    }
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        return -1;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Start connecting to addrs[cur], moving on while addresses fail immediately. */
static int try_addresses(pkiot_posix_net_t *st)
{
    for (; st->cur < st->naddrs; st->cur++) {
        const struct sockaddr *sa = (const struct sockaddr *)&st->addrs[st->cur];
        int fd = socket(sa->sa_family, SOCK_STREAM, IPPROTO_TCP);
        if (fd < 0) {
            st->last_errno = errno;
            continue;
        }
        if (set_nonblocking(fd) != 0) {
            st->last_errno = errno;
            (void)close(fd);
            continue;
        }
#ifdef SO_NOSIGPIPE
        {
            int one = 1;
            (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
        }
#endif
        int rc;
        do {
            rc = connect(fd, sa, st->addr_lens[st->cur]);
        } while (rc != 0 && errno == EINTR);
        if (rc == 0) {
            st->fd = fd;
            st->state = ST_CONNECTED;
            return PKIOT_OK;
        }
        if (errno == EINPROGRESS || errno == EAGAIN) {
            st->fd = fd;
            st->state = ST_CONNECTING;
            return PKIOT_WANT_WRITE;
        }
        st->last_errno = errno;
        (void)close(fd);
    }
    st->state = ST_FAILED;
    st->fail_rc = PKIOT_E_NET_CONNECT;
    return PKIOT_E_NET_CONNECT;
}

static int n_connect(void *ctx, const char *host, uint16_t port)
{
    pkiot_posix_net_t *st = (pkiot_posix_net_t *)ctx;
    switch (st->state) {
    case ST_CONNECTED:
        return PKIOT_OK;
    case ST_FAILED:
        return st->fail_rc;
    case ST_CONNECTING: {
        struct pollfd pfd = {st->fd, POLLOUT, 0};
        int pr = poll(&pfd, 1, 0);
        if (pr == 0 || (pr < 0 && errno == EINTR)) {
            return PKIOT_WANT_WRITE;
        }
        int err = 0;
        socklen_t el = sizeof err;
        if (pr < 0) {
            err = errno;
        } else if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) {
            err = errno;
        }
        if (err == 0) {
            st->state = ST_CONNECTED;
            return PKIOT_OK;
        }
        st->last_errno = err;
        close_fd(st);
        st->cur++;
        return try_addresses(st);
    }
    case ST_IDLE:
    default:
        break;
    }

    if (host == NULL || host[0] == '\0' || port == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    char service[8];
    (void)snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        st->last_errno = gai;
        st->state = ST_FAILED;
        st->fail_rc = PKIOT_E_NET_DNS;
        return PKIOT_E_NET_DNS;
    }
    st->naddrs = 0;
    for (struct addrinfo *ai = res; ai != NULL && st->naddrs < PKIOT_POSIX_NET_MAX_ADDRS;
         ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof st->addrs[0]) {
            continue;
        }
        memcpy(&st->addrs[st->naddrs], ai->ai_addr, ai->ai_addrlen);
        st->addr_lens[st->naddrs] = ai->ai_addrlen;
        st->naddrs++;
    }
    freeaddrinfo(res);
    if (st->naddrs == 0) {
        st->state = ST_FAILED;
        st->fail_rc = PKIOT_E_NET_DNS;
        return PKIOT_E_NET_DNS;
    }
    st->cur = 0;
    return try_addresses(st);
}

static int n_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    pkiot_posix_net_t *st = (pkiot_posix_net_t *)ctx;
    if (n == NULL || (buf == NULL && len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (st->state != ST_CONNECTED) {
        return PKIOT_E_STATE;
    }
    if (len == 0) {
        return PKIOT_OK;
    }
    for (;;) {
        ssize_t w = send(st->fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0) {
            *n = (size_t)w;
            return PKIOT_OK;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return PKIOT_WANT_WRITE;
        }
        st->last_errno = errno;
        return (errno == EPIPE || errno == ECONNRESET) ? PKIOT_E_NET_CLOSED : PKIOT_E_NET_IO;
    }
}

static int n_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    pkiot_posix_net_t *st = (pkiot_posix_net_t *)ctx;
    if (n == NULL || buf == NULL || cap == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (st->state != ST_CONNECTED) {
        return PKIOT_E_STATE;
    }
    for (;;) {
        ssize_t r = recv(st->fd, buf, cap, 0);
        if (r >= 0) {
            *n = (size_t)r;
            return PKIOT_OK;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return PKIOT_WANT_READ;
        }
        st->last_errno = errno;
        return errno == ECONNRESET ? PKIOT_E_NET_CLOSED : PKIOT_E_NET_IO;
    }
}

static void n_close(void *ctx)
{
    pkiot_posix_net_t *st = (pkiot_posix_net_t *)ctx;
    close_fd(st);
    st->state = ST_IDLE;
    st->naddrs = 0;
    st->cur = 0;
}

int pkiot_posix_net_init(pkiot_posix_net_t *st, pkiot_net_port_t *port_out)
{
    if (st == NULL || port_out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(st, 0, sizeof *st);
    st->fd = -1;
    st->state = ST_IDLE;
    port_out->ctx = st;
    port_out->connect = n_connect;
    port_out->send = n_send;
    port_out->recv = n_recv;
    port_out->close = n_close;
    return PKIOT_OK;
}

int pkiot_posix_net_fd(const pkiot_posix_net_t *st)
{
    return st != NULL ? st->fd : -1;
}

int pkiot_posix_net_errno(const pkiot_posix_net_t *st)
{
    return st != NULL ? st->last_errno : 0;
}

int pkiot_posix_wait(int fd, int want, int timeout_ms)
{
    if (want != PKIOT_WANT_READ && want != PKIOT_WANT_WRITE) {
        return PKIOT_OK;
    }
    if (fd < 0) {
        return PKIOT_E_INVALID_ARG;
    }
    struct pollfd pfd = {fd, (short)(want == PKIOT_WANT_READ ? POLLIN : POLLOUT), 0};
    for (;;) {
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr > 0) {
            return PKIOT_OK; /* includes POLLERR/POLLHUP: the next call reports them */
        }
        if (pr == 0) {
            return PKIOT_E_TIMEOUT;
        }
        if (errno != EINTR) {
            return PKIOT_E_NET_IO;
        }
    }
}
