/*
 * qemu-tls-smoke: Mbed TLS on the MPS2 boards under QEMU.
 *
 * Same bring-up as qemu-net-smoke, then a TLS 1.2/1.3 handshake with a server on the host
 * (openssl s_server -www in the test), verified against a CA read from the emulated flash
 * (ca=<host file>) and the name given by sni=, then an HTTP GET inside TLS. Mbed TLS runs on
 * the board's static arena (boards/common/mbedtls); its record I/O goes through the pkiot
 * lwIP net port, exactly as the TLS layer of ports/mbedtls will drive it.
 *
 * Exit status 0 when the handshake verifies and the server answers "HTTP/1.x 200".
 */
#include <stdint.h>
#include <string.h>

#include "board_mbedtls.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "pkiot_lwip_net.h"
#include "psa/crypto.h"
#include "smoke_common.h"

static pkiot_lwip_net_t s_net;
static pkiot_net_port_t s_port;
static mbedtls_entropy_context s_entropy;
static mbedtls_ctr_drbg_context s_drbg;
static mbedtls_ssl_config s_conf;
static mbedtls_ssl_context s_ssl;
static mbedtls_x509_crt s_ca;
static uint8_t s_ca_pem[8192];
static uint8_t s_buf[1024];

static void tls_fail(const char *what, int ret)
{
    char msg[96];
    mbedtls_strerror(ret, msg, sizeof msg);
    board_printf("%s: -0x%04x %s\n", what, (unsigned)-ret, msg);
    smoke_finish(SMOKE_EXIT_FAIL, what);
}

/* Mbed TLS record I/O over the pkiot net port (the same mapping the TLS layer uses). */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    pkiot_net_port_t *p = ctx;
    size_t n = 0;
    int rc = p->send(p->ctx, buf, len, &n);
    if (rc == PKIOT_OK) {
        return (int)n;
    }
    if (rc == PKIOT_WANT_WRITE || rc == PKIOT_WANT_READ) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    pkiot_net_port_t *p = ctx;
    size_t n = 0;
    int rc = p->recv(p->ctx, buf, len, &n);
    if (rc == PKIOT_OK) {
        return (int)n; /* 0: the peer closed the TCP stream */
    }
    if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

static void tls_setup(void)
{
    if (board_mbedtls_init() != 0) {
        smoke_finish(SMOKE_EXIT_FAIL, "no wall clock for certificate validity");
    }
    if (psa_crypto_init() != PSA_SUCCESS) {
        smoke_finish(SMOKE_EXIT_FAIL, "psa_crypto_init");
    }
    size_t len = 0;
    if (smoke_args.ca[0] == '\0' ||
        board_file_read(smoke_args.ca, s_ca_pem, sizeof s_ca_pem - 1, &len) != 0) {
        smoke_finish(SMOKE_EXIT_FAIL, "trust anchor (ca=) not readable");
    }
    s_ca_pem[len] = '\0';
    mbedtls_x509_crt_init(&s_ca);
    int ret = mbedtls_x509_crt_parse(&s_ca, s_ca_pem, len + 1);
    if (ret != 0) {
        tls_fail("ca parse", ret);
    }

    mbedtls_entropy_init(&s_entropy);
    mbedtls_ctr_drbg_init(&s_drbg);
    static const unsigned char pers[] = "pkiot-qemu-tls-smoke";
    ret = mbedtls_ctr_drbg_seed(&s_drbg, mbedtls_entropy_func, &s_entropy, pers, sizeof pers);
    if (ret != 0) {
        tls_fail("drbg seed", ret);
    }

    mbedtls_ssl_config_init(&s_conf);
    ret = mbedtls_ssl_config_defaults(&s_conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        tls_fail("ssl config", ret);
    }
    mbedtls_ssl_conf_authmode(&s_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&s_conf, &s_ca, NULL);
    mbedtls_ssl_conf_rng(&s_conf, mbedtls_ctr_drbg_random, &s_drbg);

    mbedtls_ssl_init(&s_ssl);
    ret = mbedtls_ssl_setup(&s_ssl, &s_conf);
    if (ret != 0) {
        tls_fail("ssl setup", ret);
    }
    const char *sni = smoke_args.sni[0] != '\0' ? smoke_args.sni : smoke_args.host;
    ret = mbedtls_ssl_set_hostname(&s_ssl, sni);
    if (ret != 0) {
        tls_fail("ssl hostname", ret);
    }
    mbedtls_ssl_set_bio(&s_ssl, &s_port, bio_send, bio_recv, NULL);
}

int main(void)
{
    smoke_start("qemu-tls-smoke");
    tls_setup();

    pkiot_lwip_net_init(&s_net, &s_port);
    board_printf("tcp: connecting to %s:%u\n", smoke_args.host, (unsigned)smoke_args.port);
    int rc;
    while ((rc = s_port.connect(s_port.ctx, smoke_args.host, smoke_args.port)) != PKIOT_OK) {
        if (rc < 0) {
            board_printf("connect: error %d\n", rc);
            smoke_finish(SMOKE_EXIT_FAIL, "connect");
        }
        smoke_tick();
    }

    uint32_t t0 = board_millis();
    int ret;
    while ((ret = mbedtls_ssl_handshake(&s_ssl)) != 0) {
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            uint32_t flags = mbedtls_ssl_get_verify_result(&s_ssl);
            if (flags != 0 && flags != (uint32_t)-1) {
                char vinfo[256];
                mbedtls_x509_crt_verify_info(vinfo, sizeof vinfo, "  ", flags);
                board_printf("certificate verification failed:\n%s", vinfo);
            }
            tls_fail("handshake", ret);
        }
        smoke_tick();
    }
    board_printf("tls: %s %s, server verified, handshake %u ms\n", mbedtls_ssl_get_version(&s_ssl),
                 mbedtls_ssl_get_ciphersuite(&s_ssl), (unsigned)(board_millis() - t0));

    int req_len = board_snprintf((char *)s_buf, sizeof s_buf,
                                 "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n",
                                 smoke_args.path, smoke_args.sni[0] ? smoke_args.sni
                                                                    : smoke_args.host);
    size_t off = 0;
    while (off < (size_t)req_len) {
        ret = mbedtls_ssl_write(&s_ssl, s_buf + off, (size_t)req_len - off);
        if (ret > 0) {
            off += (size_t)ret;
        } else if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            smoke_tick();
        } else {
            tls_fail("ssl write", ret);
        }
    }

    char status[128];
    size_t status_len = 0;
    int status_done = 0;
    size_t total = 0;
    for (;;) {
        ret = mbedtls_ssl_read(&s_ssl, s_buf, sizeof s_buf);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
            ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            smoke_tick();
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
            break;
        }
        if (ret < 0) {
            /* A server that closes TCP without close_notify after a complete response. */
            if (total > 0 && ret == MBEDTLS_ERR_NET_CONN_RESET) {
                break;
            }
            tls_fail("ssl read", ret);
        }
        for (int i = 0; i < ret && !status_done; i++) {
            if (s_buf[i] == '\r' || s_buf[i] == '\n') {
                status_done = 1;
            } else if (status_len < sizeof status - 1) {
                status[status_len++] = (char)s_buf[i];
            }
        }
        total += (size_t)ret;
    }
    status[status_len] = '\0';
    (void)mbedtls_ssl_close_notify(&s_ssl);
    s_port.close(s_port.ctx);
    board_printf("https: status line \"%s\", %u bytes\n", status, (unsigned)total);

    size_t peak = 0, blocks = 0;
    board_mbedtls_arena_peak(&peak, &blocks);
    if (peak != 0) {
        board_printf("mbedtls arena: peak %u of %u bytes (%u blocks)\n", (unsigned)peak,
                     (unsigned)BOARD_MBEDTLS_ARENA_SIZE, (unsigned)blocks);
    }
    mbedtls_ssl_free(&s_ssl);
    mbedtls_ssl_config_free(&s_conf);
    mbedtls_x509_crt_free(&s_ca);

    if (status_len < 12 || memcmp(status, "HTTP/1.", 7) != 0 || memcmp(status + 8, " 200", 4) != 0) {
        smoke_finish(SMOKE_EXIT_FAIL, "unexpected HTTPS status");
    }
    smoke_finish(0, "TLS handshake and HTTPS GET over lwIP on the LAN9118");
}
