/* Shared parts of the QEMU smoke images; see smoke_common.h. */
#include "smoke_common.h"

#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

smoke_args_t smoke_args = {"10.0.2.2", 8000, "/", "", "", "", 30000};
lan9118_t smoke_eth;
struct netif smoke_netif;
static uint32_t s_deadline;

static void copy_arg(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static uint32_t parse_u32(const char *s, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    return v;
}

static int key_is(const char *w, size_t kl, const char *key)
{
    return strlen(key) == kl && memcmp(w, key, kl) == 0;
}

static void parse_args(void)
{
    static char line[512];
    if (board_cmdline(line, sizeof line) != 0) {
        return;
    }
    /* Words without '=' (QEMU puts the image file name first) are ignored. */
    const char *p = line;
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        const char *w = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
        size_t wl = (size_t)(p - w);
        const char *eq = wl ? memchr(w, '=', wl) : NULL;
        if (eq == NULL) {
            continue;
        }
        size_t kl = (size_t)(eq - w);
        const char *v = eq + 1;
        size_t vl = wl - kl - 1;
        if (key_is(w, kl, "host")) {
            copy_arg(smoke_args.host, sizeof smoke_args.host, v, vl);
        } else if (key_is(w, kl, "port")) {
            smoke_args.port = (uint16_t)parse_u32(v, vl);
        } else if (key_is(w, kl, "path")) {
            copy_arg(smoke_args.path, sizeof smoke_args.path, v, vl);
        } else if (key_is(w, kl, "flash")) {
            copy_arg(smoke_args.flash, sizeof smoke_args.flash, v, vl);
        } else if (key_is(w, kl, "ca")) {
            copy_arg(smoke_args.ca, sizeof smoke_args.ca, v, vl);
        } else if (key_is(w, kl, "sni")) {
            copy_arg(smoke_args.sni, sizeof smoke_args.sni, v, vl);
        } else if (key_is(w, kl, "timeout")) {
            smoke_args.timeout_ms = parse_u32(v, vl) * 1000u;
        }
    }
}

void smoke_finish(int status, const char *why)
{
    board_printf("lan9118: rx %u frames (%u dropped), tx %u frames (%u errors)\n",
                 (unsigned)smoke_eth.rx_frames, (unsigned)smoke_eth.rx_errors,
                 (unsigned)smoke_eth.tx_frames, (unsigned)smoke_eth.tx_errors);
    board_printf("stack: %u of %u bytes used\n", (unsigned)board_stack_high_water(),
                 (unsigned)board_stack_size());
    board_printf("%s: %s (after %u ms)\n", status == 0 ? "PASS" : "FAIL", why,
                 (unsigned)board_millis());
    board_exit(status);
}

void smoke_tick(void)
{
    if (lan9118_netif_poll(&smoke_netif) == 0) {
        board_idle();
    }
    sys_check_timeouts();
    if ((int32_t)(board_millis() - s_deadline) > 0) {
        smoke_finish(SMOKE_EXIT_TIMEOUT, "timeout");
    }
}

static void on_netif_status(struct netif *nif)
{
    if (!ip4_addr_isany_val(*netif_ip4_addr(nif))) {
        char a[16], m[16], g[16];
        ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof a);
        ip4addr_ntoa_r(netif_ip4_netmask(nif), m, sizeof m);
        ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof g);
        board_printf("netif: up, ip %s mask %s gw %s\n", a, m, g);
    }
}

static void check_platform(void)
{
    uint8_t rnd[16];
    if (board_entropy(rnd, sizeof rnd) != 0) {
        smoke_finish(SMOKE_EXIT_FAIL, "entropy source failed");
    }
    board_printf("entropy: %02x%02x%02x%02x%02x%02x%02x%02x...\n", rnd[0], rnd[1], rnd[2],
                 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    int64_t t = board_unix_time();
    board_printf("wall clock: %lld s since 1970\n", (long long)t);
    if (t < 0) {
        smoke_finish(SMOKE_EXIT_FAIL, "wall clock unavailable");
    }

    if (smoke_args.flash[0] != '\0') {
        static board_file_storage_t st;
        pkiot_storage_port_t sp;
        static const uint8_t blob[] = "pkiot-checkpoint-test";
        uint8_t back[64];
        size_t len = 0;
        if (board_file_storage_init(&st, smoke_args.flash, &sp) != PKIOT_OK ||
            sp.erase(sp.ctx) != PKIOT_OK ||
            sp.load(sp.ctx, back, sizeof back, &len) != PKIOT_E_STORAGE_EMPTY ||
            sp.save(sp.ctx, blob, sizeof blob) != PKIOT_OK ||
            sp.load(sp.ctx, back, sizeof back, &len) != PKIOT_OK || len != sizeof blob ||
            memcmp(back, blob, len) != 0 || sp.erase(sp.ctx) != PKIOT_OK) {
            smoke_finish(SMOKE_EXIT_FAIL, "emulated flash round trip failed");
        }
        board_printf("flash: save/load/erase round trip ok (%s)\n", smoke_args.flash);
    }
}

void smoke_start(const char *name)
{
    board_init();
    board_printf("\n%s on %s\n", name, board_name());
    parse_args();
    s_deadline = board_millis() + smoke_args.timeout_ms;
    check_platform();

    lwip_init();
    if (lan9118_netif_add(&smoke_netif, &smoke_eth, BOARD_LAN9118_BASE, NULL) != ERR_OK) {
        smoke_finish(SMOKE_EXIT_FAIL, "no LAN9118 found");
    }
    board_printf("lan9118: id_rev 0x%08x mac %02x:%02x:%02x:%02x:%02x:%02x link %s\n",
                 (unsigned)smoke_eth.id_rev, smoke_eth.mac[0], smoke_eth.mac[1],
                 smoke_eth.mac[2], smoke_eth.mac[3], smoke_eth.mac[4], smoke_eth.mac[5],
                 netif_is_link_up(&smoke_netif) ? "up" : "down");
    netif_set_status_callback(&smoke_netif, on_netif_status);
    netif_set_hostname(&smoke_netif, "pkiot-smoke");
    if (dhcp_start(&smoke_netif) != ERR_OK) {
        smoke_finish(SMOKE_EXIT_FAIL, "dhcp_start failed");
    }
    while (!dhcp_supplied_address(&smoke_netif)) {
        smoke_tick();
    }
    board_printf("dhcp: bound after %u ms\n", (unsigned)board_millis());
}
