/* EST CSR attributes (RFC 7030 §4.5.2 as corrected by RFC 8951, RFC 9908 templates). */
#include "pkiot/config.h"

/* Compiled out with EST /csrattrs support (PKIOT_EST_CSRATTRS). */
#if PKIOT_EST_CSRATTRS

#include "oid.h"
#include "x509_int.h"

#include "pkiot/csr.h"

#include <string.h>

#define FMT PKIOT_E_CSRATTRS_FORMAT

typedef struct parse_state {
    pkiot_csrattrs_t *out;
    int template_seen;   /* a template exists somewhere in the response */
    int in_template;     /* currently inside it */
    int extreq_seen;
} parse_state_t;

static int push(pkiot_slice_t *arr, size_t *n, size_t cap, const uint8_t *p, size_t len)
{
    if (*n >= cap) {
        return PKIOT_E_OVERFLOW;
    }
    arr[*n].p = p;
    arr[*n].len = len;
    (*n)++;
    return PKIOT_OK;
}

static int oid_is(const pkiot_der_tlv_t *t, const uint8_t *oid, size_t len)
{
    return pkiot_der_oid_eq(t, oid, len);
}

#define OID_IS(t, o) oid_is((t), PKIOT_OID_ARG(o))

/* Key requirements; legacy hints never override what a template said. */
static int may_set_key(const parse_state_t *st)
{
    return st->in_template || !st->template_seen;
}

static void set_curve(parse_state_t *st, const uint8_t *oid, size_t len)
{
    pkiot_csrattrs_t *o = st->out;
    uint16_t bits = 0;
    o->key_family = PKIOT_CSRATTRS_KEY_EC;
    o->curve_oid.p = oid;
    o->curve_oid.len = len;
    o->key_type = pkiot_x509_curve_type(oid, len, &bits);
    o->key_bits = bits;
}

static void set_rsa_bits(parse_state_t *st, uint32_t bits)
{
    pkiot_csrattrs_t *o = st->out;
    o->key_family = PKIOT_CSRATTRS_KEY_RSA;
    o->key_bits = (uint16_t)bits;
    o->key_type = bits == 2048   ? PKIOT_KEY_RSA_2048
                  : bits == 3072 ? PKIOT_KEY_RSA_3072
                  : bits == 4096 ? PKIOT_KEY_RSA_4096
                                 : PKIOT_KEY_NONE;
    o->curve_oid.p = NULL;
    o->curve_oid.len = 0;
}

static void set_family(parse_state_t *st, pkiot_csrattrs_key_family_t fam)
{
    pkiot_csrattrs_t *o = st->out;
    if (o->key_family != fam) {
        o->key_family = fam;
        o->key_type = PKIOT_KEY_NONE;
        o->key_bits = 0;
        o->curve_oid.p = NULL;
        o->curve_oid.len = 0;
    }
}

/* Check an Extension / ExtensionTemplate TLV: SEQUENCE { OID, [BOOLEAN], [OCTET STRING] }.
 * *has_value tells whether extnValue is present (always required when @p tmpl is 0). */
static int check_ext(const pkiot_der_tlv_t *ext, int tmpl, pkiot_der_tlv_t *id, int *has_value)
{
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t t;
    int present = 0;
    int crit = 0;
    int rc;

    if (ext->tag != PKIOT_DER_SEQUENCE) {
        return FMT;
    }
    pkiot_der_enter(ext, &in);
    rc = pkiot_x509_expect(&in, PKIOT_DER_OID, id, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_BOOLEAN, &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        rc = pkiot_der_get_bool(&t, &crit);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_OCTET_STRING, &t, has_value);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, FMT);
    }
    if (rc == PKIOT_OK && (id->len == 0 || (!tmpl && !*has_value))) {
        rc = FMT;
    }
    return rc;
}

/* values SET holding exactly one element of tag @p tag. */
static int single_value(const pkiot_der_tlv_t *values, uint32_t tag, pkiot_der_tlv_t *v)
{
    pkiot_der_cursor_t c;
    int rc;
    pkiot_der_enter(values, &c);
    rc = pkiot_x509_expect(&c, tag, v, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&c, FMT);
    }
    return rc;
}

/* Extensions SEQUENCE inside an extensionRequest (@p tmpl 0), or an RFC 9908
 * ExtensionReqTemplate (@p tmpl 1): an extension with a value becomes a required extension,
 * one without (templates only) a request for the client to supply it. Nothing is kept when
 * @p keep is 0. */
static int take_extensions(parse_state_t *st, const pkiot_der_tlv_t *values, int tmpl, int keep)
{
    pkiot_der_tlv_t exts;
    pkiot_der_cursor_t c;
    int rc = single_value(values, PKIOT_DER_SEQUENCE, &exts);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&exts, &c);
    while (!pkiot_der_at_end(&c)) {
        pkiot_der_tlv_t ext;
        pkiot_der_tlv_t id;
        int has_value = 0;
        rc = pkiot_der_next(&c, &ext);
        if (rc == PKIOT_OK) {
            rc = check_ext(&ext, tmpl, &id, &has_value);
        }
        if (rc == PKIOT_OK && keep) {
            if (has_value) {
                /* A template entry with a value has the DER shape of an Extension. */
                rc = push(st->out->extensions, &st->out->n_extensions,
                          PKIOT_CSRATTRS_MAX_EXTENSIONS, ext.raw, ext.raw_len);
            } else {
                rc = push(st->out->ext_requests, &st->out->n_ext_requests,
                          PKIOT_CSRATTRS_MAX_OIDS, id.val, id.len);
            }
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    return PKIOT_OK;
}

static void note_oid(parse_state_t *st, const pkiot_der_tlv_t *oid)
{
    pkiot_csrattrs_t *o = st->out;
    if (push(o->oids, &o->n_oids, PKIOT_CSRATTRS_MAX_OIDS, oid->val, oid->len) != PKIOT_OK) {
        o->n_oids_dropped++;
    }
}

/* 1.3.36.3.3.2.8.1.1.x: the brainpool curves (RFC 5639). */
static int is_brainpool(const pkiot_der_tlv_t *oid)
{
    static const uint8_t arc[] = { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01 };
    return oid->tag == PKIOT_DER_OID && oid->len == sizeof arc + 1u &&
           memcmp(oid->val, arc, sizeof arc) == 0;
}

static int handle_oid(parse_state_t *st, const pkiot_der_tlv_t *oid)
{
    pkiot_csrattrs_t *o = st->out;
    unsigned fam = 0;
    pkiot_hash_alg_t hash = PKIOT_HASH_NONE;

    if (oid->len == 0) {
        return FMT;
    }
    if (OID_IS(oid, PKIOT_OID_CHALLENGE_PASSWORD)) {
        o->challenge_password = 1;
    } else if (OID_IS(oid, PKIOT_OID_EC_PUBLIC_KEY)) {
        if (may_set_key(st) && o->key_family != PKIOT_CSRATTRS_KEY_EC) {
            set_family(st, PKIOT_CSRATTRS_KEY_EC);
        }
    } else if (OID_IS(oid, PKIOT_OID_RSA_ENCRYPTION)) {
        if (may_set_key(st) && o->key_family != PKIOT_CSRATTRS_KEY_RSA) {
            set_family(st, PKIOT_CSRATTRS_KEY_RSA);
        }
    } else if (OID_IS(oid, PKIOT_OID_ED25519) || OID_IS(oid, PKIOT_OID_ED448)) {
        if (may_set_key(st)) {
            set_family(st, PKIOT_CSRATTRS_KEY_OTHER);
        }
    } else if (OID_IS(oid, PKIOT_OID_SECP256R1) || OID_IS(oid, PKIOT_OID_SECP384R1) ||
               OID_IS(oid, PKIOT_OID_SECP521R1)) {
        if (may_set_key(st)) {
            set_curve(st, oid->val, oid->len);
        }
    } else if (is_brainpool(oid)) {
        if (may_set_key(st)) {
            set_curve(st, oid->val, oid->len);
        }
    } else if (OID_IS(oid, PKIOT_OID_SHA256) || OID_IS(oid, PKIOT_OID_SHA384) ||
               OID_IS(oid, PKIOT_OID_SHA512)) {
        /* A bare digest algorithm (libest's default attributes use one) names the hash. */
        if (o->hash == PKIOT_HASH_NONE) {
            o->hash = OID_IS(oid, PKIOT_OID_SHA256)
                          ? PKIOT_HASH_SHA256
                          : (OID_IS(oid, PKIOT_OID_SHA384) ? PKIOT_HASH_SHA384 : PKIOT_HASH_SHA512);
        }
    } else if (pkiot_x509_sigalg_lookup(oid->val, oid->len, &fam, &hash)) {
        if (o->hash == PKIOT_HASH_NONE) {
            o->hash = hash;
        }
        if (o->key_family == PKIOT_CSRATTRS_KEY_ANY && may_set_key(st)) {
            if (fam == PKIOT_X509_SIGFAM_ECDSA) {
                o->key_family = PKIOT_CSRATTRS_KEY_EC;
            } else if (fam == PKIOT_X509_SIGFAM_RSA || fam == PKIOT_X509_SIGFAM_RSA_PSS) {
                o->key_family = PKIOT_CSRATTRS_KEY_RSA;
            } else {
                o->key_family = PKIOT_CSRATTRS_KEY_OTHER;
            }
        }
    } else {
        note_oid(st, oid);
    }
    return PKIOT_OK;
}

static int parse_template(parse_state_t *st, const pkiot_der_tlv_t *values);

static int handle_attr(parse_state_t *st, const pkiot_der_tlv_t *attr)
{
    pkiot_csrattrs_t *o = st->out;
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t type;
    pkiot_der_tlv_t values;
    pkiot_der_tlv_t v;
    int rc;

    pkiot_der_enter(attr, &c);
    rc = pkiot_x509_expect(&c, PKIOT_DER_OID, &type, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&c, PKIOT_DER_SET, &values, FMT);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&c, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (type.len == 0) {
        return FMT;
    }
    if (OID_IS(&type, PKIOT_OID_EXTENSION_REQUEST)) {
        if (!st->in_template) {
            if (st->extreq_seen) {
                return FMT; /* RFC 9908: at most one */
            }
            st->extreq_seen = 1;
        }
        return take_extensions(st, &values, 0, st->in_template || !st->template_seen);
    }
    if (OID_IS(&type, PKIOT_OID_CRI_TEMPLATE)) {
        if (st->in_template) {
            return FMT;
        }
        return parse_template(st, &values);
    }
    if (OID_IS(&type, PKIOT_OID_EXT_REQ_TEMPLATE)) {
        if (!st->in_template) {
            return FMT; /* only meaningful inside a template */
        }
        return take_extensions(st, &values, 1, 1);
    }
    if (OID_IS(&type, PKIOT_OID_CHALLENGE_PASSWORD)) {
        o->challenge_password = 1;
        return PKIOT_OK;
    }
    if (OID_IS(&type, PKIOT_OID_EC_PUBLIC_KEY)) {
        if (values.len == 0) {
            return handle_oid(st, &type);
        }
        rc = single_value(&values, PKIOT_DER_OID, &v);
        if (rc == PKIOT_OK && may_set_key(st)) {
            set_curve(st, v.val, v.len);
        }
        return rc;
    }
    if (OID_IS(&type, PKIOT_OID_RSA_ENCRYPTION)) {
        uint32_t bits = 0;
        if (values.len == 0) {
            return handle_oid(st, &type);
        }
        rc = single_value(&values, PKIOT_DER_INTEGER, &v);
        if (rc == PKIOT_OK) {
            rc = pkiot_der_get_u32(&v, &bits);
        }
        if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && (bits < 512 || bits > 16384))) {
            rc = FMT;
        }
        if (rc == PKIOT_OK && may_set_key(st)) {
            set_rsa_bits(st, bits);
        }
        return rc;
    }
    if (values.len == 0) {
        return handle_oid(st, &type); /* an attribute without values names only its type */
    }
    return push(o->attributes, &o->n_attributes, PKIOT_CSRATTRS_MAX_ATTRIBUTES, attr->raw,
                attr->raw_len);
}

/* NameTemplate: SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY OPTIONAL }. */
static int parse_name_template(parse_state_t *st, const pkiot_der_tlv_t *name)
{
    pkiot_der_cursor_t c;
    int complete = 1;
    pkiot_der_enter(name, &c);
    while (!pkiot_der_at_end(&c)) {
        pkiot_der_tlv_t rdn;
        pkiot_der_cursor_t r;
        int rc = pkiot_x509_expect(&c, PKIOT_DER_SET, &rdn, FMT);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (rdn.len == 0) {
            return FMT;
        }
        pkiot_der_enter(&rdn, &r);
        while (!pkiot_der_at_end(&r)) {
            pkiot_der_tlv_t sat;
            pkiot_der_cursor_t a;
            rc = pkiot_x509_expect(&r, PKIOT_DER_SEQUENCE, &sat, FMT);
            if (rc == PKIOT_OK) {
                pkiot_der_enter(&sat, &a);
                rc = pkiot_x509_expect(&a, PKIOT_DER_OID, NULL, FMT);
            }
            if (rc == PKIOT_OK) {
                if (pkiot_der_at_end(&a)) {
                    complete = 0;
                } else {
                    rc = pkiot_der_next(&a, NULL);
                }
            }
            if (rc == PKIOT_OK) {
                rc = pkiot_x509_end(&a, FMT);
            }
            if (rc != PKIOT_OK) {
                return rc;
            }
        }
    }
    st->out->subject_template.p = name->raw;
    st->out->subject_template.len = name->raw_len;
    st->out->subject_complete =
        (uint8_t)(complete && name->len != 0 &&
                  pkiot_x509_name_check(name->raw, name->raw_len, NULL) == PKIOT_OK);
    return PKIOT_OK;
}

/* SubjectPublicKeyInfoTemplate: [0] IMPLICIT SEQUENCE { AlgorithmIdentifier, BIT STRING OPT }. */
static int parse_spki_template(parse_state_t *st, const pkiot_der_tlv_t *tmpl)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t alg;
    pkiot_der_tlv_t oid;
    pkiot_der_tlv_t par;
    pkiot_der_tlv_t key;
    int has_par = 0;
    int has_key = 0;
    int rc;

    pkiot_der_enter(tmpl, &c);
    rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &alg, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&c, PKIOT_DER_BIT_STRING, &key, &has_key);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&c, FMT);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_x509_alg_id(&alg, &oid, &par, &has_par, FMT);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (OID_IS(&oid, PKIOT_OID_EC_PUBLIC_KEY)) {
        if (has_par && par.tag == PKIOT_DER_OID) {
            set_curve(st, par.val, par.len);
        } else {
            set_family(st, PKIOT_CSRATTRS_KEY_EC);
        }
    } else if (OID_IS(&oid, PKIOT_OID_RSA_ENCRYPTION)) {
        pkiot_slice_t bits;
        unsigned unused = 0;
        set_family(st, PKIOT_CSRATTRS_KEY_RSA);
        /* An RSAPublicKey placeholder announces the modulus size. */
        if (has_key && pkiot_der_get_bitstring(&key, &bits, &unused) == PKIOT_OK && unused == 0) {
            uint16_t n = pkiot_x509_rsa_bits(bits.p, bits.len);
            if (n != 0) {
                set_rsa_bits(st, n);
            }
        }
    } else {
        set_family(st, PKIOT_CSRATTRS_KEY_OTHER);
    }
    return PKIOT_OK;
}

static int parse_template(parse_state_t *st, const pkiot_der_tlv_t *values)
{
    pkiot_csrattrs_t *o = st->out;
    pkiot_der_tlv_t tmpl;
    pkiot_der_tlv_t t;
    pkiot_der_cursor_t c;
    uint32_t version = 1;
    int present = 0;
    int rc;

    if (o->has_template) {
        return FMT; /* at most one template */
    }
    rc = single_value(values, PKIOT_DER_SEQUENCE, &tmpl);
    if (rc != PKIOT_OK) {
        return rc;
    }
    o->has_template = 1;
    /* The template replaces whatever the legacy elements before it said about the key. */
    o->key_family = PKIOT_CSRATTRS_KEY_ANY;
    o->key_type = PKIOT_KEY_NONE;
    o->key_bits = 0;
    o->curve_oid.p = NULL;
    o->curve_oid.len = 0;
    st->in_template = 1;
    pkiot_der_enter(&tmpl, &c);
    rc = pkiot_x509_expect(&c, PKIOT_DER_INTEGER, &t, FMT);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_get_u32(&t, &version);
    }
    if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && version != 0)) {
        rc = FMT;
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&c, PKIOT_DER_SEQUENCE, &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        rc = parse_name_template(st, &t);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&c, PKIOT_DER_CTX_C(0), &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        rc = parse_spki_template(st, &t);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&c, PKIOT_DER_CTX_C(1), &t, &present);
    }
    if (rc == PKIOT_OK && present) {
        pkiot_der_cursor_t ac;
        int extreq = 0;
        int extreq_tmpl = 0;
        pkiot_der_enter(&t, &ac);
        while (rc == PKIOT_OK && !pkiot_der_at_end(&ac)) {
            pkiot_der_tlv_t attr;
            pkiot_der_cursor_t peek;
            pkiot_der_tlv_t type;
            rc = pkiot_x509_expect(&ac, PKIOT_DER_SEQUENCE, &attr, FMT);
            if (rc != PKIOT_OK) {
                break;
            }
            pkiot_der_enter(&attr, &peek);
            if (pkiot_der_expect(&peek, PKIOT_DER_OID, &type) == PKIOT_OK) {
                extreq += OID_IS(&type, PKIOT_OID_EXTENSION_REQUEST);
                extreq_tmpl += OID_IS(&type, PKIOT_OID_EXT_REQ_TEMPLATE);
            }
            if (extreq > 1 || extreq_tmpl > 1) {
                rc = FMT;
            } else {
                rc = handle_attr(st, &attr);
            }
        }
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&c, FMT);
    }
    st->in_template = 0;
    return rc;
}

/* Both passes over the AttrOrOID list in [p, p + n). */
static int parse_items(parse_state_t *st, const uint8_t *p, size_t n)
{
    pkiot_der_cursor_t items;
    int rc;

    /* First pass: is there a template? It decides how the legacy elements are used. */
    pkiot_der_init(&items, p, n);
    while (!pkiot_der_at_end(&items)) {
        pkiot_der_tlv_t item;
        pkiot_der_tlv_t type;
        pkiot_der_cursor_t a;
        rc = pkiot_der_next(&items, &item);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (item.tag == PKIOT_DER_SEQUENCE) {
            pkiot_der_enter(&item, &a);
            if (pkiot_der_expect(&a, PKIOT_DER_OID, &type) == PKIOT_OK &&
                OID_IS(&type, PKIOT_OID_CRI_TEMPLATE)) {
                st->template_seen = 1;
            }
        }
    }
    pkiot_der_init(&items, p, n);
    while (!pkiot_der_at_end(&items)) {
        pkiot_der_tlv_t item;
        (void)pkiot_der_next(&items, &item); /* checked by the first pass */
        if (item.tag == PKIOT_DER_OID) {
            rc = handle_oid(st, &item);
        } else if (item.tag == PKIOT_DER_SEQUENCE) {
            rc = handle_attr(st, &item);
        } else {
            rc = FMT;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    return PKIOT_OK;
}

int pkiot_csrattrs_parse(const uint8_t *der, size_t len, pkiot_csrattrs_t *out)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t seq;
    parse_state_t st;
    int rc;

    if (out == NULL || (der == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    memset(&st, 0, sizeof st);
    st.out = out;
    pkiot_der_init(&c, der, len);
    rc = pkiot_der_next(&c, &seq);
    if (rc == PKIOT_OK && seq.tag != PKIOT_DER_SEQUENCE) {
        rc = FMT;
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = parse_items(&st, seq.val, seq.len);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_finish(&c);
    } else if (rc == PKIOT_E_DER_TRUNCATED && seq.raw_len < len) {
        /* The example in RFC 7030 §4.5.2 (erratum 4384), which some servers copied, declares
         * an outer length shorter than its contents: an element runs past the end of the
         * list into the bytes that follow it. Read the rest of the input as the list. */
        memset(out, 0, sizeof *out);
        memset(&st, 0, sizeof st);
        st.out = out;
        rc = parse_items(&st, seq.val, (size_t)(der + len - seq.val));
    }
    if (rc != PKIOT_OK) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}

#endif /* PKIOT_EST_CSRATTRS */
