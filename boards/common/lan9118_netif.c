/*
 * lwIP glue for the polled LAN9118 driver: linkoutput sends a pbuf chain as one multi-buffer
 * frame straight from the pbufs (no bounce copy); poll reads each received frame into a
 * PBUF_POOL chain.
 */
#include "lan9118_netif.h"

#include <string.h>

#include "board.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "netif/ethernet.h"

#define LINK_POLL_MS 100u
/* Frames handled per poll call, so a flood cannot starve the rest of the main loop. */
#define RX_BUDGET 16

/* A TCP SYN (without ACK): an emulator's network answers it on host time, never within the
 * transmission (slirp's SYN-ACK waits for its own connect on the host). */
static int is_tcp_syn(const struct pbuf *p)
{
    const uint8_t *f = p->payload;
    if (p->len < 14u + 20u + 14u || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6u) {
        return 0;
    }
    size_t tcp = 14u + 4u * (f[14] & 0x0Fu);
    return p->len > tcp + 13u && (f[tcp + 13u] & 0x12u) == 0x02u;
}

static err_t lan9118_linkoutput(struct netif *nif, struct pbuf *p)
{
    lan9118_t *dev = nif->state;
    if (p->tot_len > LAN9118_MAX_FRAME) {
        return ERR_BUF;
    }
    uint32_t cost = 0;
    int nbuf = 0;
    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        if (q->len != 0) {
            cost += lan9118_tx_cost(q->payload, q->len);
            nbuf++;
        }
    }
    if (nbuf == 0) {
        return ERR_OK;
    }
    /* The FIFO drains at line rate; a full FIFO only happens under sustained bursts. */
    uint32_t start = sys_now();
    while (lan9118_tx_free(dev) < cost) {
        lan9118_tx_reap(dev);
        if ((uint32_t)(sys_now() - start) > 10u) {
            return ERR_MEM;
        }
    }
    /* Received frames that are answers to this one come in while it is sent: mark after it,
     * except after a SYN, whose answer never does (see lan9118_rx_mark_track()). */
    int syn = dev->rx_mark_on && is_tcp_syn(p);
    if (syn) {
        lan9118_rx_mark(dev);
    }
    int i = 0;
    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        if (q->len == 0) {
            continue;
        }
        lan9118_tx_buffer(dev, q->payload, q->len, i == 0, i == nbuf - 1, p->tot_len);
        i++;
    }
    if (!syn) {
        lan9118_rx_mark(dev);
    }
    return ERR_OK;
}

static err_t lan9118_netif_init_cb(struct netif *nif)
{
    lan9118_t *dev = nif->state;
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->output = etharp_output;
    nif->linkoutput = lan9118_linkoutput;
    nif->mtu = 1500;
    nif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(nif->hwaddr, dev->mac, ETH_HWADDR_LEN);
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

err_t lan9118_netif_add(struct netif *nif, lan9118_t *dev, uintptr_t base, const uint8_t *mac)
{
    static const uint8_t fallback[6] = BOARD_DEFAULT_MAC;
    if (lan9118_init(dev, base, mac, fallback) != 0) {
        return ERR_IF;
    }
    if (netif_add(nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, dev, lan9118_netif_init_cb,
                  ethernet_input) == NULL) {
        return ERR_IF;
    }
    netif_set_default(nif);
    netif_set_up(nif);
    if (lan9118_link_up(dev)) {
        netif_set_link_up(nif);
    }
    return ERR_OK;
}

static struct pbuf *rx_frame(lan9118_t *dev, int len)
{
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (p == NULL) {
        return NULL;
    }
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        lan9118_rx_read(dev, q->payload, q->len);
    }
    return p;
}

int lan9118_netif_poll(struct netif *nif)
{
    return lan9118_netif_poll_max(nif, RX_BUDGET);
}

int lan9118_netif_poll_max(struct netif *nif, int max)
{
    static uint32_t last_link_check;
    lan9118_t *dev = nif->state;
    int frames = 0;

    for (int budget = max; budget > 0; budget--) {
        int len = lan9118_rx_next(dev);
        if (len == 0) {
            break;
        }
        if (len < 0) {
            continue;
        }
        struct pbuf *p = rx_frame(dev, len);
        lan9118_rx_finish(dev);
        if (p == NULL) {
            /* Pool exhausted: the frame is lost; TCP retransmits it. */
            dev->rx_errors++;
            continue;
        }
        if (nif->input(p, nif) != ERR_OK) {
            pbuf_free(p);
        }
        frames++;
    }
    lan9118_tx_reap(dev);

    uint32_t now = sys_now();
    if ((uint32_t)(now - last_link_check) >= LINK_POLL_MS) {
        last_link_check = now;
        int up = lan9118_link_up(dev);
        if (up && !netif_is_link_up(nif)) {
            netif_set_link_up(nif);
        } else if (!up && netif_is_link_up(nif)) {
            netif_set_link_down(nif);
        }
    }
    return frames;
}
