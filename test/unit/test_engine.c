/*
 * Engine + EST state machine against a scripted in-process server: every request the
 * engine writes is parsed, and the answer is produced here, including a real certificate
 * issued (with Mbed TLS) for the public key in the device's CSR. Covers the happy path,
 * 401 -> Basic, 202 + Retry-After with checkpoint/resume and the same CSR, 5xx backoff,
 * cut connections, timeouts, wrong or untrusted certificates, bad bodies, and corrupt
 * checkpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "pkiot/base64.h"
#include "pkiot/der.h"
#include "pkiot/pkiot.h"

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"
#include "mbedtls/x509_csr.h"

/* ------------------------------------------------------------------------------------- */
/* a test CA issuing certificates with Mbed TLS                                            */
/* ------------------------------------------------------------------------------------- */

typedef struct test_ca {
    mbedtls_pk_context key;
    uint8_t cert[1024];
    size_t cert_len;
} test_ca_t;

static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static test_ca_t g_ca, g_other_ca, g_sub_ca, g_stray_sub_ca;
/* Root CA key update (RFC 7030 §4.4): g_new_ca holds the new key and NewWithNew; the other
 * two are the cross certificates between the old key (g_ca) and the new one. */
static test_ca_t g_new_ca, g_new_with_old, g_old_with_new;
/* An issuing CA under g_ca that expired in 2025 (the tests run at 2030-01-01). */
static test_ca_t g_expired_sub_ca;
static pkiot_mbedtls_crypto_t g_crypto_state;
static pkiot_crypto_port_t g_crypto;

/* A CA certificate for @p subject_key named @p name, signed with @p issuer_key by
 * @p issuer_name, valid until @p not_after: the building block of the rollover set of RFC
 * 7030 §4.4 (OldWithNew and NewWithOld share the name of the CA and differ in key). */
static void ca_cert_write(test_ca_t *out, mbedtls_pk_context *subject_key, const char *name,
                          mbedtls_pk_context *issuer_key, const char *issuer_name,
                          unsigned char serial, const char *not_after)
{
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, subject_key);
    mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, name), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, issuer_name), 0);
    assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, &serial, 1), 0);
    assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000", not_after), 0);
    assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, 1, -1), 0);
    uint8_t buf[1024];
    int n = mbedtls_x509write_crt_der(&w, buf, sizeof buf, mbedtls_ctr_drbg_random, &g_drbg);
    assert_true(n > 0);
    memcpy(out->cert, buf + sizeof buf - (size_t)n, (size_t)n);
    out->cert_len = (size_t)n;
    mbedtls_x509write_crt_free(&w);
}

static void ca_new_key(test_ca_t *ca)
{
    mbedtls_pk_init(&ca->key);
    assert_int_equal(mbedtls_pk_setup(&ca->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(ca->key),
                                         mbedtls_ctr_drbg_random, &g_drbg),
                     0);
}

/* A CA certificate for @p name: self-signed when @p issuer is NULL, else issued by it. */
static void ca_make_by(test_ca_t *ca, const char *name, const test_ca_t *issuer,
                       const char *issuer_name)
{
    ca_new_key(ca);
    ca_cert_write(ca, &ca->key, name,
                  issuer != NULL ? (mbedtls_pk_context *)&issuer->key : &ca->key,
                  issuer != NULL ? issuer_name : name, 0x01, "20991231235959");
}

static void ca_make(test_ca_t *ca, const char *name)
{
    ca_make_by(ca, name, NULL, NULL);
}

/* Issue a certificate for the public key of a DER CSR. */
static size_t ca_issue(test_ca_t *ca, const uint8_t *csr, size_t csr_len, uint8_t *out,
                       size_t cap)
{
    mbedtls_x509_csr req;
    mbedtls_x509_csr_init(&req);
    assert_int_equal(mbedtls_x509_csr_parse_der(&req, csr, csr_len), 0);
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &req.pk);
    mbedtls_x509write_crt_set_issuer_key(&w, &ca->key);
    char subj[256];
    assert_true(mbedtls_x509_dn_gets(subj, sizeof subj, &req.subject) > 0);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, subj), 0);
    mbedtls_x509_crt cacrt;
    mbedtls_x509_crt_init(&cacrt);
    assert_int_equal(mbedtls_x509_crt_parse_der(&cacrt, ca->cert, ca->cert_len), 0);
    char iss[256];
    assert_true(mbedtls_x509_dn_gets(iss, sizeof iss, &cacrt.subject) > 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, iss), 0);
    static const unsigned char serial[] = {0x42, 0x17};
    assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, (unsigned char *)serial, 2), 0);
    assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20991231235959"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1), 0);
    uint8_t buf[1200];
    int n = mbedtls_x509write_crt_der(&w, buf, sizeof buf, mbedtls_ctr_drbg_random, &g_drbg);
    assert_true(n > 0 && (size_t)n <= cap);
    memcpy(out, buf + sizeof buf - (size_t)n, (size_t)n);
    mbedtls_x509write_crt_free(&w);
    mbedtls_x509_crt_free(&cacrt);
    mbedtls_x509_csr_free(&req);
    return (size_t)n;
}

/* Degenerate certs-only SignedData around one certificate (RFC 5652 / RFC 7030 §4.1.3). */
static size_t cms_wrap(const uint8_t *cert, size_t len, uint8_t *out, size_t cap)
{
    static const uint8_t oid_signed[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
    static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
    uint8_t buf[4096];
    pkiot_der_writer_t w;
    pkiot_der_w_init(&w, buf, sizeof buf);
    size_t m0 = pkiot_der_w_len(&w);
    pkiot_der_w_header(&w, PKIOT_DER_SET, 0); /* signerInfos */
    size_t m1 = pkiot_der_w_len(&w);
    pkiot_der_w_raw(&w, cert, len);
    pkiot_der_w_close(&w, PKIOT_DER_CTX_C(0), m1); /* certificates */
    size_t m2 = pkiot_der_w_len(&w);
    pkiot_der_w_oid(&w, oid_data, sizeof oid_data);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m2);
    pkiot_der_w_header(&w, PKIOT_DER_SET, 0); /* digestAlgorithms */
    pkiot_der_w_u32(&w, 1);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m0);
    pkiot_der_w_close(&w, PKIOT_DER_CTX_C(0), m0);
    pkiot_der_w_oid(&w, oid_signed, sizeof oid_signed);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m0);
    const uint8_t *p;
    size_t n;
    assert_int_equal(pkiot_der_w_result(&w, &p, &n), PKIOT_OK);
    assert_true(n <= cap);
    memcpy(out, p, n);
    return n;
}

/* ------------------------------------------------------------------------------------- */
/* scripted server behind a fake transport                                                 */
/* ------------------------------------------------------------------------------------- */

typedef enum {
    R_ISSUE,          /* 200 with a certificate for the CSR's key from g_ca */
    R_ISSUE_OTHER_CA, /* 200 with a certificate from a CA the device does not trust */
    R_ISSUE_WITH_CAS, /* R_ISSUE, followed by the trusted root and a stray issuing CA */
    R_WRONG_KEY,      /* 200 with a certificate for another key */
    R_401,            /* 401 with a Basic challenge */
    R_202,            /* 202 Retry-After: 30 */
    R_503,            /* 503 with a text body */
    R_503_LATER,      /* 503 with Retry-After: 120 */
    R_400,            /* 400 with a text body */
    R_CUT,            /* close after half of a 200 response */
    R_BAD_TYPE,       /* 200 text/html */
    R_BAD_B64,        /* 200 application/pkcs7-mime with an invalid body */
    R_SILENT,         /* never answers */
    R_CLOSE,          /* reads the request, closes without answering */
    R_429,            /* 429 with a text body, no Retry-After */
    R_429_LATER,      /* 429 with Retry-After: 7 */
    R_CACERTS,        /* /cacerts: the trusted root */
    R_CACERTS_CHAIN,  /* /cacerts: an issuing CA under the trusted root, and the root */
    R_CACERTS_FOREIGN, /* /cacerts: a root the device does not trust */
    R_CACERTS_MIXED,  /* /cacerts: the trusted root and an issuing CA of another root */
    R_CACERTS_LIST,   /* /cacerts: the certificates of g_cacerts_list */
    R_CSRATTRS_NUL    /* /csrattrs as libest's default: base64 followed by a NUL byte */
} reply_t;

/* What R_CACERTS_LIST serves, in this order, up to the first NULL. */
static const test_ca_t *g_cacerts_list[6];

/* What the server did with a kept-alive connection once it had answered on it. */
typedef enum {
    IDLE_KEEP = 0,   /* keeps it */
    IDLE_EOF,        /* closed it: the client's next request meets an end of stream */
    IDLE_RESET,      /* closed it: the next request meets a reset */
    IDLE_SEND_FAILS  /* closed it: sending the next request fails */
} idle_t;

typedef struct server {
    reply_t script[8];
    size_t nscript, next;
    uint8_t req[8192];
    size_t req_len;
    uint8_t resp[8192];
    size_t resp_len, resp_off;
    int connected;
    int connects;
    int with_auth[8];
    uint8_t last_csr[2048];
    size_t last_csr_len;
    int requests;
    int eof;            /* the peer closed: recv reports an end of stream */
    idle_t idle_close;  /* applied once, to the first request on a used connection */
    idle_t dropped;     /* the current connection was dropped that way */
    int served_on_conn; /* answers on the current connection */
    int stale_hits;     /* requests that met a dropped connection */
} server_t;

static server_t srv;

static int fake_connect(void *c, const pkiot_transport_params_t *p)
{
    (void)c;
    assert_non_null(p->host);
    srv.connected = 1;
    srv.connects++;
    srv.req_len = 0;
    srv.resp_len = srv.resp_off = 0;
    srv.eof = 0;
    srv.dropped = IDLE_KEEP;
    srv.served_on_conn = 0;
    return PKIOT_OK;
}

static void respond(const char *head, const uint8_t *body, size_t body_len)
{
    int n = snprintf((char *)srv.resp, sizeof srv.resp, "%sContent-Length: %zu\r\n\r\n", head,
                     body_len);
    if (body_len > 0) {
        memcpy(srv.resp + n, body, body_len);
    }
    srv.resp_len = (size_t)n + body_len;
    srv.resp_off = 0;
}

/* Called once a whole request (head + Content-Length body) has arrived. */
static void serve(const char *body, size_t body_len, int auth)
{
    reply_t r = srv.next < srv.nscript ? srv.script[srv.next] : R_400;
    srv.with_auth[srv.requests < 8 ? srv.requests : 7] = auth;
    srv.next++;
    srv.requests++;
    srv.served_on_conn++;
    uint8_t der[2048], cert[3000], cms[4096];
    char b64[6000];
    size_t dl = 0, bl = 0;
    if (body_len > 0) {
        assert_int_equal(pkiot_base64_decode(body, body_len, der, sizeof der, &dl), PKIOT_OK);
        memcpy(srv.last_csr, der, dl);
        srv.last_csr_len = dl;
    }
    switch (r) {
    case R_ISSUE:
    case R_ISSUE_OTHER_CA:
    case R_ISSUE_WITH_CAS:
    case R_CUT: {
        size_t cl = ca_issue(r == R_ISSUE_OTHER_CA ? &g_other_ca : &g_ca, der, dl, cert,
                             sizeof cert);
        if (r == R_ISSUE_WITH_CAS) {
            assert_true(cl + g_ca.cert_len + g_stray_sub_ca.cert_len <= sizeof cert);
            memcpy(cert + cl, g_ca.cert, g_ca.cert_len);
            cl += g_ca.cert_len;
            memcpy(cert + cl, g_stray_sub_ca.cert, g_stray_sub_ca.cert_len);
            cl += g_stray_sub_ca.cert_len;
        }
        size_t ml = cms_wrap(cert, cl, cms, sizeof cms);
        assert_int_equal(pkiot_base64_encode(cms, ml, b64, sizeof b64, &bl), PKIOT_OK);
        respond("HTTP/1.1 200 OK\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only\r\n",
                (const uint8_t *)b64, bl);
        if (r == R_CUT) {
            srv.resp_len /= 2;
        }
        break;
    }
    case R_WRONG_KEY: {
        /* A certificate for the CA's own key. */
        size_t ml = cms_wrap(g_ca.cert, g_ca.cert_len, cms, sizeof cms);
        assert_int_equal(pkiot_base64_encode(cms, ml, b64, sizeof b64, &bl), PKIOT_OK);
        respond("HTTP/1.1 200 OK\r\nContent-Type: application/pkcs7-mime\r\n", (const uint8_t *)b64, bl);
        break;
    }
    case R_401:
        respond("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"est\"\r\n",
                (const uint8_t *)"auth", 4);
        break;
    case R_202:
        respond("HTTP/1.1 202 Accepted\r\nRetry-After: 30\r\n", NULL, 0);
        break;
    case R_503:
        respond("HTTP/1.1 503 Service Unavailable\r\n", (const uint8_t *)"busy", 4);
        break;
    case R_503_LATER:
        respond("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n",
                (const uint8_t *)"maintenance", 11);
        break;
    case R_400:
        respond("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n",
                (const uint8_t *)"subject not allowed\r\n", 21);
        break;
    case R_BAD_TYPE:
        respond("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", (const uint8_t *)"<html>", 6);
        break;
    case R_BAD_B64:
        respond("HTTP/1.1 200 OK\r\nContent-Type: application/pkcs7-mime\r\n",
                (const uint8_t *)"MII*notbase64", 13);
        break;
    case R_SILENT:
        srv.resp_len = 0;
        break;
    case R_CLOSE:
        srv.resp_len = 0;
        srv.eof = 1;
        break;
    case R_429:
        respond("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n",
                (const uint8_t *)"slow down", 9);
        break;
    case R_429_LATER:
        respond("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n", NULL, 0);
        break;
    case R_CSRATTRS_NUL: {
        /* macAddress, emailAddress, secp384r1, sha384; Content-Length counts the NUL. */
        static const char attrs[] = "MCYGBysGAQEBARYGCSqGSIb3DQEJAQYFK4EEACIGCWCGSAFlAwQCAg==";
        respond("HTTP/1.0 200 OK\r\nContent-Type: application/csrattrs\r\n"
                "Content-Transfer-Encoding: base64\r\n",
                (const uint8_t *)attrs, sizeof attrs);
        break;
    }
    case R_CACERTS:
    case R_CACERTS_CHAIN:
    case R_CACERTS_FOREIGN:
    case R_CACERTS_MIXED:
    case R_CACERTS_LIST: {
        uint8_t certs[4000];
        size_t n = 0;
        const test_ca_t *list[6] = {r == R_CACERTS_FOREIGN ? &g_other_ca : &g_ca, NULL};
        if (r == R_CACERTS_CHAIN) {
            list[0] = &g_sub_ca;
            list[1] = &g_ca;
        } else if (r == R_CACERTS_MIXED) {
            list[1] = &g_stray_sub_ca;
        } else if (r == R_CACERTS_LIST) {
            memcpy(list, g_cacerts_list, sizeof list);
        }
        for (size_t i = 0; i < 6 && list[i] != NULL; i++) {
            assert_true(n + list[i]->cert_len <= sizeof certs);
            memcpy(certs + n, list[i]->cert, list[i]->cert_len);
            n += list[i]->cert_len;
        }
        size_t ml = cms_wrap(certs, n, cms, sizeof cms);
        assert_int_equal(pkiot_base64_encode(cms, ml, b64, sizeof b64, &bl), PKIOT_OK);
        respond("HTTP/1.1 200 OK\r\nContent-Type: application/pkcs7-mime\r\n",
                (const uint8_t *)b64, bl);
        break;
    }
    }
}

static int fake_send(void *c, const uint8_t *buf, size_t len, size_t *n)
{
    (void)c;
    assert_true(srv.connected);
    if (srv.idle_close != IDLE_KEEP && srv.served_on_conn > 0 && srv.req_len == 0 &&
        srv.dropped == IDLE_KEEP) {
        /* The server closed this connection while it was idle: this request is lost. */
        srv.dropped = srv.idle_close;
        srv.idle_close = IDLE_KEEP;
        srv.stale_hits++;
    }
    if (srv.dropped == IDLE_SEND_FAILS) {
        return PKIOT_E_NET_CLOSED;
    }
    if (srv.dropped != IDLE_KEEP) {
        *n = len; /* into the socket buffer, never read */
        return PKIOT_OK;
    }
    /* Accept at most 100 bytes per call: the engine must handle partial writes. */
    size_t take = len > 100 ? 100 : len;
    assert_true(srv.req_len + take <= sizeof srv.req);
    memcpy(srv.req + srv.req_len, buf, take);
    srv.req_len += take;
    *n = take;
    srv.req[srv.req_len] = 0;
    const char *end = strstr((const char *)srv.req, "\r\n\r\n");
    if (end != NULL) {
        size_t head = (size_t)(end - (const char *)srv.req) + 4;
        const char *cl = strstr((const char *)srv.req, "Content-Length: ");
        size_t blen = cl != NULL && cl < end ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
        if (srv.req_len == head + blen) {
            int auth = strstr((const char *)srv.req, "Authorization: Basic ") != NULL;
            serve((const char *)srv.req + head, blen, auth);
            srv.req_len = 0;
        }
    }
    return PKIOT_OK;
}

static int fake_recv(void *c, uint8_t *buf, size_t cap, size_t *n)
{
    (void)c;
    if (srv.dropped == IDLE_RESET) {
        return PKIOT_E_NET_CLOSED;
    }
    if (srv.dropped == IDLE_EOF || (srv.eof && srv.resp_off == srv.resp_len)) {
        *n = 0;
        return PKIOT_OK;
    }
    if (srv.resp_off == srv.resp_len) {
        if (srv.resp_len > 0 && srv.script[srv.next - 1] == R_CUT) {
            *n = 0; /* peer closed mid-response */
            return PKIOT_OK;
        }
        return PKIOT_WANT_READ;
    }
    /* Deliver in small pieces: the parser is fed arbitrary chunks. */
    size_t give = srv.resp_len - srv.resp_off;
    if (give > 37) {
        give = 37;
    }
    if (give > cap) {
        give = cap;
    }
    memcpy(buf, srv.resp + srv.resp_off, give);
    srv.resp_off += give;
    *n = give;
    return PKIOT_OK;
}

static void fake_close(void *c)
{
    (void)c;
    srv.connected = 0;
}

static pkiot_transport_port_t g_transport = {NULL, fake_connect, fake_send, fake_recv,
                                             fake_close, NULL};

/* In-memory checkpoint storage. */
static uint8_t g_store[8192];
static size_t g_store_len;
static int g_saves;

static int mem_load(void *c, uint8_t *buf, size_t cap, size_t *len)
{
    (void)c;
    if (g_store_len == 0) {
        return PKIOT_E_STORAGE_EMPTY;
    }
    if (g_store_len > cap) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(buf, g_store, g_store_len);
    *len = g_store_len;
    return PKIOT_OK;
}

static int mem_save(void *c, const uint8_t *buf, size_t len)
{
    (void)c;
    memcpy(g_store, buf, len);
    g_store_len = len;
    g_saves++;
    return PKIOT_OK;
}

static int mem_erase(void *c)
{
    (void)c;
    g_store_len = 0;
    return PKIOT_OK;
}

static pkiot_storage_port_t g_storage = {NULL, mem_load, mem_save, mem_erase};

static int64_t fixed_time(void *u)
{
    (void)u;
    return 1893456000; /* 2030-01-01 */
}

/* ------------------------------------------------------------------------------------- */

static uint8_t g_work[PKIOT_WORKSPACE_SIZE];
static pkiot_ctx_t g_ctx;
static pkiot_config_t g_cfg;

static void setup_cfg(void)
{
    memset(&g_cfg, 0, sizeof g_cfg);
    g_cfg.protocol = PKIOT_PROTO_EST;
    g_cfg.server_url = "https://est.example:8443";
    g_cfg.crypto = &g_crypto;
    g_cfg.transport = &g_transport;
    g_cfg.storage = &g_storage;
    g_cfg.wall_time = fixed_time;
    g_cfg.trust_anchors = g_ca.cert;
    g_cfg.trust_anchors_len = g_ca.cert_len;
    g_cfg.subject = "CN=dev-1,O=Acme";
    g_cfg.sans[0] = "DNS:dev-1.example";
    g_cfg.nsans = 1;
    g_cfg.key_type = PKIOT_KEY_EC_P256;
    g_cfg.http_user = "estuser";
    g_cfg.http_password = "estpwd";
    g_cfg.max_attempts = 3;
    g_cfg.backoff_base_ms = 1000;
    g_cfg.io_timeout_ms = 5000;
}

static void script(const reply_t *r, size_t n)
{
    memset(&srv, 0, sizeof srv);
    memcpy(srv.script, r, n * sizeof *r);
    srv.nscript = n;
}

/* Drive the engine: returns the first status that is not WANT_* (SLEEP, DONE or error). */
static int run(uint32_t *now)
{
    for (int i = 0; i < 10000; i++) {
        int rc = pkiot_step(&g_ctx, *now);
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE || rc == PKIOT_WANT_CRYPTO) {
            *now += 1;
            continue;
        }
        return rc;
    }
    fail_msg("engine did not settle");
    return PKIOT_E_INTERNAL;
}

static int group_setup(void **state)
{
    (void)state;
    mbedtls_entropy_init(&g_entropy);
    mbedtls_ctr_drbg_init(&g_drbg);
    if (mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy, NULL, 0) != 0) {
        return -1;
    }
    if (pkiot_mbedtls_crypto_init(&g_crypto_state, 0, &g_crypto) != PKIOT_OK) {
        return -1;
    }
    ca_make(&g_ca, "CN=Test EST CA,O=pkiot");
    ca_make(&g_other_ca, "CN=Stranger CA");
    ca_make_by(&g_sub_ca, "CN=Test issuing CA,O=pkiot", &g_ca, "CN=Test EST CA,O=pkiot");
    ca_make_by(&g_stray_sub_ca, "CN=Stray issuing CA", &g_other_ca, "CN=Stranger CA");
    static const char root[] = "CN=Test EST CA,O=pkiot";
    ca_make(&g_new_ca, root);
    ca_cert_write(&g_new_with_old, &g_new_ca.key, root, &g_ca.key, root, 0x02,
                  "20991231235959");
    ca_cert_write(&g_old_with_new, &g_ca.key, root, &g_new_ca.key, root, 0x03,
                  "20991231235959");
    ca_new_key(&g_expired_sub_ca);
    ca_cert_write(&g_expired_sub_ca, &g_expired_sub_ca.key, "CN=Retired issuing CA,O=pkiot",
                  &g_ca.key, root, 0x04, "20251231235959");
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    setup_cfg();
    g_store_len = 0;
    g_saves = 0;
    return 0;
}

static void start(void)
{
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_enroll_start(&g_ctx, PKIOT_OP_ENROLL), PKIOT_OK);
}

static void assert_cert_for_result_key(void)
{
    pkiot_slice_t cert = pkiot_result_cert(&g_ctx);
    assert_true(cert.len > 0);
    pkiot_x509_cert_t c;
    assert_int_equal(pkiot_x509_cert_parse(cert.p, cert.len, &c), PKIOT_OK);
    uint8_t spki[PKIOT_SPKI_MAX];
    size_t sl = 0;
    assert_int_equal(g_crypto.key_export_spki(g_crypto.ctx, pkiot_result_key(&g_ctx), spki,
                                              sizeof spki, &sl),
                     PKIOT_OK);
    assert_int_equal(pkiot_x509_cert_matches_key(&c, spki, sl), PKIOT_OK);
}

static void test_enroll_with_auth_challenge(void **state)
{
    (void)state;
    const reply_t r[] = {R_401, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 1000;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.with_auth[0], 0);
    assert_int_equal(srv.with_auth[1], 1);
    /* HTTP/1.1 answers with a length keep the connection: one TLS handshake for both. */
    assert_int_equal(srv.connects, 1);
    assert_int_equal(pkiot_http_status(&g_ctx), 200);
    assert_cert_for_result_key();
    /* The final checkpoint holds the certificate: a resume hands it back at once. */
    assert_true(g_saves >= 2);
    pkiot_slice_t first = pkiot_result_cert(&g_ctx);
    uint8_t copy[2048];
    memcpy(copy, first.p, first.len);
    size_t copy_len = first.len;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
    int before = srv.requests;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, before);
    pkiot_slice_t again = pkiot_result_cert(&g_ctx);
    assert_int_equal(again.len, copy_len);
    assert_memory_equal(again.p, copy, copy_len);
    assert_int_equal(pkiot_forget(&g_ctx), PKIOT_OK);
    assert_int_equal(g_store_len, 0);
}

static void test_202_then_resume_resends_same_csr(void **state)
{
    (void)state;
    const reply_t r[] = {R_202};
    script(r, 1);
    start();
    uint32_t now = 5000;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_WAIT);
    assert_int_equal(pkiot_wake_at(&g_ctx), now + 30000u);
    assert_true(pkiot_wake_unix(&g_ctx) == fixed_time(NULL) + 30);
    uint8_t csr[2048];
    size_t csr_len = srv.last_csr_len;
    memcpy(csr, srv.last_csr, csr_len);
    /* Calling before the wake time does nothing. */
    assert_int_equal(pkiot_step(&g_ctx, now + 100), PKIOT_SLEEP);

    /* Power cut: a fresh context resumes from storage with the same key and CSR. */
    const reply_t r2[] = {R_ISSUE};
    script(r2, 1);
    memset(&g_ctx, 0xEE, sizeof g_ctx);
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
    /* The server's 30 s still apply after the reboot (the wall clock has not moved). */
    uint32_t boot = 100;
    assert_int_equal(pkiot_step(&g_ctx, boot), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_WAIT);
    assert_int_equal(pkiot_wake_at(&g_ctx), boot + 30000u);
    assert_int_equal(srv.requests, 0);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.last_csr_len, csr_len);
    assert_memory_equal(srv.last_csr, csr, csr_len);
    assert_cert_for_result_key();
}

/* A start the build or configuration refuses ends the running operation: stepping on
 * would run it without its key, under the refused operation's name. */
static void test_refused_start_leaves_the_context_idle(void **state)
{
    (void)state;
    pkiot_crypto_port_t no_import = g_crypto;
    no_import.key_import = NULL;
    g_cfg.crypto = &no_import;
    const reply_t r[] = {R_202};
    script(r, 1);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_enroll_start(&g_ctx, PKIOT_OP_SERVERKEYGEN), PKIOT_E_UNSUPPORTED);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_IDLE);
    now += 3600u * 1000u;
    assert_int_equal(pkiot_step(&g_ctx, now), PKIOT_E_STATE);
    assert_int_equal(srv.requests, 1);
    /* An argument error changes nothing. */
    assert_int_equal(pkiot_enroll_start(&g_ctx, (pkiot_operation_t)9), PKIOT_E_INVALID_ARG);
    /* The checkpoint of the 202 is still there to resume. */
    const reply_t r2[] = {R_ISSUE};
    script(r2, 1);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
    pkiot_wake_now(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_cert_for_result_key();
}

static void test_wake_now_overrides_the_wait(void **state)
{
    (void)state;
    const reply_t r[] = {R_202};
    script(r, 1);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    const reply_t r2[] = {R_ISSUE};
    script(r2, 1);
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
    assert_int_equal(pkiot_operation(&g_ctx), PKIOT_OP_ENROLL);
    pkiot_wake_now(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 1);
}

static void test_503_retry_after_is_obeyed(void **state)
{
    (void)state;
    const reply_t r[] = {R_503_LATER, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 1000;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_WAIT);
    assert_int_equal(pkiot_wake_at(&g_ctx), now + 120000u);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
}

static void test_429_retry_after_is_obeyed(void **state)
{
    (void)state;
    const reply_t r[] = {R_429_LATER, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 1000;
    /* RFC 6585 §4: "later", not a rejection of the request. */
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_WAIT);
    assert_int_equal(pkiot_wake_at(&g_ctx), now + 7000u);
    assert_true(pkiot_wake_unix(&g_ctx) == fixed_time(NULL) + 7);
    assert_int_equal(pkiot_http_status(&g_ctx), 429);
    /* Checkpointed with the wait: a reboot keeps the same request and honours the time. */
    uint8_t csr[2048];
    size_t csr_len = srv.last_csr_len;
    memcpy(csr, srv.last_csr, csr_len);
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
    assert_int_equal(pkiot_step(&g_ctx, 10), PKIOT_SLEEP);
    assert_int_equal(pkiot_wake_at(&g_ctx), 10u + 7000u);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.last_csr_len, csr_len);
    assert_memory_equal(srv.last_csr, csr, csr_len);
    assert_cert_for_result_key();
}

static void test_429_without_retry_after_backs_off(void **state)
{
    (void)state;
    const reply_t r[] = {R_429, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_BACKOFF);
    assert_int_equal(pkiot_last_error(&g_ctx), PKIOT_E_HTTP_STATUS);
    assert_string_equal(pkiot_server_text(&g_ctx), "slow down");
    uint32_t wake = pkiot_wake_at(&g_ctx);
    assert_true(wake - now >= 500 && wake - now <= 1000);
    now = wake;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 2);

    /* Each 429 counts an attempt: max_attempts of them end the enrollment. */
    const reply_t r2[] = {R_429, R_429, R_429, R_ISSUE};
    script(r2, 4);
    g_store_len = 0;
    start();
    int rc;
    while ((rc = run(&now)) == PKIOT_SLEEP) {
        assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_BACKOFF);
        now = pkiot_wake_at(&g_ctx);
    }
    assert_int_equal(rc, PKIOT_E_HTTP_STATUS);
    assert_int_equal(srv.requests, 3);
    assert_int_equal(pkiot_http_status(&g_ctx), 429);
}

/* The server closed the kept-alive connection while the device was between requests. */
static void test_stale_keepalive_is_retried_at_once(void **state)
{
    (void)state;
    const idle_t modes[] = {IDLE_EOF, IDLE_RESET, IDLE_SEND_FAILS};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const reply_t r[] = {R_401, R_ISSUE};
        script(r, 2);
        srv.idle_close = modes[i];
        g_store_len = 0;
        start();
        uint32_t now = 0;
        /* No PKIOT_SLEEP for a backoff in between: the request goes out again at once. */
        int rc = run(&now);
        if (rc != PKIOT_DONE) {
            fail_msg("mode %zu: got %s", i, pkiot_strerror_name(rc));
        }
        assert_int_equal(srv.stale_hits, 1);
        assert_int_equal(srv.connects, 2);
        assert_int_equal(srv.requests, 2);
        assert_int_equal(srv.with_auth[1], 1);
        assert_int_equal(pkiot_last_error(&g_ctx), PKIOT_OK);
        assert_cert_for_result_key();
    }
}

static void test_stale_keepalive_retried_only_once(void **state)
{
    (void)state;
    /* The fresh connection fails as well: that one is a real failure, with an attempt
     * counted and a backoff. */
    const reply_t r[] = {R_401, R_CLOSE, R_ISSUE};
    script(r, 3);
    srv.idle_close = IDLE_EOF;
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_BACKOFF);
    assert_int_equal(pkiot_last_error(&g_ctx), PKIOT_E_HTTP_TRUNCATED);
    assert_int_equal(srv.stale_hits, 1);
    assert_int_equal(srv.connects, 2);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.connects, 3);
}

static void test_fresh_connection_closed_is_a_failure(void **state)
{
    (void)state;
    /* No earlier exchange on the connection: a close before the answer is not staleness. */
    const reply_t r[] = {R_CLOSE, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_BACKOFF);
    assert_int_equal(srv.connects, 1);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
}

/* Runs PKIOT_OP_CACERTS against the answer @p r; returns the engine's final status. */
static int fetch_cacerts(reply_t r)
{
    script(&r, 1);
    g_store_len = 0;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_enroll_start(&g_ctx, PKIOT_OP_CACERTS), PKIOT_OK);
    uint32_t now = 0;
    return run(&now);
}

/* What the next R_CACERTS_LIST answer serves. */
static void set_cacerts_list(const test_ca_t *const *list, size_t n)
{
    memset(g_cacerts_list, 0, sizeof g_cacerts_list);
    memcpy(g_cacerts_list, list, n * sizeof *list);
}

static int fetch_cacerts_list(const test_ca_t *const *list, size_t n)
{
    set_cacerts_list(list, n);
    return fetch_cacerts(R_CACERTS_LIST);
}

static void test_cacerts_must_chain_to_trust_anchors(void **state)
{
    (void)state;
    struct {
        reply_t r;
        int want;
        size_t ca_len;
    } cases[] = {
        {R_CACERTS, PKIOT_DONE, g_ca.cert_len},
        {R_CACERTS_CHAIN, PKIOT_DONE, g_sub_ca.cert_len + g_ca.cert_len},
        {R_CACERTS_FOREIGN, PKIOT_E_CERT_UNTRUSTED, 0},
        {R_CACERTS_MIXED, PKIOT_DONE, g_ca.cert_len}, /* the stray CA is left out */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = fetch_cacerts(cases[i].r);
        if (rc != cases[i].want) {
            fail_msg("case %zu: got %s, want %s", i, pkiot_strerror_name(rc),
                     pkiot_strerror_name(cases[i].want));
        }
        assert_int_equal(srv.requests, 1);
        /* What was refused is never offered as a result. */
        assert_int_equal(pkiot_result_ca_certs(&g_ctx).len, cases[i].ca_len);
    }
    /* An application that keeps several anchors: any of them may be the root served. */
    uint8_t two[2048];
    memcpy(two, g_other_ca.cert, g_other_ca.cert_len);
    memcpy(two + g_other_ca.cert_len, g_ca.cert, g_ca.cert_len);
    g_cfg.trust_anchors = two;
    g_cfg.trust_anchors_len = g_other_ca.cert_len + g_ca.cert_len;
    assert_int_equal(fetch_cacerts(R_CACERTS_CHAIN), PKIOT_DONE);
}

/* pkiot_result_ca_certs() is exactly @p want, in this order. */
static void assert_ca_certs_are(const test_ca_t *const *want, size_t n)
{
    pkiot_slice_t got = pkiot_result_ca_certs(&g_ctx);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(off + want[i]->cert_len <= got.len);
        assert_memory_equal(got.p + off, want[i]->cert, want[i]->cert_len);
        off += want[i]->cert_len;
    }
    assert_int_equal(off, got.len);
}

/* RFC 7030 §4.4: during a root CA key update the server hands out NewWithNew, NewWithOld
 * and OldWithNew beside OldWithOld. Each chains to either root, so a device that trusts the
 * old root and one that already trusts the new root both keep all four. */
static void test_cacerts_root_key_update(void **state)
{
    (void)state;
    const test_ca_t *const set[] = {&g_new_ca, &g_new_with_old, &g_old_with_new, &g_ca};
    assert_int_equal(fetch_cacerts_list(set, 4), PKIOT_DONE);
    assert_ca_certs_are(set, 4);

    g_cfg.trust_anchors = g_new_ca.cert;
    g_cfg.trust_anchors_len = g_new_ca.cert_len;
    assert_int_equal(fetch_cacerts_list(set, 4), PKIOT_DONE);
    assert_ca_certs_are(set, 4);
}

/* RFC 7030 §4.1.3: a certificate from /cacerts may be used only once it validates against
 * the trust anchors. One that does not (expired, or of another root) is left out, with a
 * progress message; the others are kept, so a stale leftover in the server's bundle does
 * not stop the device from learning its CA certificates. None valid is an error. */
static void test_cacerts_keeps_only_what_validates(void **state)
{
    (void)state;
    const test_ca_t *const mixed[] = {&g_expired_sub_ca, &g_sub_ca, &g_stray_sub_ca, &g_ca};
    const test_ca_t *const kept[] = {&g_sub_ca, &g_ca};
    assert_int_equal(fetch_cacerts_list(mixed, 4), PKIOT_DONE);
    assert_ca_certs_are(kept, 2);

    const test_ca_t *const none[] = {&g_expired_sub_ca, &g_stray_sub_ca, &g_other_ca};
    assert_int_equal(fetch_cacerts_list(none, 3), PKIOT_E_CERT_EXPIRED);
    assert_int_equal(pkiot_result_ca_certs(&g_ctx).len, 0);

    /* CA certificates that come with the issued certificate are sorted the same way. */
    const reply_t with_cas[] = {R_ISSUE_WITH_CAS};
    script(with_cas, 1);
    g_store_len = 0;
    start();
    uint32_t t = 0;
    assert_int_equal(run(&t), PKIOT_DONE);
    const test_ca_t *const root_only[] = {&g_ca};
    assert_ca_certs_are(root_only, 1);
    assert_cert_for_result_key();

    /* The issued certificate's path is then built from what was kept. */
    g_cfg.est.fetch_cacerts = 1;
    set_cacerts_list(mixed, 4);
    const reply_t r[] = {R_CACERTS_LIST, R_ISSUE};
    script(r, 2);
    g_store_len = 0;
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_ca_certs_are(kept, 2);
    assert_cert_for_result_key();
}

#if PKIOT_EST_CSRATTRS
/* estserver's default /csrattrs answer ends in the C string's NUL, counted in its
 * Content-Length: the attributes still apply (the server asks for P-384). */
static void test_csrattrs_with_trailing_nul(void **state)
{
    (void)state;
    g_cfg.est.use_csrattrs = 1;
    const reply_t r[] = {R_CSRATTRS_NUL, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(pkiot_result_key(&g_ctx)->type, PKIOT_KEY_EC_P384);
    assert_cert_for_result_key();
}
#endif

static void test_fetched_cacerts_checked_before_enrolling(void **state)
{
    (void)state;
    g_cfg.est.fetch_cacerts = 1;
    const reply_t bad[] = {R_CACERTS_FOREIGN, R_ISSUE};
    script(bad, 2);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_E_CERT_UNTRUSTED);
    assert_int_equal(srv.requests, 1); /* no CSR went to that server */

    const reply_t good[] = {R_CACERTS_CHAIN, R_ISSUE};
    script(good, 2);
    g_store_len = 0;
    start();
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(pkiot_result_ca_certs(&g_ctx).len, g_sub_ca.cert_len + g_ca.cert_len);
    assert_cert_for_result_key();
}

static void test_credentials_wiped_after_a_cut(void **state)
{
    (void)state;
    /* 401, then the answer to the request with credentials is cut: the backoff must not
     * leave "Authorization: Basic ..." in the workspace. */
    const reply_t r[] = {R_401, R_CUT};
    script(r, 2);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(srv.with_auth[1], 1);
    static const char needle[] = "Authorization";
    for (size_t i = 0; i + sizeof needle - 1 <= sizeof g_work; i++) {
        assert_true(memcmp(g_work + i, needle, sizeof needle - 1) != 0);
    }
}

static void test_5xx_and_cut_are_retried_with_backoff(void **state)
{
    (void)state;
    const reply_t r[] = {R_503, R_CUT, R_ISSUE};
    script(r, 3);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_BACKOFF);
    uint32_t wake = pkiot_wake_at(&g_ctx);
    /* Jittered within [base/2, base]. */
    assert_true(wake - now >= 500 && wake - now <= 1000);
    now = wake;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    assert_int_equal(pkiot_last_error(&g_ctx), PKIOT_E_HTTP_TRUNCATED);
    wake = pkiot_wake_at(&g_ctx);
    assert_true(wake - now >= 1000 && wake - now <= 2000); /* doubled */
    now = wake;
    assert_int_equal(run(&now), PKIOT_DONE);
    assert_int_equal(srv.requests, 3);
    assert_true(srv.connects >= 3); /* a cut connection is never reused */
}

static void test_retries_exhausted(void **state)
{
    (void)state;
    const reply_t r[] = {R_503, R_503, R_503, R_503};
    script(r, 4);
    start();
    uint32_t now = 0;
    int rc;
    while ((rc = run(&now)) == PKIOT_SLEEP) {
        now = pkiot_wake_at(&g_ctx);
    }
    assert_int_equal(rc, PKIOT_E_HTTP_STATUS);
    assert_int_equal(srv.requests, 3);
    assert_string_equal(pkiot_server_text(&g_ctx), "busy");
    /* A failed context stays failed. */
    assert_int_equal(pkiot_step(&g_ctx, now), PKIOT_E_HTTP_STATUS);
}

static void test_timeout_is_transient(void **state)
{
    (void)state;
    const reply_t r[] = {R_SILENT, R_ISSUE};
    script(r, 2);
    start();
    uint32_t now = 0;
    int rc = PKIOT_WANT_READ;
    for (int i = 0; i < 100 && rc == PKIOT_WANT_READ; i++) {
        rc = pkiot_step(&g_ctx, now);
        now += 100;
    }
    assert_int_equal(rc, PKIOT_SLEEP);
    assert_int_equal(pkiot_last_error(&g_ctx), PKIOT_E_TIMEOUT);
    now = pkiot_wake_at(&g_ctx);
    assert_int_equal(run(&now), PKIOT_DONE);
}

static void test_rejections_are_final(void **state)
{
    (void)state;
    struct {
        reply_t r;
        int want;
    } cases[] = {
        {R_400, PKIOT_E_SERVER_REJECTED},
        {R_WRONG_KEY, PKIOT_E_CERT_KEY_MISMATCH},
        {R_ISSUE_OTHER_CA, PKIOT_E_CERT_UNTRUSTED},
        {R_BAD_TYPE, PKIOT_E_HTTP_CONTENT_TYPE},
        {R_BAD_B64, PKIOT_E_EST_BAD_RESPONSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        script(&cases[i].r, 1);
        g_store_len = 0;
        start();
        uint32_t now = 0;
        int rc = run(&now);
        if (rc != cases[i].want) {
            fail_msg("case %zu: got %s, want %s", i, pkiot_strerror_name(rc),
                     pkiot_strerror_name(cases[i].want));
        }
        assert_int_equal(srv.requests, 1);
        /* The key and CSR stay checkpointed: the request can be retried after a fix. */
        assert_true(g_store_len > 0);
    }
}

static void test_server_text_kept(void **state)
{
    (void)state;
    const reply_t r[] = {R_400};
    script(r, 1);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_E_SERVER_REJECTED);
    assert_int_equal(pkiot_http_status(&g_ctx), 400);
    assert_string_equal(pkiot_server_text(&g_ctx), "subject not allowed");
}

static void test_corrupt_checkpoint_rejected_untouched(void **state)
{
    (void)state;
    const reply_t r[] = {R_202};
    script(r, 1);
    start();
    uint32_t now = 0;
    assert_int_equal(run(&now), PKIOT_SLEEP);
    size_t len = g_store_len;
    for (size_t i = 0; i < len; i += 7) {
        g_store[i] ^= 0x40;
        assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
        int rc = pkiot_resume(&g_ctx);
        assert_true(rc == PKIOT_E_CKPT_CORRUPT || rc == PKIOT_E_CKPT_MAGIC ||
                    rc == PKIOT_E_CKPT_VERSION || rc == PKIOT_E_CKPT_MISMATCH);
        assert_int_equal(g_ctx.key_valid, 0);
        assert_int_equal(g_ctx.csr_len, 0);
        assert_int_equal(pkiot_phase(&g_ctx), PKIOT_PHASE_IDLE);
        assert_int_equal(pkiot_step(&g_ctx, now), PKIOT_E_STATE);
        g_store[i] ^= 0x40;
    }
    /* Untouched blob still resumes. */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_OK);
}

static void test_init_arguments(void **state)
{
    (void)state;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, PKIOT_WORKSPACE_SIZE - 1),
                     PKIOT_E_WORKSPACE_TOO_SMALL);
    g_cfg.server_url = "ftp://x";
    assert_true(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work) < 0);
    setup_cfg();
    g_cfg.protocol = (pkiot_protocol_t)99;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_E_UNSUPPORTED);
    setup_cfg();
    g_cfg.storage = NULL;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_resume(&g_ctx), PKIOT_E_STORAGE_EMPTY);
    assert_int_equal(pkiot_step(&g_ctx, 0), PKIOT_E_STATE);
}

static void test_renewal_time(void **state)
{
    (void)state;
    /* 90-day certificate: renew at 2/3 of its life, jitter moves it earlier only. */
    int64_t nb = 1700000000, na = nb + 90 * 86400;
    assert_true(pkiot_renewal_time(nb, na, 0, 0, NULL, 0) == nb + 60 * 86400);
    uint8_t s1[] = {1, 2, 3}, s2[] = {9, 9, 9};
    int64_t a = pkiot_renewal_time(nb, na, 0, 5, s1, 3);
    int64_t b = pkiot_renewal_time(nb, na, 0, 5, s2, 3);
    assert_true(a <= nb + 60 * 86400 && a >= nb + 60 * 86400 - 5 * 864 * 90);
    assert_true(a != b);
    assert_true(pkiot_renewal_time(nb, na, 0, 5, s1, 3) == a); /* stable per certificate */
    assert_true(pkiot_renewal_time(na, nb, 0, 0, NULL, 0) == na);
    assert_true(pkiot_renewal_time(nb, na, 50, 0, NULL, 0) == nb + 45 * 86400);
}

/* RFC 7030 §4.2.2: a re-enrollment asks for the subject and subjectAltName of the current
 * certificate, identical: every SAN, also more than a configuration could list. */
static void test_reenroll_keeps_subject_and_every_san(void **state)
{
    (void)state;
    pkiot_key_ref_t key;
    assert_int_equal(g_crypto.key_generate(g_crypto.ctx, PKIOT_KEY_EC_P256, 0, &key), PKIOT_OK);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    assert_int_equal(pkiot_mbedtls_key_to_pk(&g_crypto_state, &key, &pk), PKIOT_OK);
    enum { NSAN = PKIOT_SAN_MAX + 2 };
    static char dns[NSAN][24];
    static mbedtls_x509_san_list list[NSAN];
    for (size_t i = 0; i < NSAN; i++) {
        snprintf(dns[i], sizeof dns[i], "n%zu.dev.example", i);
        memset(&list[i], 0, sizeof list[i]);
        list[i].node.type = MBEDTLS_X509_SAN_DNS_NAME;
        list[i].node.san.unstructured_name.p = (unsigned char *)dns[i];
        list[i].node.san.unstructured_name.len = strlen(dns[i]);
        list[i].next = i + 1 < NSAN ? &list[i + 1] : NULL;
    }
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &pk);
    mbedtls_x509write_crt_set_issuer_key(&w, &g_ca.key);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, "CN=dev-re,O=Acme,OU=Line 7"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, "CN=Test EST CA,O=pkiot"), 0);
    static const unsigned char serial[] = {0x07};
    assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, (unsigned char *)serial, 1), 0);
    assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20991231235959"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_subject_alternative_name(&w, list), 0);
    static uint8_t buf[1400];
    int n = mbedtls_x509write_crt_der(&w, buf, sizeof buf, mbedtls_ctr_drbg_random, &g_drbg);
    assert_true(n > 0);
    mbedtls_x509write_crt_free(&w);
    mbedtls_pk_free(&pk);
    const uint8_t *cert = buf + sizeof buf - (size_t)n;

    g_cfg.subject = NULL;
    g_cfg.nsans = 0;
    g_cfg.client_cert = cert;
    g_cfg.client_cert_len = (size_t)n;
    g_cfg.client_key = &key;
    g_cfg.existing_key = &key;
    const reply_t r[] = {R_ISSUE};
    script(r, 1);
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    assert_int_equal(pkiot_enroll_start(&g_ctx, PKIOT_OP_REENROLL), PKIOT_OK);
    uint32_t now = 1000;
    assert_int_equal(run(&now), PKIOT_DONE);

    mbedtls_x509_csr req;
    mbedtls_x509_crt crt;
    mbedtls_x509_csr_init(&req);
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_csr_parse_der(&req, srv.last_csr, srv.last_csr_len), 0);
    assert_int_equal(mbedtls_x509_crt_parse_der(&crt, cert, (size_t)n), 0);
    assert_int_equal(req.subject_raw.len, crt.subject_raw.len);
    assert_memory_equal(req.subject_raw.p, crt.subject_raw.p, crt.subject_raw.len);
    const mbedtls_x509_sequence *a = &req.subject_alt_names;
    const mbedtls_x509_sequence *b = &crt.subject_alt_names;
    size_t count = 0;
    for (; a != NULL && b != NULL; a = a->next, b = b->next, count++) {
        assert_int_equal(a->buf.tag, b->buf.tag);
        assert_int_equal(a->buf.len, b->buf.len);
        assert_memory_equal(a->buf.p, b->buf.p, b->buf.len);
    }
    assert_null(a);
    assert_null(b);
    assert_int_equal(count, NSAN);
    mbedtls_x509_csr_free(&req);
    mbedtls_x509_crt_free(&crt);
    assert_int_equal(g_crypto.key_destroy(g_crypto.ctx, &key), PKIOT_OK);
}

/* Trust anchors the path checks would ignore are refused up front: more than
 * PKIOT_TRUST_ANCHORS_MAX, or bytes that are not a run of DER certificates. */
static void test_init_checks_trust_anchors(void **state)
{
    (void)state;
    static uint8_t many[(PKIOT_TRUST_ANCHORS_MAX + 1) * sizeof g_ca.cert];
    size_t len = 0;
    for (size_t i = 0; i <= PKIOT_TRUST_ANCHORS_MAX; i++) {
        memcpy(many + len, g_ca.cert, g_ca.cert_len);
        len += g_ca.cert_len;
    }
    g_cfg.trust_anchors = many;
    g_cfg.trust_anchors_len = len - g_ca.cert_len; /* exactly the maximum */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    g_cfg.trust_anchors_len = len; /* one more */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_E_INVALID_ARG);
    g_cfg.trust_anchors_len = g_ca.cert_len + 1; /* a stray byte after the certificate */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_E_INVALID_ARG);
    g_cfg.trust_anchors_len = g_ca.cert_len - 1; /* cut short */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_E_INVALID_ARG);
    g_cfg.trust_anchors = NULL;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_E_INVALID_ARG);
    g_cfg.trust_anchors_len = 0; /* none: bootstrap or no path checks configured */
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
}

/* Without pkiot's own X.509 code the engine needs the port's cert_parse and cert_verify:
 * pkiot_init() refuses a port lacking either before any key or request exists. */
static void test_init_needs_port_x509(void **state)
{
    (void)state;
    pkiot_crypto_port_t port = g_crypto;
    g_cfg.crypto = &port;
    for (int missing = 0; missing < 2; missing++) {
        port = g_crypto;
        if (missing == 0) {
            port.cert_parse = NULL;
        } else {
            port.cert_verify = NULL;
        }
        assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work),
                         PKIOT_X509_BUILTIN ? PKIOT_OK : PKIOT_E_UNSUPPORTED);
    }
    port = g_crypto;
    assert_int_equal(pkiot_init(&g_ctx, &g_cfg, g_work, sizeof g_work), PKIOT_OK);
    g_cfg.crypto = &g_crypto;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_needs_port_x509, test_setup),
        cmocka_unit_test_setup(test_init_checks_trust_anchors, test_setup),
        cmocka_unit_test_setup(test_reenroll_keeps_subject_and_every_san, test_setup),
        cmocka_unit_test_setup(test_enroll_with_auth_challenge, test_setup),
        cmocka_unit_test_setup(test_202_then_resume_resends_same_csr, test_setup),
        cmocka_unit_test_setup(test_wake_now_overrides_the_wait, test_setup),
        cmocka_unit_test_setup(test_refused_start_leaves_the_context_idle, test_setup),
        cmocka_unit_test_setup(test_503_retry_after_is_obeyed, test_setup),
        cmocka_unit_test_setup(test_429_retry_after_is_obeyed, test_setup),
        cmocka_unit_test_setup(test_429_without_retry_after_backs_off, test_setup),
        cmocka_unit_test_setup(test_stale_keepalive_is_retried_at_once, test_setup),
        cmocka_unit_test_setup(test_stale_keepalive_retried_only_once, test_setup),
        cmocka_unit_test_setup(test_fresh_connection_closed_is_a_failure, test_setup),
        cmocka_unit_test_setup(test_cacerts_must_chain_to_trust_anchors, test_setup),
        cmocka_unit_test_setup(test_cacerts_root_key_update, test_setup),
        cmocka_unit_test_setup(test_cacerts_keeps_only_what_validates, test_setup),
        cmocka_unit_test_setup(test_fetched_cacerts_checked_before_enrolling, test_setup),
#if PKIOT_EST_CSRATTRS
        cmocka_unit_test_setup(test_csrattrs_with_trailing_nul, test_setup),
#endif
        cmocka_unit_test_setup(test_credentials_wiped_after_a_cut, test_setup),
        cmocka_unit_test_setup(test_5xx_and_cut_are_retried_with_backoff, test_setup),
        cmocka_unit_test_setup(test_retries_exhausted, test_setup),
        cmocka_unit_test_setup(test_timeout_is_transient, test_setup),
        cmocka_unit_test_setup(test_rejections_are_final, test_setup),
        cmocka_unit_test_setup(test_server_text_kept, test_setup),
        cmocka_unit_test_setup(test_corrupt_checkpoint_rejected_untouched, test_setup),
        cmocka_unit_test_setup(test_init_arguments, test_setup),
        cmocka_unit_test_setup(test_renewal_time, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
