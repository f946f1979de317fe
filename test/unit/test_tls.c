/* TLS layer + POSIX net port against `openssl s_server` on 127.0.0.1. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "mbedtls/pkiot_tls.h"
#include "pkiot_test_util.h"
#include "posix/pkiot_posix_net.h"

static char g_dir[PKIOT_TEST_PATH_MAX];
static char g_oldcwd[PKIOT_TEST_PATH_MAX];
static pkiot_mbedtls_crypto_t g_cst, g_cst_psa;
static pkiot_crypto_port_t g_crypto, g_crypto_psa;

/* trust anchors and client credentials loaded once */
static uint8_t g_ca_der[2048], g_other_ca_der[2048], g_ca_pem[4096], g_both_der[4096];
static size_t g_ca_der_len, g_other_ca_der_len, g_ca_pem_len, g_both_der_len;
static uint8_t g_cli_der[2048], g_cli_rsa_der[2048];
static size_t g_cli_der_len, g_cli_rsa_der_len;
static uint8_t g_cli_key[4096], g_cli_rsa_key[4096];
static size_t g_cli_key_len, g_cli_rsa_key_len;

#define SH(...)                                                                               \
    do {                                                                                      \
        int sh_rc_ = pkiot_test_sh(g_dir, __VA_ARGS__);                                       \
        if (sh_rc_ != 0) {                                                                    \
            pkiot_test_sh_log(g_dir);                                                         \
            return -1;                                                                        \
        }                                                                                     \
    } while (0)

static int load(const char *name, uint8_t *buf, size_t cap, size_t *len)
{
    return pkiot_test_read_in(g_dir, name, buf, cap, len);
}

/* CA, a second unrelated CA, server certs for the right and a wrong name, client certs. */
static int make_pki(void)
{
    static const char *const ca =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s.key "
        "-out %s.pem -subj '/CN=%s' -days 2 -addext basicConstraints=critical,CA:TRUE "
        "-addext keyUsage=critical,keyCertSign,cRLSign";
    SH(ca, "ca", "ca", "pkiot test CA");
    SH(ca, "other_ca", "other_ca", "unrelated CA");
    SH("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
       "keyUsage=critical,digitalSignature\\nextendedKeyUsage=serverAuth\\n' > srv.ext");
    SH("printf 'subjectAltName=DNS:other.example,IP:10.9.8.7\\nbasicConstraints=CA:FALSE\\n"
       "keyUsage=critical,digitalSignature\\nextendedKeyUsage=serverAuth\\n' > wrong.ext");
    SH("printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
       "extendedKeyUsage=clientAuth\\n' > cli.ext");
    static const char *const leaf =
        "openssl req -new -newkey %s -nodes -keyout %s.key -out %s.csr -subj '/CN=%s' && "
        "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile %s.ext -out %s.pem";
    SH(leaf, "ec -pkeyopt ec_paramgen_curve:P-256", "srv", "srv", "localhost", "srv", "srv", "srv");
    SH(leaf, "rsa:2048", "srvrsa", "srvrsa", "localhost", "srvrsa", "srv", "srvrsa");
    SH(leaf, "ec -pkeyopt ec_paramgen_curve:P-256", "wrong", "wrong", "other.example", "wrong",
       "wrong", "wrong");
    SH(leaf, "ec -pkeyopt ec_paramgen_curve:P-256", "cli", "cli", "device-1", "cli", "cli", "cli");
    SH(leaf, "rsa:2048", "clirsa", "clirsa", "device-2", "clirsa", "cli", "clirsa");
    /* a server certificate without any SAN (CN only) for the IP-literal check */
    SH("printf 'basicConstraints=CA:FALSE\\n' > nosan.ext");
    SH(leaf, "ec -pkeyopt ec_paramgen_curve:P-256", "nosan", "nosan", "127.0.0.1", "nosan",
       "nosan", "nosan");
    /* self-signed server certificate nobody trusts */
    SH("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key "
       "-out self.pem -subj /CN=localhost -days 2 -addext subjectAltName=DNS:localhost");
    SH("openssl x509 -in ca.pem -outform DER -out ca.der");
    SH("openssl x509 -in other_ca.pem -outform DER -out other_ca.der");
    SH("cat other_ca.der ca.der > both.der");
    SH("openssl x509 -in cli.pem -outform DER -out cli.der");
    SH("openssl x509 -in clirsa.pem -outform DER -out clirsa.der");

    if (load("ca.der", g_ca_der, sizeof g_ca_der, &g_ca_der_len) != 0 ||
        load("other_ca.der", g_other_ca_der, sizeof g_other_ca_der, &g_other_ca_der_len) != 0 ||
        load("both.der", g_both_der, sizeof g_both_der, &g_both_der_len) != 0 ||
        load("ca.pem", g_ca_pem, sizeof g_ca_pem - 1, &g_ca_pem_len) != 0 ||
        load("cli.der", g_cli_der, sizeof g_cli_der, &g_cli_der_len) != 0 ||
        load("clirsa.der", g_cli_rsa_der, sizeof g_cli_rsa_der, &g_cli_rsa_der_len) != 0 ||
        load("cli.key", g_cli_key, sizeof g_cli_key - 1, &g_cli_key_len) != 0 ||
        load("clirsa.key", g_cli_rsa_key, sizeof g_cli_rsa_key - 1, &g_cli_rsa_key_len) != 0) {
        return -1;
    }
    g_ca_pem[g_ca_pem_len++] = '\0';
    g_cli_key[g_cli_key_len++] = '\0';
    g_cli_rsa_key[g_cli_rsa_key_len++] = '\0';
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    if (!pkiot_test_have_openssl()) {
        fprintf(stderr, "openssl command line program not found\n");
        return -1;
    }
    if (pkiot_test_mkdtemp("pkiot-tls-", g_dir, sizeof g_dir) != 0 ||
        getcwd(g_oldcwd, sizeof g_oldcwd) == NULL || chdir(g_dir) != 0) {
        return -1;
    }
    if (pkiot_mbedtls_crypto_init(&g_cst, 0, &g_crypto) != PKIOT_OK ||
        pkiot_mbedtls_crypto_init(&g_cst_psa, 1, &g_crypto_psa) != PKIOT_OK) {
        return -1;
    }
    return make_pki();
}

static int group_teardown(void **state)
{
    (void)state;
    pkiot_mbedtls_crypto_free(&g_cst);
    pkiot_mbedtls_crypto_free(&g_cst_psa);
    mbedtls_psa_crypto_free();
    if (chdir(g_oldcwd) != 0) {
        return -1;
    }
    if (getenv("PKIOT_TEST_KEEP") == NULL) {
        pkiot_test_rmtree(g_dir);
    }
    return 0;
}

/* ---- server ------------------------------------------------------------------------------ */

struct server {
    pid_t pid;
    int port;
    char log[PKIOT_TEST_PATH_MAX];
};

/* Servers still running when a test fails half-way; the per-test teardown stops them. */
static pid_t g_live[4];

static void live_add(pid_t pid)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++) {
        if (g_live[i] == 0) {
            g_live[i] = pid;
            return;
        }
    }
}

static void live_del(pid_t pid)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++) {
        if (g_live[i] == pid) {
            g_live[i] = 0;
        }
    }
}

static int test_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++) {
        if (g_live[i] != 0) {
            pkiot_test_stop(g_live[i]);
            g_live[i] = 0;
        }
    }
    return 0;
}

/* Start s_server with the given certificate/key and options; retries on a port race. */
static void server_start(struct server *s, const char *cert, const char *opts)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = pkiot_test_free_tcp_port();
        assert_true(s->port > 0);
        assert_int_equal(0, pkiot_test_path(s->log, sizeof s->log, g_dir, "server.log"));
        /* stdin must stay open: at EOF s_server drops the connection. The time limit only
         * matters if this process dies before it can stop the server. */
        s->pid = pkiot_test_spawn(g_dir, "server.log",
                                  "sleep 120 | exec timeout --foreground 300 openssl s_server "
                                  "-accept 127.0.0.1:%d -cert %s.pem -key %s.key %s",
                                  s->port, cert, cert, opts);
        assert_true(s->pid > 0);
        live_add(s->pid);
        if (pkiot_test_wait_for_text(s->log, "ACCEPT", 10000) == 0) {
            return;
        }
        live_del(s->pid);
        pkiot_test_stop(s->pid);
    }
    fail_msg("s_server did not start");
}

static void server_stop(struct server *s)
{
    live_del(s->pid);
    pkiot_test_stop(s->pid);
    s->pid = 0;
}

/* ---- client ------------------------------------------------------------------------------ */

struct client {
    pkiot_posix_net_t ns;
    pkiot_net_port_t net;
    pkiot_tls_t tls;
    pkiot_transport_port_t tp;
    int wants; /* how often the loop had to wait */
};

static void dbg_print(void *arg, int level, const char *file, int line, const char *msg)
{
    (void)arg;
    fprintf(stderr, "mbedtls[%d] %s:%d: %s", level, file, line, msg);
}

static void client_init(struct client *c, pkiot_mbedtls_crypto_t *cst)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(PKIOT_OK, pkiot_posix_net_init(&c->ns, &c->net));
    assert_int_equal(PKIOT_OK, pkiot_tls_init(&c->tls, &c->net, cst, &c->tp));
    const char *dbg = getenv("PKIOT_TLS_DEBUG");
    if (dbg != NULL) {
        pkiot_tls_set_debug(&c->tls, atoi(dbg), dbg_print, NULL);
    }
}

/* Poll-driven: call, and on WANT_* wait for the socket the way an event loop would. */
static int drive(struct client *c, int rc)
{
    if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
        c->wants++;
        int w = pkiot_posix_wait(pkiot_posix_net_fd(&c->ns), rc, 10000);
        assert_int_equal(PKIOT_OK, w);
    }
    return rc;
}

static int client_connect(struct client *c, const pkiot_transport_params_t *p)
{
    int rc;
    while ((rc = drive(c, c->tp.connect(c->tp.ctx, p))) == PKIOT_WANT_READ ||
           rc == PKIOT_WANT_WRITE) {
    }
    if (rc != PKIOT_OK) {
        char text[512];
        pkiot_tls_last_error_text(&c->tls, text, sizeof text);
        fprintf(stderr, "connect: %s (%s)\n", pkiot_strerror_name(rc), text);
    }
    return rc;
}

static int client_send_all(struct client *c, const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;
    while (len > 0) {
        size_t n = 0;
        int rc = drive(c, c->tp.send(c->tp.ctx, p, len, &n));
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
            continue;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        p += n;
        len -= n;
    }
    return PKIOT_OK;
}

/* Read until @p want bytes arrived, the peer closed, or an error. */
static int client_recv_n(struct client *c, uint8_t *buf, size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        size_t n = 0;
        int rc = drive(c, c->tp.recv(c->tp.ctx, buf + *got, want - *got, &n));
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
            continue;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (n == 0) {
            break;
        }
        *got += n;
    }
    return PKIOT_OK;
}

static pkiot_transport_params_t params(const char *host, int port)
{
    pkiot_transport_params_t p;
    memset(&p, 0, sizeof p);
    p.host = host;
    p.port = (uint16_t)port;
    p.use_tls = 1;
    p.trust_anchors = g_ca_der;
    p.trust_anchors_len = g_ca_der_len;
    return p;
}

/* Echo through `s_server -rev`: it answers each line reversed. */
static void echo_check(struct client *c)
{
    static const char line[] = "hello pkiot\n";
    uint8_t buf[64];
    size_t got = 0;
    assert_int_equal(PKIOT_OK, client_send_all(c, line, sizeof line - 1));
    assert_int_equal(PKIOT_OK, client_recv_n(c, buf, sizeof line - 1, &got));
    assert_int_equal(sizeof line - 1, got);
    assert_memory_equal("toikp olleh\n", buf, got);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void handshake_echo(const char *version_opt, const char *want_version, const char *cert,
                           const char *host, int pem)
{
    struct server s;
    struct client c;
    char opts[64];
    snprintf(opts, sizeof opts, "-rev %s", version_opt);
    server_start(&s, cert, opts);
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params(host, s.port);
    if (pem) {
        p.trust_anchors = g_ca_pem;
        p.trust_anchors_len = g_ca_pem_len;
    }
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_true(c.wants > 0); /* the handshake really went through the non-blocking path */
    assert_string_equal(want_version, pkiot_tls_version(&c.tls));
    assert_int_equal(0, pkiot_tls_verify_flags(&c.tls));
    echo_check(&c);
    c.tp.close(c.tp.ctx);
    c.tp.close(c.tp.ctx); /* twice is fine */
    assert_string_equal("none", pkiot_tls_version(&c.tls));
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_tls13_echo(void **state)
{
    (void)state;
    handshake_echo("-tls1_3", "TLSv1.3", "srv", "localhost", 0);
}

static void test_tls12_echo(void **state)
{
    (void)state;
    handshake_echo("-tls1_2", "TLSv1.2", "srv", "localhost", 0);
}

/* A reconnect to the same server with the same trust anchors resumes the TLS 1.2 session
 * (abbreviated handshake); different anchors never reuse it. */
static void test_tls12_session_resumption(void **state)
{
    (void)state;
    struct server s;
    struct client c;
    server_start(&s, "srv", "-rev -tls1_2");
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_false(pkiot_tls_resumed(&c.tls));
    echo_check(&c);
    c.tp.close(c.tp.ctx);
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_true(pkiot_tls_resumed(&c.tls));
    echo_check(&c);
    c.tp.close(c.tp.ctx);
    /* Same server, other trust anchor encoding: another identity, a full handshake. */
    p.trust_anchors = g_ca_pem;
    p.trust_anchors_len = g_ca_pem_len;
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_false(pkiot_tls_resumed(&c.tls));
    echo_check(&c);
    c.tp.close(c.tp.ctx);
    pkiot_tls_forget_session(&c.tls);
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_false(pkiot_tls_resumed(&c.tls));
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_tls12_rsa_server_pem_anchor(void **state)
{
    (void)state;
    handshake_echo("-tls1_2", "TLSv1.2", "srvrsa", "localhost", 1);
    handshake_echo("-tls1_3", "TLSv1.3", "srvrsa", "localhost", 1);
}

static void test_ip_literal(void **state)
{
    (void)state;
    handshake_echo("-tls1_3", "TLSv1.3", "srv", "127.0.0.1", 0);

    /* an address literal must match an iPAddress SAN, not the CN */
    struct server s;
    struct client c;
    server_start(&s, "nosan", "-rev");
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("127.0.0.1", s.port);
    assert_int_equal(PKIOT_E_TLS_VERIFY, client_connect(&c, &p));
    assert_true(pkiot_tls_verify_flags(&c.tls) & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_wrong_anchor(void **state)
{
    (void)state;
    struct server s;
    struct client c;
    server_start(&s, "srv", "-rev");
    for (int v = 0; v < 2; v++) {
        client_init(&c, &g_cst);
        pkiot_transport_params_t p = params("localhost", s.port);
        p.trust_anchors = g_other_ca_der;
        p.trust_anchors_len = g_other_ca_der_len;
        assert_int_equal(PKIOT_E_TLS_VERIFY, client_connect(&c, &p));
        assert_true(pkiot_tls_verify_flags(&c.tls) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
        char text[512];
        assert_int_equal(PKIOT_OK, pkiot_tls_last_error_text(&c.tls, text, sizeof text));
        assert_non_null(strstr(text, "verify:"));
        /* the failed state sticks until close */
        assert_int_equal(PKIOT_E_TLS_VERIFY, c.tp.connect(c.tp.ctx, &p));
        c.tp.close(c.tp.ctx);
        /* same state object, right anchors (a bundle with the unrelated CA first): works;
         * the second time with the bundle's last byte 0, as a DER signature ends once in
         * 256 certificates: still DER, not a NUL-terminated PEM text (the CA's own signature
         * is not checked for an anchor, so the changed byte does not matter). */
        static uint8_t nul_end[sizeof g_both_der];
        memcpy(nul_end, g_both_der, g_both_der_len);
        nul_end[g_both_der_len - 1] = 0;
        p.trust_anchors = v == 0 ? g_both_der : nul_end;
        p.trust_anchors_len = g_both_der_len;
        assert_int_equal(PKIOT_OK, client_connect(&c, &p));
        echo_check(&c);
        pkiot_tls_free(&c.tls);
    }
    server_stop(&s);
}

static void test_wrong_host_name(void **state)
{
    (void)state;
    struct server s;
    struct client c;
    server_start(&s, "wrong", "-rev");
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    assert_int_equal(PKIOT_E_TLS_VERIFY, client_connect(&c, &p));
    assert_true(pkiot_tls_verify_flags(&c.tls) & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    assert_false(pkiot_tls_verify_flags(&c.tls) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    pkiot_tls_free(&c.tls);

    /* insecure bootstrap accepts it (and an untrusted one) */
    client_init(&c, &g_cst);
    p.insecure_bootstrap = 1;
    p.trust_anchors = NULL;
    p.trust_anchors_len = 0;
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    echo_check(&c);
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_insecure_bootstrap_untrusted(void **state)
{
    (void)state;
    struct server s;
    struct client c;
    /* a server whose CA the client does not know at all */
    server_start(&s, "self", "-rev");
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    assert_int_equal(PKIOT_E_TLS_VERIFY, client_connect(&c, &p));
    pkiot_tls_free(&c.tls);

    client_init(&c, &g_cst);
    p.insecure_bootstrap = 1;
    p.trust_anchors = g_ca_der; /* ignored */
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    echo_check(&c);
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void client_cert_case(const char *version_opt, pkiot_crypto_port_t *crypto,
                             pkiot_mbedtls_crypto_t *cst, int rsa)
{
    struct server s;
    struct client c;
    static pkiot_key_ref_t key;
    char opts[128];
    snprintf(opts, sizeof opts, "-rev -Verify 1 -CAfile ca.pem %s", version_opt);
    server_start(&s, "srv", opts);

    assert_int_equal(PKIOT_OK, crypto->key_import(crypto->ctx, rsa ? g_cli_rsa_key : g_cli_key,
                                                  rsa ? g_cli_rsa_key_len : g_cli_key_len, &key));

    /* with our certificate */
    client_init(&c, cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    p.client_cert = rsa ? g_cli_rsa_der : g_cli_der;
    p.client_cert_len = rsa ? g_cli_rsa_der_len : g_cli_der_len;
    p.client_key = &key;
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    if (rsa) {
        /* a PSA RSA key cannot sign RSA-PSS, so the layer stays at TLS 1.2 for it */
        assert_string_equal(pkiot_mbedtls_key_is_psa(&key) ? "TLSv1.2" : "TLSv1.3",
                            pkiot_tls_version(&c.tls));
    }
    echo_check(&c);
    pkiot_tls_free(&c.tls);
    assert_int_equal(0, pkiot_test_wait_for_text(s.log, rsa ? "CN = device-2" : "CN = device-1",
                                                 5000));

    /* without: TLS 1.2 fails in the handshake, TLS 1.3 on the first read */
    client_init(&c, cst);
    p.client_cert = NULL;
    p.client_cert_len = 0;
    p.client_key = NULL;
    int rc = client_connect(&c, &p);
    if (rc == PKIOT_OK) {
        static const char line[] = "hello\n";
        uint8_t buf[16];
        size_t got = 0;
        rc = client_send_all(&c, line, sizeof line - 1);
        if (rc == PKIOT_OK) {
            rc = client_recv_n(&c, buf, sizeof line - 1, &got);
        }
        assert_true(rc == PKIOT_E_TLS_ALERT || rc == PKIOT_E_NET_CLOSED ||
                    (rc == PKIOT_OK && got == 0));
    } else {
        assert_true(rc == PKIOT_E_TLS_HANDSHAKE || rc == PKIOT_E_NET_CLOSED);
    }
    pkiot_tls_free(&c.tls);
    assert_int_equal(PKIOT_OK, crypto->key_destroy(crypto->ctx, &key));
    server_stop(&s);
}

static void test_client_cert_sw(void **state)
{
    (void)state;
    client_cert_case("-tls1_3", &g_crypto, &g_cst, 0);
    client_cert_case("-tls1_2", &g_crypto, &g_cst, 0);
    client_cert_case("", &g_crypto, &g_cst, 1);
}

static void test_client_cert_psa(void **state)
{
    (void)state;
    client_cert_case("-tls1_3", &g_crypto_psa, &g_cst_psa, 0);
    client_cert_case("-tls1_2", &g_crypto_psa, &g_cst_psa, 0);
    client_cert_case("", &g_crypto_psa, &g_cst_psa, 1); /* PSA RSA: the layer caps at TLS 1.2 */
}

static void keymat_case(const char *version_opt)
{
    struct server s;
    struct client c;
    char opts[128];
    snprintf(opts, sizeof opts, "-keymatexport EXPORTER-pkiot-test -keymatexportlen 32 %s",
             version_opt);
    server_start(&s, "srv", opts);
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    uint8_t out[32], again[32];
    assert_int_equal(PKIOT_E_STATE, c.tp.export_keying_material(c.tp.ctx, "EXPORTER-pkiot-test",
                                                                NULL, 0, out, sizeof out));
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_int_equal(PKIOT_OK, c.tp.export_keying_material(c.tp.ctx, "EXPORTER-pkiot-test", NULL,
                                                           0, out, sizeof out));
    assert_int_equal(PKIOT_OK, c.tp.export_keying_material(c.tp.ctx, "EXPORTER-pkiot-test", NULL,
                                                           0, again, sizeof again));
    assert_memory_equal(out, again, sizeof out);
    assert_int_equal(PKIOT_OK, c.tp.export_keying_material(c.tp.ctx, "EXPORTER-other", NULL, 0,
                                                           again, sizeof again));
    assert_memory_not_equal(out, again, sizeof out);

    /* the server prints its side once its handshake is done */
    assert_int_equal(0, pkiot_test_wait_for_text(s.log, "Keying material: ", 5000));
    static uint8_t logbuf[65536];
    size_t loglen = 0;
    assert_int_equal(0, pkiot_test_read_file(s.log, logbuf, sizeof logbuf - 1, &loglen));
    logbuf[loglen] = '\0';
    const char *k = strstr((const char *)logbuf, "Keying material: ");
    assert_non_null(k);
    k += strlen("Keying material: ");
    uint8_t srv[32];
    size_t srv_len = 0;
    assert_int_equal(0, pkiot_test_hex_decode(k, 64, srv, sizeof srv, &srv_len));
    assert_int_equal(32, srv_len);
    assert_memory_equal(srv, out, 32);

    /* plain data reaches the server */
    assert_int_equal(PKIOT_OK, client_send_all(&c, "ping-from-pkiot\n", 16));
    assert_int_equal(0, pkiot_test_wait_for_text(s.log, "ping-from-pkiot", 5000));
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_keymat_tls13(void **state)
{
    (void)state;
    keymat_case("-tls1_3");
}

static void test_keymat_tls12(void **state)
{
    (void)state;
    keymat_case("-tls1_2");
}

/* use_tls = 0: bytes pass straight through (s_server -rev speaks TLS, so use a raw peer) */
static void test_plain_passthrough(void **state)
{
    (void)state;
    struct server s;
    s.port = pkiot_test_free_tcp_port();
    assert_int_equal(0, pkiot_test_path(s.log, sizeof s.log, g_dir, "plain.log"));
    /* openssl has no plain TCP server; python3 is a build dependency anyway */
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        skip();
    }
    s.pid = pkiot_test_spawn(g_dir, "plain.log",
                             "exec python3 -c \"import socket;s=socket.socket();"
                             "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
                             "s.bind(('127.0.0.1',%d));s.listen(1);print('ACCEPT',flush=True);"
                             "c,_=s.accept();d=c.recv(100);c.sendall(d[::-1]);c.close()\"",
                             s.port);
    assert_true(s.pid > 0);
    live_add(s.pid);
    assert_int_equal(0, pkiot_test_wait_for_text(s.log, "ACCEPT", 10000));
    struct client c;
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("127.0.0.1", s.port);
    p.use_tls = 0;
    p.trust_anchors = NULL;
    p.trust_anchors_len = 0;
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    assert_string_equal("none", pkiot_tls_version(&c.tls));
    uint8_t out[8];
    assert_int_equal(PKIOT_E_UNSUPPORTED, c.tp.export_keying_material(c.tp.ctx, "x", NULL, 0, out,
                                                                      sizeof out));
    assert_int_equal(PKIOT_OK, client_send_all(&c, "abc", 3));
    uint8_t buf[16];
    size_t got = 0;
    assert_int_equal(PKIOT_OK, client_recv_n(&c, buf, sizeof buf, &got));
    assert_int_equal(3, got);
    assert_memory_equal("cba", buf, 3);
    pkiot_tls_free(&c.tls);
    server_stop(&s);
}

static void test_net_errors(void **state)
{
    (void)state;
    struct client c;
    /* nothing listens on a just-freed port */
    client_init(&c, &g_cst);
    int port = pkiot_test_free_tcp_port();
    pkiot_transport_params_t p = params("127.0.0.1", port);
    assert_int_equal(PKIOT_E_NET_CONNECT, client_connect(&c, &p));
    assert_true(pkiot_posix_net_errno(&c.ns) != 0);
    c.tp.close(c.tp.ctx);
    /* unresolvable name */
    p = params("no-such-host.invalid", 443);
    assert_int_equal(PKIOT_E_NET_DNS, client_connect(&c, &p));
    c.tp.close(c.tp.ctx);
    /* configuration errors come before any I/O */
    p = params("localhost", 443);
    p.trust_anchors = NULL;
    p.trust_anchors_len = 0;
    assert_int_equal(PKIOT_E_TLS_CONFIG, c.tp.connect(c.tp.ctx, &p));
    c.tp.close(c.tp.ctx);
    p = params("localhost", 443);
    p.trust_anchors_len = g_ca_der_len - 5;
    assert_int_equal(PKIOT_E_TLS_CONFIG, c.tp.connect(c.tp.ctx, &p));
    c.tp.close(c.tp.ctx);
    p = params("localhost", 443);
    p.client_cert = g_cli_der;
    p.client_cert_len = g_cli_der_len; /* but no key */
    assert_int_equal(PKIOT_E_TLS_CONFIG, c.tp.connect(c.tp.ctx, &p));
    c.tp.close(c.tp.ctx);
    /* send/recv before connect */
    size_t n;
    uint8_t b[4];
    assert_int_equal(PKIOT_E_STATE, c.tp.send(c.tp.ctx, b, 4, &n));
    assert_int_equal(PKIOT_E_STATE, c.tp.recv(c.tp.ctx, b, 4, &n));
    pkiot_tls_free(&c.tls);
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_posix_wait(-1, PKIOT_WANT_READ, 0));
    assert_int_equal(PKIOT_OK, pkiot_posix_wait(-1, PKIOT_WANT_CRYPTO, 0));
}

/* The server goes away mid-connection: recv reports an orderly or abrupt close. */
static void test_peer_close(void **state)
{
    (void)state;
    struct server s;
    struct client c;
    server_start(&s, "srv", "-rev -tls1_3");
    client_init(&c, &g_cst);
    pkiot_transport_params_t p = params("localhost", s.port);
    assert_int_equal(PKIOT_OK, client_connect(&c, &p));
    echo_check(&c);
    server_stop(&s);
    uint8_t buf[16];
    size_t got = 99;
    int rc = client_recv_n(&c, buf, sizeof buf, &got);
    assert_true((rc == PKIOT_OK && got == 0) || rc == PKIOT_E_NET_CLOSED);
    pkiot_tls_free(&c.tls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tls13_echo, test_teardown),
        cmocka_unit_test_teardown(test_tls12_echo, test_teardown),
        cmocka_unit_test_teardown(test_tls12_session_resumption, test_teardown),
        cmocka_unit_test_teardown(test_tls12_rsa_server_pem_anchor, test_teardown),
        cmocka_unit_test_teardown(test_ip_literal, test_teardown),
        cmocka_unit_test_teardown(test_wrong_anchor, test_teardown),
        cmocka_unit_test_teardown(test_wrong_host_name, test_teardown),
        cmocka_unit_test_teardown(test_insecure_bootstrap_untrusted, test_teardown),
        cmocka_unit_test_teardown(test_client_cert_sw, test_teardown),
        cmocka_unit_test_teardown(test_client_cert_psa, test_teardown),
        cmocka_unit_test_teardown(test_keymat_tls13, test_teardown),
        cmocka_unit_test_teardown(test_keymat_tls12, test_teardown),
        cmocka_unit_test_teardown(test_plain_passthrough, test_teardown),
        cmocka_unit_test_teardown(test_net_errors, test_teardown),
        cmocka_unit_test_teardown(test_peer_close, test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
