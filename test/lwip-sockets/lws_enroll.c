/*
 * lws-enroll: one EST enrollment over the lwIP sockets-API net port (ports/lwip/
 * pkiot_lwip_sockets.c), run on an operating system: lwIP 2.2's own unix port supplies the
 * threads (pthreads, NO_SYS=0) and a TAP interface as the Ethernet link. The application is
 * main(), an ordinary task next to lwIP's tcpip thread and tapif's reader thread, and talks
 * to lwIP through lwip_socket()/lwip_select() only.
 *
 *   engine (pkiot_step) -> pkiot_tls (Mbed TLS) -> counting wrapper -> pkiot_lwip_sockets
 *     -> lwIP sockets -> tcpip thread -> tapif -> TAP device -> the kernel on the other side
 *
 * Between steps the program waits the way an RTOS task would: lwip_select() on the port's
 * descriptor for PKIOT_WANT_READ/WRITE, sys_msleep() for PKIOT_SLEEP.
 *
 * stdout, for people and test/interop/test_lwip_sockets.sh:
 *   lws: up ...                  the interface is configured
 *   lws: progress: ...           the engine's progress callback
 *   lws: net: ...                with --verbose: connects, closes, end of stream, port errors
 *   lws: stats steps=... ...     how often pkiot_step() and the net port said "would block"
 *   lws: result OK | lws: result FAIL <PKIOT_E_NAME> (<text>)
 * Exit status: 0 enrolled, 1 the enrollment failed, 2 usage or set-up error.
 * See test/lwip-sockets/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "pkiot/pem.h"
#include "pkiot/pkiot.h"

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "mbedtls/pkiot_tls.h"
#include "pkiot_lwip_sockets.h"
#include "storage/pkiot_storage_mem.h"

#define FILE_MAX 16384
#define RESOLVE_MAX 4
/* lwip_select() timeout while the engine waits on the socket: its I/O deadline still runs. */
#define WAIT_SLICE_MS 100

static struct {
    const char *tap, *ip, *netmask, *gw;
    const char *server, *trust, *user, *subject, *out, *key_out;
    const char *resolve[RESOLVE_MAX];
    size_t nresolve;
    const char *sans[PKIOT_SAN_MAX];
    size_t nsans;
    long max_attempts, backoff_ms, timeout_s;
    int verbose, cacerts;
} opt;

/* ---- lwIP ----------------------------------------------------------------------------- */
static struct netif s_netif;

static void tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

/* NAME:ADDRESS -> lwIP's local host table (the "DNS" of this test). Core lock held. */
static int add_resolve(const char *spec)
{
    char name[DNS_LOCAL_HOSTLIST_MAX_NAMELEN + 1];
    const char *colon = strrchr(spec, ':');
    ip_addr_t addr;
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof name ||
        !ipaddr_aton(colon + 1, &addr)) {
        fprintf(stderr, "lws: --resolve wants NAME:IPV4, not %s\n", spec);
        return -1;
    }
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    if (dns_local_addhost(name, &addr) != ERR_OK) {
        fprintf(stderr, "lws: cannot add %s to the local host table\n", name);
        return -1;
    }
    return 0;
}

/* Until the gateway answers ARP (asked again every 100 ms, at most @p max_ms): right after
 * tapif attaches, the kernel may still drop what it sends on the TAP device, and lwIP itself
 * would only ask again after a second (ARP) or three (a lost SYN). Returns the time taken,
 * or -1. */
static long wait_gateway(const ip4_addr_t *gw, uint32_t max_ms)
{
    uint32_t t0 = sys_now();
    uint32_t asked = t0;
    int first = 1;
    for (;;) {
        struct eth_addr *mac;
        const ip4_addr_t *ip;
        uint32_t now = sys_now();
        LOCK_TCPIP_CORE();
        int found = etharp_find_addr(&s_netif, gw, &mac, &ip) >= 0;
        if (!found && (first || now - asked >= 100)) {
            (void)etharp_request(&s_netif, gw);
            asked = now;
            first = 0;
        }
        UNLOCK_TCPIP_CORE();
        if (found) {
            return (long)(now - t0);
        }
        if (now - t0 >= max_ms) {
            return -1;
        }
        sys_msleep(5);
    }
}

/* Before exit: let lwIP finish closing (the peer's FIN acknowledged), so the server is not
 * left retransmitting to a stack that is gone, at most @p max_ms. */
static void drain_tcp(uint32_t max_ms)
{
    uint32_t t0 = sys_now();
    for (;;) {
        LOCK_TCPIP_CORE();
        int busy = tcp_active_pcbs != NULL;
        UNLOCK_TCPIP_CORE();
        if (!busy || sys_now() - t0 >= max_ms) {
            return;
        }
        sys_msleep(5);
    }
}

static int lwip_up(void)
{
    ip4_addr_t ip, mask, gw;
    if (!ip4addr_aton(opt.ip, &ip) || !ip4addr_aton(opt.netmask, &mask) ||
        !ip4addr_aton(opt.gw, &gw)) {
        fprintf(stderr, "lws: bad --ip/--netmask/--gw\n");
        return -1;
    }
    /* tapif attaches to this existing device instead of creating one and running ifconfig. */
    if (setenv("PRECONFIGURED_TAPIF", opt.tap, 1) != 0) {
        return -1;
    }
    /* LWIP_RAND() is rand() in the unix port: seeded, each run starts at another local port
     * instead of meeting the previous run's half-closed connection on the same 4-tuple. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srand((unsigned)ts.tv_sec ^ (unsigned)ts.tv_nsec);
    sys_sem_t ready;
    if (sys_sem_new(&ready, 0) != ERR_OK) {
        return -1;
    }
    tcpip_init(tcpip_ready, &ready);
    sys_sem_wait(&ready);
    sys_sem_free(&ready);

    int rc = 0;
    LOCK_TCPIP_CORE();
    /* tapif_init opens /dev/net/tun, attaches to opt.tap (exit(1) when it cannot) and starts
     * the reader thread, which hands frames to tcpip_input(). */
    if (netif_add(&s_netif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input) == NULL) {
        rc = -1;
    } else {
        netif_set_default(&s_netif);
        netif_set_up(&s_netif);
        for (size_t i = 0; i < opt.nresolve && rc == 0; i++) {
            rc = add_resolve(opt.resolve[i]);
        }
    }
    UNLOCK_TCPIP_CORE();
    if (rc == 0) {
        printf("lws: up: lwIP %s on %s as %s/%s, gateway %s\n", LWIP_VERSION_STRING, opt.tap,
               opt.ip, opt.netmask, opt.gw);
        if (!ip4_addr_isany_val(gw)) {
            long arp_ms = wait_gateway(&gw, 3000);
            if (arp_ms >= 0) {
                printf("lws: up: gateway answered ARP after %ld ms\n", arp_ms);
            } else {
                printf("lws: up: gateway did not answer ARP within 3 s, going on\n");
            }
        }
    }
    return rc;
}

/* ---- the net port, counted -------------------------------------------------------------- */
static pkiot_lwip_sock_t s_sock;
static pkiot_net_port_t s_sock_port;
static struct {
    unsigned connects, connect_want, send_want, send_partial, recv_want, errors;
    int last_error;
} s_count;

static int is_want(int rc)
{
    return rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE;
}

static void count_error(const char *what, int rc)
{
    if (rc < 0) {
        s_count.errors++;
        s_count.last_error = rc;
        if (opt.verbose) {
            printf("lws: net: %s: %s (fd %d)\n", what, pkiot_strerror_name(rc),
                   pkiot_lwip_sock_fd(&s_sock));
        }
    }
}

static int w_connect(void *ctx, const char *host, uint16_t port)
{
    (void)ctx;
    int rc = s_sock_port.connect(s_sock_port.ctx, host, port);
    s_count.connect_want += is_want(rc);
    s_count.connects += rc == PKIOT_OK;
    count_error("connect", rc);
    if (opt.verbose && rc == PKIOT_OK) {
        printf("lws: net: connected to %s:%u (fd %d)\n", host, (unsigned)port,
               pkiot_lwip_sock_fd(&s_sock));
    }
    return rc;
}

static int w_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    (void)ctx;
    int rc = s_sock_port.send(s_sock_port.ctx, buf, len, n);
    s_count.send_want += is_want(rc);
    s_count.send_partial += rc == PKIOT_OK && *n < len;
    count_error("send", rc);
    return rc;
}

static int w_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    (void)ctx;
    int rc = s_sock_port.recv(s_sock_port.ctx, buf, cap, n);
    s_count.recv_want += is_want(rc);
    count_error("recv", rc);
    if (opt.verbose && rc == PKIOT_OK && *n == 0) {
        printf("lws: net: recv: end of stream (fd %d)\n", pkiot_lwip_sock_fd(&s_sock));
    }
    return rc;
}

static void w_close(void *ctx)
{
    (void)ctx;
    if (opt.verbose && pkiot_lwip_sock_fd(&s_sock) >= 0) {
        printf("lws: net: close (fd %d)\n", pkiot_lwip_sock_fd(&s_sock));
    }
    s_sock_port.close(s_sock_port.ctx);
}

/* Sleep until the port's socket is ready for @p want, or WAIT_SLICE_MS. */
static void wait_socket(int want)
{
    int fd = pkiot_lwip_sock_fd(&s_sock);
    if (fd < 0) {
        sys_msleep(10);
        return;
    }
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    FD_SET(fd, want == PKIOT_WANT_READ ? &rd : &wr);
    FD_SET(fd, &ex);
    struct timeval tv = {0, WAIT_SLICE_MS * 1000};
    (void)lwip_select(fd + 1, &rd, &wr, &ex, &tv);
}

/* ---- files -------------------------------------------------------------------------------- */
static char s_text[FILE_MAX + 1];
static uint8_t s_trust[FILE_MAX];
static size_t s_trust_len;

static int load_trust(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "lws: cannot read %s\n", path);
        return -1;
    }
    size_t len = fread(s_text, 1, FILE_MAX, f);
    fclose(f);
    int rc = pkiot_pem_decode_all(s_text, len, "CERTIFICATE", s_trust, sizeof s_trust,
                                  &s_trust_len);
    if (rc == PKIOT_E_PEM_NO_BEGIN) {
        fprintf(stderr, "lws: %s holds no certificate\n", path);
        return -1;
    }
    if (rc != PKIOT_OK) {
        fprintf(stderr, "lws: %s: %s\n", path, pkiot_strerror(rc));
        return -1;
    }
    return 0;
}

static int write_pem(const char *path, const char *label, const uint8_t *der, size_t len)
{
    size_t tl = 0;
    int ok = 0;
    if (pkiot_pem_encode(label, der, len, s_text, sizeof s_text, &tl) == PKIOT_OK) {
        FILE *f = fopen(path, "wb");
        if (f != NULL) {
            ok = fwrite(s_text, 1, tl, f) == tl;
            ok = fclose(f) == 0 && ok;
        }
    }
    memset(s_text, 0, sizeof s_text);
    if (!ok) {
        fprintf(stderr, "lws: cannot write %s\n", path);
    }
    return ok ? 0 : -1;
}

/* ---- engine ------------------------------------------------------------------------------- */
static uint8_t s_work[PKIOT_WORKSPACE_SIZE];
static uint8_t s_ckpt_area[PKIOT_STORAGE_MEM_AREA_SIZE(PKIOT_CKPT_MAX)];
static pkiot_ctx_t s_ctx;
static pkiot_config_t s_cfg;
static pkiot_mbedtls_crypto_t s_crypto_state;
static pkiot_crypto_port_t s_crypto;
static pkiot_net_port_t s_net;
static pkiot_tls_t s_tls;
static pkiot_transport_port_t s_transport;
static pkiot_storage_mem_t s_store_state;
static pkiot_storage_port_t s_store;
static char s_userpass[256];

static void progress(void *user, const char *line)
{
    (void)user;
    printf("lws: progress: %s\n", line);
}

static int64_t wall_time(void *user)
{
    (void)user;
    return (int64_t)time(NULL);
}

static void usage(void)
{
    fputs("usage: lws-enroll --tap IF --ip A.B.C.D [--netmask M] [--gw G]\n"
          "         --server https://HOST:PORT [--resolve NAME:A.B.C.D]...\n"
          "         --trust ca.pem [--user U:P] --subject DN [--san TYPE:VALUE]...\n"
          "         --out cert.pem [--key-out key.pem] [--max-attempts N] [--backoff-ms MS]\n"
          "         [--timeout SECONDS] [--cacerts] [--verbose]\n",
          stderr);
}

static int parse_args(int argc, char **argv)
{
    opt.netmask = "255.255.255.0";
    opt.timeout_s = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **val = NULL;
        long *num = NULL;
        if (!strcmp(a, "--verbose")) {
            opt.verbose = 1;
            continue;
        }
        if (!strcmp(a, "--cacerts")) {
            opt.cacerts = 1;
            continue;
        }
        if (i + 1 >= argc) {
            return -1;
        }
        if (!strcmp(a, "--tap")) val = &opt.tap;
        else if (!strcmp(a, "--ip")) val = &opt.ip;
        else if (!strcmp(a, "--netmask")) val = &opt.netmask;
        else if (!strcmp(a, "--gw")) val = &opt.gw;
        else if (!strcmp(a, "--server")) val = &opt.server;
        else if (!strcmp(a, "--trust")) val = &opt.trust;
        else if (!strcmp(a, "--user")) val = &opt.user;
        else if (!strcmp(a, "--subject")) val = &opt.subject;
        else if (!strcmp(a, "--out")) val = &opt.out;
        else if (!strcmp(a, "--key-out")) val = &opt.key_out;
        else if (!strcmp(a, "--max-attempts")) num = &opt.max_attempts;
        else if (!strcmp(a, "--backoff-ms")) num = &opt.backoff_ms;
        else if (!strcmp(a, "--timeout")) num = &opt.timeout_s;
        else if (!strcmp(a, "--resolve") && opt.nresolve < RESOLVE_MAX) {
            opt.resolve[opt.nresolve++] = argv[++i];
            continue;
        } else if (!strcmp(a, "--san") && opt.nsans < PKIOT_SAN_MAX) {
            opt.sans[opt.nsans++] = argv[++i];
            continue;
        } else {
            return -1;
        }
        if (val != NULL) {
            *val = argv[++i];
        } else {
            char *end;
            *num = strtol(argv[++i], &end, 10);
            if (*end != '\0' || *num < 0) {
                return -1;
            }
        }
    }
    if (opt.gw == NULL) {
        opt.gw = "0.0.0.0";
    }
    return opt.tap != NULL && opt.ip != NULL && opt.server != NULL && opt.trust != NULL &&
                   opt.subject != NULL && opt.out != NULL
               ? 0
               : -1;
}

static int setup_engine(void)
{
    if (pkiot_mbedtls_crypto_init(&s_crypto_state, 0, &s_crypto) != PKIOT_OK ||
        pkiot_lwip_sock_init(&s_sock, &s_sock_port) != PKIOT_OK ||
        pkiot_storage_mem_init(&s_store_state, s_ckpt_area, sizeof s_ckpt_area, NULL,
                               &s_store) != PKIOT_OK) {
        fprintf(stderr, "lws: port initialisation failed\n");
        return -1;
    }
    s_net.ctx = NULL;
    s_net.connect = w_connect;
    s_net.send = w_send;
    s_net.recv = w_recv;
    s_net.close = w_close;
    if (pkiot_tls_init(&s_tls, &s_net, &s_crypto_state, &s_transport) != PKIOT_OK ||
        load_trust(opt.trust) != 0) {
        return -1;
    }
    s_cfg.protocol = PKIOT_PROTO_EST;
    s_cfg.server_url = opt.server;
    s_cfg.crypto = &s_crypto;
    s_cfg.transport = &s_transport;
    s_cfg.storage = &s_store;
    s_cfg.wall_time = wall_time;
    s_cfg.progress = progress;
    s_cfg.trust_anchors = s_trust;
    s_cfg.trust_anchors_len = s_trust_len;
    s_cfg.subject = opt.subject;
    s_cfg.key_type = PKIOT_KEY_EC_P256;
    s_cfg.nsans = opt.nsans;
    memcpy(s_cfg.sans, opt.sans, sizeof opt.sans);
    s_cfg.max_attempts = (uint32_t)opt.max_attempts;
    s_cfg.backoff_base_ms = (uint32_t)opt.backoff_ms;
    s_cfg.io_timeout_ms = 10000;
    s_cfg.est.fetch_cacerts = opt.cacerts;
    if (opt.user != NULL) {
        char *colon;
        if (strlen(opt.user) >= sizeof s_userpass ||
            (colon = strchr(strcpy(s_userpass, opt.user), ':')) == NULL) {
            fprintf(stderr, "lws: --user wants USER:PASSWORD\n");
            return -1;
        }
        *colon = '\0';
        s_cfg.http_user = s_userpass;
        s_cfg.http_password = colon + 1;
    }
    return pkiot_init(&s_ctx, &s_cfg, s_work, sizeof s_work) == PKIOT_OK ? 0 : -1;
}

static int save_results(void)
{
    pkiot_slice_t cert = pkiot_result_cert(&s_ctx);
    if (cert.len == 0 || write_pem(opt.out, "CERTIFICATE", cert.p, cert.len) != 0) {
        return -1;
    }
    if (opt.key_out != NULL) {
        static uint8_t pk[PKIOT_KEY_REF_MAX + 64];
        size_t pl = 0;
        const pkiot_key_ref_t *key = pkiot_result_key(&s_ctx);
        int rc = key != NULL ? s_crypto.key_export_private(s_crypto.ctx, key, pk, sizeof pk, &pl)
                             : PKIOT_E_STATE;
        if (rc == PKIOT_OK) {
            rc = write_pem(opt.key_out, "PRIVATE KEY", pk, pl) == 0 ? PKIOT_OK : PKIOT_E_STORAGE_IO;
        }
        pkiot_zeroize(pk, sizeof pk);
        if (rc != PKIOT_OK) {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_args(argc, argv) != 0) {
        usage();
        return 2;
    }
    if (lwip_up() != 0 || setup_engine() != 0) {
        return 2;
    }

    struct {
        unsigned steps, want_read, want_write, want_crypto, sleeps;
        uint32_t longest_ms;
    } st = {0, 0, 0, 0, 0, 0};
    uint32_t start = sys_now();
    uint32_t limit = (uint32_t)opt.timeout_s * 1000u;
    int rc = pkiot_enroll_start(&s_ctx, PKIOT_OP_ENROLL);
    while (rc >= 0 && rc != PKIOT_DONE) {
        if (sys_now() - start > limit) {
            printf("lws: gave up after %ld s\n", opt.timeout_s);
            rc = PKIOT_E_TIMEOUT;
            break;
        }
        uint32_t t0 = sys_now();
        rc = pkiot_step(&s_ctx, t0);
        uint32_t took = sys_now() - t0;
        st.steps++;
        if (took > st.longest_ms) {
            st.longest_ms = took;
        }
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
            rc == PKIOT_WANT_READ ? st.want_read++ : st.want_write++;
            wait_socket(rc);
        } else if (rc == PKIOT_WANT_CRYPTO) {
            st.want_crypto++;
        } else if (rc == PKIOT_SLEEP) {
            st.sleeps++;
            int32_t wait = (int32_t)(pkiot_wake_at(&s_ctx) - sys_now());
            if (wait > 0) {
                sys_msleep((u32_t)wait);
            }
        }
    }
    printf("lws: stats steps=%u want_read=%u want_write=%u want_crypto=%u sleeps=%u "
           "longest_step_ms=%u port_connects=%u port_connect_want=%u port_send_want=%u "
           "port_send_partial=%u port_recv_want=%u port_errors=%u port_last_error=%s "
           "elapsed_ms=%u\n",
           st.steps, st.want_read, st.want_write, st.want_crypto, st.sleeps,
           (unsigned)st.longest_ms, s_count.connects, s_count.connect_want, s_count.send_want,
           s_count.send_partial, s_count.recv_want, s_count.errors,
           s_count.errors ? pkiot_strerror_name(s_count.last_error) : "none",
           (unsigned)(sys_now() - start));

    drain_tcp(1000);
    if (rc != PKIOT_DONE) {
        printf("lws: result FAIL %s (%s)", pkiot_strerror_name(rc), pkiot_strerror(rc));
        if (rc == PKIOT_E_TLS_VERIFY || rc == PKIOT_E_TLS_HANDSHAKE || rc == PKIOT_E_TLS_ALERT) {
            char detail[160];
            pkiot_tls_last_error_text(&s_tls, detail, sizeof detail);
            printf(": %s", detail);
        }
        if (pkiot_http_status(&s_ctx) != 0) {
            printf("; HTTP %d", pkiot_http_status(&s_ctx));
        }
        printf("\n");
        return 1;
    }
    if (save_results() != 0) {
        printf("lws: result FAIL cannot write the certificate or key\n");
        return 2;
    }
    printf("lws: result OK (TLS session resumed on the last connection: %s)\n",
           pkiot_tls_resumed(&s_tls) ? "yes" : "no");
    (void)pkiot_forget(&s_ctx);
    pkiot_tls_free(&s_tls);
    pkiot_mbedtls_crypto_free(&s_crypto_state);
    return 0;
}
