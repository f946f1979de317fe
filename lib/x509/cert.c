/* X.509 certificate field extraction, signature verification and path checks. */
#include "oid.h"
#include "x509_int.h"

#include "pkiot/datetime.h"
#include "pkiot/x509.h"

#include <string.h>

#define FMT PKIOT_E_X509_FORMAT

/* --- time -------------------------------------------------------------------------------- */

static int cert_time(const pkiot_der_tlv_t *t, int64_t *out)
{
    int rc = pkiot_time_parse_der(t, out);
    return rc == PKIOT_E_DER_BAD_TAG ? FMT : rc;
}

/* --- public keys ------------------------------------------------------------------------- */

pkiot_key_type_t pkiot_x509_curve_type(const uint8_t *oid, size_t len, uint16_t *bits)
{
    static const struct {
        uint8_t oid[10]; /* room for the terminating NUL of the string initializers */
        uint8_t len;
        uint8_t type;
        uint16_t bits;
    } curves[] = {
        {PKIOT_OID_SECP256R1, PKIOT_OID_LEN(PKIOT_OID_SECP256R1), PKIOT_KEY_EC_P256, 256},
        {PKIOT_OID_SECP384R1, PKIOT_OID_LEN(PKIOT_OID_SECP384R1), PKIOT_KEY_EC_P384, 384},
        {PKIOT_OID_SECP521R1, PKIOT_OID_LEN(PKIOT_OID_SECP521R1), PKIOT_KEY_NONE, 521},
        /* brainpoolP256r1 / P384r1 / P512r1 (RFC 5639): sizes only, not pkiot key types. */
        {"\x2B\x24\x03\x03\x02\x08\x01\x01\x07", 9, PKIOT_KEY_NONE, 256},
        {"\x2B\x24\x03\x03\x02\x08\x01\x01\x0B", 9, PKIOT_KEY_NONE, 384},
        {"\x2B\x24\x03\x03\x02\x08\x01\x01\x0D", 9, PKIOT_KEY_NONE, 512},
    };
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
        if (len == curves[i].len && memcmp(oid, curves[i].oid, len) == 0) {
            *bits = curves[i].bits;
            return (pkiot_key_type_t)curves[i].type;
        }
    }
    *bits = 0;
    return PKIOT_KEY_NONE;
}

uint16_t pkiot_x509_rsa_bits(const uint8_t *der, size_t len)
{
    pkiot_der_cursor_t c;
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t seq;
    pkiot_der_tlv_t n;

    pkiot_der_init(&c, der, len);
    if (pkiot_der_expect(&c, PKIOT_DER_SEQUENCE, &seq) != PKIOT_OK || !pkiot_der_at_end(&c)) {
        return 0;
    }
    pkiot_der_enter(&seq, &in);
    if (pkiot_der_expect(&in, PKIOT_DER_INTEGER, &n) != PKIOT_OK ||
        pkiot_der_expect(&in, PKIOT_DER_INTEGER, NULL) != PKIOT_OK || !pkiot_der_at_end(&in)) {
        return 0;
    }
    const uint8_t *p = n.val;
    size_t l = n.len;
    while (l > 0 && p[0] == 0) {
        p++;
        l--;
    }
    if (l == 0 || l > 2048) {
        return 0;
    }
    unsigned top = 0;
    for (uint8_t b = p[0]; b != 0; b = (uint8_t)(b >> 1)) {
        top++;
    }
    return (uint16_t)((l - 1u) * 8u + top);
}

int pkiot_x509_spki_info(const uint8_t *spki, size_t len, pkiot_x509_key_alg_t *alg,
                         pkiot_key_type_t *type, uint16_t *bits, pkiot_slice_t *params,
                         pkiot_slice_t *key)
{
    pkiot_der_cursor_t c;
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t seq;
    pkiot_der_tlv_t algid;
    pkiot_der_tlv_t oid;
    pkiot_der_tlv_t par;
    pkiot_der_tlv_t bs;
    unsigned unused = 0;
    int has_par = 0;
    int rc;

    *alg = PKIOT_X509_KEY_UNKNOWN;
    *type = PKIOT_KEY_NONE;
    *bits = 0;
    params->p = NULL;
    params->len = 0;
    pkiot_der_init(&c, spki, len);
    rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &seq, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&seq, &in);
    rc = pkiot_x509_expect(&in, PKIOT_DER_SEQUENCE, &algid, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_BIT_STRING, &bs, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_x509_alg_id(&algid, &oid, &par, &has_par, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_der_get_bitstring(&bs, key, &unused);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (unused != 0 || key->len == 0) {
        return FMT;
    }
    if (pkiot_der_oid_eq(&oid, PKIOT_OID_ARG(PKIOT_OID_RSA_ENCRYPTION))) {
        *alg = PKIOT_X509_KEY_RSA;
        if (has_par && par.tag != PKIOT_DER_NULL) {
            return FMT;
        }
        *bits = pkiot_x509_rsa_bits(key->p, key->len);
        if (*bits == 0) {
            return FMT;
        }
        *type = *bits == 2048   ? PKIOT_KEY_RSA_2048
                : *bits == 3072 ? PKIOT_KEY_RSA_3072
                : *bits == 4096 ? PKIOT_KEY_RSA_4096
                                : PKIOT_KEY_NONE;
    } else if (pkiot_der_oid_eq(&oid, PKIOT_OID_ARG(PKIOT_OID_EC_PUBLIC_KEY))) {
        *alg = PKIOT_X509_KEY_EC;
        if (!has_par) {
            return FMT;
        }
        if (par.tag == PKIOT_DER_OID) {
            params->p = par.val;
            params->len = par.len;
            *type = pkiot_x509_curve_type(par.val, par.len, bits);
        }
    } else if (pkiot_der_oid_eq(&oid, PKIOT_OID_ARG(PKIOT_OID_ED25519))) {
        *alg = PKIOT_X509_KEY_ED25519;
        *bits = 256;
    } else if (pkiot_der_oid_eq(&oid, PKIOT_OID_ARG(PKIOT_OID_ED448))) {
        *alg = PKIOT_X509_KEY_ED448;
        *bits = 448;
    }
    return PKIOT_OK;
}

/* --- extensions -------------------------------------------------------------------------- */

/* Bits of the "seen" mask, one per extension kind that must not repeat. */
enum {
    SEEN_BC = 1u << 0,
    SEEN_KU = 1u << 1,
    SEEN_EKU = 1u << 2,
    SEEN_SAN = 1u << 3,
    SEEN_AKI = 1u << 4,
    SEEN_SKI = 1u << 5
};

static int parse_bc(pkiot_der_cursor_t *v, pkiot_x509_cert_t *out)
{
    pkiot_der_tlv_t seq;
    pkiot_der_tlv_t t;
    pkiot_der_cursor_t in;
    int present = 0;
    int rc = pkiot_x509_expect(v, PKIOT_DER_SEQUENCE, &seq, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&seq, &in);
    rc = pkiot_der_optional(&in, PKIOT_DER_BOOLEAN, &t, &present);
    if (rc == PKIOT_OK && present) {
        int ca = 0;
        rc = pkiot_der_get_bool(&t, &ca);
        out->is_ca = (uint8_t)(ca != 0);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_INTEGER, &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        uint32_t pl = 0;
        rc = pkiot_der_get_u32(&t, &pl);
        if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && pl > 0x7FFFFFFFu)) {
            pl = 0x7FFFFFFFu;
            rc = PKIOT_OK;
        }
        out->path_len = (int32_t)pl;
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    out->has_basic_constraints = 1;
    return rc;
}

static int parse_ku(pkiot_der_cursor_t *v, pkiot_x509_cert_t *out)
{
    pkiot_der_tlv_t t;
    pkiot_slice_t bits;
    unsigned unused = 0;
    int rc = pkiot_x509_expect(v, PKIOT_DER_BIT_STRING, &t, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_get_bitstring(&t, &bits, &unused);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    uint16_t ku = 0;
    for (size_t i = 0; i < bits.len && i < 2; i++) {
        for (unsigned b = 0; b < 8; b++) {
            if ((bits.p[i] & (0x80u >> b)) != 0 && i * 8u + b < 16u) {
                ku = (uint16_t)(ku | (1u << (i * 8u + b)));
            }
        }
    }
    out->key_usage = ku;
    out->has_key_usage = 1;
    return PKIOT_OK;
}

static uint16_t eku_flag(const pkiot_der_tlv_t *oid)
{
    static const struct {
        const char *oid;
        uint16_t flag;
    } map[] = {
        { PKIOT_OID_KP_SERVER_AUTH, PKIOT_EKU_SERVER_AUTH },
        { PKIOT_OID_KP_CLIENT_AUTH, PKIOT_EKU_CLIENT_AUTH },
        { PKIOT_OID_KP_CODE_SIGNING, PKIOT_EKU_CODE_SIGNING },
        { PKIOT_OID_KP_EMAIL_PROTECTION, PKIOT_EKU_EMAIL_PROTECTION },
        { PKIOT_OID_KP_TIME_STAMPING, PKIOT_EKU_TIME_STAMPING },
        { PKIOT_OID_KP_OCSP_SIGNING, PKIOT_EKU_OCSP_SIGNING },
        { PKIOT_OID_KP_CMC_RA, PKIOT_EKU_CMC_RA },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (pkiot_der_oid_eq(oid, (const uint8_t *)map[i].oid, strlen(map[i].oid))) {
            return map[i].flag;
        }
    }
    if (pkiot_der_oid_eq(oid, PKIOT_OID_ARG(PKIOT_OID_ANY_EKU))) {
        return PKIOT_EKU_ANY;
    }
    return PKIOT_EKU_OTHER;
}

static int parse_eku(pkiot_der_cursor_t *v, pkiot_x509_cert_t *out)
{
    pkiot_der_tlv_t seq;
    pkiot_der_cursor_t in;
    int rc = pkiot_x509_expect(v, PKIOT_DER_SEQUENCE, &seq, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (seq.len == 0) {
        return FMT;
    }
    pkiot_der_enter(&seq, &in);
    while (!pkiot_der_at_end(&in)) {
        pkiot_der_tlv_t oid;
        rc = pkiot_x509_expect(&in, PKIOT_DER_OID, &oid, FMT);
        if (rc != PKIOT_OK) {
            return rc;
        }
        out->ext_key_usage = (uint16_t)(out->ext_key_usage | eku_flag(&oid));
    }
    out->eku_oids.p = seq.val;
    out->eku_oids.len = seq.len;
    out->has_ext_key_usage = 1;
    return PKIOT_OK;
}

static int parse_san(pkiot_der_cursor_t *v, pkiot_x509_cert_t *out)
{
    pkiot_der_tlv_t seq;
    pkiot_der_cursor_t in;
    pkiot_x509_san_t san;
    int rc = pkiot_x509_expect(v, PKIOT_DER_SEQUENCE, &seq, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (seq.len == 0) {
        return FMT;
    }
    pkiot_der_enter(&seq, &in);
    while ((rc = pkiot_x509_san_next(&in, &san)) == PKIOT_OK) {
    }
    if (rc != PKIOT_DONE) {
        return rc;
    }
    out->san.p = seq.val;
    out->san.len = seq.len;
    return PKIOT_OK;
}

static int parse_aki(pkiot_der_cursor_t *v, pkiot_x509_cert_t *out)
{
    pkiot_der_tlv_t seq;
    pkiot_der_tlv_t t;
    pkiot_der_cursor_t in;
    int present = 0;
    int rc = pkiot_x509_expect(v, PKIOT_DER_SEQUENCE, &seq, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&seq, &in);
    rc = pkiot_der_optional(&in, PKIOT_DER_CTX_P(0), &t, &present);
    if (rc == PKIOT_OK && present) {
        out->aki_key_id.p = t.val;
        out->aki_key_id.len = t.len;
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_CTX_C(1), NULL, &present);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_CTX_P(2), NULL, &present);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    return rc;
}

static int parse_extension(const pkiot_der_tlv_t *ext, pkiot_x509_cert_t *out, unsigned *seen)
{
    pkiot_der_cursor_t in;
    pkiot_der_cursor_t v;
    pkiot_der_tlv_t id;
    pkiot_der_tlv_t t;
    pkiot_der_tlv_t val;
    int present = 0;
    int critical = 0;
    unsigned bit = 0;
    int rc;

    pkiot_der_enter(ext, &in);
    rc = pkiot_x509_expect(&in, PKIOT_DER_OID, &id, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_BOOLEAN, &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        rc = pkiot_der_get_bool(&t, &critical);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_OCTET_STRING, &val, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&val, &v);
    if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_BASIC_CONSTRAINTS))) {
        bit = SEEN_BC;
        rc = parse_bc(&v, out);
    } else if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_KEY_USAGE))) {
        bit = SEEN_KU;
        rc = parse_ku(&v, out);
    } else if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_EXT_KEY_USAGE))) {
        bit = SEEN_EKU;
        rc = parse_eku(&v, out);
    } else if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_SAN))) {
        bit = SEEN_SAN;
        rc = parse_san(&v, out);
    } else if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_AKI))) {
        bit = SEEN_AKI;
        rc = parse_aki(&v, out);
    } else if (pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_SKI))) {
        bit = SEEN_SKI;
        rc = pkiot_x509_expect(&v, PKIOT_DER_OCTET_STRING, &t, FMT);
        if (rc == PKIOT_OK) {
            out->ski.p = t.val;
            out->ski.len = t.len;
        }
    } else {
        /* Recognised without being decoded: these do not restrict how pkiot uses a path. */
        int known = pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_CERT_POLICIES)) ||
                    pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_CRL_DP)) ||
                    pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_AIA)) ||
                    pkiot_der_oid_eq(&id, PKIOT_OID_ARG(PKIOT_OID_EXT_IAN));
        if (critical && !known) {
            out->unknown_critical = 1;
        }
        return PKIOT_OK;
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&v, FMT);
    }
    if (rc == PKIOT_OK && (*seen & bit) != 0) {
        rc = FMT; /* RFC 5280 §4.2: at most one instance of an extension */
    }
    *seen |= bit;
    return rc;
}

/* --- certificate ------------------------------------------------------------------------- */

static int parse_tbs(const pkiot_der_tlv_t *tbs, const pkiot_der_tlv_t *outer_alg,
                     pkiot_x509_cert_t *out)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t t;
    pkiot_der_tlv_t serial;
    pkiot_der_tlv_t alg;
    pkiot_der_tlv_t issuer;
    pkiot_der_tlv_t validity;
    pkiot_der_tlv_t subject;
    pkiot_der_tlv_t spki;
    int present = 0;
    int rc;

    pkiot_der_enter(tbs, &c);
    out->version = 1;
    rc = pkiot_der_optional(&c, PKIOT_DER_CTX_C(0), &t, &present);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (present) {
        pkiot_der_cursor_t v;
        pkiot_der_tlv_t iv;
        uint32_t ver = 0;
        pkiot_der_enter(&t, &v);
        rc = pkiot_x509_expect(&v, PKIOT_DER_INTEGER, &iv, FMT);
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_end(&v, FMT);
        }
        if (rc == PKIOT_OK) {
            rc = pkiot_der_get_u32(&iv, &ver);
        }
        if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && ver > 2)) {
            rc = FMT;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        out->version = ver + 1u;
    }
    rc = pkiot_x509_expect(&c, PKIOT_DER_INTEGER, &serial, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &alg, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &issuer, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &validity, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &subject, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &spki, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (serial.len == 0 || serial.len > 32 ||
        (serial.len > 1 && ((serial.val[0] == 0 && (serial.val[1] & 0x80u) == 0) ||
                            (serial.val[0] == 0xFFu && (serial.val[1] & 0x80u) != 0)))) {
        return FMT;
    }
    out->serial.p = serial.val;
    out->serial.len = serial.len;
    /* RFC 5280 §4.1.1.2: the signed algorithm must match the outer one. */
    if (alg.raw_len != outer_alg->raw_len || memcmp(alg.raw, outer_alg->raw, alg.raw_len) != 0) {
        return FMT;
    }
    rc = pkiot_x509_name_check(issuer.raw, issuer.raw_len, NULL);
    if (rc == PKIOT_OK && issuer.len == 0) {
        rc = FMT;
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_name_check(subject.raw, subject.raw_len, NULL);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    out->issuer.p = issuer.raw;
    out->issuer.len = issuer.raw_len;
    out->subject.p = subject.raw;
    out->subject.len = subject.raw_len;

    {
        pkiot_der_cursor_t v;
        pkiot_der_tlv_t nb;
        pkiot_der_tlv_t na;
        pkiot_der_enter(&validity, &v);
        rc = pkiot_x509_next(&v, &nb, FMT);
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_next(&v, &na, FMT);
        }
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_end(&v, FMT);
        }
        if (rc == PKIOT_OK) {
            rc = cert_time(&nb, &out->not_before);
        }
        if (rc == PKIOT_OK) {
            rc = cert_time(&na, &out->not_after);
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }

    out->spki.p = spki.raw;
    out->spki.len = spki.raw_len;
    rc = pkiot_x509_spki_info(spki.raw, spki.raw_len, &out->key_alg, &out->key_type,
                              &out->key_bits, &out->key_params, &out->public_key);
    if (rc != PKIOT_OK) {
        return rc;
    }

    /* issuerUniqueID [1], subjectUniqueID [2]: v2 and v3 only. */
    for (unsigned n = 1; n <= 2; n++) {
        rc = pkiot_der_optional(&c, PKIOT_DER_CTX_P(n), NULL, &present);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (present && out->version < 2) {
            return FMT;
        }
    }
    rc = pkiot_der_optional(&c, PKIOT_DER_CTX_C(3), &t, &present);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (present) {
        pkiot_der_cursor_t e;
        pkiot_der_cursor_t list;
        pkiot_der_tlv_t exts;
        unsigned seen = 0;
        if (out->version != 3) {
            return FMT;
        }
        pkiot_der_enter(&t, &e);
        rc = pkiot_x509_expect(&e, PKIOT_DER_SEQUENCE, &exts, FMT);
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_end(&e, FMT);
        }
        /* RFC 5280 says SIZE (1..MAX), but Mbed TLS-based CAs write an empty list for a
         * certificate without extensions; it carries no meaning either way, so accept it. */
        if (rc != PKIOT_OK) {
            return rc;
        }
        out->extensions.p = exts.val;
        out->extensions.len = exts.len;
        pkiot_der_enter(&exts, &list);
        while (!pkiot_der_at_end(&list)) {
            pkiot_der_tlv_t ext;
            rc = pkiot_x509_expect(&list, PKIOT_DER_SEQUENCE, &ext, FMT);
            if (rc == PKIOT_OK) {
                rc = parse_extension(&ext, out, &seen);
            }
            if (rc != PKIOT_OK) {
                return rc;
            }
        }
    }
    return pkiot_x509_end(&c, FMT);
}

int pkiot_x509_cert_parse(const uint8_t *der, size_t len, pkiot_x509_cert_t *out)
{
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t cert;
    pkiot_der_tlv_t tbs;
    pkiot_der_tlv_t alg;
    pkiot_der_tlv_t sig;
    pkiot_der_tlv_t oid;
    unsigned unused = 0;
    unsigned fam = 0;
    int rc;

    if (out == NULL || (der == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    out->path_len = -1;
    rc = pkiot_x509_whole_seq(der, len, &cert);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&cert, &in);
    rc = pkiot_x509_expect(&in, PKIOT_DER_SEQUENCE, &tbs, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_SEQUENCE, &alg, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_BIT_STRING, &sig, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    {
        pkiot_der_tlv_t par;
        int has_par;
        rc = pkiot_x509_alg_id(&alg, &oid, &par, &has_par, FMT);
        if (rc == PKIOT_OK && has_par) {
            out->sig_params.p = par.raw;
            out->sig_params.len = par.raw_len;
        }
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_get_bitstring(&sig, &out->signature, &unused);
    }
    if (rc == PKIOT_OK && (unused != 0 || oid.len == 0)) {
        rc = FMT;
    }
    if (rc != PKIOT_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->raw.p = cert.raw;
    out->raw.len = cert.raw_len;
    out->tbs.p = tbs.raw;
    out->tbs.len = tbs.raw_len;
    out->sig_oid.p = oid.val;
    out->sig_oid.len = oid.len;
    (void)pkiot_x509_sigalg_lookup(oid.val, oid.len, &fam, &out->sig_hash);
    rc = parse_tbs(&tbs, &alg, out);
    if (rc != PKIOT_OK) {
        memset(out, 0, sizeof *out);
        out->path_len = -1;
    }
    return rc;
}

/* --- subjectAltName ---------------------------------------------------------------------- */

int pkiot_x509_san_next(pkiot_der_cursor_t *it, pkiot_x509_san_t *out)
{
    pkiot_der_tlv_t t;
    int rc;

    if (it == NULL || out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (pkiot_der_at_end(it)) {
        return PKIOT_DONE;
    }
    rc = pkiot_der_next(it, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if ((t.tag & 0xC0u) != 0x80u || t.tag > 0xFFu) {
        return FMT;
    }
    unsigned num = t.tag & 0x1Fu;
    int constructed = (t.tag & 0x20u) != 0;
    out->value = t.val;
    out->len = t.len;
    switch (num) {
    case PKIOT_SAN_EMAIL:
    case PKIOT_SAN_DNS:
    case PKIOT_SAN_URI:
        if (constructed) {
            return FMT;
        }
        for (size_t i = 0; i < t.len; i++) {
            if (t.val[i] >= 0x80u) {
                return FMT; /* IA5String */
            }
        }
        break;
    case PKIOT_SAN_IP:
        if (constructed || (t.len != 4 && t.len != 16)) {
            return FMT;
        }
        break;
    case PKIOT_SAN_RID:
        if (constructed || t.len == 0) {
            return FMT;
        }
        break;
    case PKIOT_SAN_DIR_NAME: {
        pkiot_der_cursor_t in;
        pkiot_der_tlv_t name;
        if (!constructed) {
            return FMT;
        }
        pkiot_der_enter(&t, &in);
        rc = pkiot_x509_next(&in, &name, FMT);
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_end(&in, FMT);
        }
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_name_check(name.raw, name.raw_len, NULL);
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        out->value = name.raw;
        out->len = name.raw_len;
        break;
    }
    case PKIOT_SAN_OTHER_NAME:
    case PKIOT_SAN_X400:
    case PKIOT_SAN_EDI_PARTY:
        if (!constructed) {
            return FMT;
        }
        break;
    default:
        return FMT;
    }
    out->type = (pkiot_x509_san_type_t)num;
    return PKIOT_OK;
}

int pkiot_x509_cert_has_eku(const pkiot_x509_cert_t *cert, const uint8_t *oid, size_t len)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t t;
    if (cert == NULL || oid == NULL) {
        return 0;
    }
    pkiot_der_init(&c, cert->eku_oids.p, cert->eku_oids.len);
    while (!pkiot_der_at_end(&c) && pkiot_der_next(&c, &t) == PKIOT_OK) {
        if (pkiot_der_oid_eq(&t, oid, len)) {
            return 1;
        }
    }
    return 0;
}

/* --- checks ------------------------------------------------------------------------------ */

int pkiot_x509_cert_matches_key(const pkiot_x509_cert_t *cert, const uint8_t *spki,
                                size_t spki_len)
{
    if (cert == NULL || spki == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (cert->spki.len != spki_len || cert->spki.p == NULL ||
        memcmp(cert->spki.p, spki, spki_len) != 0) {
        return PKIOT_E_CERT_KEY_MISMATCH;
    }
    return PKIOT_OK;
}

int pkiot_x509_cert_check_time(const pkiot_x509_cert_t *cert, int64_t now)
{
    if (cert == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    /* 0 or negative (PKIOT_TIME_NOW_UNKNOWN): the device does not know the time yet. */
    if (now > 0 && (now < cert->not_before || now > cert->not_after)) {
        return PKIOT_E_CERT_EXPIRED;
    }
    return PKIOT_OK;
}

#if PKIOT_X509_BUILTIN
int pkiot_x509_verify_signature(const pkiot_x509_cert_t *cert,
                                const pkiot_x509_cert_t *issuer,
                                const pkiot_crypto_port_t *crypto)
{
    uint8_t digest[PKIOT_HASH_MAX_SIZE];
    pkiot_hash_alg_t hash = PKIOT_HASH_NONE;
    unsigned fam = 0;
    pkiot_slice_t part;
    int rc;

    if (cert == NULL || issuer == NULL || crypto == NULL || cert->tbs.p == NULL ||
        issuer->spki.p == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (!pkiot_x509_sigalg_lookup(cert->sig_oid.p, cert->sig_oid.len, &fam, &hash) ||
        (fam != PKIOT_X509_SIGFAM_RSA && fam != PKIOT_X509_SIGFAM_ECDSA)) {
        return PKIOT_E_UNSUPPORTED;
    }
    if (crypto->hash == NULL || crypto->verify_hash == NULL) {
        return PKIOT_E_UNSUPPORTED;
    }
    if ((fam == PKIOT_X509_SIGFAM_RSA && issuer->key_alg != PKIOT_X509_KEY_RSA) ||
        (fam == PKIOT_X509_SIGFAM_ECDSA && issuer->key_alg != PKIOT_X509_KEY_EC)) {
        return PKIOT_E_CERT_BAD_SIGNATURE;
    }
    size_t hlen = pkiot_hash_size(hash);
    part = cert->tbs;
    rc = crypto->hash(crypto->ctx, hash, &part, 1, digest, sizeof digest);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = crypto->verify_hash(crypto->ctx, issuer->spki.p, issuer->spki.len, hash, digest, hlen,
                             cert->signature.p, cert->signature.len);
    /* A signature that does not even decode (e.g. a damaged ECDSA DER) is as bad as one
     * that does not verify. */
    if (rc == PKIOT_E_CRYPTO_VERIFY || rc == PKIOT_E_CRYPTO) {
        rc = PKIOT_E_CERT_BAD_SIGNATURE;
    }
    return rc;
}

/* --- path -------------------------------------------------------------------------------- */

/* Is @p cand a plausible issuer of @p child (name, and key identifiers when both exist)? */
static int issuer_matches(const pkiot_x509_cert_t *child, const pkiot_x509_cert_t *cand)
{
    if (!pkiot_x509_name_eq(child->issuer.p, child->issuer.len, cand->subject.p,
                            cand->subject.len)) {
        return 0;
    }
    if (child->aki_key_id.len != 0 && cand->ski.len != 0 &&
        (child->aki_key_id.len != cand->ski.len ||
         memcmp(child->aki_key_id.p, cand->ski.p, cand->ski.len) != 0)) {
        return 0;
    }
    return 1;
}

/* How far a candidate got; the error of the furthest one is reported. */
static int err_rank(int rc)
{
    switch (rc) {
    case PKIOT_E_CERT_UNTRUSTED: return 1;
    case PKIOT_E_CERT_NOT_CA: return 2;
    case PKIOT_E_CERT_BAD_SIGNATURE: return 3;
    case PKIOT_E_CERT_EXPIRED: return 5;
    default: return 4; /* port errors: unsupported algorithm, ... */
    }
}

/* All checks of @p iss as issuer of @p child; @p below = intermediates under @p iss. */
static int check_issuer(const pkiot_x509_cert_t *child, const pkiot_x509_cert_t *iss,
                        size_t below, int is_anchor, int64_t now,
                        const pkiot_crypto_port_t *crypto)
{
    if (iss->unknown_critical) {
        return PKIOT_E_CERT_UNTRUSTED;
    }
    if (iss->has_basic_constraints ? !iss->is_ca : !is_anchor) {
        return PKIOT_E_CERT_NOT_CA;
    }
    if (iss->has_key_usage && (iss->key_usage & PKIOT_KU_KEY_CERT_SIGN) == 0) {
        return PKIOT_E_CERT_NOT_CA;
    }
    if (iss->has_basic_constraints && iss->path_len >= 0 && below > (size_t)iss->path_len) {
        return PKIOT_E_CERT_UNTRUSTED;
    }
    int rc = pkiot_x509_verify_signature(child, iss, crypto);
    if (rc != PKIOT_OK) {
        return rc;
    }
    return pkiot_x509_cert_check_time(iss, now);
}

/* The path search proper, once the leaf is known not to be an anchor itself. */
static int builtin_path(const pkiot_x509_cert_t *leaf, const pkiot_slice_t *intermediates,
                        size_t n_int, const pkiot_slice_t *anchors, size_t n_anchors,
                        int64_t now, const pkiot_crypto_port_t *crypto,
                        pkiot_x509_chain_result_t *result)
{
    pkiot_x509_cert_t cur;
    pkiot_x509_cert_t cand;
    uint32_t used = 0;
    size_t depth = 0;
    int best = PKIOT_E_CERT_UNTRUSTED;
    int rc;

    if (leaf->unknown_critical) {
        return PKIOT_E_CERT_UNTRUSTED;
    }
    rc = pkiot_x509_cert_check_time(leaf, now);
    if (rc != PKIOT_OK) {
        return rc;
    }
    cur = *leaf;
    for (;;) {
        for (size_t a = 0; a < n_anchors; a++) {
            if (pkiot_x509_cert_parse(anchors[a].p, anchors[a].len, &cand) != PKIOT_OK ||
                !issuer_matches(&cur, &cand)) {
                continue;
            }
            rc = check_issuer(&cur, &cand, depth, 1, now, crypto);
            if (rc == PKIOT_OK) {
                if (result != NULL) {
                    result->path_len = depth + 2u;
                    result->anchor_index = a;
                }
                return PKIOT_OK;
            }
            if (err_rank(rc) > err_rank(best)) {
                best = rc;
            }
        }
        if (depth >= PKIOT_X509_MAX_CHAIN_DEPTH) {
            break;
        }
        int found = 0;
        for (size_t i = 0; i < n_int && !found; i++) {
            if ((used & (1u << i)) != 0 ||
                pkiot_x509_cert_parse(intermediates[i].p, intermediates[i].len, &cand) !=
                    PKIOT_OK ||
                (cand.raw.len == cur.raw.len && memcmp(cand.raw.p, cur.raw.p, cur.raw.len) == 0) ||
                !issuer_matches(&cur, &cand)) {
                continue;
            }
            rc = check_issuer(&cur, &cand, depth, 0, now, crypto);
            if (rc == PKIOT_OK) {
                used |= 1u << i;
                cur = cand;
                depth++;
                found = 1;
            } else if (err_rank(rc) > err_rank(best)) {
                best = rc;
            }
        }
        if (!found) {
            break;
        }
    }
    return best;
}
#endif /* PKIOT_X509_BUILTIN */

int pkiot_x509_chain_check(const pkiot_x509_cert_t *leaf, const pkiot_slice_t *intermediates,
                           size_t n_int, const pkiot_slice_t *anchors, size_t n_anchors,
                           int64_t now, const pkiot_crypto_port_t *crypto,
                           pkiot_x509_chain_result_t *result)
{
    if (leaf == NULL || leaf->raw.p == NULL || crypto == NULL ||
        (intermediates == NULL && n_int != 0) || (anchors == NULL && n_anchors != 0) ||
        n_int > PKIOT_X509_MAX_INTERMEDIATES) {
        return PKIOT_E_INVALID_ARG;
    }
    for (size_t a = 0; a < n_anchors; a++) {
        if (anchors[a].len == leaf->raw.len && anchors[a].p != NULL &&
            memcmp(anchors[a].p, leaf->raw.p, leaf->raw.len) == 0) {
            int rc = pkiot_x509_cert_check_time(leaf, now);
            if (rc == PKIOT_OK && result != NULL) {
                result->path_len = 1;
                result->anchor_index = a;
            }
            return rc;
        }
    }
#if PKIOT_X509_BUILTIN
    return builtin_path(leaf, intermediates, n_int, anchors, n_anchors, now, crypto, result);
#else
    if (crypto->cert_verify == NULL) {
        return PKIOT_E_UNSUPPORTED;
    }
    size_t anchor_index = 0;
    size_t path_len = 0;
    int rc = crypto->cert_verify(crypto->ctx, leaf->raw.p, leaf->raw.len, intermediates, n_int,
                                 anchors, n_anchors, now, &anchor_index, &path_len);
    if (rc == PKIOT_OK && result != NULL) {
        result->path_len = path_len;
        result->anchor_index = anchor_index;
    }
    return rc;
#endif
}
