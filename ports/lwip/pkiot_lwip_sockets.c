/*
 * pkiot network port over lwIP's sockets API (NO_SYS=0). See pkiot_lwip_sockets.h.
 */
#include "pkiot_lwip_sockets.h"

#include <string.h>

#include "lwip/errno.h"
#include "lwip/inet.h"
#include "lwip/ip_addr.h"
#include "lwip/netdb.h"
#include "lwip/opt.h"
#include "lwip/sockets.h"

#if NO_SYS || !LWIP_SOCKET
#error "pkiot_lwip_sockets.c needs NO_SYS=0 and LWIP_SOCKET=1; bare metal uses pkiot_lwip_net.c"
#endif
#if !LWIP_SOCKET_SELECT
#error "pkiot_lwip_sockets.c needs LWIP_SOCKET_SELECT=1 to finish non-blocking connects"
#endif

enum { ST_IDLE = 0, ST_CONNECTING = 1, ST_CONNECTED = 2, ST_FAILED = 3 };

static int fail(pkiot_lwip_sock_t *s, int err)
{
    s->state = ST_FAILED;
    s->err = err;
    return err;
}

static int map_errno(int e, int would_block)
{
    if (e == EWOULDBLOCK || e == EAGAIN) {
        return would_block;
    }
    if (e == ECONNRESET || e == EPIPE || e == ENOTCONN) {
        return PKIOT_E_NET_CLOSED;
    }
    return PKIOT_E_NET_IO;
}

#if LWIP_DNS
static void u16_to_dec(uint16_t v, char out[6])
{
    char tmp[6];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v = (uint16_t)(v / 10u);
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
}
#endif

/* An address literal becomes a socket address directly: it needs neither LWIP_DNS (without
 * which lwIP has no getaddrinfo at all) nor a MEMP_NETDB entry. Returns the address length,
 * 0 when @p host is not a literal of an enabled IP version. */
static socklen_t literal_addr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
    ip_addr_t ip;
    memset(ss, 0, sizeof *ss);
    if (!ipaddr_aton(host, &ip)) {
        return 0;
    }
#if LWIP_IPV4
    if (IP_IS_V4_VAL(ip)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_len = (u8_t)sizeof *sin;
        sin->sin_family = AF_INET;
        sin->sin_port = lwip_htons(port);
        inet_addr_from_ip4addr(&sin->sin_addr, ip_2_ip4(&ip));
        return (socklen_t)sizeof *sin;
    }
#endif
#if LWIP_IPV6
    if (IP_IS_V6_VAL(ip)) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_len = (u8_t)sizeof *sin6;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = lwip_htons(port);
        inet6_addr_from_ip6addr(&sin6->sin6_addr, ip_2_ip6(&ip));
        sin6->sin6_scope_id = ip6_addr_zone(ip_2_ip6(&ip));
        return (socklen_t)sizeof *sin6;
    }
#endif
    return 0;
}

/* A host name -> socket address with lwip_getaddrinfo() (blocks this task until DNS answers
 * or times out). Returns the address length, 0 when the name does not resolve. */
static socklen_t resolve_addr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
#if LWIP_DNS
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char service[6];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    u16_to_dec(port, service);
    if (lwip_getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) {
        return 0;
    }
    socklen_t len = 0;
    if (res->ai_addr != NULL && res->ai_addrlen <= sizeof *ss) {
        memcpy(ss, res->ai_addr, res->ai_addrlen);
        len = res->ai_addrlen;
    }
    lwip_freeaddrinfo(res);
    return len;
#else
    (void)host;
    (void)port;
    (void)ss;
    return 0;
#endif
}

static int start_connect(pkiot_lwip_sock_t *s, const char *host, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t sslen = literal_addr(host, port, &ss);
    if (sslen == 0) {
        sslen = resolve_addr(host, port, &ss);
    }
    if (sslen == 0) {
        return fail(s, PKIOT_E_NET_DNS);
    }
    int fd = lwip_socket(ss.ss_family, SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0) {
        return fail(s, PKIOT_E_NET_CONNECT);
    }
    s->fd = fd;
    int one = 1;
    (void)lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        return fail(s, PKIOT_E_NET_CONNECT);
    }
    int r = lwip_connect(fd, (const struct sockaddr *)&ss, sslen);
    int e = errno;
    if (r == 0) {
        s->state = ST_CONNECTED;
        return PKIOT_OK;
    }
    if (e == EINPROGRESS || e == EWOULDBLOCK || e == EALREADY) {
        s->state = ST_CONNECTING;
        return PKIOT_WANT_WRITE;
    }
    return fail(s, PKIOT_E_NET_CONNECT);
}

static int check_connect(pkiot_lwip_sock_t *s)
{
    fd_set wr;
    struct timeval tv = {0, 0};
    FD_ZERO(&wr);
    FD_SET(s->fd, &wr);
    int r = lwip_select(s->fd + 1, NULL, &wr, NULL, &tv);
    if (r < 0) {
        return fail(s, PKIOT_E_NET_CONNECT);
    }
    if (r == 0 || !FD_ISSET(s->fd, &wr)) {
        return PKIOT_WANT_WRITE;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (lwip_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
        return fail(s, PKIOT_E_NET_CONNECT);
    }
    s->state = ST_CONNECTED;
    return PKIOT_OK;
}

static int sock_connect(void *ctx, const char *host, uint16_t port)
{
    pkiot_lwip_sock_t *s = ctx;
    if (s == NULL || host == NULL || host[0] == '\0' || port == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    switch (s->state) {
    case ST_IDLE: return start_connect(s, host, port);
    case ST_CONNECTING: return check_connect(s);
    case ST_CONNECTED: return PKIOT_OK;
    default: return s->err;
    }
}

static int sock_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    pkiot_lwip_sock_t *s = ctx;
    if (n == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (s == NULL || (buf == NULL && len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (s->state != ST_CONNECTED) {
        return s->state == ST_FAILED ? s->err : PKIOT_E_STATE;
    }
    if (len == 0) {
        return PKIOT_OK;
    }
    ssize_t r = lwip_send(s->fd, buf, len, MSG_DONTWAIT);
    if (r >= 0) {
        *n = (size_t)r;
        return PKIOT_OK;
    }
    int rc = map_errno(errno, PKIOT_WANT_WRITE);
    return rc == PKIOT_WANT_WRITE ? rc : fail(s, rc);
}

static int sock_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    pkiot_lwip_sock_t *s = ctx;
    if (n == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (s == NULL || buf == NULL || cap == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (s->state != ST_CONNECTED) {
        return s->state == ST_FAILED ? s->err : PKIOT_E_STATE;
    }
    ssize_t r = lwip_recv(s->fd, buf, cap, MSG_DONTWAIT);
    if (r >= 0) {
        *n = (size_t)r; /* 0: orderly shutdown by the peer */
        return PKIOT_OK;
    }
    int rc = map_errno(errno, PKIOT_WANT_READ);
    return rc == PKIOT_WANT_READ ? rc : fail(s, rc);
}

static void sock_close(void *ctx)
{
    pkiot_lwip_sock_t *s = ctx;
    if (s == NULL) {
        return;
    }
    if (s->fd >= 0) {
        (void)lwip_close(s->fd);
    }
    s->fd = -1;
    s->state = ST_IDLE;
    s->err = 0;
}

int pkiot_lwip_sock_init(pkiot_lwip_sock_t *s, pkiot_net_port_t *port)
{
    if (s == NULL || port == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    s->fd = -1;
    s->state = ST_IDLE;
    s->err = 0;
    port->ctx = s;
    port->connect = sock_connect;
    port->send = sock_send;
    port->recv = sock_recv;
    port->close = sock_close;
    return PKIOT_OK;
}

int pkiot_lwip_sock_fd(const pkiot_lwip_sock_t *s)
{
    return s == NULL ? -1 : s->fd;
}
