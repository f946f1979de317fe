/* Distinguished names: RFC 4514 string -> DER Name, DER Name -> one-line text, comparison. */
#include "../core/core_int.h"
#include "oid.h"
#include "x509_int.h"

#include "pkiot/csr.h"
#include "pkiot/x509.h"

#include <string.h>

/* --- character classes ------------------------------------------------------------------- */

int pkiot_x509_is_printable_char(uint8_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return 1;
    }
    switch (c) {
    case ' ': case '\'': case '(': case ')': case '+': case ',': case '-': case '.':
    case '/': case ':': case '=': case '?':
        return 1;
    default:
        return 0;
    }
}

size_t pkiot_x509_utf8_chars(const uint8_t *p, size_t len)
{
    /* Returns the number of code points, or SIZE_MAX when @p p is not valid UTF-8. */
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i++];
        n++;
        if (c < 0x80u) {
            continue;
        }
        /* Lead bytes C2..DF, E0..EF and F0..F4 start 1, 2 or 3 continuation bytes. */
        size_t k = c >= 0xF0u ? 3u : (c >= 0xE0u ? 2u : 1u);
        uint32_t min = k == 3u ? 0x10000u : (k == 2u ? 0x800u : 0u); /* no overlong forms */
        uint32_t cp = c & (0x3Fu >> k);
        if (c < 0xC2u || c > 0xF4u || len - i < k) {
            return SIZE_MAX;
        }
        for (; k > 0; k--) {
            uint8_t d = p[i++];
            if ((d & 0xC0u) != 0x80u) {
                return SIZE_MAX;
            }
            cp = (cp << 6) | (uint32_t)(d & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) {
            return SIZE_MAX;
        }
    }
    return n;
}

/* Check @p len value bytes against the rules of string type @p tag. */
int pkiot_x509_check_string(uint32_t tag, const uint8_t *p, size_t len, size_t max_chars)
{
    size_t chars = len;
    if (len == 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] == 0) {
            return 0;
        }
        if (tag == PKIOT_DER_PRINTABLE_STRING && !pkiot_x509_is_printable_char(p[i])) {
            return 0;
        }
        if (tag == PKIOT_DER_IA5_STRING && p[i] >= 0x80u) {
            return 0;
        }
    }
    if (tag == PKIOT_DER_UTF8_STRING) {
        chars = pkiot_x509_utf8_chars(p, len);
        if (chars == SIZE_MAX) {
            return 0;
        }
    }
    return max_chars == 0 || chars <= max_chars;
}

/* --- DN string -> DER -------------------------------------------------------------------- */

/* Characters a backslash may escape besides two hex digits (RFC 4514 "special"). */
static int is_escapable(char c)
{
    return c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
           c == '=' || c == '#' || c == ' ';
}

/*
 * Scan a string value starting at s[i]. On success *end is the index of the terminating
 * ',', '+' or NUL, and *n the unescaped length (trailing unescaped spaces dropped). The
 * first @p dst_cap unescaped bytes are stored at @p dst (which may be NULL when 0).
 */
static int scan_value(const char *s, size_t i, size_t *end, size_t *n, uint8_t *dst,
                      size_t dst_cap)
{
    size_t len = 0;
    size_t keep = 0; /* length up to the last byte that is not an unescaped space */
    for (;;) {
        char c = s[i];
        if (c == '\0' || c == ',' || c == '+') {
            break;
        }
        if (c == '\\') {
            char d = s[i + 1];
            int hi = pkiot_hex_value(d);
            int lo = hi >= 0 ? pkiot_hex_value(s[i + 2]) : -1;
            uint8_t b;
            if (hi >= 0 && lo >= 0) {
                b = (uint8_t)(hi * 16 + lo);
                i += 3;
            } else if (d != '\0' && is_escapable(d)) {
                b = (uint8_t)d;
                i += 2;
            } else {
                return PKIOT_E_X509_DN_SYNTAX;
            }
            if (len < dst_cap) {
                dst[len] = b;
            }
            len++;
            keep = len;
            continue;
        }
        if (c == '"' || c == ';' || c == '<' || c == '>') {
            return PKIOT_E_X509_DN_SYNTAX; /* must be escaped */
        }
        if (len < dst_cap) {
            dst[len] = (uint8_t)c;
        }
        len++;
        if (c != ' ') {
            keep = len;
        }
        i++;
    }
    *end = i;
    *n = keep;
    return PKIOT_OK;
}

/* Scan a #hex value; same contract as scan_value(). */
static int scan_hex(const char *s, size_t i, size_t *end, size_t *n, uint8_t *dst)
{
    size_t len = 0;
    while (pkiot_hex_value(s[i]) >= 0) {
        int lo = pkiot_hex_value(s[i + 1]);
        if (lo < 0) {
            return PKIOT_E_X509_DN_SYNTAX;
        }
        if (dst != NULL) {
            dst[len] = (uint8_t)(pkiot_hex_value(s[i]) * 16 + lo);
        }
        len++;
        i += 2;
    }
    while (s[i] == ' ') {
        i++;
    }
    if (s[i] != '\0' && s[i] != ',' && s[i] != '+') {
        return PKIOT_E_X509_DN_SYNTAX;
    }
    *end = i;
    *n = len;
    return len == 0 ? PKIOT_E_X509_DN_SYNTAX : PKIOT_OK;
}

/* Write one "type=value" at s[*pos] (leading spaces skipped); *pos ends on the separator. */
static int write_ava(pkiot_der_writer_t *w, const char *s, size_t *pos)
{
    size_t i = *pos;
    size_t t0;
    size_t t1;
    const pkiot_x509_dn_attr_t *attr = NULL;
    uint8_t oid_buf[32];
    size_t oid_len;
    size_t vend = 0;
    size_t vlen = 0;
    int rc;

    while (s[i] == ' ') {
        i++;
    }
    t0 = i;
    while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
           (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.') {
        i++;
    }
    t1 = i;
    while (s[i] == ' ') {
        i++;
    }
    if (t1 == t0 || s[i] != '=') {
        return PKIOT_E_X509_DN_SYNTAX;
    }
    i++;
    if (s[t0] >= '0' && s[t0] <= '9') {
        /* Dotted OIDs of 64 characters or more are refused as too long. */
        if (t1 - t0 >= 64u ||
            pkiot_x509_oid_parse(s + t0, t1 - t0, oid_buf, sizeof oid_buf, &oid_len) != PKIOT_OK) {
            return PKIOT_E_X509_DN_SYNTAX;
        }
        attr = pkiot_x509_dn_attr_by_oid(oid_buf, oid_len);
    } else {
        attr = pkiot_x509_dn_attr_by_name(s + t0, t1 - t0);
        if (attr == NULL) {
            return PKIOT_E_X509_UNKNOWN_ATTR;
        }
        oid_len = pkiot_x509_dn_attr_oid(attr, oid_buf);
    }
    while (s[i] == ' ') {
        i++;
    }

    size_t mark = pkiot_der_w_len(w);
    if (s[i] == '#') {
        /* Pre-encoded value: reserve room, decode the hex into it, check it is one TLV. */
        rc = scan_hex(s, i + 1u, &vend, &vlen, NULL);
        if (rc != PKIOT_OK) {
            return rc;
        }
        pkiot_der_w_raw(w, (const uint8_t *)s + i, vlen); /* placeholder bytes */
        if (w->err != PKIOT_OK) {
            return w->err;
        }
        (void)scan_hex(s, i + 1u, &vend, &vlen, w->p);
        pkiot_der_cursor_t c;
        pkiot_der_init(&c, w->p, vlen);
        if (pkiot_der_next(&c, NULL) != PKIOT_OK || !pkiot_der_at_end(&c)) {
            return PKIOT_E_X509_DN_SYNTAX;
        }
    } else {
        uint32_t tag = attr != NULL ? attr->str_tag : PKIOT_DER_UTF8_STRING;
        rc = scan_value(s, i, &vend, &vlen, NULL, 0);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (vlen == 0) {
            return PKIOT_E_X509_DN_SYNTAX;
        }
        /* Unescaping only shrinks, so the text itself is a long enough placeholder. */
        pkiot_der_w_raw(w, (const uint8_t *)s + i, vlen);
        if (w->err != PKIOT_OK) {
            return w->err;
        }
        size_t end2;
        size_t n2;
        (void)scan_value(s, i, &end2, &n2, w->p, vlen);
        if (!pkiot_x509_check_string(tag, w->p, vlen, attr != NULL ? attr->max_chars : 0)) {
            return PKIOT_E_X509_DN_SYNTAX;
        }
        if (oid_len == PKIOT_OID_LEN(PKIOT_OID_AT_COUNTRY) &&
            memcmp(oid_buf, PKIOT_OID_AT_COUNTRY, oid_len) == 0) {
            int a = (w->p[0] | 0x20) >= 'a' && (w->p[0] | 0x20) <= 'z';
            int b = vlen == 2 && (w->p[1] | 0x20) >= 'a' && (w->p[1] | 0x20) <= 'z';
            if (!a || !b) {
                return PKIOT_E_X509_DN_SYNTAX;
            }
        }
        pkiot_der_w_header(w, tag, vlen);
    }
    pkiot_der_w_oid(w, oid_buf, oid_len);
    pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, mark);
    *pos = vend;
    return w->err;
}

int pkiot_x509_write_name(pkiot_der_writer_t *w, const char *dn)
{
    size_t i = 0;
    size_t mark_name;
    int rc;

    if (w == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (w->err != PKIOT_OK) {
        return w->err;
    }
    mark_name = pkiot_der_w_len(w);
    if (dn != NULL) {
        while (dn[i] == ' ') {
            i++;
        }
    }
    if (dn != NULL && dn[i] != '\0') {
        if (dn[i] == '/') {
            return PKIOT_E_X509_DN_SYNTAX; /* OpenSSL "/C=../CN=.." form is not RFC 4514 */
        }
        /* The string lists RDNs last-first; the backward writer turns that into DER order. */
        for (;;) {
            size_t mark_rdn = pkiot_der_w_len(w);
            for (;;) {
                rc = write_ava(w, dn, &i);
                if (rc != PKIOT_OK) {
                    return rc;
                }
                if (dn[i] != '+') {
                    break;
                }
                i++;
            }
            size_t set_len = pkiot_der_w_len(w) - mark_rdn;
            rc = pkiot_x509_der_sort_set(w->p, set_len);
            if (rc != PKIOT_OK) {
                return rc;
            }
            pkiot_der_w_close(w, PKIOT_DER_SET, mark_rdn);
            if (dn[i] == '\0') {
                break;
            }
            i++; /* ',' */
        }
    }
    pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, mark_name);
    return w->err;
}

/* --- DER Name -> text -------------------------------------------------------------------- */

typedef struct outbuf {
    char *out;
    size_t cap;
    size_t pos;
} outbuf_t;

static void put(outbuf_t *o, char c)
{
    if (o->pos + 1u < o->cap) {
        o->out[o->pos] = c;
    }
    o->pos++;
}

static void puts_n(outbuf_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put(o, s[i]);
    }
}

static void put_hex(outbuf_t *o, uint8_t b)
{
    static const char hx[] = "0123456789ABCDEF";
    put(o, hx[b >> 4]);
    put(o, hx[b & 0x0Fu]);
}

static int is_string_tag(uint32_t tag)
{
    return tag == PKIOT_DER_UTF8_STRING || tag == PKIOT_DER_PRINTABLE_STRING ||
           tag == PKIOT_DER_IA5_STRING || tag == PKIOT_DER_T61_STRING ||
           tag == 0x12u /* NumericString */ || tag == 0x1Au /* VisibleString */;
}

static void put_value(outbuf_t *o, const pkiot_der_tlv_t *v)
{
    if (!is_string_tag(v->tag)) {
        put(o, '#');
        for (size_t i = 0; i < v->raw_len; i++) {
            put_hex(o, v->raw[i]);
        }
        return;
    }
    int utf8_ok = v->tag == PKIOT_DER_UTF8_STRING &&
                  pkiot_x509_utf8_chars(v->val, v->len) != SIZE_MAX;
    for (size_t i = 0; i < v->len; i++) {
        uint8_t c = v->val[i];
        if (c < 0x20u || c == 0x7Fu || (c >= 0x80u && !utf8_ok)) {
            put(o, '\\');
            put_hex(o, c);
        } else if (c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' ||
                   c == '\\' || (i == 0 && (c == '#' || c == ' ')) ||
                   (i + 1u == v->len && c == ' ')) {
            put(o, '\\');
            put(o, (char)c);
        } else {
            put(o, (char)c);
        }
    }
}

/* The next AttributeTypeAndValue of an RDN: SEQUENCE { type OID, value }, nothing more. */
static int next_ava(pkiot_der_cursor_t *c, pkiot_der_tlv_t *type, pkiot_der_tlv_t *val)
{
    pkiot_der_tlv_t ava;
    pkiot_der_cursor_t a;
    int rc = pkiot_der_next(c, &ava);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (ava.tag != PKIOT_DER_SEQUENCE) {
        return PKIOT_E_X509_FORMAT;
    }
    pkiot_der_enter(&ava, &a);
    rc = pkiot_x509_expect(&a, PKIOT_DER_OID, type, PKIOT_E_X509_FORMAT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_next(&a, val, PKIOT_E_X509_FORMAT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&a, PKIOT_E_X509_FORMAT);
    }
    if (rc == PKIOT_OK && type->len == 0) {
        rc = PKIOT_E_X509_FORMAT;
    }
    return rc;
}

/* An RDN is a non-empty SET OF AttributeTypeAndValue. Checking is kept apart from printing
 * so that certificate parsing (which checks every name) does not pull the printer and the
 * OID-to-text code into an image that never prints a name. */
static int check_rdn(const pkiot_der_tlv_t *rdn)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t type;
    pkiot_der_tlv_t val;
    if (rdn->tag != PKIOT_DER_SET || rdn->len == 0) {
        return PKIOT_E_X509_FORMAT;
    }
    pkiot_der_enter(rdn, &c);
    while (!pkiot_der_at_end(&c)) {
        int rc = next_ava(&c, &type, &val);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    return PKIOT_OK;
}

/* Print an RDN that check_rdn() accepted, RFC 4514 style. */
static void print_rdn(const pkiot_der_tlv_t *rdn, outbuf_t *o)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t type;
    pkiot_der_tlv_t val;
    int first = 1;
    pkiot_der_enter(rdn, &c);
    while (!pkiot_der_at_end(&c) && next_ava(&c, &type, &val) == PKIOT_OK) {
        if (!first) {
            put(o, '+');
        }
        const pkiot_x509_dn_attr_t *at = pkiot_x509_dn_attr_by_oid(type.val, type.len);
        if (at != NULL) {
            const char *name = pkiot_x509_dn_attr_name(at);
            puts_n(o, name, strlen(name));
        } else {
            char tmp[96];
            size_t n = 0;
            if (pkiot_x509_oid_to_string(type.val, type.len, tmp, sizeof tmp, &n) == PKIOT_OK) {
                puts_n(o, tmp, n);
            } else {
                puts_n(o, "?", 1);
            }
        }
        put(o, '=');
        put_value(o, &val);
        first = 0;
    }
}

int pkiot_x509_name_check(const uint8_t *name, size_t len, pkiot_slice_t *contents)
{
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t seq;
    int rc = pkiot_x509_whole_seq(name, len, &seq);

    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&seq, &in);
    while (!pkiot_der_at_end(&in)) {
        pkiot_der_tlv_t rdn;
        rc = pkiot_der_next(&in, &rdn);
        if (rc == PKIOT_OK) {
            rc = check_rdn(&rdn);
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    if (contents != NULL) {
        contents->p = seq.val;
        contents->len = seq.len;
    }
    return PKIOT_OK;
}

int pkiot_x509_dn_to_string(const uint8_t *name, size_t name_len, char *out, size_t cap,
                            size_t *olen)
{
    outbuf_t o;
    pkiot_slice_t rdns;
    size_t count = 0;
    int rc;

    if ((name == NULL && name_len != 0) || (out == NULL && cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    o.out = out;
    o.cap = cap;
    o.pos = 0;
    rc = pkiot_x509_name_check(name, name_len, &rdns);
    if (rc == PKIOT_OK) {
        pkiot_der_cursor_t c;
        pkiot_der_init(&c, rdns.p, rdns.len);
        while (!pkiot_der_at_end(&c) && pkiot_der_next(&c, NULL) == PKIOT_OK) {
            count++;
        }
        /* RFC 4514 order is the reverse of the DER order: print the last RDN first. The
         * quadratic walk avoids any index memory; names have a handful of RDNs. */
        for (size_t k = count; k > 0; k--) {
            pkiot_der_tlv_t rdn;
            pkiot_der_init(&c, rdns.p, rdns.len);
            for (size_t j = 0; j < k; j++) {
                (void)pkiot_der_next(&c, &rdn);
            }
            if (k != count) {
                put(&o, ',');
            }
            print_rdn(&rdn, &o);
        }
    } else {
        o.pos = 0;
    }
    if (cap > 0) {
        out[o.pos < cap ? o.pos : cap - 1u] = '\0';
    }
    if (olen != NULL) {
        *olen = o.pos;
    }
    if (rc == PKIOT_OK && o.pos >= cap) {
        rc = PKIOT_E_BUFFER_TOO_SMALL;
    }
    return rc;
}

#if PKIOT_X509_BUILTIN
/* --- comparison -------------------------------------------------------------------------- */

static int value_eq(const pkiot_der_tlv_t *a, const pkiot_der_tlv_t *b)
{
    if (a->raw_len == b->raw_len && memcmp(a->raw, b->raw, a->raw_len) == 0) {
        return 1;
    }
    int sa = a->tag == PKIOT_DER_UTF8_STRING || a->tag == PKIOT_DER_PRINTABLE_STRING;
    int sb = b->tag == PKIOT_DER_UTF8_STRING || b->tag == PKIOT_DER_PRINTABLE_STRING;
    if (!sa || !sb || a->len != b->len) {
        return 0;
    }
    return pkiot_x509_ascii_casecmp((const char *)a->val, (const char *)b->val, a->len) == 0;
}

static int rdn_eq(const pkiot_der_tlv_t *ra, const pkiot_der_tlv_t *rb)
{
    pkiot_der_cursor_t ca;
    pkiot_der_cursor_t cb;
    pkiot_der_enter(ra, &ca);
    pkiot_der_enter(rb, &cb);
    /* Same order is required: DER sorts SET OF, and a case change rarely reorders it. */
    for (;;) {
        int ea = pkiot_der_at_end(&ca);
        int eb = pkiot_der_at_end(&cb);
        pkiot_der_tlv_t a;
        pkiot_der_tlv_t b;
        pkiot_der_tlv_t ta;
        pkiot_der_tlv_t tb;
        pkiot_der_tlv_t va;
        pkiot_der_tlv_t vb;
        pkiot_der_cursor_t ia;
        pkiot_der_cursor_t ib;
        if (ea || eb) {
            return ea && eb;
        }
        if (pkiot_der_next(&ca, &a) != PKIOT_OK || pkiot_der_next(&cb, &b) != PKIOT_OK) {
            return 0;
        }
        pkiot_der_enter(&a, &ia);
        pkiot_der_enter(&b, &ib);
        if (pkiot_der_next(&ia, &ta) != PKIOT_OK || pkiot_der_next(&ia, &va) != PKIOT_OK ||
            pkiot_der_next(&ib, &tb) != PKIOT_OK || pkiot_der_next(&ib, &vb) != PKIOT_OK) {
            return 0;
        }
        if (ta.raw_len != tb.raw_len || memcmp(ta.raw, tb.raw, ta.raw_len) != 0 ||
            !value_eq(&va, &vb)) {
            return 0;
        }
    }
}

int pkiot_x509_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    pkiot_slice_t ra;
    pkiot_slice_t rb;
    pkiot_der_cursor_t ca;
    pkiot_der_cursor_t cb;

    if (a == NULL || b == NULL) {
        return 0;
    }
    if (a_len == b_len && memcmp(a, b, a_len) == 0) {
        return pkiot_x509_name_check(a, a_len, NULL) == PKIOT_OK;
    }
    if (pkiot_x509_name_check(a, a_len, &ra) != PKIOT_OK ||
        pkiot_x509_name_check(b, b_len, &rb) != PKIOT_OK) {
        return 0;
    }
    pkiot_der_init(&ca, ra.p, ra.len);
    pkiot_der_init(&cb, rb.p, rb.len);
    for (;;) {
        pkiot_der_tlv_t x;
        pkiot_der_tlv_t y;
        int ea = pkiot_der_at_end(&ca);
        int eb = pkiot_der_at_end(&cb);
        if (ea || eb) {
            return ea && eb;
        }
        if (pkiot_der_next(&ca, &x) != PKIOT_OK || pkiot_der_next(&cb, &y) != PKIOT_OK ||
            !rdn_eq(&x, &y)) {
            return 0;
        }
    }
}
#endif /* PKIOT_X509_BUILTIN */
