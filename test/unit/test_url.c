/* Unit tests for the URL parser (lib/codec/url.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pkiot/url.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *s, pkiot_url_t *u)
{
    return pkiot_url_parse(s, strlen(s), u);
}

static void test_valid(void **state)
{
    static const struct {
        const char *url;
        int tls;
        uint16_t port;
        int ipv6;
        const char *host;
        const char *target;
    } v[] = {
        {"https://est.example.com/.well-known/est", 1, 443, 0, "est.example.com",
         "/.well-known/est"},
        {"HTTPS://EST.example.com:8443/.well-known/est/arbitraryLabel1", 1, 8443, 0,
         "EST.example.com", "/.well-known/est/arbitraryLabel1"},
        {"http://127.0.0.1:8080/pkix/", 0, 8080, 0, "127.0.0.1", "/pkix/"},
        {"http://ca.local", 0, 80, 0, "ca.local", "/"},
        {"http://ca.local:80", 0, 80, 0, "ca.local", "/"},
        {"https://[::1]:14000/dir", 1, 14000, 1, "::1", "/dir"},
        {"https://[2001:db8::192.0.2.1]/x", 1, 443, 1, "2001:db8::192.0.2.1", "/x"},
        {"http://scep.example/cgi-bin/pkiclient.exe?operation=GetCACert&message=ca", 0, 80, 0,
         "scep.example", "/cgi-bin/pkiclient.exe?operation=GetCACert&message=ca"},
        {"http://h?q=1", 0, 80, 0, "h", "/?q=1"},
        {"http://h/p?", 0, 80, 0, "h", "/p?"},
        {"https://h/p%20q#frag", 1, 443, 0, "h", "/p%20q"},
        {"https://h#frag", 1, 443, 0, "h", "/"},
        {"https://h:65535/", 1, 65535, 0, "h", "/"},
        {"https://a_b~c-d.e/acme/authz/1/2", 1, 443, 0, "a_b~c-d.e", "/acme/authz/1/2"},
    };
    pkiot_url_t u;
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        assert_int_equal(parse(v[i].url, &u), PKIOT_OK);
        assert_int_equal(u.tls, v[i].tls);
        assert_int_equal(u.port, v[i].port);
        assert_int_equal(u.ipv6, v[i].ipv6);
        assert_string_equal(u.host, v[i].host);
        assert_string_equal(u.target, v[i].target);
    }
    pkiot_url_parts_t p;
    static const char s[] = "https://[fe80::1]:8443/a/b?c=d#e";
    assert_int_equal(pkiot_url_split(s, strlen(s), &p), PKIOT_OK);
    assert_true(p.port_explicit);
    assert_int_equal(p.host.len, 7);
    assert_memory_equal(p.host.p, "fe80::1", 7);
    assert_int_equal(p.path.len, 4);
    assert_int_equal(p.query.len, 3);
    assert_memory_equal(p.query.p, "c=d", 3);
    assert_int_equal(pkiot_url_split("http://h", 8, &p), PKIOT_OK);
    assert_false(p.port_explicit);
    assert_null(p.query.p);
    assert_int_equal(p.path.len, 0);
}

static void test_invalid(void **state)
{
    static const char *bad[] = {
        "",
        "https:",
        "https://",
        "ftp://h/",
        "https:/h/",
        "//h/",
        "h/path",
        "https://user:pw@h/",
        "https://user@h/",
        "https://h:/",
        "https://h:0/",
        "https://h:65536/",
        "https://h:99999/",
        "https://h:123456/",
        "https://h:8a/",
        "https://h:-1/",
        "https://h: 80/",
        "https://[::1/",
        "https://[]/",
        "https://[::1]x/",
        "https://[::1]:/",
        "https://[fe80::1%25eth0]/",
        "https://[g::1]/",
        "https://[1.2.3.4]/",
        "https://h h/",
        "https://h/a b",
        "https://h/a\tb",
        "https://h/a\x7f",
        "https://h/a\xc3\xa9",
        "https://h/%zz",
        "https://h/%4",
        "https://h%41/",
        "https://h/?a b",
        "https://h/#a#b",
        "https://:443/",
    };
    pkiot_url_t u;
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int rc = parse(bad[i], &u);
        if (rc != PKIOT_E_HTTP_URL) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
        }
        assert_int_equal(rc, PKIOT_E_HTTP_URL);
        assert_string_equal(u.host, "");
        assert_string_equal(u.target, "");
    }
    /* Embedded NUL: length counts, so it is seen and rejected. */
    assert_int_equal(pkiot_url_parse("https://h/a\0b", 13, &u), PKIOT_E_HTTP_URL);
    assert_int_equal(pkiot_url_parse(NULL, 0, &u), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_url_parse("http://h", 8, NULL), PKIOT_E_INVALID_ARG);
}

static void test_sizes(void **state)
{
    static char url[PKIOT_URL_HOST_MAX + PKIOT_URL_PATH_MAX + 64];
    pkiot_url_t u;
    size_t o;
    (void)state;
    /* Host of exactly the maximum fits, one more does not. */
    for (int extra = 0; extra <= 1; extra++) {
        o = (size_t)sprintf(url, "https://");
        memset(url + o, 'h', PKIOT_URL_HOST_MAX + (size_t)extra);
        o += PKIOT_URL_HOST_MAX + (size_t)extra;
        strcpy(url + o, "/p");
        assert_int_equal(parse(url, &u), extra ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK);
        if (!extra) {
            assert_int_equal(strlen(u.host), PKIOT_URL_HOST_MAX);
        }
    }
    /* Target (path + '?' + query) of exactly the maximum fits. */
    for (int extra = 0; extra <= 1; extra++) {
        o = (size_t)sprintf(url, "http://h/");
        size_t fill = PKIOT_URL_PATH_MAX - 1 - 2 + (size_t)extra;
        memset(url + o, 'p', fill);
        o += fill;
        strcpy(url + o, "?q");
        assert_int_equal(parse(url, &u), extra ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK);
        if (!extra) {
            assert_int_equal(strlen(u.target), PKIOT_URL_PATH_MAX);
        }
    }
    /* Every prefix of a URL either parses or fails cleanly. */
    static const char full[] = "https://[2001:db8::1]:8443/.well-known/est?x=1#f";
    for (size_t k = 0; k <= sizeof full - 1; k++) {
        int rc = pkiot_url_parse(full, k, &u);
        assert_true(rc == PKIOT_OK || rc == PKIOT_E_HTTP_URL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
