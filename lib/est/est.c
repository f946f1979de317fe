/* EST client (RFC 7030, RFC 8951): request descriptions and response handling. The state
 * machine and what resume does from each state are described in est.h. */
#include "est.h"

#include <string.h>

#include "pkiot/base64.h"
#include "pkiot/cms.h"
#include "pkiot/x509.h"

/* Compiled out with the protocol (Kconfig PKIOT_EST): the engine then has no reference. */
#if PKIOT_EST

#define EST_WELL_KNOWN "/.well-known/est"

/* Record tags of this module inside the checkpoint (PKIOT_CKPT_T_PROTO and up). */
enum {
    EST_CKPT_STEP = PKIOT_CKPT_T_PROTO,
    EST_CKPT_FLAGS = PKIOT_CKPT_T_PROTO + 1
};
#define EST_FLAG_AUTH 0x1u /* the server asked for Basic credentials before */

/* Longest CA label accepted (one path segment). */
#define EST_LABEL_MAX 64u

static int build_path(pkiot_ctx_t *ctx, const char *op)
{
    const char *label = ctx->cfg->est.label;
    const char *parts[5] = {ctx->base_path, EST_WELL_KNOWN, NULL, NULL, op};
    size_t o = 0;
    if (label != NULL && label[0] != '\0') {
        size_t ll = strlen(label);
        /* RFC 7030 §3.2.2: a label is one path segment. */
        if (ll > EST_LABEL_MAX || memchr(label, '/', ll) != NULL ||
            memchr(label, '?', ll) != NULL) {
            return PKIOT_E_INVALID_ARG;
        }
        parts[2] = "/";
        parts[3] = label;
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i] == NULL) {
            continue;
        }
        size_t l = strlen(parts[i]);
        if (o + l + 1 > sizeof ctx->req.path) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        memcpy(ctx->req.path + o, parts[i], l);
        o += l;
    }
    ctx->req.path[o] = '\0';
    return PKIOT_OK;
}

static int need_cacerts(const pkiot_ctx_t *ctx)
{
    return ctx->op == PKIOT_OP_CACERTS || ctx->cfg->bootstrap || ctx->cfg->est.fetch_cacerts;
}

/* Without SERVERKEYGEN, est_start() refuses the operation, so no request is made for it. */
static int keygen(const pkiot_ctx_t *ctx)
{
    return PKIOT_EST_SERVERKEYGEN && ctx->op == PKIOT_OP_SERVERKEYGEN;
}

static int est_start(pkiot_ctx_t *ctx)
{
    pkiot_est_state_t *e = &ctx->est;
    const pkiot_crypto_port_t *cr = ctx->cfg->crypto;
    if ((!PKIOT_EST_SERVERKEYGEN && ctx->op == PKIOT_OP_SERVERKEYGEN) ||
        (!PKIOT_EST_CSRATTRS && ctx->cfg->est.use_csrattrs) ||
        (ctx->op == PKIOT_OP_SERVERKEYGEN && cr->key_import == NULL) ||
        (ctx->cfg->bootstrap && cr->hash == NULL)) {
        return PKIOT_E_UNSUPPORTED;
    }
    if (!ctx->use_tls) {
        return PKIOT_E_HTTP_URL; /* RFC 7030 §3.3: EST runs over HTTPS only */
    }
    memset(e, 0, sizeof *e);
    e->step = PKIOT_EST_S_CACERTS;
    e->want_key_type = ctx->cfg->key_type != PKIOT_KEY_NONE ? ctx->cfg->key_type
                                                             : PKIOT_KEY_EC_P256;
    e->csr_hash = PKIOT_HASH_NONE; /* the CSR builder picks one matching the key */
    if (ctx->cfg->bootstrap) {
        /* RFC 7030 §4.1.1: no trust anchor yet, so the first connection cannot be verified;
         * the CA certificates it returns are confirmed by the caller instead. */
        ctx->tparams.insecure_bootstrap = 1;
    }
    return PKIOT_OK;
}

static int prepare_get(pkiot_ctx_t *ctx, const char *op, const char *accept)
{
    ctx->req.method = "GET";
    ctx->req.accept = accept;
    return build_path(ctx, op);
}

/* RFC 8951 allows base64 with or without line breaks, but servers that decode with
 * OpenSSL's base64 BIO (libest among them) need 64-column lines ending in a newline. */
static int encode_lines(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                        size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 48) {
        size_t n = len - i < 48 ? len - i : 48;
        size_t w = 0;
        int rc = pkiot_base64_encode(in + i, n, (char *)out + o, cap - o, &w);
        if (rc != PKIOT_OK) {
            return rc;
        }
        o += w;
        if (cap - o < 2) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        out[o++] = '\r';
        out[o++] = '\n';
    }
    *out_len = o;
    return PKIOT_OK;
}

static int est_prepare(pkiot_ctx_t *ctx)
{
    pkiot_est_state_t *e = &ctx->est;
    const pkiot_config_t *cfg = ctx->cfg;
    int rc;
    if (ctx->cert_len > 0) {
        e->step = PKIOT_EST_S_DONE; /* resumed after the certificate was accepted */
    }
    for (;;) {
        switch (e->step) {
        case PKIOT_EST_S_CACERTS:
            if (need_cacerts(ctx) && !e->have_cacerts) {
                return prepare_get(ctx, "/cacerts", "application/pkcs7-mime");
            }
            if (ctx->op == PKIOT_OP_CACERTS) {
                e->step = PKIOT_EST_S_DONE;
                return PKIOT_DONE;
            }
            e->step = PKIOT_EST_S_CSRATTRS;
            break;
        case PKIOT_EST_S_CSRATTRS:
            /* A CSR that already went out must be re-sent unchanged. Without CSRATTRS,
             * est_start() refuses use_csrattrs, so no run gets here with it set. */
            if (PKIOT_EST_CSRATTRS && cfg->est.use_csrattrs && !e->csrattrs_done &&
                ctx->csr_len == 0) {
                return prepare_get(ctx, "/csrattrs", "application/csrattrs");
            }
            e->step = PKIOT_EST_S_KEY;
            break;
        case PKIOT_EST_S_KEY:
            rc = pkiot_engine_ensure_key(ctx, e->want_key_type);
            if (rc != PKIOT_OK) {
                return rc;
            }
            e->step = PKIOT_EST_S_CSR;
            break;
        case PKIOT_EST_S_CSR:
            if (ctx->csr_len == 0) {
                const pkiot_csrattrs_t *ap = NULL;
#if PKIOT_EST_CSRATTRS
                /* Parsed again from the kept copy: the views must point into it. */
                pkiot_csrattrs_t attrs;
                if (e->csrattrs_len > 0 &&
                    pkiot_csrattrs_parse(ctx->cert, e->csrattrs_len, &attrs) == PKIOT_OK) {
                    ap = &attrs;
                }
#endif
                rc = pkiot_engine_build_csr(ctx, e->csr_hash, ap);
                if (rc != PKIOT_OK) {
                    return rc;
                }
                e->csrattrs_len = 0;
            }
            e->step = PKIOT_EST_S_ENROLL;
            break;
        case PKIOT_EST_S_ENROLL: {
            const char *op = ctx->op == PKIOT_OP_REENROLL ? "/simplereenroll"
                             : keygen(ctx)                ? "/serverkeygen"
                                                          : "/simpleenroll";
            rc = build_path(ctx, op);
            if (rc != PKIOT_OK) {
                return rc;
            }
            size_t cap;
            uint8_t *body = pkiot_engine_body_area(ctx, &cap);
            size_t blen = 0;
            rc = encode_lines(ctx->csr, ctx->csr_len, body, cap, &blen);
            if (rc != PKIOT_OK) {
                return rc;
            }
            ctx->req.method = "POST";
            ctx->req.content_type = "application/pkcs10";
            ctx->req.accept = keygen(ctx) ? "multipart/mixed" : "application/pkcs7-mime";
            ctx->req.body.p = body;
            ctx->req.body.len = blen;
            ctx->req.body_until_close = (uint8_t)keygen(ctx);
            return PKIOT_OK;
        }
        case PKIOT_EST_S_DONE:
            return PKIOT_DONE;
        default:
            return PKIOT_E_INTERNAL;
        }
    }
}

/* Decode an EST base64 body in place (RFC 8951: line breaks of any style are fine). NUL
 * bytes at the very end are not part of it: libest's estserver sends its default /csrattrs
 * answer with the C string's terminator, and counts it in Content-Length. */
static int decode_body(pkiot_ctx_t *ctx, uint8_t *p, size_t len, size_t *out_len)
{
    while (len > 0 && p[len - 1] == 0) {
        len--;
    }
    int rc = pkiot_base64_decode((const char *)p, len, p, len, out_len);
    if (rc != PKIOT_OK) {
        pkiot_engine_keep_text(ctx, (const uint8_t *)"response body is not valid base64", 33);
        return PKIOT_E_EST_BAD_RESPONSE;
    }
    return PKIOT_OK;
}

/* A certs-only CMS answer (RFC 7030 §4.1.3, §4.2.3), decoded in place in the receive
 * buffer. */
static int decode_pkcs7(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp, size_t *len)
{
    if (!pkiot_http_resp_content_type_is(rsp, "application/pkcs7-mime")) {
        return PKIOT_E_HTTP_CONTENT_TYPE;
    }
    return decode_body(ctx, ctx->rx, ctx->rx_len, len);
}

static int store_cacerts(pkiot_ctx_t *ctx, const uint8_t *cms, size_t cms_len)
{
    const pkiot_config_t *cfg = ctx->cfg;
    pkiot_est_state_t *e = &ctx->est;
    pkiot_cms_certs_t it;
    pkiot_slice_t c;
    int rc = pkiot_cms_certs_init(&it, cms, cms_len);
    size_t n = 0;
    ctx->ca_len = 0;
    while (rc == PKIOT_OK && (rc = pkiot_cms_certs_next(&it, &c)) == PKIOT_OK) {
        if (c.len > PKIOT_CA_CERTS_MAX - ctx->ca_len) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        if (cfg->bootstrap && !e->trusted_ca) {
            uint8_t fpr[32];
            pkiot_slice_t part = {c.p, c.len};
            rc = cfg->crypto->hash(cfg->crypto->ctx, PKIOT_HASH_SHA256, &part, 1, fpr,
                                   sizeof fpr);
            if (rc != PKIOT_OK) {
                return rc;
            }
            /* After a resume, certificates confirmed before are accepted silently. */
            int known = 0;
            for (size_t i = 0; i < e->n_ca_fpr; i++) {
                known |= pkiot_ct_memcmp(e->ca_fpr[i], fpr, 32) == 0;
            }
            if (!known) {
                if (cfg->confirm_ca == NULL || cfg->confirm_ca(cfg->user, c.p, c.len, fpr) != 1) {
                    return PKIOT_E_FINGERPRINT;
                }
                if (e->n_ca_fpr < PKIOT_EST_MAX_CA_FPR) {
                    memcpy(e->ca_fpr[e->n_ca_fpr++], fpr, 32);
                }
            }
        }
        memmove(ctx->ca + ctx->ca_len, c.p, c.len);
        ctx->ca_len += c.len;
        n++;
    }
    if (rc != PKIOT_DONE) {
        return rc;
    }
    if (n == 0) {
        return PKIOT_E_CMS_NO_CERTS;
    }
    return PKIOT_OK;
}

/*
 * RFC 7030 §4.1.3: CA certificates are used to build paths only after normal RFC 5280 path
 * validation against the explicit trust anchors. TLS authenticated the server, not what it
 * hands out: a misconfigured server, or one whose CA label points at another CA, must not
 * get a foreign CA into the application's trust store or into the issued certificate's
 * path. pkiot_engine_keep_valid_ca() keeps those that chain to an anchor and leaves out the
 * others (an expired leftover of an earlier CA key must not cut the device off).
 */
static int handle_cacerts(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    pkiot_est_state_t *e = &ctx->est;
    size_t len = 0;
    if (rsp->status != 200) {
        return PKIOT_E_HTTP_STATUS;
    }
    int rc = decode_pkcs7(ctx, rsp, &len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = store_cacerts(ctx, ctx->rx, len);
    /* Bootstrap confirms each certificate out of band instead (store_cacerts()). With
     * nothing left, the first refusal is the error. */
    if (rc == PKIOT_OK && !ctx->cfg->bootstrap && ctx->cfg->trust_anchors != NULL &&
        ctx->cfg->trust_anchors_len > 0) {
        int refused = pkiot_engine_keep_valid_ca(ctx, 0);
        rc = ctx->ca_len > 0 ? PKIOT_OK : refused;
    }
    if (rc != PKIOT_OK) {
        ctx->ca_len = 0; /* pkiot_result_ca_certs() never shows what was refused */
        return rc;
    }
    e->have_cacerts = 1;
    pkiot_engine_progress(ctx, "CA certificates received");
    if (ctx->cfg->bootstrap && !e->trusted_ca) {
        /* From now on the server must prove itself against the confirmed CA. */
        e->trusted_ca = 1;
        ctx->tparams.insecure_bootstrap = 0;
        ctx->tparams.trust_anchors = ctx->ca;
        ctx->tparams.trust_anchors_len = ctx->ca_len;
        ctx->ca_anchor_len = ctx->ca_len;
        pkiot_engine_close(ctx);
        pkiot_engine_mark_dirty(ctx);
    }
    if (ctx->op == PKIOT_OP_CACERTS) {
        e->step = PKIOT_EST_S_DONE;
        return PKIOT_DONE;
    }
    e->step = PKIOT_EST_S_CSRATTRS;
    return PKIOT_OK;
}

#if PKIOT_EST_CSRATTRS
static int handle_csrattrs(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    pkiot_est_state_t *e = &ctx->est;
    if (rsp->status == 204 || rsp->status == 404 || (rsp->status == 200 && ctx->rx_len == 0)) {
        e->csrattrs_done = 1; /* RFC 7030 §4.5.2: no attributes to apply */
        e->step = PKIOT_EST_S_KEY;
        return PKIOT_OK;
    }
    if (rsp->status != 200) {
        return PKIOT_E_HTTP_STATUS; /* 5xx: asked again after the backoff */
    }
    size_t len = 0;
    int rc = decode_body(ctx, ctx->rx, ctx->rx_len, &len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_csrattrs_t attrs;
    rc = pkiot_csrattrs_parse(ctx->rx, len, &attrs);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (attrs.key_type != PKIOT_KEY_NONE && ctx->cfg->existing_key == NULL && !ctx->key_valid) {
        e->want_key_type = attrs.key_type;
    }
    if (attrs.hash != PKIOT_HASH_NONE) {
        e->csr_hash = attrs.hash;
    }
    if (attrs.challenge_password && ctx->cfg->challenge_password == NULL) {
        /* RFC 7030 leaves the value to an out-of-band agreement; say so rather than guess. */
        pkiot_engine_progress(ctx, "server asks for a challengePassword; none configured");
    }
    /* The attributes are kept in the certificate area, unused until the certificate
     * arrives, for the CSR builder to apply. */
    if (len > PKIOT_CERT_MAX) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memmove(ctx->cert, ctx->rx, len);
    e->csrattrs_len = len;
    e->csrattrs_done = 1;
    e->step = PKIOT_EST_S_KEY;
    pkiot_engine_progress(ctx, "CSR attributes applied");
    return PKIOT_OK;
}
#endif /* PKIOT_EST_CSRATTRS */

/* The response may carry CA certificates besides the new one: those become intermediates
 * for the chain check (they never become trust anchors), and the end-entity certificates
 * are tried against the key, reporting the leaf's own error when none is accepted. Of the
 * CA certificates, those that do not validate are left out afterwards, as from /cacerts. */
static int find_issued_cert(pkiot_ctx_t *ctx, const uint8_t *cms, size_t len)
{
    pkiot_cms_certs_t it;
    pkiot_slice_t c;
    pkiot_x509_cert_t x;
    /* Bit i: certificate i is a CA, so the second pass parses only the others again (the
     * first 32; beyond them it asks the parser once more). */
    uint32_t ca_bits = 0;
    size_t i = 0;
    size_t ca_start = ctx->ca_len;
    int rc = pkiot_cms_certs_init(&it, cms, len);
    while (rc == PKIOT_OK && (rc = pkiot_cms_certs_next(&it, &c)) == PKIOT_OK) {
        if (pkiot_engine_cert_parse(ctx, c.p, c.len, &x) == PKIOT_OK && x.is_ca) {
            ca_bits |= i < 32u ? 1u << i : 0u;
            if (c.len <= PKIOT_CA_CERTS_MAX - ctx->ca_len) {
                memmove(ctx->ca + ctx->ca_len, c.p, c.len);
                ctx->ca_len += c.len;
            }
        }
        i++;
    }
    if (rc != PKIOT_DONE) {
        return rc;
    }
    int last = PKIOT_E_CERT_KEY_MISMATCH;
    i = 0;
    rc = pkiot_cms_certs_init(&it, cms, len);
    while (rc == PKIOT_OK && (rc = pkiot_cms_certs_next(&it, &c)) == PKIOT_OK) {
        int is_ca = i < 32u ? (int)((ca_bits >> i) & 1u)
                            : pkiot_engine_cert_parse(ctx, c.p, c.len, &x) == PKIOT_OK && x.is_ca;
        i++;
        if (is_ca) {
            continue;
        }
        last = pkiot_engine_accept_cert(ctx, c.p, c.len);
        if (last == PKIOT_OK) {
            (void)pkiot_engine_keep_valid_ca(ctx, ca_start);
            return PKIOT_OK;
        }
    }
    return rc != PKIOT_DONE ? rc : last;
}

#if PKIOT_EST_SERVERKEYGEN
static int take_server_key(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    const pkiot_crypto_port_t *cr = ctx->cfg->crypto;
    pkiot_slice_t ct;
    char boundary[PKIOT_HTTP_BOUNDARY_MAX + 1];
    size_t blen = 0;
    if (pkiot_http_resp_field(rsp, PKIOT_HTTP_F_CONTENT_TYPE, &ct) != PKIOT_OK ||
        !pkiot_http_media_type_is(ct, "multipart/mixed") ||
        pkiot_http_media_param(ct, "boundary", boundary, sizeof boundary, &blen) != PKIOT_OK) {
        return PKIOT_E_HTTP_CONTENT_TYPE;
    }
    pkiot_multipart_t mp;
    pkiot_multipart_part_t part;
    int rc = pkiot_multipart_init(&mp, ctx->rx, ctx->rx_len, boundary, blen);
    pkiot_slice_t key = {NULL, 0}, cms = {NULL, 0};
    while (rc == PKIOT_OK && (rc = pkiot_multipart_next(&mp, &part)) == PKIOT_OK) {
        /* Parts are decoded in place: each lies inside the receive buffer. */
        uint8_t *p = (uint8_t *)(uintptr_t)part.content.p;
        size_t len = 0;
        if (pkiot_http_media_type_is(part.content_type, "application/pkcs8")) {
            rc = decode_body(ctx, p, part.content.len, &len);
            key.p = p;
            key.len = len;
        } else if (pkiot_http_media_type_is(part.content_type, "application/pkcs7-mime")) {
            rc = decode_body(ctx, p, part.content.len, &len);
            cms.p = p;
            cms.len = len;
        }
    }
    if (rc != PKIOT_DONE) {
        return rc < 0 ? rc : PKIOT_E_HTTP_MULTIPART;
    }
    if (key.len == 0 || cms.len == 0) {
        return PKIOT_E_EST_BAD_RESPONSE;
    }
    /* The key that signed the CSR only proved possession for this request; the server's key
     * replaces it. Dropping it first avoids holding two key references (2.4 KB each) at
     * once. If the new key or certificate is refused, the stored CSR is re-sent later and
     * the server generates another key. */
    if (cr->key_destroy != NULL && ctx->cfg->existing_key == NULL) {
        cr->key_destroy(cr->ctx, &ctx->key);
    }
    pkiot_zeroize(&ctx->key, sizeof ctx->key);
    ctx->key_valid = 0;
    rc = cr->key_import(cr->ctx, key.p, key.len, &ctx->key);
    if (rc != PKIOT_OK) {
        return rc;
    }
    ctx->key_valid = 1;
    pkiot_engine_mark_dirty(ctx);
    return find_issued_cert(ctx, cms.p, cms.len);
}

static int handle_serverkeygen(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    int rc = take_server_key(ctx, rsp);
    /* The key arrived in the clear inside TLS, as base64 and decoded in place: whatever
     * happened, nothing of the receive buffer survives (the certificate was copied out). */
    pkiot_zeroize(ctx->rx, PKIOT_RX_BUF_SIZE);
    ctx->rx_len = 0;
    return rc;
}
#endif /* PKIOT_EST_SERVERKEYGEN */

static int handle_enroll(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    int rc;
    if (rsp->status == 202) {
        pkiot_engine_progress(ctx, "server accepted the request for later processing");
        return pkiot_engine_later(ctx, rsp);
    }
    if (rsp->status != 200) {
        return PKIOT_E_HTTP_STATUS;
    }
    if (ctx->op == PKIOT_OP_SERVERKEYGEN) {
#if PKIOT_EST_SERVERKEYGEN
        rc = handle_serverkeygen(ctx, rsp);
#else
        rc = PKIOT_E_UNSUPPORTED; /* refused by est_start() already */
#endif
    } else {
        size_t len = 0;
        rc = decode_pkcs7(ctx, rsp, &len);
        if (rc == PKIOT_OK) {
            rc = find_issued_cert(ctx, ctx->rx, len);
        }
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_engine_progress(ctx, "certificate received and verified");
    ctx->est.step = PKIOT_EST_S_DONE;
    return PKIOT_DONE;
}

static int est_handle(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    pkiot_est_state_t *e = &ctx->est;
    if (rsp->status == 401) {
        pkiot_slice_t scheme;
        /* RFC 7030 §3.2.3: send credentials once when the server asks for Basic, and only
         * to a server TLS has authenticated (never during bootstrap). The auth-scheme is a
         * token (RFC 9110 §11.1), so the media-type comparison is a case-insensitive match. */
        if (ctx->cfg->http_user != NULL && !ctx->send_basic_auth &&
            !ctx->tparams.insecure_bootstrap &&
            pkiot_http_resp_field(rsp, PKIOT_HTTP_F_AUTH_SCHEME, &scheme) == PKIOT_OK &&
            pkiot_http_media_type_is(scheme, "basic")) {
            ctx->send_basic_auth = 1;
            pkiot_engine_progress(ctx, "server asked for HTTP Basic credentials");
            return PKIOT_OK;
        }
        pkiot_engine_keep_text(ctx, ctx->rx, ctx->rx_len);
        return PKIOT_E_HTTP_AUTH_REQUIRED;
    }
    int rc;
    switch (e->step) {
    case PKIOT_EST_S_CACERTS:
        rc = handle_cacerts(ctx, rsp);
        break;
    case PKIOT_EST_S_CSRATTRS:
#if PKIOT_EST_CSRATTRS
        rc = handle_csrattrs(ctx, rsp);
#else
        rc = PKIOT_E_UNSUPPORTED; /* refused by est_start() already */
#endif
        break;
    case PKIOT_EST_S_ENROLL:
        rc = handle_enroll(ctx, rsp);
        break;
    default:
        return PKIOT_E_STATE;
    }
    if (rc == PKIOT_E_HTTP_STATUS) {
        /* Keep the server's explanation (RFC 7030 §4.2.3: text/plain is typical). */
        pkiot_engine_keep_text(ctx, ctx->rx, ctx->rx_len);
        if (rsp->status >= 400 && rsp->status < 500) {
            rc = PKIOT_E_SERVER_REJECTED;
        }
    }
    return rc;
}

static void est_save(const pkiot_ctx_t *ctx, pkiot_ckpt_writer_t *w)
{
    const pkiot_est_state_t *e = &ctx->est;
    uint8_t step = e->step;
    uint32_t flags = ctx->send_basic_auth ? EST_FLAG_AUTH : 0u;
    pkiot_ckpt_put(w, EST_CKPT_STEP, &step, 1);
    pkiot_ckpt_put_u32(w, EST_CKPT_FLAGS, flags);
    if (e->n_ca_fpr > 0) {
        pkiot_ckpt_put(w, PKIOT_CKPT_T_CA_FPR, e->ca_fpr, (size_t)e->n_ca_fpr * 32u);
    }
}

static int est_load(pkiot_ctx_t *ctx, const pkiot_ckpt_reader_t *r)
{
    pkiot_est_state_t *e = &ctx->est;
    pkiot_slice_t step, fpr = {NULL, 0};
    uint32_t flags = 0;
    if (pkiot_ckpt_get(r, EST_CKPT_STEP, &step) != PKIOT_OK || step.len != 1 ||
        step.p[0] > PKIOT_EST_S_DONE) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    int rc = pkiot_ckpt_get_u32(r, EST_CKPT_FLAGS, &flags);
    if (rc != PKIOT_OK && rc != PKIOT_E_NOT_FOUND) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    if (pkiot_ckpt_get(r, PKIOT_CKPT_T_CA_FPR, &fpr) == PKIOT_OK &&
        (fpr.len % 32u != 0 || fpr.len / 32u > PKIOT_EST_MAX_CA_FPR)) {
        return PKIOT_E_CKPT_CORRUPT;
    }
    /* Local steps and CA certificates are redone (they are cheap); the engine restores the
     * key, the CSR and the certificate, and est_prepare() picks up from those. */
    e->step = PKIOT_EST_S_CACERTS;
    ctx->send_basic_auth = (flags & EST_FLAG_AUTH) != 0;
    e->n_ca_fpr = (uint8_t)(fpr.len / 32u);
    if (fpr.len > 0) {
        memcpy(e->ca_fpr, fpr.p, fpr.len);
    }
    return PKIOT_OK;
}

const pkiot_proto_ops_t pkiot_est_ops = {
    PKIOT_PROTO_EST, est_start, est_prepare, est_handle, est_save, est_load,
};

#endif /* PKIOT_EST */
