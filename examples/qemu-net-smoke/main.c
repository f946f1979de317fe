/*
 * qemu-net-smoke: network bring-up check for the MPS2 boards under QEMU.
 *
 * Boots, starts the LAN9118 and lwIP, gets an address by DHCP, connects with the pkiot lwIP
 * net port to an HTTP server on the host, sends a GET, prints the status line and exits 0 on
 * "HTTP/1.x 200". Any failure exits non-zero (1 error, 2 timeout).
 *
 * Arguments (QEMU: -append "port=8000 host=10.0.2.2 path=/ flash=/tmp/x"):
 *   host=  server address (default 10.0.2.2, the host as seen from QEMU user networking)
 *   port=  server TCP port (default 8000)
 *   path=  request path (default /)
 *   flash= optional host file to exercise the emulated-flash storage port with
 *   timeout= overall limit in seconds (default 30)
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "board_storage.h"
#include "lan9118_netif.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "pkiot_lwip_net.h"

#define EXIT_FAIL    1
#define EXIT_TIMEOUT 2

static lan9118_t s_eth;
static struct netif s_netif;
static pkiot_lwip_net_t s_net;
static uint8_t s_buf[1024];

static struct {
    char host[64];
    uint16_t port;
    char path[128];
    char flash[BOARD_FILE_PATH_MAX];
    uint32_t timeout_ms;
} s_args = {"10.0.2.2", 8000, "/", "", 30000};

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

static void parse_args(void)
{
    static char line[256];
    if (board_cmdline(line, sizeof line) != 0) {
        return;
    }
    /* The first word is the program (the kernel file name under QEMU); skip it. */
    const char *p = line;
    int first = 1;
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        const char *w = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
        size_t wl = (size_t)(p - w);
        if (wl == 0) {
            break;
        }
        const char *eq = memchr(w, '=', wl);
        if (first && eq == NULL) {
            first = 0;
            continue;
        }
        first = 0;
        if (eq == NULL) {
            continue;
        }
        size_t kl = (size_t)(eq - w);
        const char *v = eq + 1;
        size_t vl = wl - kl - 1;
        if (kl == 4 && memcmp(w, "host", 4) == 0) {
            copy_arg(s_args.host, sizeof s_args.host, v, vl);
        } else if (kl == 4 && memcmp(w, "port", 4) == 0) {
            s_args.port = (uint16_t)parse_u32(v, vl);
        } else if (kl == 4 && memcmp(w, "path", 4) == 0) {
            copy_arg(s_args.path, sizeof s_args.path, v, vl);
        } else if (kl == 5 && memcmp(w, "flash", 5) == 0) {
            copy_arg(s_args.flash, sizeof s_args.flash, v, vl);
        } else if (kl == 7 && memcmp(w, "timeout", 7) == 0) {
            s_args.timeout_ms = parse_u32(v, vl) * 1000u;
        }
    }
}

static void finish(int status, const char *why)
{
    board_printf("lan9118: rx %u frames (%u dropped), tx %u frames (%u errors)\n",
                 (unsigned)s_eth.rx_frames, (unsigned)s_eth.rx_errors,
                 (unsigned)s_eth.tx_frames, (unsigned)s_eth.tx_errors);
    board_printf("stack: %u of %u bytes used\n", (unsigned)board_stack_high_water(),
                 (unsigned)board_stack_size());
    board_printf("%s: %s (after %u ms)\n", status == 0 ? "PASS" : "FAIL", why,
                 (unsigned)board_millis());
    board_exit(status);
}

/* One turn of the main loop: frames in, timers, and a nap when nothing happened. */
static void net_tick(void)
{
    if (lan9118_netif_poll(&s_netif) == 0) {
        board_idle();
    }
    sys_check_timeouts();
    if ((int32_t)(board_millis() - s_deadline) > 0) {
        finish(EXIT_TIMEOUT, "timeout");
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
        finish(EXIT_FAIL, "entropy source failed");
    }
    board_printf("entropy: %02x%02x%02x%02x%02x%02x%02x%02x...\n", rnd[0], rnd[1], rnd[2],
                 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    int64_t t = board_unix_time();
    board_printf("wall clock: %lld s since 1970\n", (long long)t);
    if (t < 0) {
        finish(EXIT_FAIL, "wall clock unavailable");
    }

    if (s_args.flash[0] != '\0') {
        static board_file_storage_t st;
        pkiot_storage_port_t sp;
        static const uint8_t blob[] = "pkiot-checkpoint-test";
        uint8_t back[64];
        size_t len = 0;
        if (board_file_storage_init(&st, s_args.flash, &sp) != PKIOT_OK ||
            sp.erase(sp.ctx) != PKIOT_OK ||
            sp.load(sp.ctx, back, sizeof back, &len) != PKIOT_E_STORAGE_EMPTY ||
            sp.save(sp.ctx, blob, sizeof blob) != PKIOT_OK ||
            sp.load(sp.ctx, back, sizeof back, &len) != PKIOT_OK || len != sizeof blob ||
            memcmp(back, blob, len) != 0 || sp.erase(sp.ctx) != PKIOT_OK) {
            finish(EXIT_FAIL, "emulated flash round trip failed");
        }
        board_printf("flash: save/load/erase round trip ok (%s)\n", s_args.flash);
    }
}

static int step_until_done(int rc, const char *what)
{
    if (rc < 0) {
        board_printf("%s: error %d\n", what, rc);
        finish(EXIT_FAIL, what);
    }
    return rc;
}

int main(void)
{
    board_init();
    board_printf("\nqemu-net-smoke on %s\n", board_name());
    parse_args();
    s_deadline = board_millis() + s_args.timeout_ms;
    check_platform();

    lwip_init();
    if (lan9118_netif_add(&s_netif, &s_eth, BOARD_LAN9118_BASE, NULL) != ERR_OK) {
        finish(EXIT_FAIL, "no LAN9118 found");
    }
    board_printf("lan9118: id_rev 0x%08x mac %02x:%02x:%02x:%02x:%02x:%02x link %s\n",
                 (unsigned)s_eth.id_rev, s_eth.mac[0], s_eth.mac[1], s_eth.mac[2],
                 s_eth.mac[3], s_eth.mac[4], s_eth.mac[5],
                 netif_is_link_up(&s_netif) ? "up" : "down");
    netif_set_status_callback(&s_netif, on_netif_status);
    netif_set_hostname(&s_netif, "pkiot-smoke");
    if (dhcp_start(&s_netif) != ERR_OK) {
        finish(EXIT_FAIL, "dhcp_start failed");
    }
    while (!dhcp_supplied_address(&s_netif)) {
        net_tick();
    }
    board_printf("dhcp: bound after %u ms\n", (unsigned)board_millis());

    pkiot_net_port_t port;
    pkiot_lwip_net_init(&s_net, &port);
    board_printf("tcp: connecting to %s:%u\n", s_args.host, (unsigned)s_args.port);
    int rc;
    while ((rc = port.connect(port.ctx, s_args.host, s_args.port)) != PKIOT_OK) {
        step_until_done(rc, "connect");
        net_tick();
    }
    board_printf("tcp: connected\n");

    int req_len = board_snprintf((char *)s_buf, sizeof s_buf,
                                 "GET %s HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: pkiot-qemu-smoke\r\n"
                                 "Connection: close\r\n\r\n",
                                 s_args.path, s_args.host, (unsigned)s_args.port);
    size_t off = 0;
    while (off < (size_t)req_len) {
        size_t n = 0;
        rc = step_until_done(port.send(port.ctx, s_buf + off, (size_t)req_len - off, &n), "send");
        if (rc == PKIOT_OK) {
            off += n;
        } else {
            net_tick();
        }
    }

    char status[128];
    size_t status_len = 0;
    int status_done = 0;
    size_t total = 0;
    size_t body = 0;
    uint32_t hdr_match = 0; /* bytes of "\r\n\r\n" matched so far; 4 = in the body */
    for (;;) {
        size_t n = 0;
        rc = step_until_done(port.recv(port.ctx, s_buf, sizeof s_buf, &n), "recv");
        if (rc != PKIOT_OK) {
            net_tick();
            continue;
        }
        if (n == 0) {
            break; /* server closed: response complete */
        }
        for (size_t i = 0; i < n && !status_done; i++) {
            if (s_buf[i] == '\r' || s_buf[i] == '\n') {
                status_done = 1;
            } else if (status_len < sizeof status - 1) {
                status[status_len++] = (char)s_buf[i];
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (hdr_match == 4) {
                body += n - i;
                break;
            }
            char want = (hdr_match & 1u) ? '\n' : '\r';
            hdr_match = s_buf[i] == (uint8_t)want ? hdr_match + 1 : (s_buf[i] == '\r' ? 1u : 0u);
        }
        total += n;
    }
    status[status_len] = '\0';
    port.close(port.ctx);
    port.close(port.ctx); /* closing twice is allowed */
    board_printf("http: status line \"%s\", %u bytes, body %u bytes\n", status,
                 (unsigned)total, (unsigned)body);

    if (status_len < 12 || memcmp(status, "HTTP/1.", 7) != 0 || memcmp(status + 8, " 200", 4) != 0) {
        finish(EXIT_FAIL, "unexpected HTTP status");
    }
    finish(0, "HTTP GET over lwIP on the LAN9118");
    return 0;
}
