/* PKCS#10 certification request builder (RFC 2986) with PKCS#9 extensionRequest. */
#include "oid.h"
#include "x509_int.h"

#include "pkiot/csr.h"

#include <string.h>

enum { CSR_IDLE = 0, CSR_SIGNING = 1 };

size_t pkiot_csr_sig_max(pkiot_key_type_t type)
{
    switch (type) {
    case PKIOT_KEY_EC_P256: return 72;  /* SEQ { INTEGER 33, INTEGER 33 } */
    case PKIOT_KEY_EC_P384: return 104; /* SEQ { INTEGER 49, INTEGER 49 } */
    case PKIOT_KEY_RSA_2048: return 256;
    case PKIOT_KEY_RSA_3072: return 384;
    case PKIOT_KEY_RSA_4096: return 512;
    case PKIOT_KEY_NONE:
    default: return 0;
    }
}

void pkiot_csr_init(pkiot_csr_ctx_t *ctx)
{
    if (ctx != NULL) {
        memset(ctx, 0, sizeof *ctx);
    }
}

/* The csrattrs to apply: none in builds without /csrattrs, which lets the compiler drop
 * every branch that applies them. */
static const pkiot_csrattrs_t *attrs_of(const pkiot_csr_params_t *p)
{
    return PKIOT_EST_CSRATTRS ? p->csrattrs : NULL;
}

/* --- extensions -------------------------------------------------------------------------- */

/* Caller-supplied DER that must be exactly one SEQUENCE: @p in receives its contents. */
static int open_seq(const pkiot_slice_t *der, pkiot_der_cursor_t *in)
{
    pkiot_der_cursor_t c;
    pkiot_der_tlv_t seq;
    int rc;

    if (der->p == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    pkiot_der_init(&c, der->p, der->len);
    rc = pkiot_x509_expect(&c, PKIOT_DER_SEQUENCE, &seq, PKIOT_E_INVALID_ARG);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_finish(&c);
    }
    if (rc == PKIOT_OK) {
        pkiot_der_enter(&seq, in);
    }
    return rc;
}

/* extnID of a complete Extension TLV, after checking its shape. */
static int ext_oid(const pkiot_slice_t *ext, pkiot_der_tlv_t *oid)
{
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t t;
    int present = 0;
    int rc = open_seq(ext, &in);

    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_x509_expect(&in, PKIOT_DER_OID, oid, PKIOT_E_INVALID_ARG);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_optional(&in, PKIOT_DER_BOOLEAN, &t, &present);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_OCTET_STRING, &t, PKIOT_E_INVALID_ARG);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, PKIOT_E_INVALID_ARG);
    }
    return rc;
}

/* The combined list of pre-encoded extensions: the caller's, then the csrattrs ones. */
static size_t extra_count(const pkiot_csr_params_t *p)
{
    size_t n = p->n_extra_extensions;
    if (attrs_of(p) != NULL) {
        n += attrs_of(p)->n_extensions;
    }
    return n;
}

static const pkiot_slice_t *extra_at(const pkiot_csr_params_t *p, size_t i)
{
    /* Without csrattrs (always so in builds without /csrattrs) every index is a caller's. */
    if (i < p->n_extra_extensions || attrs_of(p) == NULL) {
        return &p->extra_extensions[i];
    }
    return &attrs_of(p)->extensions[i - p->n_extra_extensions];
}

/* 1 when a pre-encoded extension with index < @p limit has extnID @p oid. */
static int extra_has(const pkiot_csr_params_t *p, size_t limit, const uint8_t *oid, size_t len)
{
    for (size_t i = 0; i < limit; i++) {
        pkiot_der_tlv_t id;
        if (ext_oid(extra_at(p, i), &id) == PKIOT_OK && pkiot_der_oid_eq(&id, oid, len)) {
            return 1;
        }
    }
    return 0;
}

/* Finish an extension whose value was written since @p mark: close the value as @p tag and
 * wrap it in the Extension SEQUENCE { extnID, critical, OCTET STRING }. */
static void close_ext(pkiot_der_writer_t *w, size_t mark, uint32_t tag, const uint8_t *oid,
                      size_t oid_len, int critical)
{
    pkiot_der_w_close(w, tag, mark);
    pkiot_der_w_close(w, PKIOT_DER_OCTET_STRING, mark);
    if (critical) {
        pkiot_der_w_bool(w, 1);
    }
    pkiot_der_w_oid(w, oid, oid_len);
    pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, mark);
}

/* Pre-encoded GeneralNames contents: whole DER elements, each a context-tagged choice. */
static int check_general_names(pkiot_slice_t names)
{
    pkiot_der_cursor_t it;
    pkiot_der_tlv_t tlv;
    pkiot_der_init(&it, names.p, names.len);
    while (!pkiot_der_at_end(&it)) {
        if (pkiot_der_next(&it, &tlv) != PKIOT_OK || tlv.tag > 0xFFu ||
            (tlv.tag & 0xC0u) != 0x80u || (tlv.tag & 0x1Fu) > PKIOT_SAN_RID) {
            return PKIOT_E_INVALID_ARG;
        }
    }
    return PKIOT_OK;
}

static int write_san_ext(pkiot_der_writer_t *w, const pkiot_csr_params_t *p, size_t *count)
{
    int raw = p->n_san_strings + p->n_sans == 0;
    if ((raw && p->san_der.len == 0) ||
        extra_has(p, extra_count(p), PKIOT_OID_ARG(PKIOT_OID_EXT_SAN))) {
        return PKIOT_OK;
    }
    if ((p->san_strings == NULL && p->n_san_strings != 0) || (p->sans == NULL && p->n_sans != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t mark = pkiot_der_w_len(w);
    if (raw) {
        if (p->san_der.p == NULL || check_general_names(p->san_der) != PKIOT_OK) {
            return PKIOT_E_INVALID_ARG;
        }
        pkiot_der_w_raw(w, p->san_der.p, p->san_der.len);
    }
    for (size_t i = p->n_sans; i > 0; i--) {
        int rc = pkiot_x509_write_general_name(w, &p->sans[i - 1u]);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    for (size_t i = p->n_san_strings; i > 0; i--) {
        pkiot_x509_san_t san;
        uint8_t ip[16];
        int rc = p->san_strings[i - 1u] == NULL
                     ? PKIOT_E_INVALID_ARG
                     : pkiot_x509_san_from_string(p->san_strings[i - 1u], &san, ip);
        if (rc == PKIOT_OK) {
            rc = pkiot_x509_write_general_name(w, &san);
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    close_ext(w, mark, PKIOT_DER_SEQUENCE, PKIOT_OID_ARG(PKIOT_OID_EXT_SAN), 0);
    (*count)++;
    return w->err;
}

static void write_ku_ext(pkiot_der_writer_t *w, const pkiot_csr_params_t *p, size_t *count)
{
    uint16_t bits = 0; /* PKIOT_KU bit n is bit n of the BIT STRING, counted from the top */
    unsigned top = 0;
    uint16_t ku = (uint16_t)(p->key_usage & 0x01FFu);

    if (ku == 0 || extra_has(p, extra_count(p), PKIOT_OID_ARG(PKIOT_OID_EXT_KEY_USAGE))) {
        return;
    }
    for (unsigned n = 0; n < 9; n++) {
        if ((ku & (1u << n)) != 0) {
            bits = (uint16_t)(bits | (0x8000u >> n));
            top = n;
        }
    }
    /* BIT STRING contents: the count of unused bits, then the bits. Named bit list:
     * trailing zero bits are dropped and counted as unused. */
    uint8_t contents[3] = { (uint8_t)(7u - (top % 8u)), (uint8_t)(bits >> 8), (uint8_t)bits };
    size_t mark = pkiot_der_w_len(w);
    pkiot_der_w_raw(w, contents, top / 8u + 2u);
    close_ext(w, mark, PKIOT_DER_BIT_STRING, PKIOT_OID_ARG(PKIOT_OID_EXT_KEY_USAGE),
              p->key_usage_critical);
    (*count)++;
}

static int write_eku_ext(pkiot_der_writer_t *w, const pkiot_csr_params_t *p, size_t *count)
{
    /* The id-kp-* purposes of the PKIOT_EKU_* bits below PKIOT_EKU_ANY, in bit order, all
     * sit under 1.3.6.1.5.5.7.3: only their last octet is stored. */
    static const uint8_t purposes[] = { 0x01, 0x02, 0x03, 0x04, 0x08, 0x09, 0x1C };
    uint8_t kp[] = PKIOT_OID_KP_SERVER_AUTH;
    uint16_t flags = (uint16_t)(p->ext_key_usage & 0xFFu);

    if ((flags == 0 && p->n_eku_oids == 0) ||
        extra_has(p, extra_count(p), PKIOT_OID_ARG(PKIOT_OID_EXT_EXT_KEY_USAGE))) {
        return PKIOT_OK;
    }
    if (p->eku_oids == NULL && p->n_eku_oids != 0) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t mark = pkiot_der_w_len(w);
    for (size_t i = p->n_eku_oids; i > 0; i--) {
        const pkiot_slice_t *o = &p->eku_oids[i - 1u];
        if (o->p == NULL || o->len == 0 || (o->p[o->len - 1u] & 0x80u) != 0) {
            return PKIOT_E_INVALID_ARG;
        }
        pkiot_der_w_oid(w, o->p, o->len);
    }
    if ((flags & PKIOT_EKU_ANY) != 0) {
        pkiot_der_w_oid(w, PKIOT_OID_ARG(PKIOT_OID_ANY_EKU));
    }
    for (size_t i = sizeof purposes; i > 0; i--) {
        if ((flags & (1u << (i - 1u))) != 0) {
            kp[PKIOT_OID_LEN(PKIOT_OID_KP_SERVER_AUTH) - 1u] = purposes[i - 1u];
            pkiot_der_w_oid(w, kp, PKIOT_OID_LEN(PKIOT_OID_KP_SERVER_AUTH));
        }
    }
    close_ext(w, mark, PKIOT_DER_SEQUENCE, PKIOT_OID_ARG(PKIOT_OID_EXT_EXT_KEY_USAGE),
              p->ext_key_usage_critical);
    (*count)++;
    return PKIOT_OK;
}

static int write_bc_ext(pkiot_der_writer_t *w, const pkiot_csr_params_t *p, size_t *count)
{
    if (!p->basic_constraints ||
        extra_has(p, extra_count(p), PKIOT_OID_ARG(PKIOT_OID_EXT_BASIC_CONSTRAINTS))) {
        return PKIOT_OK;
    }
    if (p->bc_path_len >= 0 && !p->bc_ca) {
        return PKIOT_E_INVALID_ARG; /* RFC 5280 §4.2.1.9: pathLen only with cA */
    }
    size_t mark = pkiot_der_w_len(w);
    if (p->bc_ca && p->bc_path_len >= 0) {
        pkiot_der_w_u32(w, (uint32_t)p->bc_path_len);
    }
    if (p->bc_ca) {
        pkiot_der_w_bool(w, 1);
    }
    close_ext(w, mark, PKIOT_DER_SEQUENCE, PKIOT_OID_ARG(PKIOT_OID_EXT_BASIC_CONSTRAINTS), 1);
    (*count)++;
    return PKIOT_OK;
}

int pkiot_csr_write_extensions(pkiot_der_writer_t *w, const pkiot_csr_params_t *params,
                               size_t *count)
{
    size_t n = 0;
    int rc;

    if (count != NULL) {
        *count = 0;
    }
    if (w == NULL || params == NULL ||
        (params->extra_extensions == NULL && params->n_extra_extensions != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (w->err != PKIOT_OK) {
        return w->err;
    }
    size_t mark = pkiot_der_w_len(w);
    /* Backwards: the last extension first. Order in the request: SAN, KU, EKU, BC, extras. */
    for (size_t i = extra_count(params); i > 0; i--) {
        pkiot_der_tlv_t id;
        const pkiot_slice_t *e = extra_at(params, i - 1u);
        rc = ext_oid(e, &id);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (!extra_has(params, i - 1u, id.val, id.len)) {
            pkiot_der_w_raw(w, e->p, e->len);
            n++;
        }
    }
    rc = write_bc_ext(w, params, &n);
    if (rc == PKIOT_OK) {
        rc = write_eku_ext(w, params, &n);
    }
    if (rc == PKIOT_OK) {
        write_ku_ext(w, params, &n);
        rc = write_san_ext(w, params, &n);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (n > 0) {
        pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, mark);
    }
    if (count != NULL) {
        *count = n;
    }
    return w->err;
}

/* --- attributes -------------------------------------------------------------------------- */

static int check_attribute(const pkiot_slice_t *a)
{
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t oid;
    int rc = open_seq(a, &in);

    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_x509_expect(&in, PKIOT_DER_OID, &oid, PKIOT_E_INVALID_ARG);
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_expect(&in, PKIOT_DER_SET, NULL, PKIOT_E_INVALID_ARG);
    }
    if (rc == PKIOT_OK) {
        rc = pkiot_x509_end(&in, PKIOT_E_INVALID_ARG);
    }
    if (rc == PKIOT_OK && pkiot_der_oid_eq(&oid, PKIOT_OID_ARG(PKIOT_OID_EXTENSION_REQUEST))) {
        rc = PKIOT_E_INVALID_ARG; /* extensions travel in the one extensionRequest we build */
    }
    return rc;
}

/* Prepend pre-encoded attributes, the last first. */
static int write_attribute_list(pkiot_der_writer_t *w, const pkiot_slice_t *list, size_t n)
{
    for (size_t i = n; i > 0; i--) {
        int rc = check_attribute(&list[i - 1u]);
        if (rc != PKIOT_OK) {
            return rc;
        }
        pkiot_der_w_raw(w, list[i - 1u].p, list[i - 1u].len);
    }
    return PKIOT_OK;
}

static int write_attributes(pkiot_der_writer_t *w, const pkiot_csr_params_t *p)
{
    size_t mark = pkiot_der_w_len(w);
    size_t n_ext = 0;
    int rc;

    if (p->extra_attributes == NULL && p->n_extra_attributes != 0) {
        return PKIOT_E_INVALID_ARG;
    }
    if (attrs_of(p) != NULL) {
        rc = write_attribute_list(w, attrs_of(p)->attributes, attrs_of(p)->n_attributes);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    rc = write_attribute_list(w, p->extra_attributes, p->n_extra_attributes);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (p->challenge_password != NULL) {
        const uint8_t *pw = (const uint8_t *)p->challenge_password;
        size_t len = strlen(p->challenge_password);
        uint32_t tag = PKIOT_DER_PRINTABLE_STRING;
        if (len == 0 || len > 255) {
            return PKIOT_E_INVALID_ARG;
        }
        if (!pkiot_x509_check_string(tag, pw, len, 0)) {
            tag = PKIOT_DER_UTF8_STRING;
            if (!pkiot_x509_check_string(tag, pw, len, 255)) {
                return PKIOT_E_INVALID_ARG;
            }
        }
        size_t m = pkiot_der_w_len(w);
        size_t ms = m;
        pkiot_der_w_prim(w, tag, pw, len);
        pkiot_der_w_close(w, PKIOT_DER_SET, ms);
        pkiot_der_w_oid(w, PKIOT_OID_ARG(PKIOT_OID_CHALLENGE_PASSWORD));
        pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, m);
    }
    {
        size_t m = pkiot_der_w_len(w);
        rc = pkiot_csr_write_extensions(w, p, &n_ext);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (n_ext > 0) {
            pkiot_der_w_close(w, PKIOT_DER_SET, m);
            pkiot_der_w_oid(w, PKIOT_OID_ARG(PKIOT_OID_EXTENSION_REQUEST));
            pkiot_der_w_close(w, PKIOT_DER_SEQUENCE, m);
        }
    }
    if (w->err != PKIOT_OK) {
        return w->err;
    }
    rc = pkiot_x509_der_sort_set(w->p, pkiot_der_w_len(w) - mark);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_w_close(w, PKIOT_DER_CTX_C(0), mark);
    return w->err;
}

/* --- builder ----------------------------------------------------------------------------- */

static size_t hdr_len(size_t len)
{
    return len < 0x80u ? 2u : (len < 0x100u ? 3u : (len < 0x10000u ? 4u : 5u));
}

static unsigned key_family(pkiot_key_type_t t)
{
    switch (t) {
    case PKIOT_KEY_EC_P256:
    case PKIOT_KEY_EC_P384: return PKIOT_X509_SIGFAM_ECDSA;
    case PKIOT_KEY_RSA_2048:
    case PKIOT_KEY_RSA_3072:
    case PKIOT_KEY_RSA_4096: return PKIOT_X509_SIGFAM_RSA;
    case PKIOT_KEY_NONE:
    default: return PKIOT_X509_SIGFAM_NONE;
    }
}

/* Length of the signatureAlgorithm AlgorithmIdentifier (RSA carries a NULL parameter). */
static size_t algid_len(unsigned fam, size_t oid_len)
{
    size_t body = 2u + oid_len + (fam == PKIOT_X509_SIGFAM_RSA ? 2u : 0u);
    return hdr_len(body) + body;
}

static int build_tbs(pkiot_csr_ctx_t *ctx, const pkiot_csr_params_t *p,
                     const pkiot_crypto_port_t *crypto, const pkiot_key_ref_t *key,
                     uint8_t *buf, size_t cap)
{
    pkiot_der_writer_t w;
    size_t spki_len = 0;
    const uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    int rc;

    pkiot_der_w_init(&w, buf, cap);
    size_t mark = pkiot_der_w_len(&w);
    rc = write_attributes(&w, p);
    if (rc != PKIOT_OK) {
        return rc;
    }
    /* The SPKI is exported into the free front of the buffer and moved down next to what is
     * written (the writer copies with memmove), so it costs no room of its own. */
    size_t room = (size_t)(w.p - buf);
    rc = crypto->key_export_spki(crypto->ctx, key, buf, room, &spki_len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (spki_len == 0 || spki_len > room) {
        return PKIOT_E_CRYPTO;
    }
    pkiot_der_w_raw(&w, buf, spki_len);
    if (p->subject != NULL) {
        rc = pkiot_x509_write_name(&w, p->subject);
    } else if (p->subject_der.len != 0) {
        rc = pkiot_x509_name_check(p->subject_der.p, p->subject_der.len, NULL);
        if (rc != PKIOT_OK) {
            return PKIOT_E_INVALID_ARG;
        }
        pkiot_der_w_raw(&w, p->subject_der.p, p->subject_der.len);
    } else if (attrs_of(p) != NULL && attrs_of(p)->subject_complete) {
        pkiot_der_w_raw(&w, attrs_of(p)->subject_template.p, attrs_of(p)->subject_template.len);
    } else {
        rc = pkiot_x509_write_name(&w, NULL);
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_w_u32(&w, 0); /* version v1(0) */
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, mark);
    rc = pkiot_der_w_result(&w, &tbs, &tbs_len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    ctx->tbs_off = (size_t)(tbs - buf);
    ctx->tbs_len = tbs_len;
    return PKIOT_OK;
}

/*
 * Assemble SEQUENCE { TBS, algorithm, BIT STRING signature } at the end of buf, in place:
 * the signature (at the front) moves next to the TBS, the two blocks trade places, the TBS
 * moves down by the size of the algorithm and BIT STRING header, which are written into the
 * gap, and the outer header goes in front. Needs only the room of the final request.
 */
static int assemble(const pkiot_csr_ctx_t *ctx, uint8_t *buf, size_t cap, size_t sig_len,
                    const uint8_t **csr, size_t *csr_len)
{
    unsigned fam = key_family(ctx->key_type);
    size_t oid_len = 0;
    const char *oid = pkiot_x509_sigalg_oid(fam, ctx->hash, &oid_len);
    size_t t = ctx->tbs_len;
    size_t s = sig_len;
    size_t gap = algid_len(fam, oid_len) + hdr_len(s + 1u) + 1u; /* algorithm + BIT STRING hdr */
    size_t body = t + gap + s;
    size_t total = hdr_len(body) + body;

    if (oid == NULL) {
        return PKIOT_E_INTERNAL;
    }
    if (total > cap) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    size_t sig_at = ctx->tbs_off - s;
    memmove(buf + sig_at, buf, s);
    pkiot_x509_swap_blocks(buf + sig_at, s, t); /* [TBS][signature] now ends at cap */
    size_t tbs_dst = cap - s - gap - t;
    memmove(buf + tbs_dst, buf + sig_at, t);

    pkiot_der_writer_t w;
    static const uint8_t no_unused_bits = 0;
    pkiot_der_w_init(&w, buf + tbs_dst + t, gap);
    pkiot_der_w_raw(&w, &no_unused_bits, 1);
    pkiot_der_w_header(&w, PKIOT_DER_BIT_STRING, s + 1u);
    size_t m = pkiot_der_w_len(&w);
    if (fam == PKIOT_X509_SIGFAM_RSA) {
        pkiot_der_w_null(&w);
    }
    pkiot_der_w_oid(&w, (const uint8_t *)oid, oid_len);
    pkiot_der_w_close(&w, PKIOT_DER_SEQUENCE, m);
    int rc = pkiot_der_w_result(&w, NULL, NULL);
    if (rc == PKIOT_OK && pkiot_der_w_len(&w) != gap) {
        rc = PKIOT_E_INTERNAL;
    }
    pkiot_der_writer_t hw;
    pkiot_der_w_init(&hw, buf, tbs_dst);
    pkiot_der_w_header(&hw, PKIOT_DER_SEQUENCE, body);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_w_result(&hw, csr, NULL);
    }
    if (rc == PKIOT_OK) {
        *csr_len = total;
    }
    return rc;
}

int pkiot_csr_build(pkiot_csr_ctx_t *ctx, const pkiot_csr_params_t *params,
                    const pkiot_crypto_port_t *crypto, const pkiot_key_ref_t *key,
                    uint8_t *buf, size_t cap, const uint8_t **csr, size_t *csr_len)
{
    size_t sig_len = 0;
    size_t oid_len = 0;
    unsigned fam;
    int rc;

    if (ctx == NULL || crypto == NULL || key == NULL || buf == NULL || csr == NULL ||
        csr_len == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (crypto->key_export_spki == NULL || crypto->hash == NULL || crypto->sign_hash == NULL) {
        return PKIOT_E_UNSUPPORTED;
    }
    if (ctx->state == CSR_SIGNING) {
        if (ctx->buf != buf || ctx->cap != cap || key->type != ctx->key_type) {
            return PKIOT_E_STATE;
        }
    } else {
        pkiot_hash_alg_t hash;
        pkiot_slice_t part;

        if (params == NULL) {
            return PKIOT_E_INVALID_ARG;
        }
        fam = key_family(key->type);
        hash = params->hash;
        if (hash == PKIOT_HASH_NONE && attrs_of(params) != NULL) {
            hash = attrs_of(params)->hash;
        }
        if (hash == PKIOT_HASH_NONE) {
            hash = key->type == PKIOT_KEY_EC_P384 ? PKIOT_HASH_SHA384 : PKIOT_HASH_SHA256;
        }
        if (fam == PKIOT_X509_SIGFAM_NONE || hash == PKIOT_HASH_SHA1 ||
            pkiot_x509_sigalg_oid(fam, hash, &oid_len) == NULL) {
            return PKIOT_E_INVALID_ARG;
        }
        memset(ctx, 0, sizeof *ctx);
        rc = build_tbs(ctx, params, crypto, key, buf, cap);
        if (rc != PKIOT_OK) {
            memset(ctx, 0, sizeof *ctx);
            return rc;
        }
        /* Fail before signing when the request with the longest signature could not fit
         * (the signature is produced in the free front of the buffer). */
        size_t smax = pkiot_csr_sig_max(key->type);
        size_t gap = algid_len(fam, oid_len) + hdr_len(smax + 1u) + 1u;
        size_t body = ctx->tbs_len + gap + smax;
        if (hdr_len(body) + body > cap) {
            memset(ctx, 0, sizeof *ctx);
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        part.p = buf + ctx->tbs_off;
        part.len = ctx->tbs_len;
        ctx->digest_len = pkiot_hash_size(hash);
        rc = crypto->hash(crypto->ctx, hash, &part, 1, ctx->digest, sizeof ctx->digest);
        if (rc != PKIOT_OK) {
            memset(ctx, 0, sizeof *ctx);
            return rc;
        }
        ctx->hash = hash;
        ctx->key_type = key->type;
        ctx->buf = buf;
        ctx->cap = cap;
        ctx->state = CSR_SIGNING;
    }

    /* The signature goes to the free front of the buffer, below the TBS. */
    rc = crypto->sign_hash(crypto->ctx, key, ctx->hash, ctx->digest, ctx->digest_len, buf,
                           ctx->tbs_off, &sig_len);
    if (rc == PKIOT_WANT_CRYPTO) {
        return rc;
    }
    if (rc == PKIOT_OK && (sig_len == 0 || sig_len > ctx->tbs_off)) {
        rc = PKIOT_E_CRYPTO;
    }
    if (rc != PKIOT_OK) {
        memset(ctx, 0, sizeof *ctx);
        return rc;
    }

    rc = assemble(ctx, buf, cap, sig_len, csr, csr_len);
    memset(ctx, 0, sizeof *ctx);
    return rc;
}
