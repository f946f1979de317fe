/* Minimal JSON reader (RFC 8259) over a complete buffer, and a string escaper. */
#include "../core/core_int.h"
#include "pkiot/json.h"
#include "pkiot/config.h"

/* Only ACME speaks JSON: without it this module compiles to nothing. */
#if PKIOT_ACME

#include <string.h>

static const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }
    return p;
}

/* "\uXXXX" at p (p points at the backslash). */
static int read_u_escape(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    uint32_t v = 0;
    int i;
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') {
        return PKIOT_E_JSON_BAD_ESCAPE;
    }
    for (i = 2; i < 6; i++) {
        int h = pkiot_hex_value(p[i]);
        if (h < 0) {
            return PKIOT_E_JSON_BAD_ESCAPE;
        }
        v = (v << 4) | (uint32_t)h;
    }
    *cp = v;
    return PKIOT_OK;
}

static size_t utf8_put(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80u) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800u) {
        out[0] = (uint8_t)(0xC0u | (cp >> 6));
        out[1] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 2;
    }
    if (cp < 0x10000u) {
        out[0] = (uint8_t)(0xE0u | (cp >> 12));
        out[1] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
        out[2] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 3;
    }
    out[0] = (uint8_t)(0xF0u | (cp >> 18));
    out[1] = (uint8_t)(0x80u | ((cp >> 12) & 0x3Fu));
    out[2] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
    out[3] = (uint8_t)(0x80u | (cp & 0x3Fu));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 when ill-formed. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xBF;
    size_t n, i;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F; /* no UTF-16 surrogates */
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n) {
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

/*
 * Decode one unit of string content at *pp (not the closing quote): a character, a UTF-8
 * sequence or an escape. Its UTF-8 bytes go to out, their count to *n.
 */
static int str_unit(const uint8_t **pp, const uint8_t *end, uint8_t out[4], size_t *n)
{
    const uint8_t *p = *pp;
    uint8_t c = *p;
    if (c < 0x20) {
        return PKIOT_E_JSON_SYNTAX;
    }
    if (c != '\\') {
        size_t k = utf8_seq(p, end);
        if (k == 0) {
            return PKIOT_E_JSON_SYNTAX;
        }
        memcpy(out, p, k);
        *n = k;
        *pp = p + k;
        return PKIOT_OK;
    }
    if (end - p < 2) {
        return PKIOT_E_JSON_SYNTAX;
    }
    switch (p[1]) {
    case '"': out[0] = '"'; break;
    case '\\': out[0] = '\\'; break;
    case '/': out[0] = '/'; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
        uint32_t cp, lo;
        int rc = read_u_escape(p, end, &cp);
        if (rc != PKIOT_OK) {
            return rc;
        }
        p += 6;
        if (cp >= 0xDC00u && cp <= 0xDFFFu) {
            return PKIOT_E_JSON_BAD_ESCAPE; /* low surrogate first */
        }
        if (cp >= 0xD800u && cp <= 0xDBFFu) {
            rc = read_u_escape(p, end, &lo);
            if (rc != PKIOT_OK || lo < 0xDC00u || lo > 0xDFFFu) {
                return PKIOT_E_JSON_BAD_ESCAPE; /* unpaired high surrogate */
            }
            p += 6;
            cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
        }
        *n = utf8_put(cp, out);
        *pp = p;
        return PKIOT_OK;
    }
    default:
        return PKIOT_E_JSON_BAD_ESCAPE;
    }
    *n = 1;
    *pp = p + 2;
    return PKIOT_OK;
}

/* String at p (at the opening quote); *after is past the closing quote. */
static int scan_string(const uint8_t *p, const uint8_t *end, const uint8_t **after)
{
    uint8_t tmp[4];
    size_t n;
    p++;
    for (;;) {
        int rc;
        if (p >= end) {
            return PKIOT_E_JSON_SYNTAX;
        }
        if (*p == '"') {
            *after = p + 1;
            return PKIOT_OK;
        }
        if (*p < 0x80 && *p >= 0x20 && *p != '\\') {
            p++; /* fast path for plain ASCII */
            continue;
        }
        rc = str_unit(&p, end, tmp, &n);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int scan_number(const uint8_t *p, const uint8_t *end, const uint8_t **after)
{
    if (p < end && *p == '-') {
        p++;
    }
    if (p >= end || !is_digit(*p)) {
        return PKIOT_E_JSON_SYNTAX;
    }
    if (*p == '0') {
        p++;
    } else {
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) {
            return PKIOT_E_JSON_SYNTAX;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= end || !is_digit(*p)) {
            return PKIOT_E_JSON_SYNTAX;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    *after = p;
    return PKIOT_OK;
}

static int scan_literal(const uint8_t *p, const uint8_t *end, const char *lit,
                        const uint8_t **after)
{
    size_t n = strlen(lit);
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0) {
        return PKIOT_E_JSON_SYNTAX;
    }
    *after = p + n;
    return PKIOT_OK;
}

/* Object key: string, then ':' (whitespace allowed around). *after is past the ':'. */
static int scan_key(const uint8_t *p, const uint8_t *end, const uint8_t **after)
{
    int rc;
    if (p >= end || *p != '"') {
        return PKIOT_E_JSON_SYNTAX;
    }
    rc = scan_string(p, end, &p);
    if (rc != PKIOT_OK) {
        return rc;
    }
    p = skip_ws(p, end);
    if (p >= end || *p != ':') {
        return PKIOT_E_JSON_SYNTAX;
    }
    *after = skip_ws(p + 1, end);
    return PKIOT_OK;
}

/*
 * Scan one complete value starting exactly at p, without recursion: a bit stack records
 * whether each open container is an object (1) or an array (0).
 */
static int scan_value(const uint8_t *p, const uint8_t *end, pkiot_json_t *v)
{
    uint64_t stack = 0;
    unsigned depth = 0;
    const uint8_t *start = p;
    int rc;

    v->p = p;
    v->len = 0;
    v->type = PKIOT_JSON_INVALID;
    if (p >= end) {
        return PKIOT_E_JSON_SYNTAX;
    }
    switch (*p) {
    case '{': v->type = PKIOT_JSON_OBJECT; break;
    case '[': v->type = PKIOT_JSON_ARRAY; break;
    case '"': v->type = PKIOT_JSON_STRING; break;
    case 't': v->type = PKIOT_JSON_TRUE; break;
    case 'f': v->type = PKIOT_JSON_FALSE; break;
    case 'n': v->type = PKIOT_JSON_NULL; break;
    default: v->type = PKIOT_JSON_NUMBER; break;
    }

    for (;;) {
        /* expecting a value at p */
        if (p >= end) {
            return PKIOT_E_JSON_SYNTAX;
        }
        switch (*p) {
        case '{':
        case '[': {
            int obj = *p == '{';
            if (depth >= PKIOT_JSON_MAX_DEPTH) {
                return PKIOT_E_JSON_TOO_DEEP;
            }
            stack = (stack << 1) | (uint64_t)obj;
            depth++;
            p = skip_ws(p + 1, end);
            if (p < end && *p == (obj ? '}' : ']')) {
                p++;
                stack >>= 1;
                depth--;
                rc = PKIOT_OK;
                break; /* empty container: a complete value */
            }
            if (obj) {
                rc = scan_key(p, end, &p);
                if (rc != PKIOT_OK) {
                    return rc;
                }
            }
            continue; /* the first element */
        }
        case '"':
            rc = scan_string(p, end, &p);
            break;
        case 't':
            rc = scan_literal(p, end, "true", &p);
            break;
        case 'f':
            rc = scan_literal(p, end, "false", &p);
            break;
        case 'n':
            rc = scan_literal(p, end, "null", &p);
            break;
        default:
            rc = scan_number(p, end, &p);
            break;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        /* a value ended: close containers or move to the next element */
        for (;;) {
            int obj;
            if (depth == 0) {
                v->len = (size_t)(p - start);
                return PKIOT_OK;
            }
            obj = (int)(stack & 1u);
            p = skip_ws(p, end);
            if (p >= end) {
                return PKIOT_E_JSON_SYNTAX;
            }
            if (*p == ',') {
                p = skip_ws(p + 1, end);
                if (obj) {
                    rc = scan_key(p, end, &p);
                    if (rc != PKIOT_OK) {
                        return rc;
                    }
                }
                break;
            }
            if (*p != (obj ? '}' : ']')) {
                return PKIOT_E_JSON_SYNTAX;
            }
            p++;
            stack >>= 1;
            depth--;
        }
    }
}

int pkiot_json_parse(const uint8_t *doc, size_t len, pkiot_json_t *root)
{
    const uint8_t *p, *end;
    int rc;
    if (root != NULL) {
        memset(root, 0, sizeof *root);
    }
    if (root == NULL || (doc == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (doc == NULL) {
        return PKIOT_E_JSON_SYNTAX;
    }
    end = doc + len;
    p = skip_ws(doc, end);
    rc = scan_value(p, end, root);
    if (rc != PKIOT_OK) {
        memset(root, 0, sizeof *root);
        return rc;
    }
    if (skip_ws(root->p + root->len, end) != end) {
        memset(root, 0, sizeof *root);
        return PKIOT_E_JSON_SYNTAX;
    }
    return PKIOT_OK;
}

/* ----------------------------------------------------------------------------------------- */
/* Navigation                                                                                */
/* ----------------------------------------------------------------------------------------- */

int pkiot_json_iter_init(pkiot_json_iter_t *it, const pkiot_json_t *c)
{
    if (it == NULL || c == NULL || (c->p == NULL && c->len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(it, 0, sizeof *it);
    it->done = 1;
    if (c->type != PKIOT_JSON_OBJECT && c->type != PKIOT_JSON_ARRAY) {
        return PKIOT_E_JSON_TYPE;
    }
    if (c->len < 2 || c->p[0] != (c->type == PKIOT_JSON_OBJECT ? '{' : '[') ||
        c->p[c->len - 1] != (c->type == PKIOT_JSON_OBJECT ? '}' : ']')) {
        return PKIOT_E_JSON_SYNTAX;
    }
    it->p = c->p + 1;
    it->end = c->p + c->len - 1;
    it->object = (uint8_t)(c->type == PKIOT_JSON_OBJECT);
    it->done = 0;
    return PKIOT_OK;
}

int pkiot_json_iter_next(pkiot_json_iter_t *it, pkiot_json_t *key, pkiot_json_t *val)
{
    const uint8_t *p;
    int rc;
    if (key != NULL) {
        memset(key, 0, sizeof *key);
    }
    if (it == NULL || val == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(val, 0, sizeof *val);
    if (it->done) {
        return PKIOT_DONE;
    }
    p = skip_ws(it->p, it->end);
    if (it->started) {
        if (p >= it->end) {
            it->done = 1;
            return PKIOT_DONE;
        }
        if (*p != ',') {
            it->done = 1;
            return PKIOT_E_JSON_SYNTAX;
        }
        p = skip_ws(p + 1, it->end);
    } else {
        it->started = 1;
        if (p >= it->end) {
            it->done = 1;
            return PKIOT_DONE;
        }
    }
    if (it->object) {
        const uint8_t *k = p;
        rc = scan_key(p, it->end, &p);
        if (rc != PKIOT_OK) {
            it->done = 1;
            return rc;
        }
        if (key != NULL) {
            const uint8_t *ke = k;
            (void)scan_string(k, it->end, &ke);
            key->p = k;
            key->len = (size_t)(ke - k);
            key->type = PKIOT_JSON_STRING;
        }
    }
    rc = scan_value(p, it->end, val);
    if (rc != PKIOT_OK) {
        it->done = 1;
        memset(val, 0, sizeof *val);
        return rc;
    }
    it->p = val->p + val->len;
    return PKIOT_OK;
}

/* Bounds of a string view's content (between the quotes). */
static int str_bounds(const pkiot_json_t *v, const uint8_t **p, const uint8_t **end)
{
    if (v == NULL || v->type != PKIOT_JSON_STRING || v->p == NULL) {
        return PKIOT_E_JSON_TYPE;
    }
    if (v->len < 2 || v->p[0] != '"' || v->p[v->len - 1] != '"') {
        return PKIOT_E_JSON_SYNTAX;
    }
    *p = v->p + 1;
    *end = v->p + v->len - 1;
    return PKIOT_OK;
}

/*
 * Compare a string value with n bytes at s; with ptr set, s is a JSON Pointer reference
 * token whose "~0"/"~1" stand for '~'/'/' (already validated).
 */
static int str_equals(const pkiot_json_t *v, const char *s, size_t n, int ptr)
{
    const uint8_t *p, *end;
    size_t i = 0;
    if (str_bounds(v, &p, &end) != PKIOT_OK) {
        return 0;
    }
    while (p < end) {
        uint8_t u[4];
        size_t k, j;
        if (str_unit(&p, end, u, &k) != PKIOT_OK) {
            return 0;
        }
        for (j = 0; j < k; j++) {
            uint8_t want;
            if (i >= n) {
                return 0;
            }
            if (ptr && s[i] == '~' && i + 1 < n) {
                want = s[i + 1] == '0' ? '~' : '/';
                i += 2;
            } else {
                want = (uint8_t)s[i++];
            }
            if (u[j] != want) {
                return 0;
            }
        }
    }
    return i == n;
}

static int get_member(const pkiot_json_t *obj, const char *key, size_t klen, int ptr,
                      pkiot_json_t *out)
{
    pkiot_json_iter_t it;
    pkiot_json_t k, v;
    int rc;
    if (obj == NULL || obj->type != PKIOT_JSON_OBJECT) {
        return PKIOT_E_JSON_TYPE;
    }
    rc = pkiot_json_iter_init(&it, obj);
    if (rc != PKIOT_OK) {
        return rc;
    }
    while ((rc = pkiot_json_iter_next(&it, &k, &v)) == PKIOT_OK) {
        if (str_equals(&k, key, klen, ptr)) {
            *out = v;
            return PKIOT_OK;
        }
    }
    return rc == PKIOT_DONE ? PKIOT_E_NOT_FOUND : rc;
}

/* Views may alias (out == obj): results are written only at the end. */
int pkiot_json_get(const pkiot_json_t *obj, const char *key, pkiot_json_t *out)
{
    pkiot_json_t res;
    int rc;
    if (obj == NULL || key == NULL || out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(&res, 0, sizeof res);
    rc = get_member(obj, key, strlen(key), 0, &res);
    *out = res;
    return rc;
}

int pkiot_json_at(const pkiot_json_t *arr, size_t index, pkiot_json_t *out)
{
    pkiot_json_iter_t it;
    pkiot_json_t v;
    int rc;
    if (arr == NULL || out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    rc = arr->type != PKIOT_JSON_ARRAY ? PKIOT_E_JSON_TYPE : pkiot_json_iter_init(&it, arr);
    if (rc == PKIOT_OK) {
        while ((rc = pkiot_json_iter_next(&it, NULL, &v)) == PKIOT_OK) {
            if (index-- == 0) {
                *out = v;
                return PKIOT_OK;
            }
        }
        rc = rc == PKIOT_DONE ? PKIOT_E_NOT_FOUND : rc;
    }
    memset(out, 0, sizeof *out);
    return rc;
}

int pkiot_json_count(const pkiot_json_t *c, size_t *count)
{
    pkiot_json_iter_t it;
    pkiot_json_t v;
    int rc;
    if (count == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *count = 0;
    rc = pkiot_json_iter_init(&it, c);
    if (rc != PKIOT_OK) {
        return rc;
    }
    while ((rc = pkiot_json_iter_next(&it, NULL, &v)) == PKIOT_OK) {
        (*count)++;
    }
    return rc == PKIOT_DONE ? PKIOT_OK : rc;
}

int pkiot_json_find(const pkiot_json_t *root, const char *pointer, pkiot_json_t *out)
{
    pkiot_json_t cur;
    const char *p;
    int rc;
    if (root == NULL || pointer == NULL || out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    cur = *root;
    memset(out, 0, sizeof *out);
    if (pointer[0] != '\0' && pointer[0] != '/') {
        return PKIOT_E_INVALID_ARG;
    }
    for (p = pointer; *p != '\0'; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1') {
            return PKIOT_E_INVALID_ARG;
        }
    }
    p = pointer;
    while (*p == '/') {
        const char *tok = ++p;
        size_t tlen;
        while (*p != '\0' && *p != '/') {
            p++;
        }
        tlen = (size_t)(p - tok);
        if (cur.type == PKIOT_JSON_OBJECT) {
            pkiot_json_t next = cur;
            rc = get_member(&cur, tok, tlen, 1, &next);
            cur = next;
        } else if (cur.type == PKIOT_JSON_ARRAY) {
            size_t idx = 0, i;
            if (tlen == 0 || (tlen > 1 && tok[0] == '0')) {
                return PKIOT_E_NOT_FOUND;
            }
            for (i = 0; i < tlen; i++) {
                if (!is_digit((unsigned char)tok[i]) || idx > (SIZE_MAX - 9u) / 10u) {
                    return PKIOT_E_NOT_FOUND;
                }
                idx = idx * 10u + (size_t)(tok[i] - '0');
            }
            rc = pkiot_json_at(&cur, idx, &cur);
        } else {
            return PKIOT_E_JSON_TYPE;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    *out = cur;
    return PKIOT_OK;
}

/* ----------------------------------------------------------------------------------------- */
/* Leaves                                                                                    */
/* ----------------------------------------------------------------------------------------- */

int pkiot_json_string(const pkiot_json_t *v, char *out, size_t cap, size_t *out_len)
{
    const uint8_t *p, *end;
    size_t n = 0;
    int rc;
    if (out_len == NULL || (out == NULL && cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *out_len = 0;
    rc = str_bounds(v, &p, &end);
    if (rc != PKIOT_OK) {
        return rc;
    }
    while (p < end) {
        uint8_t u[4];
        size_t k;
        rc = str_unit(&p, end, u, &k);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (n + k < cap) {
            memcpy(out + n, u, k);
        }
        n += k;
    }
    *out_len = n;
    if (n >= cap) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    out[n] = '\0';
    return PKIOT_OK;
}

int pkiot_json_string_eq(const pkiot_json_t *v, const char *s)
{
    if (s == NULL) {
        return 0;
    }
    return str_equals(v, s, strlen(s), 0);
}

int pkiot_json_int(const pkiot_json_t *v, int64_t *out)
{
    const uint8_t *p, *end;
    uint64_t mag = 0, limit;
    int neg = 0;
    if (out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *out = 0;
    if (v == NULL || v->type != PKIOT_JSON_NUMBER || v->p == NULL || v->len == 0) {
        return PKIOT_E_JSON_TYPE;
    }
    p = v->p;
    end = v->p + v->len;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end) {
        return PKIOT_E_JSON_SYNTAX;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; p < end; p++) {
        unsigned d;
        if (!is_digit(*p)) {
            return PKIOT_E_JSON_TYPE; /* fraction or exponent */
        }
        d = (unsigned)(*p - '0');
        if (mag > (limit - d) / 10u) {
            return PKIOT_E_OVERFLOW;
        }
        mag = mag * 10u + d;
    }
    if (neg) {
        *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    } else {
        *out = (int64_t)mag;
    }
    return PKIOT_OK;
}

int pkiot_json_bool(const pkiot_json_t *v, int *out)
{
    if (out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *out = 0;
    if (v == NULL || (v->type != PKIOT_JSON_TRUE && v->type != PKIOT_JSON_FALSE)) {
        return PKIOT_E_JSON_TYPE;
    }
    *out = v->type == PKIOT_JSON_TRUE;
    return PKIOT_OK;
}

int pkiot_json_is_null(const pkiot_json_t *v)
{
    return v != NULL && v->type == PKIOT_JSON_NULL;
}

int pkiot_json_escape(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, n = 0;
    if (out_len == NULL || (in == NULL && len != 0) || (out == NULL && cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *out_len = 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char e[6];
        size_t k = 2;
        e[0] = '\\';
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            if (c < 0x20) {
                e[1] = 'u';
                e[2] = '0';
                e[3] = '0';
                e[4] = hex[c >> 4];
                e[5] = hex[c & 0x0Fu];
                k = 6;
            } else {
                e[0] = (char)c;
                k = 1;
            }
            break;
        }
        if (n > SIZE_MAX - k) {
            *out_len = SIZE_MAX;
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        if (n + k <= cap) {
            memcpy(out + n, e, k);
        }
        n += k;
    }
    *out_len = n;
    return n > cap ? PKIOT_E_BUFFER_TOO_SMALL : PKIOT_OK;
}

#endif /* PKIOT_ACME */
