/*
 * qemu-net-smoke: network bring-up check for the MPS2 boards under QEMU.
 *
 * Boots, starts the LAN9118 and lwIP, gets an address by DHCP, connects with the pkiot lwIP
 * net port to an HTTP server on the host, sends a GET, prints the status line and exits 0 on
 * "HTTP/1.x 200". Any failure exits non-zero (1 error, 2 timeout). Arguments: see
 * smoke_common.h (e.g. QEMU -append "port=8000 path=/").
 */
#include <stdint.h>
#include <string.h>

#include "pkiot_lwip_net.h"
#include "smoke_common.h"

static pkiot_lwip_net_t s_net;
static uint8_t s_buf[1024];

static int check(int rc, const char *what)
{
    if (rc < 0) {
        board_printf("%s: error %d\n", what, rc);
        smoke_finish(SMOKE_EXIT_FAIL, what);
    }
    return rc;
}

int main(void)
{
    smoke_start("qemu-net-smoke");

    pkiot_net_port_t port;
    pkiot_lwip_net_init(&s_net, &port);
    board_printf("tcp: connecting to %s:%u\n", smoke_args.host, (unsigned)smoke_args.port);
    int rc;
    while ((rc = port.connect(port.ctx, smoke_args.host, smoke_args.port)) != PKIOT_OK) {
        check(rc, "connect");
        smoke_tick();
    }
    board_printf("tcp: connected\n");

    int req_len = board_snprintf((char *)s_buf, sizeof s_buf,
                                 "GET %s HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: pkiot-qemu-smoke\r\n"
                                 "Connection: close\r\n\r\n",
                                 smoke_args.path, smoke_args.host, (unsigned)smoke_args.port);
    size_t off = 0;
    while (off < (size_t)req_len) {
        size_t n = 0;
        rc = check(port.send(port.ctx, s_buf + off, (size_t)req_len - off, &n), "send");
        if (rc == PKIOT_OK) {
            off += n;
        } else {
            smoke_tick();
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
        rc = check(port.recv(port.ctx, s_buf, sizeof s_buf, &n), "recv");
        if (rc != PKIOT_OK) {
            smoke_tick();
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
        smoke_finish(SMOKE_EXIT_FAIL, "unexpected HTTP status");
    }
    smoke_finish(0, "HTTP GET over lwIP on the LAN9118");
}
