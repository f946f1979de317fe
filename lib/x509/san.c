/* subjectAltName strings ("DNS:x", "IP:...", ...) -> GeneralName values. */
#include "../core/core_int.h"
#include "oid.h"
#include "x509_int.h"

#include "pkiot/csr.h"

#include <string.h>

#define SAN_ERR PKIOT_E_X509_SAN_SYNTAX

/* Dotted quad, exactly: four decimal octets without leading zeros, then NUL or @p stop. */
static int parse_ipv4(const char *s, size_t *used, uint8_t out[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        unsigned v = 0;
        size_t d = 0;
        if (k > 0) {
            if (s[i] != '.') {
                return 0;
            }
            i++;
        }
        while (s[i] >= '0' && s[i] <= '9') {
            if (d > 0 && v == 0) {
                return 0; /* leading zero: octal in some parsers, ambiguous */
            }
            v = v * 10u + (unsigned)(s[i] - '0');
            d++;
            i++;
            if (v > 255u) {
                return 0;
            }
        }
        if (d == 0) {
            return 0;
        }
        out[k] = (uint8_t)v;
    }
    *used = i;
    return 1;
}

/* RFC 4291 §2.2 text forms: eight groups, "::" once, optional dotted-quad tail. */
static int parse_ipv6(const char *s, uint8_t out[16])
{
    uint8_t groups[16];
    size_t n = 0;          /* bytes in groups */
    size_t gap = SIZE_MAX; /* where "::" stands in groups, if anywhere */
    size_t i = 0;

    if (s[0] == ':') {
        if (s[1] != ':') {
            return 0;
        }
        gap = 0;
        i = 2;
    }
    while (s[i] != '\0') {
        size_t start = i;
        unsigned v = 0;
        size_t d = 0;
        for (int h = pkiot_hex_value(s[i]); h >= 0; h = pkiot_hex_value(s[i])) {
            v = (v << 4) | (unsigned)h;
            d++;
            i++;
            if (d > 4) {
                return 0;
            }
        }
        if (s[i] == '.') {
            /* The group was the first octet of a dotted quad, which must end the text. */
            size_t used = 0;
            if (n > 12 || !parse_ipv4(s + start, &used, groups + n) || s[start + used] != '\0') {
                return 0;
            }
            n += 4;
            break;
        }
        if (d == 0 || n + 2u > sizeof groups) {
            return 0;
        }
        groups[n++] = (uint8_t)(v >> 8);
        groups[n++] = (uint8_t)v;
        if (s[i] == '\0') {
            break;
        }
        if (s[i] != ':') {
            return 0;
        }
        i++;
        if (s[i] == ':') {
            if (gap != SIZE_MAX) {
                return 0;
            }
            gap = n;
            i++;
        } else if (s[i] == '\0') {
            return 0; /* trailing single colon */
        }
    }
    if (gap == SIZE_MAX ? n != 16 : n > 14) {
        return 0;
    }
    if (gap == SIZE_MAX) {
        gap = n;
    }
    /* The groups after "::" go to the end, zeros fill the gap. */
    memset(out, 0, 16);
    memcpy(out, groups, gap);
    memcpy(out + 16 - (n - gap), groups + gap, n - gap);
    return 1;
}

static int dns_ok(const char *v, size_t n)
{
    size_t label = 0;
    if (n == 0 || n > 253) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '.') {
            if (label == 0) {
                return 0;
            }
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || (c == '*' && i == 0 && (n == 1 || v[1] == '.')))) {
            return 0;
        }
        if (++label > 63) {
            return 0;
        }
    }
    return label != 0;
}

static int visible_ascii(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] <= 0x20u || (unsigned char)v[i] >= 0x7Fu) {
            return 0;
        }
    }
    return n != 0;
}

int pkiot_x509_san_check(const pkiot_x509_san_t *san)
{
    const char *v = (const char *)san->value;
    size_t n = san->len;
    if (san->value == NULL && n != 0) {
        return SAN_ERR;
    }
    switch (san->type) {
    case PKIOT_SAN_DNS:
        return dns_ok(v, n) ? PKIOT_OK : SAN_ERR;
    case PKIOT_SAN_EMAIL:
    case PKIOT_SAN_URI: {
        /* local@domain, scheme:rest: the separator must follow something */
        const char *at = NULL;
        if (visible_ascii(v, n)) {
            at = memchr(v, san->type == PKIOT_SAN_EMAIL ? '@' : ':', n);
        }
        if (at == NULL || at == v) {
            return SAN_ERR;
        }
        if (*at == ':') {
            return PKIOT_OK; /* a URI: nothing more to check */
        }
        if (at == v + n - 1 || memchr(at + 1, '@', (size_t)(v + n - at - 1)) != NULL) {
            return SAN_ERR;
        }
        return PKIOT_OK;
    }
    case PKIOT_SAN_IP:
        return n == 4 || n == 16 ? PKIOT_OK : SAN_ERR;
    case PKIOT_SAN_RID:
    case PKIOT_SAN_OTHER_NAME:
    case PKIOT_SAN_X400:
    case PKIOT_SAN_EDI_PARTY:
        return n != 0 ? PKIOT_OK : SAN_ERR;
    case PKIOT_SAN_DIR_NAME:
        return pkiot_x509_name_check(san->value, n, NULL) == PKIOT_OK ? PKIOT_OK : SAN_ERR;
    default:
        return SAN_ERR;
    }
}

int pkiot_x509_san_from_string(const char *s, pkiot_x509_san_t *out, uint8_t ip_buf[16])
{
    static const struct {
        char prefix[7];
        uint8_t type;
    } kinds[] = {
        { "DNS:", PKIOT_SAN_DNS },     { "IP:", PKIOT_SAN_IP },   { "URI:", PKIOT_SAN_URI },
        { "email:", PKIOT_SAN_EMAIL }, { "RID:", PKIOT_SAN_RID },
    };

    if (s == NULL || out == NULL || ip_buf == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i].prefix);
        /* Stops at the first difference, so never reads past the end of a shorter s. */
        if (pkiot_x509_ascii_casecmp(s, kinds[i].prefix, k) != 0) {
            continue;
        }
        const char *v = s + k;
        size_t n = strlen(v);
        out->type = (pkiot_x509_san_type_t)kinds[i].type;
        if (out->type == PKIOT_SAN_IP) {
            size_t used = 0;
            out->value = ip_buf;
            if (memchr(v, ':', n) != NULL) {
                out->len = 16;
                return parse_ipv6(v, ip_buf) ? PKIOT_OK : SAN_ERR;
            }
            out->len = 4;
            return parse_ipv4(v, &used, ip_buf) && used == n ? PKIOT_OK : SAN_ERR;
        }
        if (out->type == PKIOT_SAN_RID) {
            size_t olen = 0;
            if (pkiot_x509_oid_parse(v, n, ip_buf, 16, &olen) != PKIOT_OK) {
                return SAN_ERR;
            }
            out->value = ip_buf;
            out->len = olen;
            return PKIOT_OK;
        }
        out->value = (const uint8_t *)v;
        out->len = n;
        return pkiot_x509_san_check(out);
    }
    return SAN_ERR;
}

int pkiot_x509_write_general_name(pkiot_der_writer_t *w, const pkiot_x509_san_t *san)
{
    int rc = pkiot_x509_san_check(san);
    if (rc != PKIOT_OK) {
        return rc;
    }
    unsigned t = (unsigned)san->type;
    int constructed = san->type == PKIOT_SAN_OTHER_NAME || san->type == PKIOT_SAN_X400 ||
                      san->type == PKIOT_SAN_DIR_NAME || san->type == PKIOT_SAN_EDI_PARTY;
    pkiot_der_w_prim(w, constructed ? PKIOT_DER_CTX_C(t) : PKIOT_DER_CTX_P(t), san->value,
                     san->len);
    return w->err;
}
