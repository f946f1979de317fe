/*
 * qemu-enroll: an emulated Cortex-M device (QEMU MPS2 AN385/AN386) obtains its X.509
 * certificate over EST and renews it.
 *
 * Boot: board, provisioning (EMULATOR-ONLY, provision.c), emulated flash (flash.c), Mbed TLS
 * on its static arena, lwIP on the LAN9118 with DHCP. Then the device works through its
 * lifecycle, each step resumable after a power cut:
 *   1. enroll   (PKIOT_OP_ENROLL, TLS + HTTP Basic): key generated on the device, CSR, cert;
 *   2. install  the certificate and key into the credential slots of the flash;
 *   3. re-enroll (PKIOT_OP_REENROLL, mutual TLS with the installed certificate and key);
 *   4. install again, print the summary, exit through semihosting with a status code.
 * Whatever the engine checkpointed survives a kill of QEMU: the next boot resumes it.
 *
 * The main loop polls the network, runs lwIP's timers and calls pkiot_step() only when the
 * engine can make progress: after frames arrived (or every QE_IO_POLL_MS while waiting on
 * the transport), at once after PKIOT_WANT_CRYPTO, and not before pkiot_wake_at() after
 * PKIOT_SLEEP. In between the core sleeps in WFI until the next SysTick.
 *
 * Console lines are meant for people and for test/interop/test_qemu_est.sh alike:
 *   progress: ...      the engine's progress callback
 *   io: ...            connection events seen by the transport wrapper
 *   flash: ...         checkpoint saves/erases, credential installs
 *   key: ...           the device key, once it is in flash (SPKI SHA-256 and PEM)
 *   main: ...          sleeping and waking
 *   cert[OP]: ...      certificate summary after each operation, then its PEM
 *   result: ...        the outcome; BENCH ... in bench builds
 */
#include <string.h>

#include "board_mbedtls.h"
#include "lan9118_netif.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "mbedtls/pkiot_tls.h"
#include "pkiot/datetime.h"
#include "pkiot/pem.h"
#include "pkiot_lwip_net.h"
#include "qe.h"
#if PKIOT_BENCH
#include "mbedtls/memory_buffer_alloc.h"
#endif

/* While the transport waits, pkiot_step() runs when frames came in (data, ACKs, the TCP
 * handshake all arrive as frames) and otherwise this often, for the engine's I/O deadline. */
#define QE_IO_POLL_MS 100u
#define QE_DHCP_TIMEOUT_MS 15000u

/* ---- ports and engine ------------------------------------------------------------------- */
static lan9118_t s_eth;
static struct netif s_netif;
static pkiot_mbedtls_crypto_t s_crypto_state;
static pkiot_crypto_port_t s_crypto;        /* Mbed TLS crypto port, also used by main.c */
static pkiot_crypto_port_t s_engine_crypto; /* what the engine calls (bench: timed wrapper) */
static pkiot_lwip_net_t s_net_state;
static pkiot_net_port_t s_net;
static pkiot_tls_t s_tls;
static pkiot_transport_port_t s_tls_port;
static pkiot_transport_port_t s_transport;
static pkiot_storage_port_t s_flash_ckpt;   /* A/B slots in the emulated flash */
static pkiot_storage_port_t s_ckpt_store;   /* the same, reporting each save on the console */
static pkiot_config_t s_cfg;
static pkiot_ctx_t s_ctx;
static uint8_t s_work[PKIOT_WORKSPACE_SIZE];
static uint8_t s_trust[4096];
static size_t s_trust_len;
static char s_url[96];
static char s_user[sizeof qe_args.user];
static const char *s_password;
static const qe_protocol_t *s_proto;
static qe_cred_t s_cred;                    /* installed certificate and key */
static uint8_t s_last_spki_hash[32];
static int s_summary_printed;             /* the installed certificate is on the console */

/* ---- the running operation ---------------------------------------------------------------- */
static struct {
    pkiot_operation_t op;
    int active;
    int want_io;            /* last step waits on the transport */
    int sleeping;
    uint32_t next_ms;       /* board time of the next pkiot_step() */
    uint32_t sleep_start;
    uint32_t sleep_until;
    uint32_t warp_ms;       /* max_sleep_ms= test knob: added to the engine's clock */
    int capped;             /* this sleep is shorter than the engine asked for */
    uint32_t steps;
    uint32_t sleeps;
    int resumed;
} s_run;

/* linkdown_ms= test knob */
static struct {
    int armed;
    int down;
    uint32_t until;
    uint32_t start;
} s_link;

static uint32_t s_deadline;

#if PKIOT_BENCH
typedef struct bench_mark {
    uint64_t t, crypto, handshake, tls_io, idle;
    uint32_t calls, waits;
} bench_mark_t;
static bench_mark_t s_bench_start;
static char s_bench_line[2][320];
#endif

static const char *op_name(pkiot_operation_t op)
{
    return op == PKIOT_OP_REENROLL ? "reenroll" : op == PKIOT_OP_ENROLL ? "enroll" : "other";
}

static uint32_t engine_now(void)
{
    return board_millis() + s_run.warp_ms;
}

static int64_t wall_time(void *user)
{
    (void)user;
    int64_t t = board_unix_time();
    return t > 0 ? t : 0;
}

/* hold_ms= test knob: after a line a test may kill QEMU on, stand still for a while so the
 * kill lands right there (the core sleeps; no frame is processed meanwhile). */
static void milestone(void)
{
    if (qe_args.hold_ms != 0) {
        board_delay_ms(qe_args.hold_ms);
    }
}

static void progress(void *user, const char *line)
{
    (void)user;
    board_printf("progress: %s\n", line);
    milestone();
}

/* ---- exit ------------------------------------------------------------------------------- */

static __attribute__((noreturn)) void finish(int status, const char *why)
{
    board_printf("lan9118: rx %u frames (%u dropped), tx %u frames (%u errors)\n",
                 (unsigned)s_eth.rx_frames, (unsigned)s_eth.rx_errors,
                 (unsigned)s_eth.tx_frames, (unsigned)s_eth.tx_errors);
    board_printf("stack: %u of %u bytes used; engine steps %u, sleeps %u\n",
                 (unsigned)board_stack_high_water(), (unsigned)board_stack_size(),
                 (unsigned)s_run.steps, (unsigned)s_run.sleeps);
#if PKIOT_BENCH
    size_t peak = 0, blocks = 0;
    board_mbedtls_arena_peak(&peak, &blocks);
    for (int i = 0; i < 2; i++) {
        if (s_bench_line[i][0] != '\0') {
            board_printf("%s arena_peak=%u arena_blocks=%u arena_size=%u\n", s_bench_line[i],
                         (unsigned)peak, (unsigned)blocks, (unsigned)BOARD_MBEDTLS_ARENA_SIZE);
        }
    }
#endif
    board_printf("result: %s %s (exit %d, after %u ms)\n", status == 0 ? "PASS" : "FAIL", why,
                 status, (unsigned)board_millis());
    board_exit(status);
}

static int exit_code_for(int rc)
{
    switch (pkiot_error_class(rc)) {
    case PKIOT_ERRCLASS_NETWORK: return QE_EXIT_UNAVAIL;
    case PKIOT_ERRCLASS_AUTH: return QE_EXIT_AUTH;
    case PKIOT_ERRCLASS_REJECTED: return QE_EXIT_REJECTED;
    case PKIOT_ERRCLASS_TRUST: return QE_EXIT_TRUST;
    case PKIOT_ERRCLASS_STORAGE: return QE_EXIT_FLASH;
    case PKIOT_ERRCLASS_CONFIG: return QE_EXIT_CONFIG;
    case PKIOT_ERRCLASS_INTERNAL: return QE_EXIT_INTERNAL;
    case PKIOT_ERRCLASS_SERVER_DATA:
    case PKIOT_ERRCLASS_NONE:
    default: return QE_EXIT_DATAERR;
    }
}

static __attribute__((noreturn)) void engine_failed(const char *what, int rc)
{
    char why[200];
    board_printf("engine: %s failed: %s (%s)\n", what, pkiot_strerror(rc),
                 pkiot_strerror_name(rc));
    if (rc == PKIOT_E_TLS_VERIFY || rc == PKIOT_E_TLS_HANDSHAKE || rc == PKIOT_E_TLS_ALERT) {
        char detail[160];
        pkiot_tls_last_error_text(&s_tls, detail, sizeof detail);
        board_printf("engine: tls: %s\n", detail);
    }
    if (pkiot_http_status(&s_ctx) != 0) {
        board_printf("engine: last HTTP status %d\n", pkiot_http_status(&s_ctx));
    }
    if (pkiot_server_text(&s_ctx)[0] != '\0') {
        board_printf("engine: server says: %s\n", pkiot_server_text(&s_ctx));
    }
    board_snprintf(why, sizeof why, "%s: %s", what, pkiot_strerror_name(rc));
    finish(exit_code_for(rc), why);
}

/* ---- console output of keys and certificates --------------------------------------------- */

static void print_pem(const char *label, const uint8_t *der, size_t len)
{
    static char pem[PKIOT_PEM_ENCODED_SIZE(20, PKIOT_CERT_MAX)];
    size_t pl = 0;
    if (pkiot_pem_encode(label, der, len, pem, sizeof pem, &pl) == PKIOT_OK) {
        board_write(pem, pl);
    }
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SPKI of @p key and its SHA-256; @return 0 or -1. */
static int key_spki(const pkiot_key_ref_t *key, uint8_t *spki, size_t cap, size_t *len,
                    uint8_t sha[32])
{
    if (s_crypto.key_export_spki(s_crypto.ctx, key, spki, cap, len) != PKIOT_OK) {
        return -1;
    }
    pkiot_slice_t part = {spki, *len};
    return s_crypto.hash(s_crypto.ctx, PKIOT_HASH_SHA256, &part, 1, sha, 32) == PKIOT_OK ? 0 : -1;
}

/* Prints the device key once it is durable (called after each checkpoint save). */
static void report_key(const pkiot_key_ref_t *key, const char *where)
{
    uint8_t spki[PKIOT_SPKI_MAX], sha[32];
    size_t len = 0;
    char h[65];
    if (key == NULL || key_spki(key, spki, sizeof spki, &len, sha) != 0 ||
        memcmp(sha, s_last_spki_hash, 32) == 0) {
        return;
    }
    memcpy(s_last_spki_hash, sha, 32);
    hex(h, sha, 32);
    board_printf("key: device key in %s, spki-sha256 %s\n", where, h);
    print_pem("PUBLIC KEY", spki, len);
}

static void print_summary(const char *tag, const uint8_t *der, size_t len)
{
    pkiot_x509_cert_t c;
    char dn[256], nb[32], na[32], serial[2 * 20 + 1];
    size_t l;
#if PKIOT_X509_BUILTIN
    int rc = pkiot_x509_cert_parse(der, len, &c);
#else
    /* The provider's parser, as the engine uses: the image carries one X.509 parser. */
    int rc = s_crypto.cert_parse(s_crypto.ctx, der, len, &c);
#endif
    if (rc != PKIOT_OK) {
        board_printf("cert[%s]: unparseable\n", tag);
        return;
    }
    if (pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, sizeof dn, &l) != PKIOT_OK) {
        strcpy(dn, "?");
    }
    board_printf("cert[%s]: subject %s\n", tag, dn);
    if (pkiot_x509_dn_to_string(c.issuer.p, c.issuer.len, dn, sizeof dn, &l) != PKIOT_OK) {
        strcpy(dn, "?");
    }
    board_printf("cert[%s]: issuer %s\n", tag, dn);
    /* The time writer does not terminate its output. */
    if (pkiot_time_write_generalized(c.not_before, nb, sizeof nb - 1, &l) == PKIOT_OK) {
        nb[l] = '\0';
    } else {
        strcpy(nb, "?");
    }
    if (pkiot_time_write_generalized(c.not_after, na, sizeof na - 1, &l) == PKIOT_OK) {
        na[l] = '\0';
    } else {
        strcpy(na, "?");
    }
    board_printf("cert[%s]: valid %s .. %s\n", tag, nb, na);
    hex(serial, c.serial.p, c.serial.len < 20 ? c.serial.len : 20);
    board_printf("cert[%s]: serial 0x%s\n", tag, serial);
    print_pem("CERTIFICATE", der, len);
}

/* ---- network ---------------------------------------------------------------------------- */

static void on_netif_status(struct netif *nif)
{
    if (!ip4_addr_isany_val(*netif_ip4_addr(nif))) {
        char a[16], g[16];
        ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof a);
        ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof g);
        board_printf("netif: up, ip %s gw %s\n", a, g);
    }
}

/* One turn of the network: frames into lwIP (or, while the simulated link is down, onto the
 * floor), lwIP timers. @return frames delivered. */
static int net_poll(void)
{
    int frames = 0;
    uint32_t now = board_millis();
    if (s_link.down && (int32_t)(now - s_link.until) >= 0) {
        s_link.down = 0;
        netif_set_link_up(&s_netif);
        board_printf("link: up again after %u ms\n", (unsigned)(now - s_link.start));
    }
    if (s_link.down) {
        /* Cable out: nothing is received; lan9118_netif_poll() is not called either, as it
         * would see the PHY's link up and restore it. */
        int len;
        while ((len = lan9118_rx_next(&s_eth)) != 0) {
            if (len > 0) {
                lan9118_rx_finish(&s_eth);
            }
        }
    } else {
        frames = lan9118_netif_poll(&s_netif);
    }
    sys_check_timeouts();
    return frames;
}

static void check_deadline(void)
{
    if ((int32_t)(board_millis() - s_deadline) > 0) {
        finish(QE_EXIT_TIMEOUT, "time limit (timeout=) reached");
    }
}

static void net_up(void)
{
    lwip_init();
    if (lan9118_netif_add(&s_netif, &s_eth, BOARD_LAN9118_BASE, NULL) != ERR_OK) {
        finish(QE_EXIT_NETUP, "no LAN9118 found");
    }
    netif_set_status_callback(&s_netif, on_netif_status);
    netif_set_hostname(&s_netif, "pkiot-device");
    if (dhcp_start(&s_netif) != ERR_OK) {
        finish(QE_EXIT_NETUP, "dhcp_start failed");
    }
    uint32_t t0 = board_millis();
    while (!dhcp_supplied_address(&s_netif)) {
        if (net_poll() == 0) {
            board_idle();
        }
        if ((uint32_t)(board_millis() - t0) > QE_DHCP_TIMEOUT_MS) {
            finish(QE_EXIT_NETUP, "no DHCP lease");
        }
    }
    board_printf("dhcp: bound after %u ms\n", (unsigned)board_millis());
}

/* Transport events: console lines, and the linkdown_ms= trigger. */
static void io_event(enum qe_io_event ev, uint32_t arg)
{
    switch (ev) {
    case QE_IO_CONNECTED:
        board_printf("io: connected to %s:%u, %s\n", qe_args.host, (unsigned)qe_args.port,
                     pkiot_tls_version(&s_tls));
        break;
    case QE_IO_REQUEST_SENT:
        board_printf("io: request sent (%u bytes)\n", (unsigned)arg);
        milestone();
        if (s_link.armed) {
            s_link.armed = 0;
            s_link.down = 1;
            s_link.start = board_millis();
            s_link.until = s_link.start + qe_args.linkdown_ms;
            netif_set_link_down(&s_netif);
            board_printf("link: down for %u ms (linkdown_ms test knob)\n",
                         (unsigned)qe_args.linkdown_ms);
        }
        break;
    case QE_IO_RESPONSE:
        board_printf("io: response arriving\n");
        break;
    case QE_IO_CLOSED:
        board_printf("io: connection closed\n");
        break;
    }
}

/* ---- checkpoint storage as the engine sees it --------------------------------------------- */

static int store_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    (void)ctx;
    return s_flash_ckpt.load(s_flash_ckpt.ctx, buf, cap, len);
}

static int store_save(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    int rc = s_flash_ckpt.save(s_flash_ckpt.ctx, buf, len);
    if (rc != PKIOT_OK) {
        board_printf("flash: checkpoint save failed: %s\n", pkiot_strerror(rc));
        return rc;
    }
    char slot;
    uint32_t seq;
    qe_flash_checkpoint_slot(&slot, &seq);
    board_printf("flash: checkpoint saved (%u bytes, slot %c, seq %u)\n", (unsigned)len, slot,
                 (unsigned)seq);
    report_key(pkiot_result_key(&s_ctx), "flash checkpoint");
    milestone();
    return rc;
}

static int store_erase(void *ctx)
{
    (void)ctx;
    int rc = s_flash_ckpt.erase(s_flash_ckpt.ctx);
    board_printf("flash: checkpoint erased%s\n", rc == PKIOT_OK ? "" : " (failed)");
    milestone();
    return rc;
}

/* ---- operations -------------------------------------------------------------------------- */

static void configure(pkiot_operation_t op)
{
    memset(&s_cfg, 0, sizeof s_cfg);
    s_cfg.protocol = s_proto->id;
    s_cfg.server_url = s_url;
    s_cfg.crypto = &s_engine_crypto;
    s_cfg.transport = &s_transport;
    s_cfg.storage = &s_ckpt_store;
    s_cfg.wall_time = wall_time;
    s_cfg.progress = progress;
    s_cfg.trust_anchors = s_trust;
    s_cfg.trust_anchors_len = s_trust_len;
    if (s_user[0] != '\0') {
        s_cfg.http_user = s_user;
        s_cfg.http_password = s_password;
    }
    s_cfg.io_timeout_ms = qe_args.io_timeout_ms;
    s_cfg.max_attempts = qe_args.attempts;
    s_cfg.backoff_base_ms = qe_args.backoff_ms;
    s_cfg.key_type = !strcmp(qe_args.key, "p384")      ? PKIOT_KEY_EC_P384
                     : !strcmp(qe_args.key, "rsa2048") ? PKIOT_KEY_RSA_2048
                     : !strcmp(qe_args.key, "rsa3072") ? PKIOT_KEY_RSA_3072
                                                       : PKIOT_KEY_EC_P256;
    if (op == PKIOT_OP_REENROLL) {
        /* Mutual TLS with what is installed; the subject and SANs of the current certificate
         * are kept (RFC 7030 §4.2.2). */
        s_cfg.client_cert = s_cred.cert;
        s_cfg.client_cert_len = s_cred.cert_len;
        s_cfg.client_key = &s_cred.key;
        s_cfg.existing_key = qe_args.rekey ? NULL : &s_cred.key;
    } else {
        s_cfg.subject = qe_args.subject;
        if (qe_args.san[0] != '\0') {
            s_cfg.sans[0] = qe_args.san;
            s_cfg.nsans = 1;
        }
    }
    if (s_proto->configure(&s_cfg, &qe_args) != 0) {
        finish(QE_EXIT_CONFIG, "protocol configuration");
    }
}

static void start_operation(pkiot_operation_t op, int may_resume)
{
    configure(op);
    int rc = pkiot_init(&s_ctx, &s_cfg, s_work, sizeof s_work);
    if (rc != PKIOT_OK) {
        engine_failed("pkiot_init", rc);
    }
    s_run.resumed = 0;
    rc = may_resume ? pkiot_resume(&s_ctx) : PKIOT_E_STORAGE_EMPTY;
    if (rc == PKIOT_OK) {
        s_run.resumed = 1;
        board_printf("engine: resuming %s from the checkpoint in flash\n", op_name(op));
        report_key(pkiot_result_key(&s_ctx), "flash checkpoint");
    } else if (rc == PKIOT_E_CKPT_MAGIC || rc == PKIOT_E_CKPT_VERSION ||
               rc == PKIOT_E_CKPT_CORRUPT || rc == PKIOT_E_CKPT_MISMATCH) {
        /* Nothing was applied; the blob cannot be used, so this enrollment starts over. */
        board_printf("engine: checkpoint rejected (%s); erasing it and starting over\n",
                     pkiot_strerror_name(rc));
        (void)pkiot_forget(&s_ctx);
        rc = PKIOT_E_STORAGE_EMPTY;
    } else if (rc != PKIOT_E_STORAGE_EMPTY) {
        engine_failed("pkiot_resume", rc);
    }
    if (rc == PKIOT_E_STORAGE_EMPTY) {
        rc = pkiot_enroll_start(&s_ctx, op);
        if (rc != PKIOT_OK) {
            engine_failed("pkiot_enroll_start", rc);
        }
        board_printf("engine: starting %s (%s, %s)\n", op_name(op), s_proto->name, s_url);
    }
    milestone();
    s_run.op = op;
    s_run.active = 1;
    s_run.want_io = 0;
    s_run.sleeping = 0;
    s_run.next_ms = board_millis();
#if PKIOT_BENCH
    s_bench_start.t = qe_clock_ns();
    s_bench_start.crypto = qe_bench.crypto_ns;
    s_bench_start.handshake = qe_bench.handshake_ns;
    s_bench_start.tls_io = qe_bench.tls_io_ns;
    s_bench_start.idle = qe_bench.idle_ns;
    s_bench_start.calls = qe_bench.crypto_calls;
    s_bench_start.waits = qe_bench.io_waits;
#endif
}

#if PKIOT_BENCH
static void bench_record(pkiot_operation_t op)
{
    uint64_t wall = qe_clock_ns() - s_bench_start.t;
    uint64_t idle_ns = qe_bench.idle_ns - s_bench_start.idle;
    uint64_t total = wall - idle_ns;
    uint64_t crypto = qe_bench.crypto_ns - s_bench_start.crypto;
    uint64_t hs = qe_bench.handshake_ns - s_bench_start.handshake;
    uint64_t other = total > crypto + hs ? total - crypto - hs : 0;
    board_snprintf(s_bench_line[op == PKIOT_OP_REENROLL], sizeof s_bench_line[0],
                   "%s total=%llu crypto=%llu tls_handshake=%llu other=%llu idle=%llu "
                   "tls_io=%llu crypto_calls=%u io_waits=%u resumed=%d",
                   op == PKIOT_OP_REENROLL ? "BENCH_REENROLL" : "BENCH",
                   (unsigned long long)total, (unsigned long long)crypto,
                   (unsigned long long)hs, (unsigned long long)other,
                   (unsigned long long)idle_ns,
                   (unsigned long long)(qe_bench.tls_io_ns - s_bench_start.tls_io),
                   (unsigned)(qe_bench.crypto_calls - s_bench_start.calls),
                   (unsigned)(qe_bench.io_waits - s_bench_start.waits), s_run.resumed);
}
#endif

static void finish_installed(void)
{
    if (!s_summary_printed) {
        print_summary(s_cred.stage == QE_STAGE_REENROLLED ? "reenroll" : "enroll", s_cred.cert,
                      s_cred.cert_len);
    }
    uint8_t spki[PKIOT_SPKI_MAX], sha[32];
    size_t len = 0;
    char h[65];
    if (key_spki(&s_cred.key, spki, sizeof spki, &len, sha) != 0) {
        finish(QE_EXIT_INTERNAL, "installed key unusable");
    }
    hex(h, sha, 32);
    board_printf("device public key (installed), spki-sha256 %s\n", h);
    print_pem("PUBLIC KEY", spki, len);
    finish(QE_EXIT_OK, s_cred.stage == QE_STAGE_REENROLLED ? "enrolled and re-enrolled"
                                                           : "enrolled");
}

static void operation_done(void)
{
    pkiot_slice_t cert = pkiot_result_cert(&s_ctx);
    const pkiot_key_ref_t *key = pkiot_result_key(&s_ctx);
    s_run.active = 0;
#if PKIOT_BENCH
    bench_record(s_run.op);
#endif
    if (key == NULL || cert.len == 0 || cert.len > sizeof s_cred.cert) {
        finish(QE_EXIT_INTERNAL, "no certificate or key after PKIOT_DONE");
    }
    if (s_cred.stage != QE_STAGE_NONE && cert.len == s_cred.cert_len &&
        memcmp(cert.p, s_cred.cert, cert.len) == 0) {
        /* Power was cut between installing and erasing the checkpoint. */
        board_printf("main: certificate from the checkpoint is already installed\n");
    } else {
        s_cred.stage = s_run.op == PKIOT_OP_REENROLL ? QE_STAGE_REENROLLED : QE_STAGE_ENROLLED;
        s_cred.key = *key;
        s_cred.cert_len = cert.len;
        memcpy(s_cred.cert, cert.p, cert.len);
        if (qe_cred_save(&s_cred) != 0) {
            finish(QE_EXIT_FLASH, "installing the certificate in flash failed");
        }
        board_printf("flash: credentials installed (%s, %u bytes)\n", op_name(s_run.op),
                     (unsigned)(QE_CRED_HDR + s_cred.key.len + s_cred.cert_len));
        milestone();
        print_summary(op_name(s_run.op), s_cred.cert, s_cred.cert_len);
        s_summary_printed = 1;
    }
    /* Installed: the checkpoint (which holds the private key too) has done its job. */
    if (pkiot_forget(&s_ctx) != PKIOT_OK) {
        finish(QE_EXIT_FLASH, "erasing the checkpoint failed");
    }
    if (s_cred.stage == QE_STAGE_ENROLLED && qe_args.reenroll) {
        start_operation(PKIOT_OP_REENROLL, 0);
        return;
    }
    finish_installed();
}

static void start_sleep(void)
{
    /* Measured from now, not from the start of the step that asked for the sleep. */
    uint32_t now = board_millis();
    uint32_t eng = engine_now(), wake = pkiot_wake_at(&s_ctx);
    uint32_t wait = (int32_t)(wake - eng) > 0 ? wake - eng : 0;
    uint32_t nap = wait;
    int server = pkiot_phase(&s_ctx) == PKIOT_PHASE_WAIT;
    if (qe_args.max_sleep_ms != 0 && nap > qe_args.max_sleep_ms) {
        nap = qe_args.max_sleep_ms;
    }
    s_run.capped = nap < wait;
    s_run.sleeping = 1;
    s_run.sleeps++;
    s_run.sleep_start = now;
    s_run.sleep_until = now + nap;
    if (nap < wait) {
        board_printf("main: sleeping %u ms (%s; %u ms asked, capped by max_sleep_ms)\n",
                     (unsigned)nap, server ? "server asked to come back later" : "retry backoff",
                     (unsigned)wait);
    } else {
        board_printf("main: sleeping %u ms (%s)\n", (unsigned)nap,
                     server ? "server asked to come back later" : "retry backoff");
    }
}

/* One call of pkiot_step() and what follows from its answer. */
static void run_step(uint32_t now)
{
    s_run.steps++;
    int rc = pkiot_step(&s_ctx, engine_now());
    switch (rc) {
    case PKIOT_WANT_READ:
    case PKIOT_WANT_WRITE:
        s_run.want_io = 1;
        s_run.next_ms = now + QE_IO_POLL_MS;
        break;
    case PKIOT_WANT_CRYPTO:
        s_run.want_io = 0;
        s_run.next_ms = now;
        break;
    case PKIOT_SLEEP:
        s_run.want_io = 0;
        start_sleep();
        break;
    case PKIOT_DONE:
        operation_done();
        break;
    default:
        engine_failed(op_name(s_run.op), rc);
    }
}

/* Whether the engine has something to do now. */
static int step_due(uint32_t now, int frames)
{
    if (!s_run.active) {
        return 0;
    }
    if (s_run.sleeping) {
        if ((int32_t)(now - s_run.sleep_until) < 0) {
            return 0;
        }
        s_run.sleeping = 0;
        if (s_run.capped) {
            /* max_sleep_ms: let the engine believe the whole wait has passed. */
            uint32_t wake = pkiot_wake_at(&s_ctx), eng = engine_now();
            s_run.warp_ms += (int32_t)(wake - eng) > 0 ? wake - eng : 0u;
        }
        board_printf("main: awake after %u ms\n", (unsigned)(now - s_run.sleep_start));
        return 1;
    }
    if (s_run.want_io && frames > 0) {
        return 1;
    }
    return (int32_t)(now - s_run.next_ms) >= 0;
}

#if PKIOT_BENCH
/*
 * A turn of the main loop in the bench image's fixed-input mode (bench_fixed.c). Received
 * frames are read only when the engine waits on the transport, and then exactly the batch
 * qe_fixed_wait_input() names, with the device clock held while it waits; while the engine
 * computes (PKIOT_WANT_CRYPTO) they stay in the controller's FIFO, because whether one has
 * arrived by then depends on the host. lwIP's timers run every turn on the device clock, which
 * stands still during the waits, so they fire at the same points of every run. Every batch is
 * followed by one step, whatever it held.
 */
static void fixed_turn(void)
{
    int waited = 0;
    if (s_run.active && s_run.want_io) {
        uint32_t take;
        if (qe_fixed_wait_input(&s_eth, &take) != 0) {
            finish(QE_EXIT_UNAVAIL, "network input did not settle (fixed-input mode)");
        }
        /* The same code for either kind of batch: what runs from here on depends on the
         * frames only. What lwIP's answers to them bring back stays for the next turn. */
        (void)lan9118_netif_poll_max(&s_netif, (int)take);
        waited = 1;
    }
    uint64_t t0 = qe_clock_ns();
    sys_check_timeouts();
    uint32_t now = board_millis();
    check_deadline();
    if (waited || step_due(now, 0)) {
        run_step(now);
    } else {
        /* Only while the engine sleeps (PKIOT_SLEEP): the tick wakes the core. */
        board_idle();
        qe_bench.idle_ns += qe_clock_ns() - t0;
    }
}
#endif

/* ---- boot ------------------------------------------------------------------------------- */

static void ports_init(void)
{
    if (board_mbedtls_init() != 0) {
        finish(QE_EXIT_CONFIG, "no wall clock (certificate validity cannot be checked)");
    }
    if (pkiot_mbedtls_crypto_init(&s_crypto_state, 0, &s_crypto) != PKIOT_OK ||
        pkiot_lwip_net_init(&s_net_state, &s_net) != PKIOT_OK ||
        pkiot_tls_init(&s_tls, &s_net, &s_crypto_state, &s_tls_port) != PKIOT_OK) {
        finish(QE_EXIT_INTERNAL, "port initialisation failed");
    }
#if PKIOT_BENCH
    qe_crypto_shim(&s_engine_crypto, &s_crypto);
#else
    s_engine_crypto = s_crypto;
#endif
    qe_transport_shim(&s_transport, &s_tls_port, io_event);
    qe_flash_checkpoint_port(&s_flash_ckpt);
    s_ckpt_store.ctx = NULL;
    s_ckpt_store.load = store_load;
    s_ckpt_store.save = store_save;
    s_ckpt_store.erase = store_erase;
}

int main(void)
{
    board_init();
    board_printf("\nqemu-enroll on %s, pkiot %s%s\n", board_name(), PKIOT_VERSION_STRING,
                 PKIOT_BENCH ? " (bench build)" : "");
    if (qe_args_parse() != 0) {
        finish(QE_EXIT_USAGE, "provisioning arguments");
    }
#if PKIOT_BENCH
    /* Before anything draws entropy or reads the clock. */
    if (qe_args.fixed_time != 0 &&
        qe_fixed_enable(qe_args.fixed_time, qe_args.fixed_quiet_ms, qe_args.fixed_trace != 0,
                        qe_args.fixed_sync) != 0) {
        finish(QE_EXIT_USAGE, "fixed-input mode");
    }
#endif
    s_deadline = board_millis() + qe_args.timeout_s * 1000u;
    s_proto = qe_protocol_find(qe_args.protocol);
    board_snprintf(s_url, sizeof s_url, "%s://%s:%u", s_proto->scheme, qe_args.host,
                   (unsigned)qe_args.port);
    /* user=NAME:PASSWORD */
    memcpy(s_user, qe_args.user, sizeof s_user);
    char *colon = strchr(s_user, ':');
    if (colon != NULL) {
        *colon = '\0';
    }
    s_password = colon != NULL ? colon + 1 : "";
    if (qe_trust_load(s_trust, sizeof s_trust, &s_trust_len) != 0) {
        finish(QE_EXIT_NOINPUT, "trust anchor (ca=)");
    }
    int frc = qe_flash_open(qe_args.flash);
    if (frc != 0) {
        finish(QE_EXIT_FLASH, frc == -2 ? "flash image has the wrong size" : "flash image unusable");
    }
    qe_flash_set_cut(qe_args.flash_cut_save, qe_args.flash_cut_bytes, qe_args.flash_cut_back);
    ports_init();
    s_link.armed = qe_args.linkdown_ms != 0;

    int crc = qe_cred_load(&s_cred);
    if (crc < 0) {
        finish(QE_EXIT_FLASH, "credential record in flash unreadable");
    }
    if (crc == 0) {
        board_printf("flash: installed credentials found (%s)\n",
                     s_cred.stage == QE_STAGE_REENROLLED ? "re-enrolled" : "enrolled");
        report_key(&s_cred.key, "installed credentials");
    }
    if (s_cred.stage == QE_STAGE_REENROLLED || (s_cred.stage == QE_STAGE_ENROLLED && !qe_args.reenroll)) {
        /* Nothing left to do; a checkpoint can only be left over from before a cut. */
        board_printf("main: lifecycle already complete\n");
        (void)s_flash_ckpt.erase(s_flash_ckpt.ctx);
        finish_installed();
    }

    net_up();
#if PKIOT_BENCH
    if (qe_fixed_on()) {
        lan9118_rx_mark_track(&s_eth, 1); /* see qe_fixed_wait_input() */
    }
#endif
    start_operation(s_cred.stage == QE_STAGE_ENROLLED ? PKIOT_OP_REENROLL : PKIOT_OP_ENROLL, 1);

    /* The main loop: the device's only thread. */
    for (;;) {
#if PKIOT_BENCH
        if (qe_fixed_on()) {
            fixed_turn();
            continue;
        }
        uint64_t t0 = qe_clock_ns();
#endif
        int frames = net_poll();
        uint32_t now = board_millis();
        check_deadline();
        if (step_due(now, frames)) {
            run_step(now);
        } else if (frames == 0) {
            board_idle();
#if PKIOT_BENCH
            /* A turn that found nothing to do is waiting, whatever it cost to find out: how
             * many such turns there are depends on the host, not on the firmware. */
            qe_bench.idle_ns += qe_clock_ns() - t0;
#endif
        }
    }
}
