/* subjectAltName strings ("DNS:x", "IP:...", ...) -> GeneralName values. */
#include "../core/core_int.h"
#include "oid.h"
#include "x509_int.h"

#include "pkiot/csr.h"

#include <string.h>

#define SAN_ERR PKIOT_E_X509_SAN_SYNTAX

static int prefix(const char *s, const char *p, size_t *skip)
{
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0') {
            return 0;
        }
    }
    if (pkiot_x509_ascii_casecmp(s, p, n) != 0) {
        return 0;
    }
    *skip = n;
    return 1;
}

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
    uint8_t head[16];
    uint8_t tail[16];
    size_t nh = 0;
    size_t nt = 0;
    int dc = 0;
    size_t i = 0;

    if (s[0] == ':') {
        if (s[1] != ':') {
            return 0;
        }
        dc = 1;
        i = 2;
    }
    while (s[i] != '\0') {
        uint8_t *dst = dc ? tail : head;
        size_t *n = dc ? &nt : &nh;
        size_t j = i;
        int v4 = 0;
        while (s[j] != '\0' && s[j] != ':') {
            if (s[j] == '.') {
                v4 = 1;
            }
            j++;
        }
        if (v4) {
            size_t used = 0;
            if (nh + nt > 12 || !parse_ipv4(s + i, &used, dst + *n) || s[i + used] != '\0') {
                return 0;
            }
            *n += 4;
            i += used;
            break;
        }
        unsigned v = 0;
        size_t d = 0;
        while (pkiot_hex_value(s[i]) >= 0) {
            v = (v << 4) | (unsigned)pkiot_hex_value(s[i]);
            d++;
            i++;
            if (d > 4) {
                return 0;
            }
        }
        if (d == 0 || nh + nt >= 16) {
            return 0;
        }
        dst[(*n)++] = (uint8_t)(v >> 8);
        dst[(*n)++] = (uint8_t)v;
        if (s[i] == '\0') {
            break;
        }
        if (s[i] != ':') {
            return 0;
        }
        i++;
        if (s[i] == ':') {
            if (dc) {
                return 0;
            }
            dc = 1;
            i++;
        } else if (s[i] == '\0') {
            return 0; /* trailing single colon */
        }
    }
    if (dc ? nh + nt > 14 : nh != 16) {
        return 0;
    }
    memset(out, 0, 16);
    memcpy(out, head, nh);
    memcpy(out + 16 - nt, tail, nt);
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
    case PKIOT_SAN_EMAIL: {
        const char *at = visible_ascii(v, n) ? memchr(v, '@', n) : NULL;
        if (at == NULL || at == v || at == v + n - 1 ||
            memchr(at + 1, '@', (size_t)(v + n - at - 1)) != NULL) {
            return SAN_ERR;
        }
        return PKIOT_OK;
    }
    case PKIOT_SAN_URI:
        return visible_ascii(v, n) && memchr(v, ':', n) != NULL && v[0] != ':' ? PKIOT_OK : SAN_ERR;
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
    size_t k = 0;

    if (s == NULL || out == NULL || ip_buf == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (prefix(s, "DNS:", &k)) {
        out->type = PKIOT_SAN_DNS;
    } else if (prefix(s, "IP:", &k)) {
        const char *v = s + k;
        size_t used = 0;
        out->type = PKIOT_SAN_IP;
        out->value = ip_buf;
        if (strchr(v, ':') != NULL) {
            out->len = 16;
            return parse_ipv6(v, ip_buf) ? PKIOT_OK : SAN_ERR;
        }
        out->len = 4;
        return parse_ipv4(v, &used, ip_buf) && v[used] == '\0' ? PKIOT_OK : SAN_ERR;
    } else if (prefix(s, "URI:", &k)) {
        out->type = PKIOT_SAN_URI;
    } else if (prefix(s, "email:", &k)) {
        out->type = PKIOT_SAN_EMAIL;
    } else if (prefix(s, "RID:", &k)) {
        size_t olen = 0;
        out->type = PKIOT_SAN_RID;
        if (pkiot_x509_oid_from_string(s + k, ip_buf, 16, &olen) != PKIOT_OK) {
            return SAN_ERR;
        }
        out->value = ip_buf;
        out->len = olen;
        return PKIOT_OK;
    } else {
        return SAN_ERR;
    }
    out->value = (const uint8_t *)(s + k);
    out->len = strlen(s + k);
    return pkiot_x509_san_check(out);
}

int pkiot_x509_write_general_name(pkiot_der_writer_t *w, const pkiot_x509_san_t *san)
{
    int rc = pkiot_x509_san_check(san);
    if (rc != PKIOT_OK) {
        return rc;
    }
    switch (san->type) {
    case PKIOT_SAN_DIR_NAME: {
        size_t mark = pkiot_der_w_len(w);
        pkiot_der_w_raw(w, san->value, san->len);
        pkiot_der_w_close(w, PKIOT_DER_CTX_C(4), mark);
        break;
    }
    case PKIOT_SAN_OTHER_NAME:
    case PKIOT_SAN_X400:
    case PKIOT_SAN_EDI_PARTY:
        pkiot_der_w_prim(w, PKIOT_DER_CTX_C((unsigned)san->type), san->value, san->len);
        break;
    default:
        pkiot_der_w_prim(w, PKIOT_DER_CTX_P((unsigned)san->type), san->value, san->len);
        break;
    }
    return w->err;
}
