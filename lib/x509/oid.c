/* OID tables, OID text conversion and small DER helpers shared by lib/x509. */
#include "oid.h"
#include "x509_int.h"

#include "pkiot/x509.h"

#include <string.h>

#define U8 PKIOT_DER_UTF8_STRING
#define PS PKIOT_DER_PRINTABLE_STRING
#define IA5 PKIOT_DER_IA5_STRING

#define DN_ATTR(n, a, o, tag, ub)                                                              \
    { (n), (a), (const uint8_t *)(o), (uint8_t)PKIOT_OID_LEN(o), (uint8_t)(tag), (ub) }

/* Upper bounds from RFC 5280 Appendix A (ub-*). */
static const pkiot_x509_dn_attr_t dn_attrs[] = {
    DN_ATTR("CN", "commonName", PKIOT_OID_AT_CN, U8, 64),
    DN_ATTR("SN", "surname", "\x55\x04\x04", U8, 32768),
    DN_ATTR("serialNumber", NULL, PKIOT_OID_AT_SERIAL_NUMBER, PS, 64),
    DN_ATTR("C", "countryName", PKIOT_OID_AT_COUNTRY, PS, 2),
    DN_ATTR("L", "localityName", "\x55\x04\x07", U8, 128),
    DN_ATTR("ST", "S", "\x55\x04\x08", U8, 128),
    DN_ATTR("street", "streetAddress", "\x55\x04\x09", U8, 128),
    DN_ATTR("O", "organizationName", PKIOT_OID_AT_ORG, U8, 64),
    DN_ATTR("OU", "organizationalUnitName", PKIOT_OID_AT_ORG_UNIT, U8, 64),
    DN_ATTR("title", NULL, "\x55\x04\x0C", U8, 64),
    DN_ATTR("postalCode", NULL, "\x55\x04\x11", U8, 40),
    DN_ATTR("GN", "givenName", "\x55\x04\x2A", U8, 32768),
    DN_ATTR("initials", NULL, "\x55\x04\x2B", U8, 32768),
    DN_ATTR("generationQualifier", NULL, "\x55\x04\x2C", U8, 32768),
    DN_ATTR("dnQualifier", NULL, "\x55\x04\x2E", PS, 0),
    DN_ATTR("pseudonym", NULL, "\x55\x04\x41", U8, 128),
    DN_ATTR("organizationIdentifier", NULL, "\x55\x04\x61", U8, 0),
    DN_ATTR("emailAddress", "E", PKIOT_OID_PKCS9_EMAIL, IA5, 255),
    DN_ATTR("DC", "domainComponent", PKIOT_OID_AT_DC, IA5, 0),
    DN_ATTR("UID", "userId", PKIOT_OID_AT_UID, U8, 0),
};

int pkiot_x509_ascii_casecmp(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i];
        unsigned char y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x + 32u);
        }
        if (y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y + 32u);
        }
        if (x != y) {
            return 1;
        }
    }
    return 0;
}

static int name_is(const char *known, const char *name, size_t len)
{
    return known != NULL && strlen(known) == len && pkiot_x509_ascii_casecmp(known, name, len) == 0;
}

const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++) {
        if (name_is(dn_attrs[i].name, name, len) || name_is(dn_attrs[i].alias, name, len)) {
            return &dn_attrs[i];
        }
    }
    return NULL;
}

const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_oid(const uint8_t *oid, size_t len)
{
    for (size_t i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++) {
        if (dn_attrs[i].oid_len == len && memcmp(dn_attrs[i].oid, oid, len) == 0) {
            return &dn_attrs[i];
        }
    }
    return NULL;
}

typedef struct sigalg {
    const char *oid;
    uint8_t oid_len;
    uint8_t fam;
    uint8_t hash;
} sigalg_t;

#define SIGALG(o, f, h) { (o), (uint8_t)PKIOT_OID_LEN(o), (uint8_t)(f), (uint8_t)(h) }

static const sigalg_t sigalgs[] = {
    SIGALG(PKIOT_OID_ECDSA_SHA256, PKIOT_X509_SIGFAM_ECDSA, PKIOT_HASH_SHA256),
    SIGALG(PKIOT_OID_ECDSA_SHA384, PKIOT_X509_SIGFAM_ECDSA, PKIOT_HASH_SHA384),
    SIGALG(PKIOT_OID_ECDSA_SHA512, PKIOT_X509_SIGFAM_ECDSA, PKIOT_HASH_SHA512),
    SIGALG(PKIOT_OID_ECDSA_SHA1, PKIOT_X509_SIGFAM_ECDSA, PKIOT_HASH_SHA1),
    SIGALG(PKIOT_OID_SHA256_RSA, PKIOT_X509_SIGFAM_RSA, PKIOT_HASH_SHA256),
    SIGALG(PKIOT_OID_SHA384_RSA, PKIOT_X509_SIGFAM_RSA, PKIOT_HASH_SHA384),
    SIGALG(PKIOT_OID_SHA512_RSA, PKIOT_X509_SIGFAM_RSA, PKIOT_HASH_SHA512),
    SIGALG(PKIOT_OID_SHA1_RSA, PKIOT_X509_SIGFAM_RSA, PKIOT_HASH_SHA1),
    SIGALG(PKIOT_OID_RSASSA_PSS, PKIOT_X509_SIGFAM_RSA_PSS, PKIOT_HASH_NONE),
    SIGALG(PKIOT_OID_ED25519, PKIOT_X509_SIGFAM_EDDSA, PKIOT_HASH_NONE),
    SIGALG(PKIOT_OID_ED448, PKIOT_X509_SIGFAM_EDDSA, PKIOT_HASH_NONE),
};

int pkiot_x509_sigalg_lookup(const uint8_t *oid, size_t len, unsigned *fam,
                             pkiot_hash_alg_t *hash)
{
    for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++) {
        if (sigalgs[i].oid_len == len && memcmp(sigalgs[i].oid, oid, len) == 0) {
            *fam = sigalgs[i].fam;
            *hash = (pkiot_hash_alg_t)sigalgs[i].hash;
            return 1;
        }
    }
    *fam = PKIOT_X509_SIGFAM_NONE;
    *hash = PKIOT_HASH_NONE;
    return 0;
}

const char *pkiot_x509_sigalg_oid(unsigned fam, pkiot_hash_alg_t hash, size_t *len)
{
    if (hash == PKIOT_HASH_NONE) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++) {
        if (sigalgs[i].fam == fam && sigalgs[i].hash == (uint8_t)hash) {
            *len = sigalgs[i].oid_len;
            return sigalgs[i].oid;
        }
    }
    return NULL;
}

/* --- OID text ---------------------------------------------------------------------------- */

/* Append @p s to a snprintf-style output. */
static void out_str(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (*pos + 1u < cap) {
            out[*pos] = s[i];
        }
        (*pos)++;
    }
}

static void out_u32(char *out, size_t cap, size_t *pos, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (char)(v % 10u));
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        n--;
        out_str(out, cap, pos, &tmp[n], 1);
    }
}

int pkiot_x509_oid_to_string(const uint8_t *oid, size_t len, char *out, size_t cap,
                             size_t *olen)
{
    size_t pos = 0;
    int first = 1;
    int rc = PKIOT_OK;

    if ((oid == NULL && len != 0) || (out == NULL && cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (len == 0 || (oid[len - 1] & 0x80u) != 0) {
        rc = PKIOT_E_DER_BAD_VALUE;
    }
    for (size_t i = 0; i < len && rc == PKIOT_OK;) {
        uint32_t v = 0;
        size_t n = 0;
        if (oid[i] == 0x80u) {
            rc = PKIOT_E_DER_BAD_VALUE; /* non-minimal arc */
            break;
        }
        for (;;) {
            if (i >= len || n >= 5 || (n == 4 && v > 0x1FFFFFFu)) {
                rc = PKIOT_E_DER_BAD_VALUE;
                break;
            }
            uint8_t b = oid[i++];
            v = (v << 7) | (uint32_t)(b & 0x7Fu);
            n++;
            if ((b & 0x80u) == 0) {
                break;
            }
        }
        if (rc != PKIOT_OK) {
            break;
        }
        if (first) {
            uint32_t a = v < 40u ? 0u : (v < 80u ? 1u : 2u);
            out_u32(out, cap, &pos, a);
            out_str(out, cap, &pos, ".", 1);
            out_u32(out, cap, &pos, v - 40u * a);
            first = 0;
        } else {
            out_str(out, cap, &pos, ".", 1);
            out_u32(out, cap, &pos, v);
        }
    }
    if (rc != PKIOT_OK) {
        pos = 0;
    }
    if (cap > 0) {
        out[pos < cap ? pos : cap - 1u] = '\0';
    }
    if (olen != NULL) {
        *olen = pos;
    }
    if (rc == PKIOT_OK && pos >= cap) {
        rc = PKIOT_E_BUFFER_TOO_SMALL;
    }
    return rc;
}

/* Base-128 encoding of one arc; returns bytes written or 0 when it does not fit. */
static size_t put_arc(uint8_t *out, size_t cap, size_t pos, uint32_t v)
{
    uint8_t tmp[5];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)(v & 0x7Fu);
        v >>= 7;
    } while (v != 0);
    if (cap - pos < n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        out[pos + i] = (uint8_t)(tmp[n - 1u - i] | (i + 1u < n ? 0x80u : 0u));
    }
    return n;
}

int pkiot_x509_oid_from_string(const char *text, uint8_t *out, size_t cap, size_t *olen)
{
    uint32_t arcs[2] = { 0, 0 };
    size_t narc = 0;
    size_t pos = 0;
    const char *s = text;

    if (text == NULL || (out == NULL && cap != 0) || olen == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    for (;;) {
        uint32_t v = 0;
        size_t digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits > 0 && v == 0) {
                return PKIOT_E_INVALID_ARG; /* leading zero */
            }
            uint32_t d = (uint32_t)(*s - '0');
            if (v > (UINT32_MAX - d) / 10u) {
                return PKIOT_E_INVALID_ARG;
            }
            v = v * 10u + d;
            digits++;
            s++;
        }
        if (digits == 0) {
            return PKIOT_E_INVALID_ARG;
        }
        if (narc < 2) {
            arcs[narc] = v;
        }
        narc++;
        if (narc == 2) {
            if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) ||
                arcs[1] > UINT32_MAX - 80u) {
                return PKIOT_E_INVALID_ARG;
            }
            size_t n = put_arc(out, cap, pos, arcs[0] * 40u + arcs[1]);
            if (n == 0) {
                return PKIOT_E_BUFFER_TOO_SMALL;
            }
            pos += n;
        } else if (narc > 2) {
            size_t n = put_arc(out, cap, pos, v);
            if (n == 0) {
                return PKIOT_E_BUFFER_TOO_SMALL;
            }
            pos += n;
        }
        if (*s == '\0') {
            break;
        }
        if (*s != '.') {
            return PKIOT_E_INVALID_ARG;
        }
        s++;
    }
    if (narc < 2) {
        return PKIOT_E_INVALID_ARG;
    }
    *olen = pos;
    return PKIOT_OK;
}

/* --- SET OF sorting ---------------------------------------------------------------------- */

static void reverse(uint8_t *p, size_t n)
{
    size_t i = 0;
    size_t j = n;
    while (i + 1u < j) {
        j--;
        uint8_t t = p[i];
        p[i] = p[j];
        p[j] = t;
        i++;
    }
}

void pkiot_x509_swap_blocks(uint8_t *p, size_t a, size_t b)
{
    reverse(p, a);
    reverse(p + a, b);
    reverse(p, a + b);
}

/* X.690 11.6 order: octet-wise, the shorter padded with zero octets. */
static int der_less(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen > blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = i < alen ? a[i] : 0u;
        uint8_t y = i < blen ? b[i] : 0u;
        if (x != y) {
            return x < y;
        }
    }
    return 0;
}

int pkiot_x509_der_sort_set(uint8_t *p, size_t len)
{
    /* Bubble sort: SETs here hold a handful of elements, and it needs no index memory. */
    int swapped = 1;
    while (swapped) {
        pkiot_der_cursor_t cur;
        pkiot_der_tlv_t a;
        pkiot_der_tlv_t b;
        int rc;

        swapped = 0;
        pkiot_der_init(&cur, p, len);
        if (pkiot_der_at_end(&cur)) {
            return PKIOT_OK;
        }
        rc = pkiot_der_next(&cur, &a);
        if (rc != PKIOT_OK) {
            return rc;
        }
        while (!pkiot_der_at_end(&cur)) {
            rc = pkiot_der_next(&cur, &b);
            if (rc != PKIOT_OK) {
                return rc;
            }
            if (der_less(b.raw, b.raw_len, a.raw, a.raw_len)) {
                uint8_t *start = p + (a.raw - p);
                pkiot_x509_swap_blocks(start, a.raw_len, b.raw_len);
                /* a now follows b: continue comparing a with the element after it. */
                a.raw = start + b.raw_len;
                swapped = 1;
            } else {
                a = b;
            }
        }
    }
    return PKIOT_OK;
}

/* --- structure readers ------------------------------------------------------------------- */

int pkiot_x509_next(pkiot_der_cursor_t *c, pkiot_der_tlv_t *t, int fmt)
{
    if (pkiot_der_at_end(c)) {
        return fmt;
    }
    return pkiot_der_next(c, t);
}

int pkiot_x509_expect(pkiot_der_cursor_t *c, uint32_t tag, pkiot_der_tlv_t *t, int fmt)
{
    if (pkiot_der_at_end(c)) {
        return fmt;
    }
    int rc = pkiot_der_expect(c, tag, t);
    return rc == PKIOT_E_DER_BAD_TAG ? fmt : rc;
}

int pkiot_x509_end(const pkiot_der_cursor_t *c, int fmt)
{
    return pkiot_der_at_end(c) ? PKIOT_OK : fmt;
}

int pkiot_x509_whole_seq(const uint8_t *der, size_t len, pkiot_der_tlv_t *seq)
{
    pkiot_der_cursor_t c;
    int rc;

    pkiot_der_init(&c, der, len);
    rc = pkiot_der_next(&c, seq);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (seq->tag != PKIOT_DER_SEQUENCE) {
        return PKIOT_E_X509_FORMAT;
    }
    return pkiot_der_finish(&c);
}

int pkiot_x509_alg_id(const pkiot_der_tlv_t *alg, pkiot_der_tlv_t *oid, pkiot_der_tlv_t *par,
                      int *has_par, int fmt)
{
    pkiot_der_cursor_t a;
    int rc;

    *has_par = 0;
    pkiot_der_enter(alg, &a);
    rc = pkiot_x509_expect(&a, PKIOT_DER_OID, oid, fmt);
    if (rc == PKIOT_OK && !pkiot_der_at_end(&a)) {
        *has_par = 1;
        rc = pkiot_der_next(&a, par);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&a, fmt);
    }
    return rc;
}
