/*
 * pkiot network port over the lwIP raw TCP API (NO_SYS). See pkiot_lwip_net.h for the
 * contract. lwIP reports events through callbacks run from netif input and timers; they only
 * update the context, and the port functions turn that state into PKIOT_* answers.
 */
#include "pkiot_lwip_net.h"

#include <string.h>

#include "lwip/dns.h"
#include "lwip/ip_addr.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h" /* tcp_process_refused_data() */
#include "lwip/tcp.h"

#if !NO_SYS
#error "pkiot_lwip_net.c is for NO_SYS=1 builds; use pkiot_lwip_sockets.c with an RTOS"
#endif
#if !LWIP_TCP
#error "pkiot_lwip_net.c needs LWIP_TCP=1"
#endif

/* The smallest write worth retrying when lwIP's heap cannot take a larger one. */
#define MIN_WRITE 536u

static void fail(pkiot_lwip_net_t *net, int err)
{
    net->state = PKIOT_LWIP_FAILED;
    net->err = err;
}

static void detach_pcb(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_sent(pcb, NULL);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    pkiot_lwip_net_t *net = arg;
    (void)pcb;
    if (net == NULL) {
        return ERR_OK;
    }
    if (err != ERR_OK) {
        /* lwIP 2.x never reports failure here (that goes to the err callback); be safe. */
        fail(net, PKIOT_E_NET_CONNECT);
        return ERR_OK;
    }
    net->state = PKIOT_LWIP_CONNECTED;
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    pkiot_lwip_net_t *net = arg;
    if (net == NULL) {
        /* Context already closed: behave like lwIP's default handler. */
        if (p != NULL) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL) {
        net->fin = 1;
        return ERR_OK;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return ERR_OK;
    }
    if (net->rxq == NULL) {
        net->rxq = p;
        return ERR_OK;
    }
    if ((u32_t)net->rxq->tot_len + p->tot_len > 0xFFFFu ||
        pbuf_clen(net->rxq) + pbuf_clen(p) > PKIOT_LWIP_RXQ_MAX_PBUFS) {
        /* lwIP keeps the pbuf as refused data and offers it again later. */
        return ERR_MEM;
    }
    pbuf_cat(net->rxq, p);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    pkiot_lwip_net_t *net = arg;
    if (net == NULL) {
        return;
    }
    /* lwIP has already freed the pcb. */
    net->pcb = NULL;
    if (net->state == PKIOT_LWIP_CONNECTING) {
        fail(net, PKIOT_E_NET_CONNECT);
    } else if (err == ERR_RST || err == ERR_CLSD) {
        fail(net, PKIOT_E_NET_CLOSED);
    } else {
        fail(net, PKIOT_E_NET_IO);
    }
}

static void start_tcp(pkiot_lwip_net_t *net)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IP_GET_TYPE(&net->addr));
    if (pcb == NULL) {
        fail(net, PKIOT_E_NET_CONNECT);
        return;
    }
    tcp_arg(pcb, net);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    /* Request/response traffic (HTTP, TLS records): send each write at once. */
    tcp_nagle_disable(pcb);
    net->pcb = pcb;
    net->state = PKIOT_LWIP_CONNECTING;
    err_t e = tcp_connect(pcb, &net->addr, net->port, on_connected);
    if (e != ERR_OK) {
        detach_pcb(pcb);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
        net->pcb = NULL;
        fail(net, PKIOT_E_NET_CONNECT);
    }
}

#if LWIP_DNS
static void on_dns(const char *name, const ip_addr_t *ipaddr, void *arg)
{
    pkiot_lwip_net_t *net = arg;
    /* A late answer for a query this context no longer waits for: ignore it. */
    if (net == NULL || net->state != PKIOT_LWIP_RESOLVING || strcmp(name, net->host) != 0) {
        return;
    }
    if (ipaddr == NULL) {
        fail(net, PKIOT_E_NET_DNS);
        return;
    }
    ip_addr_copy(net->addr, *ipaddr);
    start_tcp(net);
}
#endif

static int status_of(const pkiot_lwip_net_t *net)
{
    switch (net->state) {
    case PKIOT_LWIP_RESOLVING: return PKIOT_WANT_READ;
    case PKIOT_LWIP_CONNECTING: return PKIOT_WANT_WRITE;
    case PKIOT_LWIP_CONNECTED: return PKIOT_OK;
    case PKIOT_LWIP_FAILED: return net->err;
    default: return PKIOT_E_STATE;
    }
}

static int net_connect(void *ctx, const char *host, uint16_t port)
{
    pkiot_lwip_net_t *net = ctx;
    if (net == NULL || host == NULL || port == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (net->state != PKIOT_LWIP_IDLE) {
        return status_of(net);
    }
    size_t hlen = strlen(host);
    if (hlen == 0 || hlen > PKIOT_LWIP_HOST_MAX) {
        return PKIOT_E_INVALID_ARG;
    }
    memcpy(net->host, host, hlen + 1);
    net->port = port;
    net->fin = 0;
    net->err = 0;

    if (ipaddr_aton(host, &net->addr)) {
        start_tcp(net);
        return status_of(net);
    }
#if LWIP_DNS
    net->state = PKIOT_LWIP_RESOLVING;
    err_t e = dns_gethostbyname(net->host, &net->addr, on_dns, net);
    if (e == ERR_OK) {
        start_tcp(net); /* answered from the cache or a local name */
    } else if (e != ERR_INPROGRESS) {
        fail(net, PKIOT_E_NET_DNS);
    }
    return status_of(net);
#else
    fail(net, PKIOT_E_NET_DNS);
    return net->err;
#endif
}

static int net_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    pkiot_lwip_net_t *net = ctx;
    if (n == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (net == NULL || (buf == NULL && len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (net->state != PKIOT_LWIP_CONNECTED || net->pcb == NULL) {
        return net->state == PKIOT_LWIP_FAILED ? net->err : PKIOT_E_STATE;
    }
    if (len == 0) {
        return PKIOT_OK;
    }
    struct tcp_pcb *pcb = net->pcb;
    size_t room = tcp_sndbuf(pcb);
    if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN) {
        (void)tcp_output(pcb);
        return PKIOT_WANT_WRITE;
    }
    size_t chunk = len < room ? len : room;
    if (chunk > 0xFFFFu) {
        chunk = 0xFFFFu;
    }
    for (;;) {
        err_t e = tcp_write(pcb, buf, (u16_t)chunk, TCP_WRITE_FLAG_COPY);
        if (e == ERR_OK) {
            break;
        }
        if (e != ERR_MEM) {
            return PKIOT_E_NET_IO;
        }
        /* lwIP's heap or segment pool is short: try a smaller piece, else wait for ACKs. */
        if (chunk <= MIN_WRITE) {
            (void)tcp_output(pcb);
            return PKIOT_WANT_WRITE;
        }
        chunk /= 2;
    }
    (void)tcp_output(pcb);
    *n = chunk;
    return PKIOT_OK;
}

static int net_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    pkiot_lwip_net_t *net = ctx;
    if (n == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (net == NULL || buf == NULL || cap == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (net->rxq != NULL) {
        u16_t take = net->rxq->tot_len;
        if (cap < take) {
            take = (u16_t)cap;
        }
        u16_t got = pbuf_copy_partial(net->rxq, buf, take, 0);
        net->rxq = pbuf_free_header(net->rxq, got);
        if (net->pcb != NULL) {
            tcp_recved(net->pcb, got);
            /* Data refused while the queue was full: offer it again now that there is room,
             * instead of at the next 250 ms TCP timer tick. */
            if (net->pcb->refused_data != NULL) {
                (void)tcp_process_refused_data(net->pcb);
            }
        }
        *n = got;
        return PKIOT_OK;
    }
    /* Queued data first, then the end of the stream or the error that followed it. */
    if (net->fin) {
        return PKIOT_OK;
    }
    if (net->state == PKIOT_LWIP_CONNECTED) {
        return PKIOT_WANT_READ;
    }
    return net->state == PKIOT_LWIP_FAILED ? net->err : PKIOT_E_STATE;
}

static void net_close(void *ctx)
{
    pkiot_lwip_net_t *net = ctx;
    if (net == NULL) {
        return;
    }
    if (net->pcb != NULL) {
        struct tcp_pcb *pcb = net->pcb;
        net->pcb = NULL;
        detach_pcb(pcb);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
    }
    if (net->rxq != NULL) {
        pbuf_free(net->rxq);
        net->rxq = NULL;
    }
    net->state = PKIOT_LWIP_IDLE;
    net->fin = 0;
    net->err = 0;
}

int pkiot_lwip_net_init(pkiot_lwip_net_t *net, pkiot_net_port_t *port)
{
    if (net == NULL || port == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(net, 0, sizeof *net);
    port->ctx = net;
    port->connect = net_connect;
    port->send = net_send;
    port->recv = net_recv;
    port->close = net_close;
    return PKIOT_OK;
}

int pkiot_lwip_net_state(const pkiot_lwip_net_t *net)
{
    return net == NULL ? PKIOT_LWIP_IDLE : net->state;
}
