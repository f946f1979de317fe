/* Unit tests for the JSON reader and escaper (lib/codec/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkiot/json.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* pebble-style ACME documents */
static const char directory[] =
    "{\n"
    "   \"keyChange\": \"https://localhost:14000/rollover-account-key\",\n"
    "   \"meta\": {\n"
    "      \"externalAccountRequired\": false,\n"
    "      \"termsOfService\": \"data:text/plain,Do%20what%20thou%20wilt\"\n"
    "   },\n"
    "   \"newAccount\": \"https://localhost:14000/sign-me-up\",\n"
    "   \"newNonce\": \"https://localhost:14000/nonce-plz\",\n"
    "   \"newOrder\": \"https://localhost:14000/order-plz\",\n"
    "   \"renewalInfo\": \"https://localhost:14000/draft-ietf-acme-ari-03/renewalInfo\",\n"
    "   \"revokeCert\": \"https://localhost:14000/revoke-cert\"\n"
    "}";

static const char authz[] =
    "{\r\n"
    "  \"status\": \"pending\",\r\n"
    "  \"identifier\": {\"type\": \"dns\", \"value\": \"device-01.example.com\"},\r\n"
    "  \"challenges\": [\r\n"
    "    {\"type\": \"http-01\", \"url\": \"https://localhost:14000/chalZ/abc\",\r\n"
    "     \"token\": \"tok\\/en_-1\", \"status\": \"pending\"},\r\n"
    "    {\"type\": \"dns-01\", \"url\": \"https://localhost:14000/chalZ/def\",\r\n"
    "     \"token\": \"t2\", \"status\": \"pending\"},\r\n"
    "    {\"type\": \"tls-alpn-01\", \"url\": \"https://localhost:14000/chalZ/ghi\",\r\n"
    "     \"token\": \"t3\", \"status\": \"pending\", \"validated\": null}\r\n"
    "  ],\r\n"
    "  \"expires\": \"2025-03-05T10:00:00Z\",\r\n"
    "  \"wildcard\": false,\r\n"
    "  \"retry\": -12,\r\n"
    "  \"a/b\": 1, \"m~n\": 2, \"\": 3, \"\\u00e9t\\u00E9\": 4\r\n"
    "}\r\n";

static const char problem[] =
    "{\"type\":\"urn:ietf:params:acme:error:badNonce\","
    "\"detail\":\"JWS has an invalid anti-replay nonce: \\\"zYx\\\"\\n\\tline2 \\u2603 "
    "\\ud83d\\ude00\",\"status\":400,\"subproblems\":[]}";

static pkiot_json_t parse_ok(const char *s)
{
    pkiot_json_t root;
    assert_int_equal(pkiot_json_parse((const uint8_t *)s, strlen(s), &root), PKIOT_OK);
    return root;
}

static int parse_rc(const char *s, size_t len)
{
    pkiot_json_t root;
    return pkiot_json_parse((const uint8_t *)s, len, &root);
}

static void expect_str(const pkiot_json_t *v, const char *want)
{
    char buf[256];
    size_t n;
    assert_int_equal(pkiot_json_string(v, buf, sizeof buf, &n), PKIOT_OK);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    assert_true(pkiot_json_string_eq(v, want));
}

static void test_directory(void **state)
{
    pkiot_json_t root, v, meta;
    int b;
    (void)state;
    root = parse_ok(directory);
    assert_int_equal(root.type, PKIOT_JSON_OBJECT);
    assert_int_equal(pkiot_json_get(&root, "newNonce", &v), PKIOT_OK);
    expect_str(&v, "https://localhost:14000/nonce-plz");
    assert_int_equal(pkiot_json_get(&root, "newOrder", &v), PKIOT_OK);
    expect_str(&v, "https://localhost:14000/order-plz");
    assert_int_equal(pkiot_json_get(&root, "neworder", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_get(&root, "newOrde", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_get(&root, "meta", &meta), PKIOT_OK);
    assert_int_equal(meta.type, PKIOT_JSON_OBJECT);
    assert_int_equal(pkiot_json_get(&meta, "externalAccountRequired", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_bool(&v, &b), PKIOT_OK);
    assert_int_equal(b, 0);
    assert_int_equal(pkiot_json_find(&root, "/meta/termsOfService", &v), PKIOT_OK);
    expect_str(&v, "data:text/plain,Do%20what%20thou%20wilt");
    /* "newNonce" inside meta is not found at top level through meta */
    assert_int_equal(pkiot_json_get(&meta, "newNonce", &v), PKIOT_E_NOT_FOUND);
    /* in-place navigation (out aliases the input) */
    v = root;
    assert_int_equal(pkiot_json_get(&v, "meta", &v), PKIOT_OK);
    assert_int_equal(v.type, PKIOT_JSON_OBJECT);
    size_t n;
    assert_int_equal(pkiot_json_count(&root, &n), PKIOT_OK);
    assert_int_equal(n, 7);
}

static void test_authz(void **state)
{
    pkiot_json_t root, ch, v, k, e;
    pkiot_json_iter_t it;
    int64_t i64;
    size_t n;
    int rc;
    (void)state;
    root = parse_ok(authz);
    assert_int_equal(pkiot_json_find(&root, "/challenges/0/url", &v), PKIOT_OK);
    expect_str(&v, "https://localhost:14000/chalZ/abc");
    assert_int_equal(pkiot_json_find(&root, "/challenges/0/token", &v), PKIOT_OK);
    expect_str(&v, "tok/en_-1");
    assert_int_equal(pkiot_json_find(&root, "/challenges/2/validated", &v), PKIOT_OK);
    assert_true(pkiot_json_is_null(&v));
    assert_int_equal(pkiot_json_find(&root, "/challenges/3/url", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_find(&root, "/challenges/01", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_find(&root, "/challenges/x", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_find(&root, "/challenges/", &v), PKIOT_E_NOT_FOUND);
    assert_int_equal(pkiot_json_find(&root, "/status/x", &v), PKIOT_E_JSON_TYPE);
    assert_int_equal(pkiot_json_find(&root, "/identifier/value", &v), PKIOT_OK);
    expect_str(&v, "device-01.example.com");
    assert_int_equal(pkiot_json_find(&root, "/a~1b", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &i64), PKIOT_OK);
    assert_int_equal(i64, 1);
    assert_int_equal(pkiot_json_find(&root, "/m~0n", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &i64), PKIOT_OK);
    assert_int_equal(i64, 2);
    assert_int_equal(pkiot_json_find(&root, "/", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &i64), PKIOT_OK);
    assert_int_equal(i64, 3);
    assert_int_equal(pkiot_json_find(&root, "/\xc3\xa9t\xc3\xa9", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_find(&root, "", &v), PKIOT_OK);
    assert_int_equal(v.p, root.p);
    assert_int_equal(pkiot_json_find(&root, "challenges", &v), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_json_find(&root, "/m~2n", &v), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_json_find(&root, "/m~", &v), PKIOT_E_INVALID_ARG);
    assert_int_equal(pkiot_json_get(&root, "retry", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &i64), PKIOT_OK);
    assert_int_equal(i64, -12);

    /* Iterate over challenges and pick http-01. */
    assert_int_equal(pkiot_json_get(&root, "challenges", &ch), PKIOT_OK);
    assert_int_equal(ch.type, PKIOT_JSON_ARRAY);
    assert_int_equal(pkiot_json_count(&ch, &n), PKIOT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pkiot_json_iter_init(&it, &ch), PKIOT_OK);
    n = 0;
    while ((rc = pkiot_json_iter_next(&it, &k, &e)) == PKIOT_OK) {
        assert_int_equal(k.type, PKIOT_JSON_INVALID);
        assert_int_equal(e.type, PKIOT_JSON_OBJECT);
        assert_int_equal(pkiot_json_get(&e, "type", &v), PKIOT_OK);
        if (n == 1) {
            assert_true(pkiot_json_string_eq(&v, "dns-01"));
        }
        n++;
    }
    assert_int_equal(rc, PKIOT_DONE);
    assert_int_equal(pkiot_json_iter_next(&it, &k, &e), PKIOT_DONE);
    assert_int_equal(n, 3);

    /* Object members in order. */
    static const char *keys[] = {"status", "identifier", "challenges", "expires", "wildcard",
                                 "retry", "a/b", "m~n", "", "\xc3\xa9t\xc3\xa9"};
    assert_int_equal(pkiot_json_iter_init(&it, &root), PKIOT_OK);
    n = 0;
    while ((rc = pkiot_json_iter_next(&it, &k, &e)) == PKIOT_OK) {
        assert_true(n < ARRAY_LEN(keys));
        assert_int_equal(k.type, PKIOT_JSON_STRING);
        assert_true(pkiot_json_string_eq(&k, keys[n]));
        n++;
    }
    assert_int_equal(rc, PKIOT_DONE);
    assert_int_equal(n, ARRAY_LEN(keys));

    /* Type errors. */
    assert_int_equal(pkiot_json_get(&root, "status", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &i64), PKIOT_E_JSON_TYPE);
    assert_int_equal(pkiot_json_get(&v, "x", &e), PKIOT_E_JSON_TYPE);
    assert_int_equal(pkiot_json_at(&v, 0, &e), PKIOT_E_JSON_TYPE);
    assert_int_equal(pkiot_json_iter_init(&it, &v), PKIOT_E_JSON_TYPE);
    int b;
    assert_int_equal(pkiot_json_bool(&v, &b), PKIOT_E_JSON_TYPE);
    assert_false(pkiot_json_is_null(&v));
    assert_int_equal(pkiot_json_string(&ch, (char *)&b, sizeof b, &n), PKIOT_E_JSON_TYPE);
    assert_int_equal(pkiot_json_at(&ch, 2, &e), PKIOT_OK);
    assert_int_equal(pkiot_json_at(&ch, 3, &e), PKIOT_E_NOT_FOUND);
}

static void test_problem_escapes(void **state)
{
    pkiot_json_t root, v;
    char buf[128];
    size_t n;
    int64_t st;
    static const char want[] = "JWS has an invalid anti-replay nonce: \"zYx\"\n\tline2 "
                               "\xe2\x98\x83 \xf0\x9f\x98\x80";
    (void)state;
    root = parse_ok(problem);
    assert_int_equal(pkiot_json_get(&root, "detail", &v), PKIOT_OK);
    expect_str(&v, want);
    /* too small: exact size reported, room for the NUL required */
    assert_int_equal(pkiot_json_string(&v, buf, sizeof want - 1, &n), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, sizeof want - 1);
    assert_int_equal(pkiot_json_string(&v, buf, sizeof want, &n), PKIOT_OK);
    assert_int_equal(pkiot_json_string(&v, NULL, 0, &n), PKIOT_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, sizeof want - 1);
    assert_int_equal(pkiot_json_get(&root, "status", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_int(&v, &st), PKIOT_OK);
    assert_int_equal(st, 400);
    assert_int_equal(pkiot_json_get(&root, "subproblems", &v), PKIOT_OK);
    assert_int_equal(pkiot_json_count(&v, &n), PKIOT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pkiot_json_at(&v, 0, &v), PKIOT_E_NOT_FOUND);

    /* Escapes one by one. */
    static const struct {
        const char *json;
        const char *want;
        size_t wlen;
    } esc[] = {
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
        {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
        {"\"\\u0000x\"", "\0x", 2},
        {"\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4},
        {"\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4},
        {"\"\\u07ff\\u0800\\uffff\"", "\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 8},
        {"\"\xf0\x9f\x98\x80 raw\"", "\xf0\x9f\x98\x80 raw", 8},
        {"\"\"", "", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(esc); i++) {
        root = parse_ok(esc[i].json);
        assert_int_equal(root.type, PKIOT_JSON_STRING);
        assert_int_equal(pkiot_json_string(&root, buf, sizeof buf, &n), PKIOT_OK);
        assert_int_equal(n, esc[i].wlen);
        assert_memory_equal(buf, esc[i].want, n);
        assert_int_equal(buf[n], '\0');
    }
}

static void test_invalid(void **state)
{
    static const struct {
        const char *s;
        int rc;
    } v[] = {
        {"", PKIOT_E_JSON_SYNTAX},
        {"   ", PKIOT_E_JSON_SYNTAX},
        {"{", PKIOT_E_JSON_SYNTAX},
        {"}", PKIOT_E_JSON_SYNTAX},
        {"[1,]", PKIOT_E_JSON_SYNTAX},
        {"[,1]", PKIOT_E_JSON_SYNTAX},
        {"{\"a\":1,}", PKIOT_E_JSON_SYNTAX},
        {"{\"a\" 1}", PKIOT_E_JSON_SYNTAX},
        {"{a:1}", PKIOT_E_JSON_SYNTAX},
        {"{\"a\":}", PKIOT_E_JSON_SYNTAX},
        {"{'a':1}", PKIOT_E_JSON_SYNTAX},
        {"{\"a\":1]", PKIOT_E_JSON_SYNTAX},
        {"[1}", PKIOT_E_JSON_SYNTAX},
        {"[1 2]", PKIOT_E_JSON_SYNTAX},
        {"{} {}", PKIOT_E_JSON_SYNTAX},
        {"{}x", PKIOT_E_JSON_SYNTAX},
        {"tru", PKIOT_E_JSON_SYNTAX},
        {"True", PKIOT_E_JSON_SYNTAX},
        {"nul", PKIOT_E_JSON_SYNTAX},
        {"01", PKIOT_E_JSON_SYNTAX},
        {"-", PKIOT_E_JSON_SYNTAX},
        {"+1", PKIOT_E_JSON_SYNTAX},
        {"1.", PKIOT_E_JSON_SYNTAX},
        {".5", PKIOT_E_JSON_SYNTAX},
        {"1e", PKIOT_E_JSON_SYNTAX},
        {"1e+", PKIOT_E_JSON_SYNTAX},
        {"0x10", PKIOT_E_JSON_SYNTAX},
        {"NaN", PKIOT_E_JSON_SYNTAX},
        {"\"abc", PKIOT_E_JSON_SYNTAX},
        {"\"a\nb\"", PKIOT_E_JSON_SYNTAX},
        {"\"a\tb\"", PKIOT_E_JSON_SYNTAX},
        {"\"\\x41\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\u00G1\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\u12\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\ud800\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\ud800x\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\ud800\\u0041\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\ud800\\ud800\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\udc00\\ud800\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\udfff\"", PKIOT_E_JSON_BAD_ESCAPE},
        {"\"\\", PKIOT_E_JSON_SYNTAX},
        {"\"\xc0\x80\"", PKIOT_E_JSON_SYNTAX},         /* overlong NUL */
        {"\"\xe0\x80\xaf\"", PKIOT_E_JSON_SYNTAX},     /* overlong '/' */
        {"\"\xed\xa0\x80\"", PKIOT_E_JSON_SYNTAX},     /* encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", PKIOT_E_JSON_SYNTAX}, /* > U+10FFFF */
        {"\"\xf5\x80\x80\x80\"", PKIOT_E_JSON_SYNTAX},
        {"\"\xc3\"", PKIOT_E_JSON_SYNTAX},             /* truncated sequence */
        {"\"\x80\"", PKIOT_E_JSON_SYNTAX},             /* lone continuation */
        {"\xef\xbb\xbf{}", PKIOT_E_JSON_SYNTAX},       /* BOM */
        {"[1,2,3]", PKIOT_OK},
        {"[]", PKIOT_OK},
        {"{}", PKIOT_OK},
        {" [ ] ", PKIOT_OK},
        {"[[],{}]", PKIOT_OK},
        {"{\"a\":[],\"b\":{}}", PKIOT_OK},
        {"[[[[]]]]", PKIOT_OK},
        {"[[[[]]]", PKIOT_E_JSON_SYNTAX},
        {"[[]]]", PKIOT_E_JSON_SYNTAX},
        {"{\"a\":{}", PKIOT_E_JSON_SYNTAX},
        {" \t\r\n{ \"a\" : [ true , false , null , -0.5e-3 , 1E+2 ] } \n", PKIOT_OK},
        {"-0", PKIOT_OK},
        {"\"\\u0000\"", PKIOT_OK},
        {"\"\x7f\"", PKIOT_OK},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        int rc = parse_rc(v[i].s, strlen(v[i].s));
        if (rc != v[i].rc) {
            fprintf(stderr, "case %zu: %s -> %d\n", i, v[i].s, rc);
        }
        assert_int_equal(rc, v[i].rc);
    }
    /* NUL byte in the document */
    assert_int_equal(parse_rc("[1,\0 2]", 7), PKIOT_E_JSON_SYNTAX);
    assert_int_equal(parse_rc("\"a\0\"", 4), PKIOT_E_JSON_SYNTAX);
    pkiot_json_t r;
    assert_int_equal(pkiot_json_parse(NULL, 0, &r), PKIOT_E_JSON_SYNTAX);
    assert_int_equal(pkiot_json_parse(NULL, 1, &r), PKIOT_E_INVALID_ARG);
}

static void test_truncation(void **state)
{
    static const char *docs[] = {directory, authz, problem};
    (void)state;
    for (size_t d = 0; d < ARRAY_LEN(docs); d++) {
        size_t len = strlen(docs[d]);
        size_t last = len;
        while (last > 0 && strchr(" \t\r\n", docs[d][last - 1]) != NULL) {
            last--;
        }
        for (size_t k = 0; k < len; k++) {
            int rc = parse_rc(docs[d], k);
            if (k >= last) {
                assert_int_equal(rc, PKIOT_OK);
            } else {
                assert_true(rc == PKIOT_E_JSON_SYNTAX || rc == PKIOT_E_JSON_BAD_ESCAPE);
            }
        }
    }
}

static void test_depth(void **state)
{
    char doc[4 * PKIOT_JSON_MAX_DEPTH + 16];
    pkiot_json_t root, v;
    size_t o;
    (void)state;
    for (int depth = PKIOT_JSON_MAX_DEPTH; depth <= PKIOT_JSON_MAX_DEPTH + 1; depth++) {
        o = 0;
        for (int i = 0; i < depth; i++) {
            doc[o++] = (i & 1) ? '[' : '{';
            if (!(i & 1)) {
                memcpy(doc + o, "\"k\":", 4);
                o += 4;
            }
        }
        doc[o++] = '1';
        for (int i = depth - 1; i >= 0; i--) {
            doc[o++] = (i & 1) ? ']' : '}';
        }
        int rc = pkiot_json_parse((const uint8_t *)doc, o, &root);
        assert_int_equal(rc, depth <= PKIOT_JSON_MAX_DEPTH ? PKIOT_OK : PKIOT_E_JSON_TOO_DEEP);
    }
    /* Navigating into the deepest value of a document at the limit. */
    o = 0;
    for (int i = 0; i < PKIOT_JSON_MAX_DEPTH; i++) {
        doc[o++] = '[';
    }
    doc[o++] = '7';
    for (int i = 0; i < PKIOT_JSON_MAX_DEPTH; i++) {
        doc[o++] = ']';
    }
    assert_int_equal(pkiot_json_parse((const uint8_t *)doc, o, &root), PKIOT_OK);
    v = root;
    for (int i = 0; i < PKIOT_JSON_MAX_DEPTH; i++) {
        assert_int_equal(pkiot_json_at(&v, 0, &v), PKIOT_OK);
    }
    int64_t x;
    assert_int_equal(pkiot_json_int(&v, &x), PKIOT_OK);
    assert_int_equal(x, 7);
    /* A very deep document is rejected without recursion. */
    static char deep[100000];
    memset(deep, '[', sizeof deep);
    assert_int_equal(pkiot_json_parse((const uint8_t *)deep, sizeof deep, &root),
                     PKIOT_E_JSON_TOO_DEEP);
}

static void test_numbers(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int64_t v;
    } v[] = {
        {"0", PKIOT_OK, 0},
        {"-0", PKIOT_OK, 0},
        {"9223372036854775807", PKIOT_OK, INT64_MAX},
        {"-9223372036854775808", PKIOT_OK, INT64_MIN},
        {"9223372036854775808", PKIOT_E_OVERFLOW, 0},
        {"-9223372036854775809", PKIOT_E_OVERFLOW, 0},
        {"123456789012345678901234567890", PKIOT_E_OVERFLOW, 0},
        {"1.0", PKIOT_E_JSON_TYPE, 0},
        {"1e3", PKIOT_E_JSON_TYPE, 0},
        {"\"1\"", PKIOT_E_JSON_TYPE, 0},
        {"true", PKIOT_E_JSON_TYPE, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        pkiot_json_t r = parse_ok(v[i].s);
        int64_t x = 42;
        assert_int_equal(pkiot_json_int(&r, &x), v[i].rc);
        if (v[i].rc == PKIOT_OK) {
            assert_true(x == v[i].v);
        }
    }
    pkiot_json_t r = parse_ok("[true,false,null]");
    pkiot_json_t e;
    int b;
    assert_int_equal(pkiot_json_at(&r, 0, &e), PKIOT_OK);
    assert_int_equal(pkiot_json_bool(&e, &b), PKIOT_OK);
    assert_int_equal(b, 1);
    assert_int_equal(pkiot_json_at(&r, 1, &e), PKIOT_OK);
    assert_int_equal(pkiot_json_bool(&e, &b), PKIOT_OK);
    assert_int_equal(b, 0);
    assert_int_equal(pkiot_json_at(&r, 2, &e), PKIOT_OK);
    assert_true(pkiot_json_is_null(&e));
    assert_int_equal(pkiot_json_bool(&e, &b), PKIOT_E_JSON_TYPE);
}

/* Views not produced by the parser stay bounded. */
static void test_forged_views(void **state)
{
    static const char txt[] = "{\"a\":[1,2";
    pkiot_json_t v = {(const uint8_t *)txt, sizeof txt - 1, PKIOT_JSON_OBJECT};
    pkiot_json_t out;
    size_t n;
    char buf[8];
    (void)state;
    assert_int_equal(pkiot_json_get(&v, "a", &out), PKIOT_E_JSON_SYNTAX);
    v.len = 1;
    assert_int_equal(pkiot_json_get(&v, "a", &out), PKIOT_E_JSON_SYNTAX);
    v.type = PKIOT_JSON_STRING;
    v.p = (const uint8_t *)"\"ab\\";
    v.len = 4;
    assert_int_equal(pkiot_json_string(&v, buf, sizeof buf, &n), PKIOT_E_JSON_SYNTAX);
    v.p = (const uint8_t *)"\"a\\u12\"";
    v.len = 7;
    assert_int_equal(pkiot_json_string(&v, buf, sizeof buf, &n), PKIOT_E_JSON_BAD_ESCAPE);
    v.p = (const uint8_t *)"\"\xc3\"";
    v.len = 3;
    assert_int_equal(pkiot_json_string(&v, buf, sizeof buf, &n), PKIOT_E_JSON_SYNTAX);
    assert_false(pkiot_json_string_eq(&v, "\xc3"));
}

static void test_escape(void **state)
{
    char out[256];
    size_t n;
    static const char in[] = "a\"b\\c/\x01\x1f\n\r\t\b\f\xc3\xa9\x7f";
    static const char want[] = "a\\\"b\\\\c/\\u0001\\u001f\\n\\r\\t\\b\\f\xc3\xa9\x7f";
    (void)state;
    assert_int_equal(pkiot_json_escape(in, sizeof in - 1, out, sizeof out, &n), PKIOT_OK);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
    for (size_t cap = 0; cap < sizeof want - 1; cap++) {
        memset(out, 0x55, sizeof out);
        assert_int_equal(pkiot_json_escape(in, sizeof in - 1, out, cap, &n),
                         PKIOT_E_BUFFER_TOO_SMALL);
        assert_int_equal(n, sizeof want - 1);
        for (size_t i = cap; i < sizeof out; i++) {
            assert_int_equal((unsigned char)out[i], 0x55);
        }
    }
    /* Round trip through the reader, including a NUL byte. */
    static const char in2[] = "x\0y\"\\\x1b";
    char doc[64];
    doc[0] = '"';
    assert_int_equal(pkiot_json_escape(in2, sizeof in2 - 1, doc + 1, sizeof doc - 2, &n),
                     PKIOT_OK);
    doc[n + 1] = '"';
    pkiot_json_t r;
    assert_int_equal(pkiot_json_parse((const uint8_t *)doc, n + 2, &r), PKIOT_OK);
    assert_int_equal(pkiot_json_string(&r, out, sizeof out, &n), PKIOT_OK);
    assert_int_equal(n, sizeof in2 - 1);
    assert_memory_equal(out, in2, n);
    assert_int_equal(pkiot_json_escape(NULL, 0, NULL, 0, &n), PKIOT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pkiot_json_escape(NULL, 1, out, 1, &n), PKIOT_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory),   cmocka_unit_test(test_authz),
        cmocka_unit_test(test_problem_escapes), cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_truncation),  cmocka_unit_test(test_depth),
        cmocka_unit_test(test_numbers),     cmocka_unit_test(test_forged_views),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
