/* Unit tests for the HTTP codec (lib/codec/http.c, lib/codec/http_multipart.c). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkiot/http.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) ((const uint8_t *)(lit)), (sizeof(lit) - 1)

/* ---- realistic responses ------------------------------------------------------------------ */

/* libest /cacerts: base64 body with LF-only line breaks. */
static const char est_cacerts[] =
    "HTTP/1.1 200 OK\r\n"
    "Status: 200 OK\r\n"
    "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Length: 139\r\n"
    "\r\n"
    "MIIBmQYJKoZIhvcNAQcCoIIBijCCAYYCAQExADALBgkqhkiG9w0BBwGgggFsMIIB\n"
    "aDCCAQ6gAwIBAgIJAJ3zvbMw0jExMAoGCCqGSM49BAMCMBcxFTATBgNVBAMMDGVz\n"
    "dENBMA==\n";

/* EST simpleenroll deferred (RFC 7030 §4.2.3). */
static const char est_202[] =
    "HTTP/1.1 202 Accepted\r\n"
    "Status: 202 Accepted\r\n"
    "Content-Type: text/plain\r\n"
    "Retry-After: 120\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char est_401[] =
    "HTTP/1.1 401 Unauthorized\r\n"
    "Status: 401 Unauthorized\r\n"
    "Content-Type: text/html\r\n"
    "WWW-Authenticate: Basic realm=\"estrealm\"\r\n"
    "Content-Length: 12\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Unauthorized";

/* ACME newOrder, chunked, with a chunk extension and a trailer. */
static const char acme_order[] =
    "HTTP/1.1 201 Created\r\n"
    "Cache-Control: public, max-age=0, no-cache\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Link: <https://localhost:14000/dir>;rel=\"index\"\r\n"
    "Location: https://localhost:14000/my-order/Lt9qBYbQ\r\n"
    "Replay-Nonce: G8TrVbQqBfJKuN4DsrHdzw\r\n"
    "Date: Tue, 04 Mar 2025 10:00:00 GMT\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "2e;ext=1\r\n"
    "{\n   \"status\": \"pending\",\n   \"expires\": \"2025\"\r\n"
    "1D\r\n"
    ",\n   \"finalize\": \"https://x\"}\r\n"
    "0\r\n"
    "X-Trailer: yes\r\n"
    "\r\n";
static const char acme_order_body[] =
    "{\n   \"status\": \"pending\",\n   \"expires\": \"2025\""
    ",\n   \"finalize\": \"https://x\"}";

/* ACME certificate download with several links. */
static const char acme_cert[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/pem-certificate-chain\r\n"
    "Link: <https://localhost:14000/dir>;rel=\"index\", "
    "<https://localhost:14000/cert/abc/1>; rel=\"alternate\"\r\n"
    "link: <https://localhost:14000/cert/abc/2>;rel=alternate;title=\"a, b\"\r\n"
    "Replay-Nonce: nonce-2\r\n"
    "Content-Length: 28\r\n"
    "\r\n"
    "-----BEGIN CERTIFICATE-----\n";

/* CMP over HTTP (RFC 9811) from an HTTP/1.0 server that closes the connection. */
static const char cmp_10_close[] =
    "HTTP/1.0 200 OK\r\n"
    "Content-type: application/pkixcmp\r\n"
    "\r\n"
    "\x30\x82\x00\x05\x02\x01\x00\x0d\x0a";

/* Same with a length and keep-alive. */
static const char cmp_10_ka[] =
    "HTTP/1.0 200 OK\r\n"
    "Content-Type: application/pkixcmp\r\n"
    "Connection: keep-alive\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "\x30\x03\x02\x01\x00";

/* Interim responses before the final one; LF-only line ends. */
static const char interim[] =
    "HTTP/1.1 100 Continue\r\n"
    "\r\n"
    "HTTP/1.1 103 Early Hints\n"
    "Link: </style.css>; rel=preload\n"
    "\n"
    "HTTP/1.1 200 OK\n"
    "Content-Length: 2\n"
    "\n"
    "ok";

/* EST /serverkeygen (RFC 7030 §4.4.2). */
static const char est_skg[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: multipart/mixed ; boundary=\"est-server-boundary\"\r\n"
    "Content-Length: 314\r\n"
    "\r\n"
    "This is the preamble.\r\n"
    "--est-server-boundary\r\n"
    "Content-Type: application/pkcs8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49\r\n"
    "--est-server-boundary\r\n"
    "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "MIIBmQYJKoZIhvc=\r\n"
    "--est-server-boundary--\r\n";

typedef struct resp_case {
    const char *name;
    const char *data;
    size_t len;
    int status;
    size_t body_len;
    int keep_alive;
    int until_close; /* body ends with the connection */
} resp_case_t;

#define RC(n, s, b, ka, uc) { #n, n, sizeof(n) - 1, s, b, ka, uc }

static const resp_case_t cases[] = {
    RC(est_cacerts, 200, 139, 1, 0), RC(est_202, 202, 0, 1, 0),    RC(est_401, 401, 12, 0, 0),
    RC(acme_order, 201, 75, 1, 0),   RC(acme_cert, 200, 28, 1, 0), RC(cmp_10_close, 200, 9, 0, 1),
    RC(cmp_10_ka, 200, 5, 1, 0),     RC(interim, 200, 2, 1, 0),    RC(est_skg, 200, 314, 1, 0),
};

static uint8_t body_buf[8192];
static pkiot_http_resp_t rsp;

/* Feed data in pieces: the first at split, then the rest in pieces of `step` bytes (0: all). */
static int feed_split(pkiot_http_resp_t *r, const uint8_t *d, size_t len, size_t split,
                      size_t step, size_t *used)
{
    size_t off = 0;
    int rc = PKIOT_WANT_READ;
    *used = 0;
    while (off < len) {
        size_t n = off == 0 && split > 0 ? split : (step ? step : len - off);
        size_t c = 0;
        if (n > len - off) {
            n = len - off;
        }
        rc = pkiot_http_resp_feed(r, d + off, n, &c);
        assert_true(c <= n);
        off += c;
        if (rc == PKIOT_DONE || rc < 0) {
            *used = off;
            return rc;
        }
        assert_int_equal(rc, PKIOT_WANT_READ);
        assert_int_equal(c, n);
    }
    *used = off;
    return rc;
}

static int parse(const uint8_t *d, size_t len, size_t split, size_t step)
{
    size_t used;
    int rc;
    assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0), PKIOT_OK);
    rc = feed_split(&rsp, d, len, split, step, &used);
    if (rc == PKIOT_WANT_READ) {
        rc = pkiot_http_resp_finish(&rsp);
    }
    return rc;
}

static int parse_str(const char *s)
{
    return parse((const uint8_t *)s, strlen(s), 0, 0);
}

static void expect_field(pkiot_http_field_t f, const char *want)
{
    pkiot_slice_t v;
    int rc = pkiot_http_resp_field(&rsp, f, &v);
    if (want == NULL) {
        assert_int_equal(rc, PKIOT_E_NOT_FOUND);
        return;
    }
    assert_int_equal(rc, PKIOT_OK);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.p, want, v.len);
}

static void expect_link(const char *rel, size_t nth, const char *want)
{
    pkiot_slice_t v;
    int rc = pkiot_http_resp_link(&rsp, rel, nth, &v);
    if (want == NULL) {
        assert_int_equal(rc, PKIOT_E_NOT_FOUND);
        return;
    }
    assert_int_equal(rc, PKIOT_OK);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.p, want, v.len);
}

/* ---- request writer ----------------------------------------------------------------------- */

static void test_write_get(void **state)
{
    pkiot_http_req_t req;
    uint8_t buf[512];
    size_t n;
    static const char want[] = "GET /.well-known/est/cacerts HTTP/1.1\r\n"
                               "Host: est.example.com:8443\r\n"
                               "User-Agent: pkiot\r\n"
                               "Accept: application/pkcs7-mime\r\n"
                               "Connection: keep-alive\r\n"
                               "\r\n";
    (void)state;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.host = "est.example.com";
    req.port = 8443;
    req.tls = 1;
    req.target = "/.well-known/est";
    req.target_suffix = "/cacerts";
    req.accept = "application/pkcs7-mime";
    req.user_agent = "pkiot";
    req.keep_alive = 1;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(buf, want, n);

    /* Size query and every too-small buffer give the exact size. */
    assert_int_equal(pkiot_http_write_head(&req, NULL, 0, &n), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, sizeof want - 1);
    for (size_t cap = 0; cap < sizeof want - 1; cap++) {
        memset(buf, 0xAA, sizeof buf);
        assert_int_equal(pkiot_http_write_head(&req, buf, cap, &n), PKIOT_E_BUFFER_TOO_SMALL);
        assert_int_equal(n, sizeof want - 1);
        for (size_t i = cap; i < sizeof buf; i++) {
            assert_int_equal(buf[i], 0xAA); /* never past cap */
        }
    }
    /* Default port is left out. */
    req.port = 443;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_non_null(memmem(buf, n, "Host: est.example.com\r\n", 23));
    req.tls = 0;
    req.port = 80;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_non_null(memmem(buf, n, "Host: est.example.com\r\n", 23));
    req.port = 443;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_non_null(memmem(buf, n, "Host: est.example.com:443\r\n", 27));
    /* IPv6 literal. */
    req.host = "2001:db8::1";
    req.port = 8080;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_non_null(memmem(buf, n, "Host: [2001:db8::1]:8080\r\n", 26));
    /* GET without body: no Content-Length. */
    assert_null(memmem(buf, n, "Content-Length", 14));
}

static void test_write_post_basic(void **state)
{
    pkiot_http_req_t req;
    uint8_t buf[1024];
    uint8_t body[300];
    size_t n, head;
    static const char want[] = "POST /.well-known/est/simpleenroll HTTP/1.1\r\n"
                               "Host: 127.0.0.1:8085\r\n"
                               "Authorization: Basic ZXN0dXNlcjplc3Rwd2Q=\r\n"
                               "Content-Type: application/pkcs10\r\n"
                               "Content-Length: 300\r\n"
                               "Connection: close\r\n"
                               "X-Test: 1\r\n"
                               "\r\n";
    (void)state;
    memset(body, 'B', sizeof body);
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.host = "127.0.0.1";
    req.port = 8085;
    req.tls = 1;
    req.target = "/.well-known/est/simpleenroll";
    req.content_type = "application/pkcs10";
    req.user = "estuser";
    req.password = "estpwd";
    req.extra_headers = "X-Test: 1\r\n";
    req.body_len = sizeof body;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &head), PKIOT_OK);
    assert_int_equal(head, sizeof want - 1);
    assert_memory_equal(buf, want, head);

    assert_int_equal(pkiot_http_write_request(&req, body, buf, sizeof buf, &n), PKIOT_OK);
    assert_int_equal(n, head + sizeof body);
    assert_memory_equal(buf + head, body, sizeof body);
    for (size_t cap = 0; cap < head + sizeof body; cap += 7) {
        assert_int_equal(pkiot_http_write_request(&req, body, buf, cap, &n),
                         PKIOT_E_BUFFER_TOO_SMALL);
        assert_int_equal(n, head + sizeof body);
    }
    assert_int_equal(pkiot_http_write_request(&req, NULL, buf, sizeof buf, &n),
                     PKIOT_E_INVALID_ARG);

    /* Empty POST announces a zero length. */
    req.body_len = 0;
    req.content_type = NULL;
    req.user = req.password = NULL;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    assert_non_null(memmem(buf, n, "Content-Length: 0\r\n", 19));
    assert_null(memmem(buf, n, "Authorization", 13));
}

/* Reference base64 for long credentials (crosses the encoder's staging block). */
static size_t ref_b64(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    return o;
}

static void test_write_basic_long(void **state)
{
    char user[80], pass[120], joined[210], b64[300], line[400];
    uint8_t buf[1024];
    size_t n;
    pkiot_http_req_t req;
    (void)state;
    for (size_t ul = 0; ul < 70; ul += 13) {
        for (size_t pl = 0; pl < 110; pl += 17) {
            for (size_t i = 0; i < ul; i++) user[i] = (char)('a' + (i % 26));
            user[ul] = '\0';
            for (size_t i = 0; i < pl; i++) pass[i] = (char)('!' + (i * 7 % 90));
            pass[pl] = '\0';
            snprintf(joined, sizeof joined, "%s:%s", user, pass);
            size_t bl = ref_b64((const uint8_t *)joined, strlen(joined), b64);
            snprintf(line, sizeof line, "Authorization: Basic %.*s\r\n", (int)bl, b64);
            memset(&req, 0, sizeof req);
            req.method = "GET";
            req.host = "h";
            req.target = "/";
            req.user = user;
            req.password = pass;
            assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
            assert_non_null(memmem(buf, n, line, strlen(line)));
        }
    }
}

static void test_write_invalid(void **state)
{
    pkiot_http_req_t req;
    uint8_t buf[512];
    size_t n;
    (void)state;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.host = "h";
    req.target = "/";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    req.target = "/a b";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.target = "/a\r\nX: y";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.target = "/";
    req.content_type = "text/plain\r\nX-Injected: 1";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.content_type = NULL;
    req.method = "GE T";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.method = "GET";
    req.user = "a:b";
    req.password = "c";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.user = "a";
    req.password = NULL;
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.user = NULL;
    req.extra_headers = "X-A: 1"; /* no CRLF */
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.extra_headers = "X-A: 1\r\n\r\nGET / HTTP/1.1\r\n";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.extra_headers = "X-A: 1\nX-B: 2\r\n";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.extra_headers = "X-A: 1\r\nX-B: 2\r\n";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_OK);
    req.host = "user@h";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    req.host = "";
    assert_int_equal(pkiot_http_write_head(&req, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_http_write_head(NULL, buf, sizeof buf, &n), PKIOT_E_INVALID_ARG);
}

/* ---- response parser: realistic responses ------------------------------------------------- */

static void check_case_fields(const resp_case_t *c)
{
    assert_int_equal(rsp.status, c->status);
    assert_int_equal(rsp.body_len, c->body_len);
    assert_int_equal(rsp.keep_alive, c->keep_alive);
    assert_true(pkiot_http_resp_headers_done(&rsp));
    if (!rsp.chunked && c->body_len > 0) {
        /* an unchunked body is the tail of the message */
        assert_memory_equal(rsp.body, c->data + c->len - c->body_len, c->body_len);
    }
}

static void test_resp_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const resp_case_t *c = &cases[i];
        size_t used;
        assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0), PKIOT_OK);
        int rc = feed_split(&rsp, (const uint8_t *)c->data, c->len, 0, 0, &used);
        if (c->until_close) {
            assert_int_equal(rc, PKIOT_WANT_READ);
            assert_false(pkiot_http_resp_headers_done(&rsp) == 0);
            rc = pkiot_http_resp_finish(&rsp);
        } else {
            assert_int_equal(used, c->len);
        }
        assert_int_equal(rc, PKIOT_DONE);
        check_case_fields(c);
    }
}

static void test_resp_est(void **state)
{
    pkiot_slice_t ct;
    char p[64];
    size_t n;
    uint32_t secs;
    (void)state;
    assert_int_equal(parse(S(est_cacerts), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(rsp.version, 11);
    assert_string_equal(rsp.reason, "OK");
    assert_true(rsp.has_content_length);
    assert_int_equal(rsp.content_length, 139);
    assert_false(rsp.chunked);
    assert_true(pkiot_http_resp_content_type_is(&rsp, "application/pkcs7-mime"));
    assert_true(pkiot_http_resp_content_type_is(&rsp, "Application/PKCS7-MIME"));
    assert_false(pkiot_http_resp_content_type_is(&rsp, "application/pkcs7"));
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_CONTENT_TYPE, &ct), PKIOT_OK);
    assert_int_equal(pkiot_http_media_param(ct, "smime-type", p, sizeof p, &n), PKIOT_OK);
    assert_string_equal(p, "certs-only");
    expect_field(PKIOT_HTTP_F_CTE, "base64");
    expect_field(PKIOT_HTTP_F_LOCATION, NULL);
    expect_field(PKIOT_HTTP_F_RETRY_AFTER, NULL);
    assert_memory_equal(rsp.body, "MIIBmQYJ", 8);
    assert_int_equal(rsp.body[rsp.body_len - 1], '\n');

    assert_int_equal(parse(S(est_202), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.status, 202);
    assert_string_equal(rsp.reason, "Accepted");
    expect_field(PKIOT_HTTP_F_RETRY_AFTER, "120");
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_RETRY_AFTER, &ct), PKIOT_OK);
    assert_int_equal(pkiot_http_retry_after_delta(ct, &secs), PKIOT_OK);
    assert_int_equal(secs, 120);

    assert_int_equal(parse(S(est_401), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.status, 401);
    assert_false(rsp.keep_alive);
    expect_field(PKIOT_HTTP_F_AUTH_SCHEME, "Basic");
    expect_field(PKIOT_HTTP_F_AUTH_REALM, "estrealm");
    assert_memory_equal(rsp.body, "Unauthorized", 12);
}

static void test_resp_acme(void **state)
{
    (void)state;
    assert_int_equal(parse(S(acme_order), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.status, 201);
    assert_true(rsp.chunked);
    assert_true(rsp.keep_alive);
    assert_int_equal(rsp.body_len, sizeof acme_order_body - 1);
    assert_memory_equal(rsp.body, acme_order_body, rsp.body_len);
    expect_field(PKIOT_HTTP_F_LOCATION, "https://localhost:14000/my-order/Lt9qBYbQ");
    expect_field(PKIOT_HTTP_F_REPLAY_NONCE, "G8TrVbQqBfJKuN4DsrHdzw");
    assert_true(pkiot_http_resp_content_type_is(&rsp, "application/json"));
    expect_link("index", 0, "https://localhost:14000/dir");
    expect_link("up", 0, NULL);

    assert_int_equal(parse(S(acme_cert), 0, 0), PKIOT_DONE);
    expect_link("index", 0, "https://localhost:14000/dir");
    expect_link("alternate", 0, "https://localhost:14000/cert/abc/1");
    expect_link("ALTERNATE", 1, "https://localhost:14000/cert/abc/2");
    expect_link("alternate", 2, NULL);
    expect_field(PKIOT_HTTP_F_REPLAY_NONCE, "nonce-2");
    assert_true(pkiot_http_resp_content_type_is(&rsp, "application/pem-certificate-chain"));
}

static void test_resp_cmp(void **state)
{
    (void)state;
    assert_int_equal(parse(S(cmp_10_close), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.version, 10);
    assert_false(rsp.keep_alive);
    assert_false(rsp.has_content_length);
    assert_int_equal(rsp.body_len, 9);
    assert_memory_equal(rsp.body, "\x30\x82\x00\x05\x02\x01\x00\x0d\x0a", 9);
    assert_true(pkiot_http_resp_content_type_is(&rsp, "application/pkixcmp"));

    assert_int_equal(parse(S(cmp_10_ka), 0, 0), PKIOT_DONE);
    assert_true(rsp.keep_alive);
    assert_int_equal(rsp.body_len, 5);

    /* HTTP/1.0 without keep-alive is not reusable even with a length. */
    assert_int_equal(parse_str("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"), PKIOT_DONE);
    assert_false(rsp.keep_alive);
    /* HTTP/1.1 with Connection: close is not reusable. */
    assert_int_equal(
        parse_str("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n"),
        PKIOT_DONE);
    assert_false(rsp.keep_alive);
    /* HTTP/1.1 without a length: read until close. */
    assert_int_equal(parse_str("HTTP/1.1 200 OK\r\n\r\nabc"), PKIOT_DONE);
    assert_false(rsp.keep_alive);
    assert_int_equal(rsp.body_len, 3);
}

static void test_resp_interim(void **state)
{
    (void)state;
    assert_int_equal(parse(S(interim), 0, 0), PKIOT_DONE);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(rsp.body_len, 2);
    expect_link("preload", 0, NULL); /* interim headers are not kept */

    assert_int_equal(parse_str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"),
                     PKIOT_E_UNSUPPORTED);
    char many[2048] = "";
    for (int i = 0; i < PKIOT_HTTP_MAX_INTERIM + 1; i++) {
        strcat(many, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    assert_int_equal(parse_str(many), PKIOT_E_UNSUPPORTED);
}

static void test_resp_no_body(void **state)
{
    (void)state;
    /* 204 and 304 end at the blank line whatever the headers say. */
    assert_int_equal(parse_str("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
                     PKIOT_DONE);
    assert_int_equal(rsp.body_len, 0);
    assert_true(rsp.keep_alive);
    assert_int_equal(parse_str("HTTP/1.1 304 Not Modified\r\n\r\n"), PKIOT_DONE);
    /* HEAD: Content-Length describes the GET body that is not sent. */
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n"
                               "Replay-Nonce: abc\r\n\r\nNEXT";
    size_t used;
    assert_int_equal(pkiot_http_resp_init(&rsp, NULL, 0, PKIOT_HTTP_RESP_HEAD), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(head), &used), PKIOT_DONE);
    assert_int_equal(used, sizeof head - 1 - 4);
    expect_field(PKIOT_HTTP_F_REPLAY_NONCE, "abc");
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(head), &used), PKIOT_DONE);
    assert_int_equal(used, 0);
    assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_DONE);
}

/* libest /serverkeygen understates Content-Length (it leaves out the multipart framing). */
static void test_resp_read_to_close(void **state)
{
    static const char msg[] = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n0123456789";
    static const char ka[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n0123456789";
    size_t used;
    (void)state;
    /* Strict: stop at Content-Length. */
    assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(msg), &used), PKIOT_DONE);
    assert_int_equal(rsp.body_len, 5);
    /* Lenient, connection closing: everything up to the close, at any split. */
    for (size_t s = 1; s <= sizeof msg - 1; s++) {
        assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf,
                                              PKIOT_HTTP_RESP_READ_TO_CLOSE),
                         PKIOT_OK);
        assert_int_equal(feed_split(&rsp, S(msg), s, 0, &used), PKIOT_WANT_READ);
        assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_DONE);
        assert_int_equal(rsp.body_len, 10);
        assert_memory_equal(rsp.body, "0123456789", 10);
    }
    /* ... but never fewer bytes than announced. */
    for (size_t k = sizeof msg - 1 - 10; k < sizeof msg - 1 - 5; k++) {
        assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf,
                                              PKIOT_HTTP_RESP_READ_TO_CLOSE),
                         PKIOT_OK);
        assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, k, &used),
                         PKIOT_WANT_READ);
        assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_E_HTTP_TRUNCATED);
    }
    /* Persistent connection: Content-Length is honoured. */
    assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf,
                                          PKIOT_HTTP_RESP_READ_TO_CLOSE),
                     PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(ka), &used), PKIOT_DONE);
    assert_int_equal(rsp.body_len, 5);
    /* Still bounded by the buffer. */
    uint8_t small[8];
    assert_int_equal(pkiot_http_resp_init(&rsp, small, sizeof small,
                                          PKIOT_HTTP_RESP_READ_TO_CLOSE),
                     PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(msg), &used), PKIOT_E_HTTP_BODY_TOO_LARGE);
}

/* A response captured from libest's estserver, when the capture is present in the tree. */
static void test_resp_libest_serverkeygen(void **state)
{
    static uint8_t cap[16384];
    static uint8_t body[16384];
    pkiot_multipart_t mp;
    pkiot_multipart_part_t part;
    pkiot_slice_t ct;
    char b[PKIOT_HTTP_BOUNDARY_MAX + 1];
    size_t n, used, bl;
    (void)state;
    FILE *f = fopen("test/fuzz/corpus/est-captures/serverkeygen.http", "rb");
    if (f == NULL) {
        skip();
    }
    n = fread(cap, 1, sizeof cap, f);
    fclose(f);
    assert_int_equal(pkiot_http_resp_init(&rsp, body, sizeof body, PKIOT_HTTP_RESP_READ_TO_CLOSE),
                     PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, cap, n, &used), PKIOT_WANT_READ);
    assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_DONE);
    assert_true(rsp.body_len > rsp.content_length);
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_CONTENT_TYPE, &ct), PKIOT_OK);
    assert_true(pkiot_http_media_type_is(ct, "multipart/mixed"));
    assert_int_equal(pkiot_http_media_param(ct, "boundary", b, sizeof b, &bl), PKIOT_OK);
    assert_int_equal(pkiot_multipart_init(&mp, rsp.body, rsp.body_len, b, bl), PKIOT_OK);
    assert_int_equal(pkiot_multipart_next(&mp, &part), PKIOT_OK);
    assert_true(pkiot_http_media_type_is(part.content_type, "application/pkcs8"));
    assert_int_equal(part.cte.len, 6);
    assert_int_equal(pkiot_multipart_next(&mp, &part), PKIOT_OK);
    assert_true(pkiot_http_media_type_is(part.content_type, "application/pkcs7-mime"));
    assert_int_equal(pkiot_multipart_next(&mp, &part), PKIOT_DONE);
}

static void test_resp_pipelined(void **state)
{
    static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "2\r\nde\r\n0\r\n\r\n"
                              "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    const uint8_t *d = (const uint8_t *)two;
    size_t len = sizeof two - 1, used;
    (void)state;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0), PKIOT_OK);
        assert_int_equal(pkiot_http_resp_feed(&rsp, d, len, &used), PKIOT_DONE);
        assert_true(rsp.keep_alive);
        if (i == 0) {
            assert_memory_equal(rsp.body, "abc", 3);
        } else if (i == 1) {
            assert_memory_equal(rsp.body, "de", 2);
        } else {
            assert_int_equal(rsp.status, 404);
            assert_string_equal(rsp.reason, "Not Found");
        }
        d += used;
        len -= used;
    }
    assert_int_equal(len, 0);
}

/* Every split point, and byte-by-byte, gives the same result as one chunk. */
static void test_resp_every_split(void **state)
{
    static uint8_t ref_body[8192];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const resp_case_t *c = &cases[i];
        const uint8_t *d = (const uint8_t *)c->data;
        pkiot_slice_t ref_loc, v;
        assert_int_equal(parse(d, c->len, 0, 0), PKIOT_DONE);
        size_t ref_len = rsp.body_len;
        int ref_status = rsp.status;
        memcpy(ref_body, rsp.body, ref_len);
        int ref_loc_rc = pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_CONTENT_TYPE, &ref_loc);
        char ref_ct[256] = "";
        if (ref_loc_rc == PKIOT_OK) {
            memcpy(ref_ct, ref_loc.p, ref_loc.len);
        }
        for (size_t s = 1; s <= c->len; s++) {
            for (size_t step = 0; step <= 1; step++) {
                assert_int_equal(parse(d, c->len, s, step), PKIOT_DONE);
                assert_int_equal(rsp.status, ref_status);
                assert_int_equal(rsp.body_len, ref_len);
                assert_memory_equal(rsp.body, ref_body, ref_len);
                assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_CONTENT_TYPE, &v),
                                 ref_loc_rc);
                if (ref_loc_rc == PKIOT_OK) {
                    assert_int_equal(v.len, strlen(ref_ct));
                    assert_memory_equal(v.p, ref_ct, v.len);
                }
            }
        }
        /* Chunks of 2, 3, 5 and 7 bytes. */
        for (size_t step = 2; step <= 7; step++) {
            assert_int_equal(parse(d, c->len, step, step), PKIOT_DONE);
            assert_int_equal(rsp.body_len, ref_len);
            assert_memory_equal(rsp.body, ref_body, ref_len);
        }
    }
}

/* A response cut at any offset: finish() reports truncation (or, for read-until-close
 * bodies once the head is complete, a shorter body). */
static void test_resp_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const resp_case_t *c = &cases[i];
        const uint8_t *d = (const uint8_t *)c->data;
        size_t head_end = (size_t)((const char *)memmem(c->data, c->len, "\r\n\r\n", 4) -
                                   c->data) + 4;
        for (size_t k = 0; k < c->len; k++) {
            size_t used;
            assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0),
                             PKIOT_OK);
            int rc = pkiot_http_resp_feed(&rsp, d, k, &used);
            if (rc == PKIOT_DONE) {
                /* only possible when the prefix is itself a complete response */
                assert_true(c->data == est_202 || c->data == interim);
                continue;
            }
            assert_int_equal(rc, PKIOT_WANT_READ);
            assert_int_equal(used, k);
            rc = pkiot_http_resp_finish(&rsp);
            if (c->until_close && k >= head_end) {
                assert_int_equal(rc, PKIOT_DONE);
                assert_int_equal(rsp.body_len, k - head_end);
            } else {
                assert_int_equal(rc, PKIOT_E_HTTP_TRUNCATED);
                /* sticky */
                assert_int_equal(pkiot_http_resp_feed(&rsp, d + k, 1, &used),
                                 PKIOT_E_HTTP_TRUNCATED);
            }
        }
    }
}

/* ---- response parser: malformed and oversize input ---------------------------------------- */

static void test_resp_status_line(void **state)
{
    static const struct {
        const char *s;
        int rc;
    } v[] = {
        {"HTTP/1.1 200 OK\r\n\r\n", PKIOT_DONE},
        {"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
        {"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
        {"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
        {"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
        {"HTTP/2 200\r\n\r\n", PKIOT_E_HTTP_BAD_VERSION},
        {"HTTP/2.0 200 OK\r\n\r\n", PKIOT_E_HTTP_BAD_VERSION},
        {"HTTP/0.9 200 OK\r\n\r\n", PKIOT_E_HTTP_BAD_VERSION},
        {"HTTP/1.1 99 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1 099 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1 600 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1 2000 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1  200 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"http/1.1 200 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"ICY 200 OK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"<html>\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1 200 O\rK\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
        {"HTTP/1.1 200 O\x01K\r\n\r\n", PKIOT_E_HTTP_BAD_STATUS_LINE},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        assert_int_equal(parse_str(v[i].s), v[i].rc);
    }
    /* NUL inside the status line */
    static const char nul[] = "HTTP/1.1 200 O\0K\r\n\r\n";
    assert_int_equal(parse(S(nul), 0, 0), PKIOT_E_HTTP_BAD_STATUS_LINE);
    /* Reason truncated, NUL-terminated. */
    char line[256];
    snprintf(line, sizeof line, "HTTP/1.1 500 %0*d\r\nContent-Length: 0\r\n\r\n",
             PKIOT_HTTP_REASON_MAX + 20, 7);
    assert_int_equal(parse_str(line), PKIOT_DONE);
    assert_int_equal(strlen(rsp.reason), PKIOT_HTTP_REASON_MAX);
}

static void test_resp_bad_headers(void **state)
{
    static const struct {
        const char *s;
        int rc;
    } v[] = {
        {"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\n\tX-A: 1\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\n: 1\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX-A: \x7f\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX-A: \x01\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"HTTP/1.1 200 OK\r\nX-A: \xc3\xa9\r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
        {"HTTP/1.1 200 OK\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n", PKIOT_DONE},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        assert_int_equal(parse_str(v[i].s), v[i].rc);
    }
}

static void test_resp_line_too_long(void **state)
{
    static char msg[PKIOT_HTTP_LINE_MAX * 2 + 256];
    (void)state;
    /* A header line of exactly PKIOT_HTTP_LINE_MAX bytes is fine... */
    int pre = snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX-Long: ");
    size_t fill = PKIOT_HTTP_LINE_MAX - strlen("X-Long: ");
    memset(msg + pre, 'a', fill);
    strcpy(msg + pre + fill, "\r\nContent-Length: 0\r\n\r\n");
    size_t len = strlen(msg);
    for (size_t s = 1; s < len; s += 11) {
        assert_int_equal(parse((const uint8_t *)msg, len, s, 0), PKIOT_DONE);
    }
    assert_int_equal(parse((const uint8_t *)msg, len, 1, 1), PKIOT_DONE);
    /* ... one more byte is not, at any split, with CRLF or LF. */
    memset(msg + pre, 'a', fill + 1);
    strcpy(msg + pre + fill + 1, "\r\nContent-Length: 0\r\n\r\n");
    len = strlen(msg);
    for (size_t s = 1; s < len; s++) {
        assert_int_equal(parse((const uint8_t *)msg, len, s, 0), PKIOT_E_HTTP_HEADER_TOO_LONG);
    }
    assert_int_equal(parse((const uint8_t *)msg, len, 1, 1), PKIOT_E_HTTP_HEADER_TOO_LONG);
    strcpy(msg + pre + fill + 1, "\nContent-Length: 0\r\n\r\n");
    assert_int_equal(parse_str(msg), PKIOT_E_HTTP_HEADER_TOO_LONG);
    /* A line with no end at all is rejected as soon as it passes the limit. */
    memset(msg, 'H', sizeof msg);
    size_t used;
    assert_int_equal(pkiot_http_resp_init(&rsp, body_buf, sizeof body_buf, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, sizeof msg, &used),
                     PKIOT_E_HTTP_HEADER_TOO_LONG);
    /* Long status line. */
    snprintf(msg, sizeof msg, "HTTP/1.1 200 %0*d\r\n\r\n", PKIOT_HTTP_LINE_MAX, 1);
    assert_int_equal(parse_str(msg), PKIOT_E_HTTP_HEADER_TOO_LONG);
}

static void test_resp_too_many_headers(void **state)
{
    static char msg[8192];
    (void)state;
    for (int extra = -1; extra <= 1; extra++) {
        size_t o = (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < PKIOT_HTTP_MAX_HEADERS - 1 + extra; i++) {
            o += (size_t)sprintf(msg + o, "X-H%d: %d\r\n", i, i);
        }
        sprintf(msg + o, "Content-Length: 0\r\n\r\n");
        assert_int_equal(parse_str(msg), extra <= 0 ? PKIOT_DONE : PKIOT_E_HTTP_TOO_MANY_HEADERS);
    }
}

static void test_resp_content_length(void **state)
{
    static const struct {
        const char *cl;
        int rc;
    } v[] = {
        {"Content-Length: 3\r\n", PKIOT_DONE},
        {"Content-Length:3\r\n", PKIOT_DONE},
        {"content-length: 003 \r\n", PKIOT_DONE},
        {"Content-Length: 3\r\nContent-Length: 3\r\n", PKIOT_DONE},
        {"Content-Length: 3\r\nContent-Length: 4\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 3, 3\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: \r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: -3\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: +3\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 0x3\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 3 3\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 3abc\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 18446744073709551615\r\n", PKIOT_E_HTTP_BODY_TOO_LARGE},
        {"Content-Length: 18446744073709551616\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 99999999999999999999999999\r\n", PKIOT_E_HTTP_BAD_LENGTH},
        {"Content-Length: 8193\r\n", PKIOT_E_HTTP_BODY_TOO_LARGE},
        {"Transfer-Encoding: gzip\r\n", PKIOT_E_HTTP_TRANSFER_ENCODING},
        {"Transfer-Encoding: gzip, chunked\r\n", PKIOT_E_HTTP_TRANSFER_ENCODING},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
         PKIOT_E_HTTP_TRANSFER_ENCODING},
        {"Transfer-Encoding: identity\r\n", PKIOT_E_HTTP_TRANSFER_ENCODING},
    };
    char msg[256];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n%s\r\nabc", v[i].cl);
        assert_int_equal(parse_str(msg), v[i].rc);
        if (v[i].rc == PKIOT_DONE) {
            assert_int_equal(rsp.body_len, 3);
        }
    }
    /* Transfer-Encoding overrides Content-Length; the connection is not reused. */
    assert_int_equal(parse_str("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                               "Transfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                     PKIOT_DONE);
    assert_int_equal(rsp.body_len, 3);
    assert_false(rsp.keep_alive);
}

static void test_resp_chunked(void **state)
{
    static const struct {
        const char *b;
        int rc;
    } v[] = {
        {"3\r\nabc\r\n0\r\n\r\n", PKIOT_DONE},
        {"3\nabc\n0\n\n", PKIOT_DONE},
        {"1\r\na\r\n2\r\nbc\r\n0\r\n\r\n", PKIOT_DONE},
        {"0003;name=\"v;x\"\r\nabc\r\n00\r\n\r\n", PKIOT_DONE},
        {"3 ;ext\r\nabc\r\n0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n", PKIOT_DONE},
        {"3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n", PKIOT_E_HTTP_BAD_HEADER},
        {"zz\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"-3\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"0x3\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"3 x\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"3\r\nabcd\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"3\r\nabc\r\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"3\r\nabc0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"3\r\nabc\r\n0\r\n", PKIOT_E_HTTP_TRUNCATED},
        {"3\r\nabc\r\n", PKIOT_E_HTTP_TRUNCATED},
        {"3\r\nab", PKIOT_E_HTTP_TRUNCATED},
        /* sizes that overflow 64 bits must not wrap around */
        {"10000000000000003\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"FFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BAD_CHUNK},
        {"FFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", PKIOT_E_HTTP_BODY_TOO_LARGE},
        {"00000000000000000000000003\r\nabc\r\n0\r\n\r\n", PKIOT_DONE},
        {"2001\r\n", PKIOT_E_HTTP_BODY_TOO_LARGE},
    };
    char msg[512];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%s",
                 v[i].b);
        size_t len = strlen(msg);
        for (size_t s = 1; s <= len; s++) {
            assert_int_equal(parse((const uint8_t *)msg, len, s, s == 1 ? 1 : 0), v[i].rc);
            if (v[i].rc == PKIOT_DONE) {
                assert_int_equal(rsp.body_len, 3);
                assert_memory_equal(rsp.body, "abc", 3);
            }
        }
    }
    /* Overlong chunk extension. */
    size_t o = (size_t)snprintf(msg, sizeof msg,
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;");
    static char big[PKIOT_HTTP_LINE_MAX + 600];
    memcpy(big, msg, o);
    memset(big + o, 'e', PKIOT_HTTP_LINE_MAX);
    strcpy(big + o + PKIOT_HTTP_LINE_MAX, "\r\nabc\r\n0\r\n\r\n");
    assert_int_equal(parse_str(big), PKIOT_E_HTTP_BAD_CHUNK);
}

static void test_resp_body_too_large(void **state)
{
    uint8_t small[16];
    size_t used;
    static char msg[256];
    (void)state;
    /* Content-Length: rejected at the end of the head, before any body byte. */
    strcpy(msg, "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n");
    assert_int_equal(pkiot_http_resp_init(&rsp, small, sizeof small, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, strlen(msg), &used),
                     PKIOT_E_HTTP_BODY_TOO_LARGE);
    /* The head stays readable after the body failed. */
    assert_true(pkiot_http_resp_headers_done(&rsp));
    assert_int_equal(rsp.status, 200);
    strcpy(msg, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\n"
                "Transfer-Encoding: chunked\r\n\r\n20\r\n");
    assert_int_equal(pkiot_http_resp_init(&rsp, small, sizeof small, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, strlen(msg), &used),
                     PKIOT_E_HTTP_BODY_TOO_LARGE);
    assert_true(pkiot_http_resp_headers_done(&rsp));
    assert_int_equal(rsp.status, 401);
    expect_field(PKIOT_HTTP_F_AUTH_REALM, "r");
    strcpy(msg, "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    assert_int_equal(pkiot_http_resp_init(&rsp, small, sizeof small, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, strlen(msg), &used),
                     PKIOT_DONE);
    /* Chunked: the total counts. */
    strcpy(msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "8\r\n01234567\r\n8\r\n89abcdef\r\n1\r\nX\r\n0\r\n\r\n");
    assert_int_equal(pkiot_http_resp_init(&rsp, small, sizeof small, 0), PKIOT_OK);
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, strlen(msg), &used),
                     PKIOT_E_HTTP_BODY_TOO_LARGE);
    assert_memory_equal(small, "0123456789abcdef", 16);
    /* Until close: byte by byte, never past the buffer. */
    uint8_t guard[32];
    memset(guard, 0x5A, sizeof guard);
    strcpy(msg, "HTTP/1.1 200 OK\r\n\r\n0123456789abcdefXYZ");
    assert_int_equal(pkiot_http_resp_init(&rsp, guard, 16, 0), PKIOT_OK);
    int rc = feed_split(&rsp, (const uint8_t *)msg, strlen(msg), 1, 1, &used);
    assert_int_equal(rc, PKIOT_E_HTTP_BODY_TOO_LARGE);
    assert_int_equal(guard[16], 0x5A);
    assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_E_HTTP_BODY_TOO_LARGE);
    /* No buffer at all. */
    assert_int_equal(pkiot_http_resp_init(&rsp, NULL, 0, 0), PKIOT_OK);
    strcpy(msg, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    assert_int_equal(pkiot_http_resp_feed(&rsp, (const uint8_t *)msg, strlen(msg), &used),
                     PKIOT_E_HTTP_BODY_TOO_LARGE);
    assert_int_equal(pkiot_http_resp_init(&rsp, NULL, 1, 0), PKIOT_E_INVALID_ARG);
}

typedef struct sink {
    uint8_t data[64];
    size_t len;
    int fail_after;
} sink_t;

static int sink_cb(void *arg, const uint8_t *d, size_t n)
{
    sink_t *s = arg;
    if (s->fail_after >= 0 && s->len + n > (size_t)s->fail_after) {
        return PKIOT_E_STORAGE_IO;
    }
    memcpy(s->data + s->len, d, n);
    s->len += n;
    return PKIOT_OK;
}

static void test_resp_body_cb(void **state)
{
    static const char msg[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    sink_t s;
    size_t used;
    (void)state;
    for (size_t split = 1; split < sizeof msg - 1; split++) {
        memset(&s, 0, sizeof s);
        s.fail_after = -1;
        assert_int_equal(pkiot_http_resp_init(&rsp, NULL, 0, 0), PKIOT_OK);
        pkiot_http_resp_set_body_cb(&rsp, sink_cb, &s);
        assert_int_equal(feed_split(&rsp, S(msg), split, 1, &used), PKIOT_DONE);
        assert_int_equal(s.len, 11);
        assert_int_equal(rsp.body_len, 11);
        assert_memory_equal(s.data, "hello world", 11);
    }
    memset(&s, 0, sizeof s);
    s.fail_after = 3;
    assert_int_equal(pkiot_http_resp_init(&rsp, NULL, 0, 0), PKIOT_OK);
    pkiot_http_resp_set_body_cb(&rsp, sink_cb, &s);
    assert_int_equal(pkiot_http_resp_feed(&rsp, S(msg), &used), PKIOT_E_STORAGE_IO);
    assert_int_equal(pkiot_http_resp_finish(&rsp), PKIOT_E_STORAGE_IO);
}

static void test_resp_store(void **state)
{
    static char msg[4096];
    char loc[PKIOT_HTTP_LINE_MAX];
    pkiot_slice_t v;
    (void)state;
    /* Fill the store with one long Location; the nonce then does not fit. */
    size_t ll = PKIOT_HTTP_STORE_SIZE - 10;
    if (ll > PKIOT_HTTP_LINE_MAX - 20) {
        ll = PKIOT_HTTP_LINE_MAX - 20;
    }
    memset(loc, 'l', ll);
    loc[ll] = '\0';
    size_t o = (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\nLocation: %s\r\n", loc);
    while (o < PKIOT_HTTP_STORE_SIZE + 600 && o < sizeof msg - 600) {
        o += (size_t)sprintf(msg + o, "Location: second\r\nContent-Type: %s\r\n", loc);
    }
    sprintf(msg + o, "Replay-Nonce: %s\r\nLink: <%s>;rel=up\r\nContent-Length: 0\r\n\r\n",
            loc, loc);
    assert_int_equal(parse_str(msg), PKIOT_DONE);
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_LOCATION, &v), PKIOT_OK);
    assert_int_equal(v.len, ll);
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_REPLAY_NONCE, &v),
                     PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(pkiot_http_resp_link(&rsp, "up", 0, &v), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_COUNT, &v), PKIOT_E_INVALID_ARG);

    /* More links than slots. */
    o = (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < PKIOT_HTTP_LINKS_MAX + 2; i++) {
        o += (size_t)sprintf(msg + o, "Link: <u%d>;rel=\"alternate\"\r\n", i);
    }
    sprintf(msg + o, "Content-Length: 0\r\n\r\n");
    assert_int_equal(parse_str(msg), PKIOT_DONE);
    expect_link("alternate", PKIOT_HTTP_LINKS_MAX - 1, PKIOT_HTTP_LINKS_MAX == 6 ? "u5" : NULL);
    assert_int_equal(pkiot_http_resp_link(&rsp, "alternate", PKIOT_HTTP_LINKS_MAX, &v),
                     PKIOT_E_BUFFER_TOO_SMALL);
}

static void test_resp_links_auth(void **state)
{
    (void)state;
    assert_int_equal(
        parse_str("HTTP/1.1 200 OK\r\n"
                  "Link: <https://a/x,y>; title=\"t, \\\"q\\\"\"; rel=\"up index\", "
                  "<https://a/2>;rel=next;rel=up\r\n"
                  "Link: garbage, <https://a/never>;rel=up\r\n"
                  "Link: <https://a/3>;rel=\"up\r\n"
                  "Link: <https://a/4>\r\n"
                  "WWW-Authenticate: Digest qop=\"auth\", nonce=\"n,1\", REALM=\"est, realm\", "
                  "algorithm=MD5\r\n"
                  "WWW-Authenticate: Basic realm=\"second\"\r\n"
                  "Content-Length: 0\r\n\r\n"),
        PKIOT_DONE);
    expect_link("up", 0, "https://a/x,y");
    expect_link("index", 0, "https://a/x,y");
    expect_link("next", 0, "https://a/2");
    expect_link("up", 1, NULL); /* only the first rel counts */
    expect_field(PKIOT_HTTP_F_AUTH_SCHEME, "Digest");
    expect_field(PKIOT_HTTP_F_AUTH_REALM, "est, realm");

    assert_int_equal(parse_str("HTTP/1.1 401 Unauthorized\r\n"
                               "WWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n"),
                     PKIOT_DONE);
    expect_field(PKIOT_HTTP_F_AUTH_SCHEME, "Bearer");
    expect_field(PKIOT_HTTP_F_AUTH_REALM, NULL);
    assert_int_equal(parse_str("HTTP/1.1 401 Unauthorized\r\n"
                               "WWW-Authenticate: Negotiate abc/def==, Basic realm=x\r\n"
                               "Content-Length: 0\r\n\r\n"),
                     PKIOT_DONE);
    expect_field(PKIOT_HTTP_F_AUTH_SCHEME, "Negotiate");
    expect_field(PKIOT_HTTP_F_AUTH_REALM, NULL);
    assert_int_equal(parse_str("HTTP/1.1 401 Unauthorized\r\n"
                               "WWW-Authenticate: Basic charset=\"UTF-8\", realm=est\r\n"
                               "Content-Length: 0\r\n\r\n"),
                     PKIOT_DONE);
    expect_field(PKIOT_HTTP_F_AUTH_REALM, "est");
}

/* ---- header value helpers ----------------------------------------------------------------- */

static pkiot_slice_t sl(const char *s)
{
    pkiot_slice_t v = {(const uint8_t *)s, strlen(s)};
    return v;
}

static void test_media_type(void **state)
{
    char out[80];
    size_t n;
    (void)state;
    assert_true(pkiot_http_media_type_is(sl("application/json"), "application/json"));
    assert_true(pkiot_http_media_type_is(sl(" Application/JSON ; charset=utf-8"),
                                         "application/json"));
    assert_true(pkiot_http_media_type_is(sl("application/problem+json"),
                                         "application/problem+json"));
    assert_false(pkiot_http_media_type_is(sl("application/json"), "application/jso"));
    assert_false(pkiot_http_media_type_is(sl("application/jsonx"), "application/json"));
    assert_false(pkiot_http_media_type_is(sl(""), "application/json"));

    pkiot_slice_t ct = sl("multipart/mixed; charset=UTF-8 ;BOUNDARY=\"est \\\"b\\\"; x\"");
    assert_int_equal(pkiot_http_media_param(ct, "boundary", out, sizeof out, &n), PKIOT_OK);
    assert_string_equal(out, "est \"b\"; x");
    assert_int_equal(n, 10);
    assert_int_equal(pkiot_http_media_param(ct, "charset", out, sizeof out, &n), PKIOT_OK);
    assert_string_equal(out, "UTF-8");
    assert_int_equal(pkiot_http_media_param(ct, "char", out, sizeof out, &n),
                     PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_http_media_param(ct, "boundary", out, 10, &n),
                     PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, 10);
    assert_int_equal(pkiot_http_media_param(ct, "boundary", out, 11, &n), PKIOT_OK);
    assert_int_equal(pkiot_http_media_param(sl("multipart/mixed;boundary=abc"), "boundary", out,
                                            sizeof out, &n),
                     PKIOT_OK);
    assert_string_equal(out, "abc");
    assert_int_equal(pkiot_http_media_param(sl("text/plain"), "charset", out, sizeof out, &n),
                     PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_http_media_param(sl("text/plain;;charset=x;"), "charset", out,
                                            sizeof out, &n),
                     PKIOT_OK);
    static const char *bad[] = {
        "text/plain; charset", "text/plain; charset=", "text/plain; charset=\"x",
        "text/plain; charset=x y", "text/plain; =x", "text/plain; a=\"b\"c",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(pkiot_http_media_param(sl(bad[i]), "charset", out, sizeof out, &n),
                         PKIOT_E_HTTP_BAD_HEADER);
    }
}

static void test_retry_after(void **state)
{
    uint32_t s;
    (void)state;
    assert_int_equal(pkiot_http_retry_after_delta(sl("0"), &s), PKIOT_OK);
    assert_int_equal(s, 0);
    assert_int_equal(pkiot_http_retry_after_delta(sl(" 3600 "), &s), PKIOT_OK);
    assert_int_equal(s, 3600);
    assert_int_equal(pkiot_http_retry_after_delta(sl("4294967295"), &s), PKIOT_OK);
    assert_int_equal(s, UINT32_MAX);
    assert_int_equal(pkiot_http_retry_after_delta(sl("99999999999999999999"), &s), PKIOT_OK);
    assert_int_equal(s, UINT32_MAX);
    assert_int_equal(pkiot_http_retry_after_delta(sl("Fri, 31 Dec 1999 23:59:59 GMT"), &s),
                     PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_http_retry_after_delta(sl("-1"), &s), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_http_retry_after_delta(sl("1.5"), &s), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_http_retry_after_delta(sl(""), &s), PKIOT_E_NOT_FOUND);
}

/* ---- multipart ---------------------------------------------------------------------------- */

static const char skg_body[] =
    "This is the preamble.\r\n"
    "--est-server-boundary\r\n"
    "Content-Type: application/pkcs8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49\r\n"
    "--est-server-boundary\r\n"
    "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "MIIBmQYJKoZIhvc=\r\n"
    "--est-server-boundary--\r\n"
    "epilogue\r\n";

static int mp_all(const uint8_t *d, size_t len, const char *b, pkiot_multipart_part_t *parts,
                  size_t max, size_t *count)
{
    pkiot_multipart_t mp;
    int rc = pkiot_multipart_init(&mp, d, len, b, strlen(b));
    *count = 0;
    if (rc != PKIOT_OK) {
        return rc;
    }
    for (;;) {
        pkiot_multipart_part_t p;
        rc = pkiot_multipart_next(&mp, &p);
        if (rc == PKIOT_DONE) {
            return PKIOT_OK;
        }
        if (rc != PKIOT_OK) {
            assert_int_equal(pkiot_multipart_next(&mp, &p), rc); /* sticky */
            return rc;
        }
        for (const uint8_t *q = p.content.p; q < p.content.p + p.content.len; q++) {
            assert_true(q >= d && q < d + len);
        }
        if (*count < max) {
            parts[*count] = p;
        }
        (*count)++;
    }
}

static void expect_slice(pkiot_slice_t s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    if (s.len) {
        assert_memory_equal(s.p, want, s.len);
    }
}

static void test_multipart_skg(void **state)
{
    pkiot_multipart_part_t parts[4];
    size_t n;
    pkiot_slice_t ct;
    char b[PKIOT_HTTP_BOUNDARY_MAX + 1];
    size_t bl;
    (void)state;
    /* From the HTTP response to the parts. */
    assert_int_equal(parse(S(est_skg), 0, 0), PKIOT_DONE);
    assert_true(pkiot_http_resp_content_type_is(&rsp, "multipart/mixed"));
    assert_int_equal(pkiot_http_resp_field(&rsp, PKIOT_HTTP_F_CONTENT_TYPE, &ct), PKIOT_OK);
    assert_int_equal(pkiot_http_media_param(ct, "boundary", b, sizeof b, &bl), PKIOT_OK);
    assert_int_equal(mp_all(rsp.body, rsp.body_len, b, parts, 4, &n), PKIOT_OK);
    assert_int_equal(n, 2);
    expect_slice(parts[0].content_type, "application/pkcs8");
    expect_slice(parts[0].cte, "base64");
    expect_slice(parts[0].content, "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49");
    expect_slice(parts[1].content_type, "application/pkcs7-mime; smime-type=certs-only");
    expect_slice(parts[1].content, "MIIBmQYJKoZIhvc=");
    assert_true(pkiot_http_media_type_is(parts[1].content_type, "application/pkcs7-mime"));

    assert_int_equal(mp_all(S(skg_body), "est-server-boundary", parts, 4, &n), PKIOT_OK);
    assert_int_equal(n, 2);
    expect_slice(parts[0].headers, "Content-Type: application/pkcs8\r\n"
                                   "Content-Transfer-Encoding: base64\r\n");
}

static void test_multipart_variants(void **state)
{
    pkiot_multipart_part_t parts[4];
    size_t n;
    (void)state;
    /* No preamble, no epilogue, LF-only, no part headers, padding after the boundary. */
    assert_int_equal(mp_all(S("--b  \n\nfirst\nline\n--b\ncontent-type: text/plain\n\n"
                              "second\n--b--"),
                            "b", parts, 4, &n),
                     PKIOT_OK);
    assert_int_equal(n, 2);
    expect_slice(parts[0].content, "first\nline");
    expect_slice(parts[0].content_type, "");
    expect_slice(parts[1].content, "second");
    expect_slice(parts[1].content_type, "text/plain");
    /* Content containing look-alikes of the boundary. */
    assert_int_equal(mp_all(S("\r\n--b\r\n\r\nx--b\r\n--bb\r\n--b-\r\n\r\n--b--\r\n"), "b", parts,
                            4, &n),
                     PKIOT_OK);
    assert_int_equal(n, 1);
    expect_slice(parts[0].content, "x--b\r\n--bb\r\n--b-\r\n");
    /* Empty content. */
    assert_int_equal(mp_all(S("--b\r\nContent-Type: a/b\r\n\r\n--b--"), "b", parts, 4, &n),
                     PKIOT_OK);
    assert_int_equal(n, 1);
    expect_slice(parts[0].content, "");
    assert_int_equal(mp_all(S("--b\r\n\r\n\r\n--b--"), "b", parts, 4, &n), PKIOT_OK);
    expect_slice(parts[0].content, "");
    /* Boundary with permitted specials. */
    assert_int_equal(mp_all(S("--a'()+_,-./:=? z\r\n\r\nq\r\n--a'()+_,-./:=? z--"),
                            "a'()+_,-./:=? z", parts, 4, &n),
                     PKIOT_OK);
    expect_slice(parts[0].content, "q");
}

static void test_multipart_malformed(void **state)
{
    pkiot_multipart_part_t parts[4];
    pkiot_multipart_t mp;
    size_t n;
    static const char *bad[] = {
        "",
        "no delimiter at all",
        "--b--\r\n",                          /* no body part */
        "--b\r\n\r\ncontent\r\n",             /* no close delimiter */
        "--b\r\n\r\ncontent\r\n--b",          /* cut inside the delimiter line */
        "--b\r\nContent-Type a/b\r\n\r\nx\r\n--b--", /* header without colon */
        "--b\r\nContent-Type: a/b\r\n  folded\r\n\r\nx\r\n--b--",
        "--b\r\n: x\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Type: a/b\r\n",       /* headers never end */
        "--b\r\nX: \x01\r\n\r\nx\r\n--b--",
        "x--b\r\n\r\nx\r\n--b--",               /* delimiter not at a line start */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(mp_all((const uint8_t *)bad[i], strlen(bad[i]), "b", parts, 4, &n),
                         PKIOT_E_HTTP_MULTIPART);
    }
    assert_int_equal(pkiot_multipart_init(&mp, S("x"), "", 0), PKIOT_E_HTTP_MULTIPART);
    assert_int_equal(pkiot_multipart_init(&mp, S("x"), "a b ", 4), PKIOT_E_HTTP_MULTIPART);
    assert_int_equal(pkiot_multipart_init(&mp, S("x"), "a;b", 3), PKIOT_E_HTTP_MULTIPART);
    char longb[80];
    memset(longb, 'x', sizeof longb);
    assert_int_equal(pkiot_multipart_init(&mp, S("x"), longb, 71), PKIOT_E_HTTP_MULTIPART);
    assert_int_equal(pkiot_multipart_init(&mp, S("x"), longb, 70), PKIOT_OK);
    pkiot_multipart_part_t p;
    assert_int_equal(pkiot_multipart_next(&mp, &p), PKIOT_E_HTTP_MULTIPART);
    assert_int_equal(pkiot_multipart_init(NULL, S("x"), "b", 1), PKIOT_E_INVALID_ARG);

    /* Every truncation of a valid body fails until the close delimiter is complete. */
    const char *close = strstr(skg_body, "--est-server-boundary--");
    size_t complete = (size_t)(close - skg_body) + strlen("--est-server-boundary--");
    for (size_t k = 0; k < sizeof skg_body - 1; k++) {
        int rc = mp_all((const uint8_t *)skg_body, k, "est-server-boundary", parts, 4, &n);
        assert_int_equal(rc, k >= complete ? PKIOT_OK : PKIOT_E_HTTP_MULTIPART);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_get),
        cmocka_unit_test(test_write_post_basic),
        cmocka_unit_test(test_write_basic_long),
        cmocka_unit_test(test_write_invalid),
        cmocka_unit_test(test_resp_cases),
        cmocka_unit_test(test_resp_est),
        cmocka_unit_test(test_resp_acme),
        cmocka_unit_test(test_resp_cmp),
        cmocka_unit_test(test_resp_interim),
        cmocka_unit_test(test_resp_no_body),
        cmocka_unit_test(test_resp_pipelined),
        cmocka_unit_test(test_resp_read_to_close),
        cmocka_unit_test(test_resp_libest_serverkeygen),
        cmocka_unit_test(test_resp_every_split),
        cmocka_unit_test(test_resp_truncation),
        cmocka_unit_test(test_resp_status_line),
        cmocka_unit_test(test_resp_bad_headers),
        cmocka_unit_test(test_resp_line_too_long),
        cmocka_unit_test(test_resp_too_many_headers),
        cmocka_unit_test(test_resp_content_length),
        cmocka_unit_test(test_resp_chunked),
        cmocka_unit_test(test_resp_body_too_large),
        cmocka_unit_test(test_resp_body_cb),
        cmocka_unit_test(test_resp_store),
        cmocka_unit_test(test_resp_links_auth),
        cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_multipart_skg),
        cmocka_unit_test(test_multipart_variants),
        cmocka_unit_test(test_multipart_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
