/* HTTP/1.1 client codec: request writer, push response parser, header value helpers. */
#include "../core/core_int.h"
#include "pkiot/http.h"

#include "pkiot/base64.h"

#include <string.h>

/* ----------------------------------------------------------------------------------------- */
/* Character helpers                                                                         */
/* ----------------------------------------------------------------------------------------- */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_ows(int c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 tchar: a visible ASCII character other than a delimiter */
static int is_tchar(int c)
{
    return c > 0x20 && c < 0x7F && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

/* field-value octets: HTAB, SP, VCHAR, obs-text */
static int is_field_char(int c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

/* Case-insensitive equality of a counted string with a NUL-terminated one. */
static int ci_eq(const char *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || lower((unsigned char)a[i]) != lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return b[i] == '\0';
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && is_ows((unsigned char)**s)) {
        (*s)++;
    }
    while (*e > *s && is_ows((unsigned char)(*e)[-1])) {
        (*e)--;
    }
}

/*
 * Parse a quoted-string starting at *pp (which must point at '"'). Unescaped content goes to
 * out (when non-NULL) up to cap bytes; *olen receives the full unescaped length.
 * Returns 0, or -1 when malformed (unterminated, control characters).
 */
static int parse_quoted(const char **pp, const char *end, char *out, size_t cap, size_t *olen)
{
    const char *p = *pp;
    size_t n = 0;
    if (p >= end || *p != '"') {
        return -1;
    }
    p++;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '"') {
            *pp = p;
            *olen = n;
            return 0;
        }
        if (c == '\\') {
            if (p >= end) {
                return -1;
            }
            c = (unsigned char)*p++;
        }
        if (!is_field_char(c)) {
            return -1;
        }
        if (out != NULL && n < cap) {
            out[n] = (char)c;
        }
        n++;
    }
    return -1;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && is_tchar((unsigned char)*p)) {
        p++;
    }
    return p;
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && is_ows((unsigned char)*p)) {
        p++;
    }
    return p;
}

/* ----------------------------------------------------------------------------------------- */
/* Request writer                                                                            */
/* ----------------------------------------------------------------------------------------- */

typedef struct wr {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow; /* size_t wrapped: cannot even report the size */
} wr_t;

static void put(wr_t *w, const void *data, size_t n)
{
    if (n > SIZE_MAX - w->len) {
        w->overflow = 1;
        return;
    }
    if (w->buf != NULL && w->len <= w->cap && n <= w->cap - w->len) {
        memcpy(w->buf + w->len, data, n);
    }
    w->len += n;
}

static void puts_(wr_t *w, const char *s)
{
    put(w, s, strlen(s));
}

/* size_t, not uint64_t: a 32-bit image then needs no 64-bit division helper from libgcc. */
static void put_size(wr_t *w, size_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n] = (char)('0' + (int)(v % 10u));
        v /= 10u;
        n++;
    } while (v != 0 && n < sizeof tmp);
    put(w, tmp + sizeof tmp - n, n);
}

static void put_header(wr_t *w, const char *name, const char *value)
{
    puts_(w, name);
    puts_(w, ": ");
    puts_(w, value);
    puts_(w, "\r\n");
}

/* What a request string may hold (besides the characters its table entry refuses). */
enum {
    TXT_TOKEN,   /* RFC 9110 token: the method */
    TXT_VISIBLE, /* visible ASCII or obs-text, no spaces: host, request-target */
    TXT_VALUE    /* field-value characters, so no CR/LF: header values, credentials */
};

static int text_ok(const char *s, unsigned cls, const char *refused)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = cls == TXT_TOKEN     ? is_tchar(c)
                 : cls == TXT_VISIBLE ? c > 0x20 && c != 0x7F
                                      : is_field_char(c);
        if (!ok || strchr(refused, c) != NULL) {
            return 0;
        }
    }
    return 1;
}

/* The request's strings, found by their offset in pkiot_http_req_t; NULL means absent. */
static const struct req_text {
    uint8_t off;
    uint8_t cls;
    uint8_t required; /* neither NULL nor "" */
    char refused[3];
} req_texts[] = {
    {offsetof(pkiot_http_req_t, method), TXT_TOKEN, 1, ""},
    {offsetof(pkiot_http_req_t, target), TXT_VISIBLE, 1, ""},
    {offsetof(pkiot_http_req_t, host), TXT_VISIBLE, 1, "/@"},
    {offsetof(pkiot_http_req_t, target_suffix), TXT_VISIBLE, 0, ""},
    {offsetof(pkiot_http_req_t, content_type), TXT_VALUE, 0, ""},
    {offsetof(pkiot_http_req_t, accept), TXT_VALUE, 0, ""},
    {offsetof(pkiot_http_req_t, user_agent), TXT_VALUE, 0, ""},
    {offsetof(pkiot_http_req_t, user), TXT_VALUE, 0, ":"}, /* RFC 7617: no ':' in a user-id */
    {offsetof(pkiot_http_req_t, password), TXT_VALUE, 0, ""},
};

/* Header lines each ending in CRLF, no bare CR or LF, no empty line. */
static int extra_ok(const char *s)
{
    const char *line = s;
    for (; *s != '\0'; s++) {
        if (*s == '\r') {
            if (s[1] != '\n' || s == line) {
                return 0;
            }
            s++;
            line = s + 1;
        } else if (!is_field_char((unsigned char)*s)) {
            return 0;
        }
    }
    return s == line; /* "" or ending in CRLF */
}

/*
 * Basic credentials are base64-encoded through a small staging block straight into the
 * output, so "user:password" never exists as one temporary string; the block and its
 * encoding are wiped afterwards.
 */
#define B64_STAGE 48 /* multiple of 3 */

typedef struct b64w {
    wr_t *w;
    uint8_t in[B64_STAGE];
    char out[PKIOT_BASE64_ENCODED_LEN(B64_STAGE)];
    size_t n;
    int rc;
} b64w_t;

static void b64_flush(b64w_t *b)
{
    size_t olen = 0;
    if (b->n == 0) {
        return;
    }
    if (pkiot_base64_encode(b->in, b->n, b->out, sizeof b->out, &olen) != PKIOT_OK) {
        b->rc = PKIOT_E_INTERNAL;
    } else {
        put(b->w, b->out, olen);
    }
    b->n = 0;
}

static void b64_feed(b64w_t *b, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        b->in[b->n++] = (uint8_t)s[i];
        if (b->n == B64_STAGE) {
            b64_flush(b);
        }
    }
}

static int put_basic_auth(wr_t *w, const char *user, const char *password)
{
    b64w_t b;
    int rc;
    memset(&b, 0, sizeof b);
    b.w = w;
    puts_(w, "Authorization: Basic ");
    b64_feed(&b, user, strlen(user));
    b64_feed(&b, ":", 1);
    b64_feed(&b, password, strlen(password));
    b64_flush(&b);
    rc = b.rc;
    pkiot_zeroize(&b, sizeof b);
    puts_(w, "\r\n");
    return rc;
}

static int ci_streq(const char *a, const char *b)
{
    return ci_eq(a, strlen(a), b);
}

static int write_head(const pkiot_http_req_t *req, wr_t *w)
{
    const struct req_text *t;
    int cl;

    for (t = req_texts; t < req_texts + sizeof req_texts / sizeof req_texts[0]; t++) {
        const char *s = *(const char *const *)(const void *)((const uint8_t *)req + t->off);
        if (s == NULL || s[0] == '\0') {
            if (t->required) {
                return PKIOT_E_INVALID_ARG;
            }
        } else if (!text_ok(s, t->cls, t->refused)) {
            return PKIOT_E_INVALID_ARG;
        }
    }
    if ((req->extra_headers != NULL && !extra_ok(req->extra_headers)) ||
        (req->user == NULL) != (req->password == NULL)) {
        return PKIOT_E_INVALID_ARG;
    }

    puts_(w, req->method);
    puts_(w, " ");
    puts_(w, req->target);
    if (req->target_suffix != NULL) {
        puts_(w, req->target_suffix);
    }
    puts_(w, " HTTP/1.1\r\nHost: ");
    if (strchr(req->host, ':') != NULL && req->host[0] != '[') {
        puts_(w, "[");
        puts_(w, req->host);
        puts_(w, "]");
    } else {
        puts_(w, req->host);
    }
    if (req->port != 0 && req->port != (req->tls ? 443 : 80)) {
        puts_(w, ":");
        put_size(w, req->port);
    }
    puts_(w, "\r\n");
    if (req->user_agent != NULL) {
        put_header(w, "User-Agent", req->user_agent);
    }
    if (req->accept != NULL) {
        put_header(w, "Accept", req->accept);
    }
    if (req->user != NULL) {
        int rc = put_basic_auth(w, req->user, req->password);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    if (req->content_type != NULL) {
        put_header(w, "Content-Type", req->content_type);
    }
    cl = req->body_len > 0 || req->content_type != NULL ||
         !(ci_streq(req->method, "GET") || ci_streq(req->method, "HEAD"));
    if (cl) {
        puts_(w, "Content-Length: ");
        put_size(w, req->body_len);
        puts_(w, "\r\n");
    }
    puts_(w, req->keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (req->extra_headers != NULL) {
        puts_(w, req->extra_headers);
    }
    puts_(w, "\r\n");
    return PKIOT_OK;
}

static int finish_write(wr_t *w, size_t *out_len)
{
    if (w->overflow) {
        *out_len = SIZE_MAX;
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    *out_len = w->len;
    return w->len > w->cap ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK;
}

/* Head, then @p body_len bytes of @p body (0 for the head alone); arguments already checked. */
static int write_msg(const pkiot_http_req_t *req, const uint8_t *body, size_t body_len,
                     uint8_t *buf, size_t cap, size_t *out_len)
{
    wr_t w;
    int rc;
    *out_len = 0;
    w.buf = buf;
    w.cap = cap;
    w.len = 0;
    w.overflow = 0;
    rc = write_head(req, &w);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (body_len > 0) {
        put(&w, body, body_len);
    }
    return finish_write(&w, out_len);
}

int pkiot_http_write_head(const pkiot_http_req_t *req, uint8_t *buf, size_t cap,
                          size_t *out_len)
{
    if (req == NULL || out_len == NULL || (buf == NULL && cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    return write_msg(req, NULL, 0, buf, cap, out_len);
}

int pkiot_http_write_request(const pkiot_http_req_t *req, const uint8_t *body, uint8_t *buf,
                             size_t cap, size_t *out_len)
{
    if (req == NULL || out_len == NULL || (buf == NULL && cap != 0) ||
        (body == NULL && req->body_len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    return write_msg(req, body, req->body_len, buf, cap, out_len);
}

/* ----------------------------------------------------------------------------------------- */
/* Response parser                                                                           */
/* ----------------------------------------------------------------------------------------- */

enum {
    ST_STATUS = 0,  /* waiting for the status line */
    ST_HEADER,      /* header lines */
    ST_BODY_LEN,    /* Content-Length body */
    ST_BODY_CLOSE,  /* body delimited by connection close */
    ST_CHUNK_SIZE,  /* chunk-size [chunk-ext] line */
    ST_CHUNK_DATA,  /* chunk-data */
    ST_CHUNK_CRLF,  /* CRLF after chunk-data */
    ST_TRAILER,     /* trailer section */
    ST_DONE
};

static void reset_head(pkiot_http_resp_t *r)
{
    memset(r->field, 0, sizeof r->field);
#if PKIOT_ACME
    memset(r->link, 0, sizeof r->link);
    r->n_links = 0;
    r->links_dropped = 0;
#endif
    r->store_used = 0;
    r->has_content_length = 0;
    r->content_length = 0;
    r->chunked = 0;
    r->te_seen = 0;
    r->conn_close = 0;
    r->conn_keep_alive = 0;
    r->status = 0;
    r->version = 0;
    r->reason[0] = '\0';
}

int pkiot_http_resp_init(pkiot_http_resp_t *r, uint8_t *body, size_t body_cap, unsigned flags)
{
    if (r == NULL || (body == NULL && body_cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    /* All zero is the state before a status line: ST_STATUS, no body callback, nothing kept.
     * The line buffer and store are overwritten before being read. */
    memset(r, 0, offsetof(pkiot_http_resp_t, line));
    r->body = body;
    r->body_cap = body_cap;
    r->flags = (uint8_t)(flags & (PKIOT_HTTP_RESP_HEAD | PKIOT_HTTP_RESP_READ_TO_CLOSE));
    return PKIOT_OK;
}

void pkiot_http_resp_set_body_cb(pkiot_http_resp_t *r, pkiot_http_body_cb cb, void *arg)
{
    if (r != NULL) {
        r->cb = cb;
        r->cb_arg = arg;
    }
}

int pkiot_http_resp_headers_done(const pkiot_http_resp_t *r)
{
    return r != NULL && r->head_done;
}

/* Copy a value into the store; first occurrence wins. @p v may lie in the store's free part. */
static void store_ref(pkiot_http_resp_t *r, pkiot_http_ref_t *ref, const char *v, size_t n)
{
    if (ref->state != 0) {
        return;
    }
    if (n > (size_t)(PKIOT_HTTP_STORE_SIZE - r->store_used)) {
        ref->state = 2;
        return;
    }
    memmove(r->store + r->store_used, v, n);
    ref->off = r->store_used;
    ref->len = (uint16_t)n;
    ref->state = 1;
    r->store_used = (uint16_t)(r->store_used + n);
}

/* Store a token or quoted-string value at *pp; advances *pp. Returns 0 or -1 if malformed. */
static int store_param_value(pkiot_http_resp_t *r, pkiot_http_ref_t *ref, const char **pp,
                             const char *end)
{
    const char *p = *pp, *v = p;
    size_t n;
    if (p < end && *p == '"') {
        /* Unescaped straight into the store's free part, where store_ref() expects it. */
        v = r->store + r->store_used;
        if (parse_quoted(&p, end, r->store + r->store_used,
                         (size_t)(PKIOT_HTTP_STORE_SIZE - r->store_used), &n) != 0) {
            return -1;
        }
    } else {
        p = skip_token(p, end);
        n = (size_t)(p - v);
        if (n == 0) {
            return -1;
        }
    }
    store_ref(r, ref, v, n);
    *pp = p;
    return 0;
}

/* Link: <uri>; rel="up"; title="x", <uri2>; rel=index   (RFC 8288 §3) */
#if PKIOT_ACME /* Link headers (RFC 8288) only matter to ACME */
static void parse_link(pkiot_http_resp_t *r, const char *p, const char *end)
{
    for (;;) {
        const char *url, *url_end;
        const char *rel = NULL, *rel_end = NULL;
        while (p < end && (is_ows((unsigned char)*p) || *p == ',')) {
            p++;
        }
        if (p >= end || *p != '<') {
            return; /* done, or malformed: keep what was parsed */
        }
        url = ++p;
        while (p < end && *p != '>') {
            p++;
        }
        if (p >= end) {
            return;
        }
        url_end = p++;
        for (;;) {
            const char *name, *name_end, *val, *val_end;
            p = skip_ows(p, end);
            if (p >= end || *p == ',') {
                break;
            }
            if (*p != ';') {
                return;
            }
            p = skip_ows(p + 1, end);
            name = p;
            p = skip_token(p, end);
            name_end = p;
            if (name == name_end) {
                return;
            }
            p = skip_ows(p, end);
            if (p >= end || *p != '=') {
                continue; /* valueless parameter */
            }
            p = skip_ows(p + 1, end);
            if (p < end && *p == '"') {
                size_t n;
                val = p + 1;
                if (parse_quoted(&p, end, NULL, 0, &n) != 0) {
                    return;
                }
                val_end = p - 1;
            } else {
                val = p;
                p = skip_token(p, end);
                val_end = p;
            }
            /* RFC 8288: only the first rel parameter counts. */
            if (rel == NULL && ci_eq(name, (size_t)(name_end - name), "rel")) {
                rel = val;
                rel_end = val_end;
            }
        }
        if (rel != NULL) {
            size_t need = (size_t)(url_end - url) + (size_t)(rel_end - rel);
            if (r->n_links >= PKIOT_HTTP_LINKS_MAX ||
                need > (size_t)(PKIOT_HTTP_STORE_SIZE - r->store_used)) {
                r->links_dropped = 1;
            } else {
                store_ref(r, &r->link[r->n_links].url, url, (size_t)(url_end - url));
                store_ref(r, &r->link[r->n_links].rel, rel, (size_t)(rel_end - rel));
                r->n_links++;
            }
        }
    }
}

#endif

/* WWW-Authenticate: keep the first challenge's scheme and realm. */
static void parse_www_auth(pkiot_http_resp_t *r, const char *p, const char *end)
{
    const char *scheme = p;
    if (r->field[PKIOT_HTTP_F_AUTH_SCHEME].state != 0) {
        return;
    }
    p = skip_token(p, end);
    if (p == scheme) {
        return;
    }
    store_ref(r, &r->field[PKIOT_HTTP_F_AUTH_SCHEME], scheme, (size_t)(p - scheme));
    for (;;) {
        const char *name, *name_end;
        while (p < end && (is_ows((unsigned char)*p) || *p == ',')) {
            p++;
        }
        name = p;
        p = skip_token(p, end);
        name_end = p;
        if (name == name_end) {
            return;
        }
        p = skip_ows(p, end);
        if (p >= end || *p != '=') {
            return; /* token68 or the next challenge's scheme */
        }
        p = skip_ows(p + 1, end);
        if (ci_eq(name, (size_t)(name_end - name), "realm")) {
            (void)store_param_value(r, &r->field[PKIOT_HTTP_F_AUTH_REALM], &p, end);
            return;
        }
        if (p < end && *p == '"') {
            size_t n;
            if (parse_quoted(&p, end, NULL, 0, &n) != 0) {
                return;
            }
        } else {
            const char *t = p;
            /* token68-like values may contain '/' and '='; skip to the next comma */
            while (p < end && *p != ',') {
                p++;
            }
            if (p == t) {
                return;
            }
        }
    }
}

static int parse_content_length(pkiot_http_resp_t *r, const char *v, const char *end)
{
    uint64_t n = 0;
    if (v == end) {
        return PKIOT_E_HTTP_BAD_LENGTH;
    }
    for (; v < end; v++) {
        unsigned d;
        if (!is_digit((unsigned char)*v)) {
            return PKIOT_E_HTTP_BAD_LENGTH;
        }
        d = (unsigned)(*v - '0');
        /* Constant bounds only: no 64-bit division at run time. */
        if (n > UINT64_MAX / 10u || (n == UINT64_MAX / 10u && d > UINT64_MAX % 10u)) {
            return PKIOT_E_HTTP_BAD_LENGTH;
        }
        n = n * 10u + d;
    }
    if (r->has_content_length && r->content_length != n) {
        return PKIOT_E_HTTP_BAD_LENGTH;
    }
    r->has_content_length = 1;
    r->content_length = n;
    return PKIOT_OK;
}

/* @p v .. @p end is the trimmed value. */
static int parse_transfer_encoding(pkiot_http_resp_t *r, const char *v, const char *end)
{
    /* Only a single "chunked" coding is supported; anything else would need decoding. */
    if (r->te_seen) {
        return PKIOT_E_HTTP_TRANSFER_ENCODING;
    }
    r->te_seen = 1;
    if (!ci_eq(v, (size_t)(end - v), "chunked")) {
        return PKIOT_E_HTTP_TRANSFER_ENCODING;
    }
    r->chunked = 1;
    return PKIOT_OK;
}

static void parse_connection(pkiot_http_resp_t *r, const char *p, const char *end)
{
    while (p < end) {
        const char *t = p, *te;
        while (p < end && *p != ',') {
            p++;
        }
        te = p;
        trim(&t, &te);
        if (ci_eq(t, (size_t)(te - t), "close")) {
            r->conn_close = 1;
        } else if (ci_eq(t, (size_t)(te - t), "keep-alive")) {
            r->conn_keep_alive = 1;
        }
        if (p < end) {
            p++; /* the ',' */
        }
    }
}

/* Validate a header/trailer line; on success the name end and the trimmed value are returned (value trimmed). */
static int split_header(const char *line, size_t n, const char **name_end, const char **val,
                        const char **val_end)
{
    const char *p = line, *end = line + n, *q;
    if (n == 0) {
        return PKIOT_E_HTTP_BAD_HEADER;
    }
    if (is_ows((unsigned char)line[0])) {
        return PKIOT_E_HTTP_BAD_HEADER; /* obs-fold: rejected (RFC 9112 §5.2) */
    }
    p = skip_token(p, end);
    if (p == line || p >= end || *p != ':') {
        return PKIOT_E_HTTP_BAD_HEADER; /* includes whitespace before the colon */
    }
    *name_end = p;
    for (q = p + 1; q < end; q++) {
        if (!is_field_char((unsigned char)*q)) {
            return PKIOT_E_HTTP_BAD_HEADER;
        }
    }
    p++;
    trim(&p, &end);
    *val = p;
    *val_end = end;
    return PKIOT_OK;
}

/* What the parser does with a header field: keep it as the pkiot_http_field_t of that value,
 * or one of these. */
enum {
    H_CONTENT_LENGTH = PKIOT_HTTP_F_COUNT,
    H_TRANSFER_ENCODING,
    H_CONNECTION,
    H_WWW_AUTHENTICATE,
    H_LINK
};

/* Header names in lower case, each ending in a NUL, and what to do with each, in the same
 * order. Fields nobody reads are only validated: Location, Replay-Nonce and Link serve ACME
 * alone. */
static const char known_names[] = "content-length\0"
                                  "content-type\0"
                                  "connection\0"
                                  "content-transfer-encoding\0"
                                  "transfer-encoding\0"
                                  "retry-after\0"
                                  "www-authenticate\0"
#if PKIOT_ACME
                                  "location\0"
                                  "replay-nonce\0"
                                  "link\0"
#endif
    ;
static const uint8_t known_what[] = {
    H_CONTENT_LENGTH,
    PKIOT_HTTP_F_CONTENT_TYPE,
    H_CONNECTION,
    PKIOT_HTTP_F_CTE,
    H_TRANSFER_ENCODING,
    PKIOT_HTTP_F_RETRY_AFTER,
    H_WWW_AUTHENTICATE,
#if PKIOT_ACME
    PKIOT_HTTP_F_LOCATION,
    PKIOT_HTTP_F_REPLAY_NONCE,
    H_LINK,
#endif
};

/* A validated header line of the final response's head: name, and value trimmed. */
static int header_line(pkiot_http_resp_t *r, const char *line, const char *name_end,
                       const char *v, const char *ve)
{
    const char *name = known_names;
    size_t k;
    for (k = 0; k < sizeof known_what; k++, name += strlen(name) + 1) {
        if (ci_eq(line, (size_t)(name_end - line), name)) {
            break;
        }
    }
    if (k == sizeof known_what) {
        return PKIOT_OK;
    }
    switch (known_what[k]) {
    case H_CONTENT_LENGTH:
        return parse_content_length(r, v, ve);
    case H_TRANSFER_ENCODING:
        return parse_transfer_encoding(r, v, ve);
    case H_CONNECTION:
        parse_connection(r, v, ve);
        break;
    case H_WWW_AUTHENTICATE:
        parse_www_auth(r, v, ve);
        break;
#if PKIOT_ACME
    case H_LINK:
        parse_link(r, v, ve);
        break;
#endif
    default:
        store_ref(r, &r->field[known_what[k]], v, (size_t)(ve - v));
        break;
    }
    return PKIOT_OK;
}

static int status_line(pkiot_http_resp_t *r, const char *line, size_t n)
{
    int code;
    size_t i, k;
    /* A CR or NUL anywhere makes the line malformed, whatever its version says. */
    for (i = 0; i < n; i++) {
        if (line[i] == '\r' || line[i] == '\0') {
            return PKIOT_E_HTTP_BAD_STATUS_LINE;
        }
    }
    if (n < 5 || memcmp(line, "HTTP/", 5) != 0) {
        return PKIOT_E_HTTP_BAD_STATUS_LINE;
    }
    if (n >= 7 && is_digit((unsigned char)line[5]) && line[6] == ' ') {
        return PKIOT_E_HTTP_BAD_VERSION; /* "HTTP/2 200" */
    }
    if (n < 12 || !is_digit((unsigned char)line[5]) || line[6] != '.' ||
        !is_digit((unsigned char)line[7]) || line[8] != ' ') {
        return PKIOT_E_HTTP_BAD_STATUS_LINE;
    }
    if (line[5] != '1') {
        return PKIOT_E_HTTP_BAD_VERSION;
    }
    if (!is_digit((unsigned char)line[9]) || !is_digit((unsigned char)line[10]) ||
        !is_digit((unsigned char)line[11]) || (n > 12 && line[12] != ' ')) {
        return PKIOT_E_HTTP_BAD_STATUS_LINE;
    }
    code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (code < 100 || code > 599) {
        return PKIOT_E_HTTP_BAD_STATUS_LINE;
    }
    for (i = 13; i < n; i++) {
        if (!is_field_char((unsigned char)line[i])) {
            return PKIOT_E_HTTP_BAD_STATUS_LINE;
        }
    }
    reset_head(r);
    r->status = code;
    r->version = line[7] == '0' ? 10 : 11;
    k = 0;
    for (i = 13; i < n && k < PKIOT_HTTP_REASON_MAX; i++) {
        r->reason[k++] = line[i];
    }
    r->reason[k] = '\0';
    return PKIOT_OK;
}

/* Blank line after the headers: decide how the body is delimited (RFC 9112 §6.3). */
static int end_of_head(pkiot_http_resp_t *r)
{
    if (r->status < 200) {
        if (r->status == 101) {
            return PKIOT_E_UNSUPPORTED;
        }
        if (++r->n_interim > PKIOT_HTTP_MAX_INTERIM) {
            return PKIOT_E_UNSUPPORTED;
        }
        r->state = ST_STATUS;
        return PKIOT_OK;
    }
    r->head_done = 1;
    if (r->version >= 11) {
        r->keep_alive = (uint8_t)!r->conn_close;
    } else {
        r->keep_alive = (uint8_t)(r->conn_keep_alive && !r->conn_close);
    }
    if ((r->flags & PKIOT_HTTP_RESP_HEAD) != 0 || r->status == 204 || r->status == 304) {
        r->state = ST_DONE;
        return PKIOT_OK;
    }
    if (r->chunked) {
        if (r->has_content_length) {
            r->keep_alive = 0; /* framing conflict: do not trust the connection afterwards */
        }
        r->state = ST_CHUNK_SIZE;
        return PKIOT_OK;
    }
    if (r->has_content_length) {
        if (r->cb == NULL && r->content_length > (uint64_t)r->body_cap) {
            return PKIOT_E_HTTP_BODY_TOO_LARGE;
        }
        if (!r->keep_alive && (r->flags & PKIOT_HTTP_RESP_READ_TO_CLOSE) != 0) {
            r->state = ST_BODY_CLOSE; /* finish() checks the announced length */
            return PKIOT_OK;
        }
        r->remaining = r->content_length;
        r->state = r->remaining == 0 ? ST_DONE : ST_BODY_LEN;
        return PKIOT_OK;
    }
    r->keep_alive = 0;
    r->state = ST_BODY_CLOSE;
    return PKIOT_OK;
}

static int chunk_size_line(pkiot_http_resp_t *r, const char *line, size_t n)
{
    const char *p = line, *end = line + n;
    uint64_t v = 0;
    if (p >= end) {
        return PKIOT_E_HTTP_BAD_CHUNK;
    }
    for (; p < end; p++) {
        int d = pkiot_hex_value((unsigned char)*p);
        if (d < 0) {
            break;
        }
        if (v > (UINT64_MAX >> 4)) {
            return PKIOT_E_HTTP_BAD_CHUNK;
        }
        v = (v << 4) | (unsigned)d;
    }
    if (p == line) {
        return PKIOT_E_HTTP_BAD_CHUNK;
    }
    p = skip_ows(p, end);
    if (p < end) {
        const char *q;
        if (*p != ';') {
            return PKIOT_E_HTTP_BAD_CHUNK;
        }
        for (q = p; q < end; q++) {
            if (!is_field_char((unsigned char)*q)) {
                return PKIOT_E_HTTP_BAD_CHUNK;
            }
        }
    }
    if (v == 0) {
        r->state = ST_TRAILER;
        return PKIOT_OK;
    }
    if (r->cb == NULL && v > (uint64_t)(r->body_cap - r->body_len)) {
        return PKIOT_E_HTTP_BODY_TOO_LARGE;
    }
    r->remaining = v;
    r->state = ST_CHUNK_DATA;
    return PKIOT_OK;
}

static int process_line(pkiot_http_resp_t *r, const char *line, size_t n)
{
    const char *name_end, *v, *ve;
    int rc;
    if (r->state == ST_CHUNK_SIZE) {
        return chunk_size_line(r, line, n);
    }
    if (r->state == ST_STATUS) {
        if (n == 0) {
            return PKIOT_OK; /* tolerate stray empty lines before a response */
        }
        rc = status_line(r, line, n);
        if (rc == PKIOT_OK) {
            r->state = ST_HEADER;
        }
        return rc;
    }
    /* ST_HEADER or ST_TRAILER: trailer fields are validated and counted, never used. */
    if (n == 0) {
        if (r->state == ST_HEADER) {
            return end_of_head(r);
        }
        r->state = ST_DONE;
        return PKIOT_OK;
    }
    rc = split_header(line, n, &name_end, &v, &ve);
    if (rc == PKIOT_OK && ++r->n_headers > PKIOT_HTTP_MAX_HEADERS) {
        rc = PKIOT_E_HTTP_TOO_MANY_HEADERS;
    }
    if (rc != PKIOT_OK || r->state == ST_TRAILER) {
        return rc;
    }
    return header_line(r, line, name_end, v, ve);
}

static int deliver(pkiot_http_resp_t *r, const uint8_t *d, size_t n)
{
    if (r->cb != NULL) {
        int rc = r->cb(r->cb_arg, d, n);
        if (rc < 0) {
            return rc;
        }
    } else {
        if (n > r->body_cap - r->body_len) {
            return PKIOT_E_HTTP_BODY_TOO_LARGE;
        }
        memcpy(r->body + r->body_len, d, n);
    }
    r->body_len += n;
    return PKIOT_OK;
}

static int fail(pkiot_http_resp_t *r, int rc)
{
    r->err = rc;
    return rc;
}

int pkiot_http_resp_feed(pkiot_http_resp_t *r, const uint8_t *data, size_t len,
                         size_t *consumed)
{
    size_t i = 0;
    int rc;
    if (consumed != NULL) {
        *consumed = 0;
    }
    if (r == NULL || consumed == NULL || (data == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (r->err != 0) {
        return r->err;
    }
    while (i < len && r->state != ST_DONE) {
        switch (r->state) {
        case ST_STATUS:
        case ST_HEADER:
        case ST_CHUNK_SIZE:
        case ST_TRAILER: {
            const uint8_t *nl = (const uint8_t *)memchr(data + i, '\n', len - i);
            size_t take = nl != NULL ? (size_t)(nl - (data + i)) : len - i;
            size_t n;
            int too_long = r->state == ST_CHUNK_SIZE ? PKIOT_E_HTTP_BAD_CHUNK
                                                     : PKIOT_E_HTTP_HEADER_TOO_LONG;
            /* One byte of slack holds a CR that is stripped once the LF arrives. */
            if (take > (size_t)(PKIOT_HTTP_LINE_MAX + 1 - r->line_len)) {
                *consumed = i;
                return fail(r, too_long);
            }
            if (take > 0) {
                memcpy(r->line + r->line_len, data + i, take);
                r->line_len = (uint16_t)(r->line_len + take);
                i += take;
            }
            if (nl == NULL) {
                break;
            }
            i++; /* the LF */
            n = r->line_len;
            r->line_len = 0;
            if (n > 0 && r->line[n - 1] == '\r') {
                n--;
            }
            /* A CR or NUL left inside the line is rejected by each line parser: header and
             * chunk-size syntax admit neither, and status_line() checks for them first. */
            rc = n > PKIOT_HTTP_LINE_MAX ? too_long : process_line(r, r->line, n);
            if (rc != PKIOT_OK) {
                *consumed = i;
                return fail(r, rc);
            }
            break;
        }
        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > r->remaining) {
                n = (size_t)r->remaining;
            }
            rc = deliver(r, data + i, n);
            if (rc != PKIOT_OK) {
                *consumed = i;
                return fail(r, rc);
            }
            i += n;
            r->remaining -= n;
            if (r->remaining == 0) {
                r->state = r->state == ST_BODY_LEN ? ST_DONE : ST_CHUNK_CRLF;
            }
            break;
        }
        case ST_CHUNK_CRLF: {
            uint8_t c = data[i++];
            if (c == '\r' && r->line_len == 0) {
                r->line_len = 1;
            } else if (c == '\n') {
                r->line_len = 0;
                r->state = ST_CHUNK_SIZE;
            } else {
                *consumed = i;
                return fail(r, PKIOT_E_HTTP_BAD_CHUNK);
            }
            break;
        }
        case ST_BODY_CLOSE:
            rc = deliver(r, data + i, len - i);
            if (rc != PKIOT_OK) {
                *consumed = i;
                return fail(r, rc);
            }
            i = len;
            break;
        default:
            *consumed = i;
            return fail(r, PKIOT_E_INTERNAL);
        }
    }
    *consumed = i;
    return r->state == ST_DONE ? PKIOT_DONE : PKIOT_WANT_READ;
}

int pkiot_http_resp_finish(pkiot_http_resp_t *r)
{
    if (r == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (r->err != 0) {
        return r->err;
    }
    if (r->state == ST_BODY_CLOSE) {
        if (r->has_content_length && (uint64_t)r->body_len < r->content_length) {
            return fail(r, PKIOT_E_HTTP_TRUNCATED);
        }
        r->state = ST_DONE;
    }
    if (r->state == ST_DONE) {
        return PKIOT_DONE;
    }
    return fail(r, PKIOT_E_HTTP_TRUNCATED);
}

int pkiot_http_resp_field(const pkiot_http_resp_t *r, pkiot_http_field_t f, pkiot_slice_t *out)
{
    const pkiot_http_ref_t *ref;
    if (r == NULL || out == NULL || (unsigned)f >= (unsigned)PKIOT_HTTP_F_COUNT) {
        return PKIOT_E_INVALID_ARG;
    }
    out->p = NULL;
    out->len = 0;
    ref = &r->field[f];
    if (ref->state == 0) {
        return PKIOT_E_NOT_FOUND;
    }
    if (ref->state != 1) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    out->p = (const uint8_t *)r->store + ref->off;
    out->len = ref->len;
    return PKIOT_OK;
}

/* 1 when the whitespace-separated list rel contains tok (case-insensitive). */
#if PKIOT_ACME
static int rel_has(const char *p, size_t n, const char *tok)
{
    const char *end = p + n;
    while (p < end) {
        const char *t;
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        t = p;
        while (p < end && *p != ' ' && *p != '\t') {
            p++;
        }
        if (p > t && ci_eq(t, (size_t)(p - t), tok)) {
            return 1;
        }
    }
    return 0;
}

int pkiot_http_resp_link(const pkiot_http_resp_t *r, const char *rel, size_t nth,
                         pkiot_slice_t *url)
{
    size_t i;
    if (r == NULL || rel == NULL || url == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    url->p = NULL;
    url->len = 0;
    for (i = 0; i < r->n_links && i < PKIOT_HTTP_LINKS_MAX; i++) {
        const pkiot_http_ref_t *lr = &r->link[i].rel;
        if (lr->state == 1 && rel_has(r->store + lr->off, lr->len, rel)) {
            if (nth == 0) {
                url->p = (const uint8_t *)r->store + r->link[i].url.off;
                url->len = r->link[i].url.len;
                return PKIOT_OK;
            }
            nth--;
        }
    }
    return r->links_dropped ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_E_NOT_FOUND;
}
#endif

int pkiot_http_resp_content_type_is(const pkiot_http_resp_t *r, const char *type)
{
    pkiot_slice_t ct;
    if (pkiot_http_resp_field(r, PKIOT_HTTP_F_CONTENT_TYPE, &ct) != PKIOT_OK) {
        return 0;
    }
    return pkiot_http_media_type_is(ct, type);
}

/* ----------------------------------------------------------------------------------------- */
/* Header value helpers                                                                      */
/* ----------------------------------------------------------------------------------------- */

int pkiot_http_media_type_is(pkiot_slice_t ct, const char *type)
{
    const char *p = (const char *)ct.p, *end, *e;
    if (type == NULL || (p == NULL && ct.len != 0)) {
        return 0;
    }
    if (p == NULL) {
        return type[0] == '\0';
    }
    end = p + ct.len;
    e = p;
    while (e < end && *e != ';') {
        e++;
    }
    trim(&p, &e);
    return ci_eq(p, (size_t)(e - p), type);
}

int pkiot_http_media_param(pkiot_slice_t ct, const char *name, char *out, size_t cap,
                           size_t *out_len)
{
    const char *p = (const char *)ct.p, *end;
    if (name == NULL || out_len == NULL || (out == NULL && cap != 0) ||
        (p == NULL && ct.len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *out_len = 0;
    if (p == NULL) {
        return PKIOT_E_NOT_FOUND;
    }
    end = p + ct.len;
    while (p < end && *p != ';') {
        if (*p == '"') {
            return PKIOT_E_HTTP_BAD_HEADER;
        }
        p++;
    }
    while (p < end) {
        const char *n0, *n1, *v0, *v1;
        size_t vlen;
        int quoted;
        p++; /* ';' */
        p = skip_ows(p, end);
        if (p >= end) {
            break;
        }
        if (*p == ';') {
            continue;
        }
        n0 = p;
        p = skip_token(p, end);
        n1 = p;
        if (n0 == n1) {
            return PKIOT_E_HTTP_BAD_HEADER;
        }
        p = skip_ows(p, end);
        if (p >= end || *p != '=') {
            return PKIOT_E_HTTP_BAD_HEADER;
        }
        p = skip_ows(p + 1, end);
        v0 = p;
        quoted = p < end && *p == '"';
        if (quoted) {
            if (parse_quoted(&p, end, NULL, 0, &vlen) != 0) {
                return PKIOT_E_HTTP_BAD_HEADER;
            }
        } else {
            p = skip_token(p, end);
            vlen = (size_t)(p - v0);
            if (vlen == 0) {
                return PKIOT_E_HTTP_BAD_HEADER;
            }
        }
        v1 = p;
        p = skip_ows(p, end);
        if (p < end && *p != ';') {
            return PKIOT_E_HTTP_BAD_HEADER;
        }
        if (ci_eq(n0, (size_t)(n1 - n0), name)) {
            *out_len = vlen;
            if (vlen >= cap) {
                return PKIOT_E_BUFFER_TOO_SMALL;
            }
            if (quoted) {
                (void)parse_quoted(&v0, v1, out, cap, &vlen);
            } else {
                memcpy(out, v0, vlen);
            }
            out[vlen] = '\0';
            return PKIOT_OK;
        }
    }
    return PKIOT_E_NOT_FOUND;
}

int pkiot_http_retry_after_delta(pkiot_slice_t v, uint32_t *seconds)
{
    const char *p = (const char *)v.p, *end;
    uint32_t n = 0;
    if (seconds == NULL || (p == NULL && v.len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *seconds = 0;
    if (p == NULL) {
        return PKIOT_E_NOT_FOUND;
    }
    end = p + v.len;
    trim(&p, &end);
    if (p == end) {
        return PKIOT_E_NOT_FOUND;
    }
    for (; p < end; p++) {
        uint32_t d;
        if (!is_digit((unsigned char)*p)) {
            return PKIOT_E_NOT_FOUND;
        }
        d = (uint32_t)(*p - '0');
        n = (n > (UINT32_MAX - d) / 10u) ? UINT32_MAX : n * 10u + d;
    }
    *seconds = n;
    return PKIOT_OK;
}
