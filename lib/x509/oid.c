/* OID tables, OID text conversion and small DER helpers shared by lib/x509. */
#include "oid.h"
#include "x509_int.h"

#include "pkiot/x509.h"

#include <string.h>

#define U8 PKIOT_DER_UTF8_STRING
#define PS PKIOT_DER_PRINTABLE_STRING
#define IA5 PKIOT_DER_IA5_STRING

/* The OID of every known naming attribute is one of these arcs plus one final octet. */
enum { ARC_X520, ARC_PKCS9, ARC_PILOT };

static const struct dn_arc {
    uint8_t len;
    uint8_t oid[PKIOT_X509_DN_ATTR_OID_MAX - 1u];
} dn_arcs[] = {
    /* 2.5.4 */
    [ARC_X520] = { 2, { 0x55, 0x04 } },
    /* 1.2.840.113549.1.9 */
    [ARC_PKCS9] = { 8, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09 } },
    /* 0.9.2342.19200300.100.1 */
    [ARC_PILOT] = { 9, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01 } },
};

#define DN_ATTR(arc, last, tag, ub) { (arc), (last), (uint8_t)(tag), (ub) }

/* Upper bounds from RFC 5280 Appendix A (ub-*). The names of entry i are the i-th pair of
 * dn_names below. */
static const pkiot_x509_dn_attr_t dn_attrs[] = {
    DN_ATTR(ARC_X520, 0x03, U8, 64),     /* 2.5.4.3 CN */
    DN_ATTR(ARC_X520, 0x04, U8, 32768),  /* 2.5.4.4 SN */
    DN_ATTR(ARC_X520, 0x05, PS, 64),     /* 2.5.4.5 serialNumber */
    DN_ATTR(ARC_X520, 0x06, PS, 2),      /* 2.5.4.6 C */
    DN_ATTR(ARC_X520, 0x07, U8, 128),    /* 2.5.4.7 L */
    DN_ATTR(ARC_X520, 0x08, U8, 128),    /* 2.5.4.8 ST */
    DN_ATTR(ARC_X520, 0x09, U8, 128),    /* 2.5.4.9 street */
    DN_ATTR(ARC_X520, 0x0A, U8, 64),     /* 2.5.4.10 O */
    DN_ATTR(ARC_X520, 0x0B, U8, 64),     /* 2.5.4.11 OU */
    DN_ATTR(ARC_X520, 0x0C, U8, 64),     /* 2.5.4.12 title */
    DN_ATTR(ARC_X520, 0x11, U8, 40),     /* 2.5.4.17 postalCode */
    DN_ATTR(ARC_X520, 0x2A, U8, 32768),  /* 2.5.4.42 GN */
    DN_ATTR(ARC_X520, 0x2B, U8, 32768),  /* 2.5.4.43 initials */
    DN_ATTR(ARC_X520, 0x2C, U8, 32768),  /* 2.5.4.44 generationQualifier */
    DN_ATTR(ARC_X520, 0x2E, PS, 0),      /* 2.5.4.46 dnQualifier */
    DN_ATTR(ARC_X520, 0x41, U8, 128),    /* 2.5.4.65 pseudonym */
    DN_ATTR(ARC_X520, 0x61, U8, 0),      /* 2.5.4.97 organizationIdentifier */
    DN_ATTR(ARC_PKCS9, 0x01, IA5, 255),  /* 1.2.840.113549.1.9.1 emailAddress */
    DN_ATTR(ARC_PILOT, 0x19, IA5, 0),    /* 0.9.2342.19200300.100.1.25 DC */
    DN_ATTR(ARC_PILOT, 0x01, U8, 0),     /* 0.9.2342.19200300.100.1.1 UID */
};

#define N_DN_ATTRS (sizeof dn_attrs / sizeof dn_attrs[0])

/* Per attribute: the short name used when printing, then a second accepted spelling or "". */
static const char dn_names[] =
    "CN\0commonName\0"
    "SN\0surname\0"
    "serialNumber\0\0"
    "C\0countryName\0"
    "L\0localityName\0"
    "ST\0S\0"
    "street\0streetAddress\0"
    "O\0organizationName\0"
    "OU\0organizationalUnitName\0"
    "title\0\0"
    "postalCode\0\0"
    "GN\0givenName\0"
    "initials\0\0"
    "generationQualifier\0\0"
    "dnQualifier\0\0"
    "pseudonym\0\0"
    "organizationIdentifier\0\0"
    "emailAddress\0E\0"
    "DC\0domainComponent\0"
    "UID\0userId";

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

const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_name(const char *name, size_t len)
{
    const char *s = dn_names;
    for (size_t i = 0; i < 2u * N_DN_ATTRS; i++) {
        size_t n = strlen(s);
        /* n != 0: an empty alias matches nothing */
        if (n == len && n != 0 && pkiot_x509_ascii_casecmp(s, name, len) == 0) {
            return &dn_attrs[i / 2u];
        }
        s += n + 1u;
    }
    return NULL;
}

const char *pkiot_x509_dn_attr_name(const pkiot_x509_dn_attr_t *attr)
{
    const char *s = dn_names;
    for (size_t i = 2u * (size_t)(attr - dn_attrs); i > 0; i--) {
        s += strlen(s) + 1u;
    }
    return s;
}

size_t pkiot_x509_dn_attr_oid(const pkiot_x509_dn_attr_t *attr,
                              uint8_t out[PKIOT_X509_DN_ATTR_OID_MAX])
{
    const struct dn_arc *arc = &dn_arcs[attr->arc_base];
    memcpy(out, arc->oid, arc->len);
    out[arc->len] = attr->arc_last;
    return arc->len + 1u;
}

const pkiot_x509_dn_attr_t *pkiot_x509_dn_attr_by_oid(const uint8_t *oid, size_t len)
{
    for (size_t i = 0; i < N_DN_ATTRS; i++) {
        uint8_t known[PKIOT_X509_DN_ATTR_OID_MAX];
        if (pkiot_x509_dn_attr_oid(&dn_attrs[i], known) == len && memcmp(known, oid, len) == 0) {
            return &dn_attrs[i];
        }
    }
    return NULL;
}

/* The OID bytes live in the entry itself: no pointer and no separate literal per entry. */
typedef struct sigalg {
    uint8_t oid[10];
    uint8_t oid_len;
    uint8_t fam;
    uint8_t hash;
} sigalg_t;

#define SIGALG(o, f, h) { o, (uint8_t)PKIOT_OID_LEN(o), (uint8_t)(f), (uint8_t)(h) }

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
            return (const char *)sigalgs[i].oid;
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

int pkiot_x509_oid_parse(const char *text, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    uint32_t first = 0;
    size_t narc = 0;
    size_t pos = 0;
    const char *s = text;
    const char *end = text + len;

    for (;;) {
        uint32_t v = 0;
        size_t digits = 0;
        while (s < end && *s >= '0' && *s <= '9') {
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
        narc++;
        if (narc == 1) {
            first = v;
        } else {
            /* The first two arcs share one subidentifier. */
            if (narc == 2) {
                if (first > 2 || (first < 2 && v >= 40) || v > UINT32_MAX - 80u) {
                    return PKIOT_E_INVALID_ARG;
                }
                v += first * 40u;
            }
            size_t n = put_arc(out, cap, pos, v);
            if (n == 0) {
                return PKIOT_E_BUFFER_TOO_SMALL;
            }
            pos += n;
        }
        if (s == end) {
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

int pkiot_x509_oid_from_string(const char *text, uint8_t *out, size_t cap, size_t *olen)
{
    if (text == NULL || (out == NULL && cap != 0) || olen == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    return pkiot_x509_oid_parse(text, strlen(text), out, cap, olen);
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
        pkiot_der_tlv_t t;
        uint8_t *a; /* the element t is compared with, the one before it */
        size_t a_len;
        int rc;

        swapped = 0;
        pkiot_der_init(&cur, p, len);
        if (pkiot_der_at_end(&cur)) {
            return PKIOT_OK;
        }
        rc = pkiot_der_next(&cur, &t);
        if (rc != PKIOT_OK) {
            return rc;
        }
        a = p + (t.raw - p);
        a_len = t.raw_len;
        while (!pkiot_der_at_end(&cur)) {
            rc = pkiot_der_next(&cur, &t);
            if (rc != PKIOT_OK) {
                return rc;
            }
            if (der_less(t.raw, t.raw_len, a, a_len)) {
                pkiot_x509_swap_blocks(a, a_len, t.raw_len);
                /* a now follows t: continue comparing a with the element after it. */
                a += t.raw_len;
                swapped = 1;
            } else {
                a = p + (t.raw - p);
                a_len = t.raw_len;
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
