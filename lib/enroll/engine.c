/*
 * The engine: one driver for every protocol. It owns the connection, the HTTP exchange,
 * time budgets, retries with exponential backoff and jitter, "come back later" waits and the
 * checkpoints that make an enrollment survive power cuts. Protocol modules only describe
 * requests and consume responses (engine.h).
 */
#include "engine.h"

#include <string.h>

#include "pkiot/base64.h"
#include "pkiot/datetime.h"
#include "pkiot/url.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"

/* Room kept at the start of the request buffer for the request head; protocol bodies are
 * built behind it and moved down once the head's real length is known. */
#define ENGINE_HEAD_RESERVE 640u

#define DEFAULT_MAX_ATTEMPTS 5u
#define DEFAULT_BACKOFF_BASE_MS 2000u
#define DEFAULT_BACKOFF_MAX_MS 300000u
#define DEFAULT_IO_TIMEOUT_MS 30000u
#define DEFAULT_RETRY_AFTER_S 60u
/* A server may not park a device for longer than a day per answer; larger Retry-After
 * values are clamped so a bogus header cannot brick renewal. */
#define MAX_RETRY_AFTER_S 86400u
#define MIN_RETRY_AFTER_S 1u

static const pkiot_proto_ops_t *const proto_table[] = {
#if PKIOT_EST
    &pkiot_est_ops,
#endif
    NULL};

static const pkiot_proto_ops_t *find_ops(pkiot_protocol_t p)
{
    for (size_t i = 0; proto_table[i] != NULL; i++) {
        if (proto_table[i]->protocol == p) {
            return proto_table[i];
        }
    }
    return NULL;
}

static int time_reached(uint32_t now, uint32_t t)
{
    return (int32_t)(now - t) >= 0;
}

static uint32_t cfg_or(uint32_t v, uint32_t dflt)
{
    return v != 0 ? v : dflt;
}

/* ------------------------------------------------------------------------------------- */
/* helpers for protocol modules                                                           */
/* ------------------------------------------------------------------------------------- */

void pkiot_engine_mark_dirty(pkiot_ctx_t *ctx)
{
    ctx->ckpt_dirty = 1;
}

void pkiot_engine_progress(const pkiot_ctx_t *ctx, const char *line)
{
    if (ctx->cfg->progress != NULL) {
        ctx->cfg->progress(ctx->cfg->user, line);
    }
}

int64_t pkiot_engine_unix_now(const pkiot_ctx_t *ctx)
{
    return ctx->cfg->wall_time != NULL ? ctx->cfg->wall_time(ctx->cfg->user) : 0;
}

void pkiot_engine_keep_text(pkiot_ctx_t *ctx, const uint8_t *text, size_t len)
{
    size_t o = 0;
    int space = 0;
    /* Collapse whitespace and drop non-printables: the text ends up on a console line. */
    for (size_t i = 0; i < len && o + 1 < sizeof ctx->server_text; i++) {
        uint8_t c = text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = o > 0;
            continue;
        }
        if (c < 0x20 || c > 0x7E) {
            c = '?';
        }
        if (space && o + 2 < sizeof ctx->server_text) {
            ctx->server_text[o++] = ' ';
        }
        space = 0;
        ctx->server_text[o++] = (char)c;
    }
    ctx->server_text[o] = '\0';
}

int pkiot_engine_later(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp)
{
    int64_t now_unix = pkiot_engine_unix_now(ctx);
    uint32_t delay = cfg_or(ctx->cfg->default_retry_after_s, DEFAULT_RETRY_AFTER_S);
    pkiot_slice_t v;
    pkiot_retry_after_t ra;
    if (rsp != NULL && pkiot_http_resp_field(rsp, PKIOT_HTTP_F_RETRY_AFTER, &v) == PKIOT_OK &&
        pkiot_time_parse_retry_after((const char *)v.p, v.len,
                                     now_unix > 0 ? now_unix : PKIOT_TIME_NOW_UNKNOWN,
                                     &ra) == PKIOT_OK &&
        ra.delay >= 0) {
        /* An HTTP-date without a wall clock leaves delay unknown: the default applies. */
        delay = ra.delay > (int64_t)MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : (uint32_t)ra.delay;
    }
    if (delay > MAX_RETRY_AFTER_S) {
        delay = MAX_RETRY_AFTER_S;
    }
    /* "Retry-After: 0" or a past date must not become a request loop (and a flash write
     * per request). */
    if (delay < MIN_RETRY_AFTER_S) {
        delay = MIN_RETRY_AFTER_S;
    }
    ctx->wake_ms = ctx->now_ms + delay * 1000u;
    ctx->wake_unix = now_unix > 0 ? now_unix + (int64_t)delay : 0;
    ctx->wait_s = delay;
    ctx->phase = PKIOT_PHASE_WAIT;
    pkiot_engine_mark_dirty(ctx);
    return PKIOT_SLEEP;
}

int pkiot_engine_ensure_key(pkiot_ctx_t *ctx, pkiot_key_type_t type)
{
    if (ctx->key_valid) {
        return PKIOT_OK;
    }
    const pkiot_config_t *cfg = ctx->cfg;
    if (cfg->existing_key != NULL) {
        ctx->key = *cfg->existing_key;
        ctx->key_valid = 1;
        pkiot_engine_mark_dirty(ctx);
        return PKIOT_OK;
    }
    if (cfg->crypto->key_generate == NULL) {
        return PKIOT_E_UNSUPPORTED;
    }
    int rc = cfg->crypto->key_generate(cfg->crypto->ctx, type, cfg->key_slot_hint, &ctx->key);
    if (rc != PKIOT_OK) {
        return rc;
    }
    ctx->key_valid = 1;
    pkiot_engine_progress(ctx, "key generated");
    /* Never generate twice for one request: the key goes to storage before anything is
     * sent that could bind it to a transaction. */
    pkiot_engine_mark_dirty(ctx);
    return PKIOT_OK;
}

int pkiot_engine_build_csr(pkiot_ctx_t *ctx, pkiot_hash_alg_t hash,
                           const pkiot_csrattrs_t *attrs)
{
    const pkiot_config_t *cfg = ctx->cfg;
    pkiot_csr_params_t p;
    memset(&p, 0, sizeof p);
    p.subject = cfg->subject;
    p.san_strings = cfg->sans;
    p.n_san_strings = cfg->nsans;
    /* RFC 7030 §4.2.2: a re-enrollment keeps the subject and subjectAltName of the current
     * certificate unless the application asks for others, both copied as encoded. */
    if (ctx->op == PKIOT_OP_REENROLL && cfg->subject == NULL && cfg->client_cert != NULL) {
        pkiot_x509_cert_t cur;
        pkiot_der_cursor_t it;
        pkiot_der_init(&it, cfg->client_cert, cfg->client_cert_len);
        pkiot_der_tlv_t first;
        int rc = pkiot_der_next(&it, &first);
        if (rc == PKIOT_OK) {
            rc = pkiot_engine_cert_parse(ctx, first.raw, first.raw_len, &cur);
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        p.subject_der = cur.subject;
        if (cfg->nsans == 0) {
            p.san_der = cur.san;
        }
    }
    p.hash = hash;
    p.challenge_password = cfg->challenge_password;
    p.csrattrs = attrs;
    const uint8_t *csr = NULL;
    size_t len = 0;
    /* Built at the end of the CSR area, then moved to its start. A signature that is still
     * in progress (PKIOT_WANT_CRYPTO) resumes on the same buffer. */
    int rc = pkiot_csr_build(&ctx->csr_state, &p, cfg->crypto, &ctx->key, ctx->csr,
                             PKIOT_CSR_MAX, &csr, &len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    memmove(ctx->csr, csr, len);
    ctx->csr_len = len;
    pkiot_engine_progress(ctx, "CSR built and signed");
    pkiot_engine_mark_dirty(ctx);
    return PKIOT_OK;
}

/* How many DER SEQUENCEs make up the @p len bytes at @p p; SIZE_MAX when something else is
 * there (a malformed or foreign element, trailing bytes). */
static size_t count_certs(const uint8_t *p, size_t len)
{
    pkiot_der_cursor_t cur;
    pkiot_der_tlv_t tlv;
    size_t n = 0;
    pkiot_der_init(&cur, p, len);
    while (!pkiot_der_at_end(&cur)) {
        if (pkiot_der_expect(&cur, PKIOT_DER_SEQUENCE, &tlv) != PKIOT_OK) {
            return SIZE_MAX;
        }
        n++;
    }
    return n;
}

int pkiot_engine_cert_parse(const pkiot_ctx_t *ctx, const uint8_t *der, size_t len,
                            pkiot_x509_cert_t *out)
{
#if PKIOT_X509_BUILTIN
    (void)ctx;
    return pkiot_x509_cert_parse(der, len, out);
#else
    const pkiot_crypto_port_t *cr = ctx->cfg->crypto;
    return cr->cert_parse(cr->ctx, der, len, out);
#endif
}

size_t pkiot_engine_split_certs(const uint8_t *p, size_t len, pkiot_slice_t *out, size_t max)
{
    pkiot_der_cursor_t cur;
    pkiot_der_tlv_t tlv;
    size_t n = 0;
    pkiot_der_init(&cur, p, len);
    while (n < max && !pkiot_der_at_end(&cur) &&
           pkiot_der_expect(&cur, PKIOT_DER_SEQUENCE, &tlv) == PKIOT_OK) {
        out[n].p = tlv.raw;
        out[n].len = tlv.raw_len;
        n++;
    }
    return n;
}

int pkiot_engine_check_path(pkiot_ctx_t *ctx, const pkiot_x509_cert_t *c)
{
    const pkiot_config_t *cfg = ctx->cfg;
    /* Trust anchors: the configured ones, or in bootstrap mode the CA certificates the
     * caller confirmed. Intermediates: whatever CA certificates this enrollment received. */
    pkiot_slice_t inter[PKIOT_ENGINE_MAX_CHAIN], anchors[PKIOT_ENGINE_MAX_CHAIN];
    size_t n_inter =
        pkiot_engine_split_certs(ctx->ca, ctx->ca_len, inter, PKIOT_ENGINE_MAX_CHAIN);
    size_t n_anchors;
    if (cfg->trust_anchors != NULL && cfg->trust_anchors_len > 0) {
        n_anchors = pkiot_engine_split_certs(cfg->trust_anchors, cfg->trust_anchors_len,
                                             anchors, PKIOT_ENGINE_MAX_CHAIN);
    } else {
        /* Bootstrap: only the CA certificates the application confirmed are anchors. */
        n_anchors = pkiot_engine_split_certs(ctx->ca, ctx->ca_anchor_len, anchors,
                                             PKIOT_ENGINE_MAX_CHAIN);
    }
    return pkiot_x509_chain_check(c, inter, n_inter, anchors, n_anchors,
                                  pkiot_engine_unix_now(ctx), cfg->crypto, NULL);
}

/* A certificate is kept only when it chains to a trust anchor with the others received as
 * intermediates; the anchor itself may be among them, and an identical copy of an anchor
 * passes as it is. Leaving out in place while walking is safe: a certificate that does not
 * validate is on no valid path of another. */
int pkiot_engine_keep_valid_ca(pkiot_ctx_t *ctx, size_t from)
{
    size_t off = from;
    int first_err = PKIOT_OK;
    while (off < ctx->ca_len) {
        pkiot_der_cursor_t cur;
        pkiot_der_tlv_t tlv;
        pkiot_x509_cert_t c;
        pkiot_der_init(&cur, ctx->ca + off, ctx->ca_len - off);
        int rc = pkiot_der_expect(&cur, PKIOT_DER_SEQUENCE, &tlv);
        if (rc != PKIOT_OK) {
            return rc; /* only whole certificates are ever stored: not expected */
        }
        rc = pkiot_engine_cert_parse(ctx, tlv.raw, tlv.raw_len, &c);
        if (rc == PKIOT_OK) {
            rc = pkiot_engine_check_path(ctx, &c);
        }
        if (rc == PKIOT_OK) {
            off += tlv.raw_len;
            continue;
        }
        first_err = first_err == PKIOT_OK ? rc : first_err;
        memmove(ctx->ca + off, ctx->ca + off + tlv.raw_len, ctx->ca_len - off - tlv.raw_len);
        ctx->ca_len -= tlv.raw_len;
        pkiot_engine_progress(ctx, "left out a CA certificate that does not validate against "
                                   "the trust anchors");
    }
    return first_err;
}

int pkiot_engine_accept_cert(pkiot_ctx_t *ctx, const uint8_t *cert, size_t len)
{
    const pkiot_config_t *cfg = ctx->cfg;
    pkiot_x509_cert_t c;
    /* The request buffer is idle once a response is in: it holds the exported key. */
    uint8_t *spki = ctx->tx;
    size_t spki_len = 0;
    int rc = pkiot_engine_cert_parse(ctx, cert, len, &c);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = cfg->crypto->key_export_spki(cfg->crypto->ctx, &ctx->key, spki, PKIOT_TX_BUF_SIZE,
                                      &spki_len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_x509_cert_matches_key(&c, spki, spki_len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    rc = pkiot_engine_check_path(ctx, &c);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (len > PKIOT_CERT_MAX) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (cert != ctx->cert) {
        memmove(ctx->cert, cert, len);
    }
    ctx->cert_len = len;
    pkiot_engine_mark_dirty(ctx);
    return PKIOT_OK;
}

/* ------------------------------------------------------------------------------------- */
/* checkpoints                                                                            */
/* ------------------------------------------------------------------------------------- */

static int save_checkpoint(pkiot_ctx_t *ctx, const pkiot_proto_ops_t *ops)
{
    const pkiot_storage_port_t *st = ctx->cfg->storage;
    ctx->ckpt_dirty = 0;
    if (st == NULL) {
        return PKIOT_OK;
    }
    pkiot_ckpt_writer_t w;
    pkiot_ckpt_begin(&w, ctx->ckpt, PKIOT_CKPT_MAX, (uint8_t)ctx->cfg->protocol,
                     (uint8_t)ctx->op);
    if (ctx->key_valid) {
        uint8_t type = (uint8_t)ctx->key.type;
        pkiot_ckpt_put(&w, PKIOT_CKPT_T_KEY_TYPE, &type, 1);
        pkiot_ckpt_put(&w, PKIOT_CKPT_T_KEY, ctx->key.data, ctx->key.len);
    }
    /* Once the certificate is in, the CSR is history: dropping it keeps RSA blobs small. */
    if (ctx->cert_len > 0) {
        pkiot_ckpt_put(&w, PKIOT_CKPT_T_CERT, ctx->cert, ctx->cert_len);
    } else if (ctx->csr_len > 0) {
        pkiot_ckpt_put(&w, PKIOT_CKPT_T_CSR, ctx->csr, ctx->csr_len);
    }
    if (ctx->wake_unix > 0) {
        pkiot_ckpt_put_i64(&w, PKIOT_CKPT_T_WAKE_UNIX, ctx->wake_unix);
    }
    pkiot_ckpt_put_u32(&w, PKIOT_CKPT_T_WAIT_S, ctx->wait_s);
    ops->save(ctx, &w);
    size_t len = 0;
    int rc = pkiot_ckpt_end(&w, &len);
    if (rc == PKIOT_OK) {
        rc = st->save(st->ctx, ctx->ckpt, len);
    }
    /* The blob may hold a software private key: do not leave a copy in RAM. */
    pkiot_zeroize(ctx->ckpt, PKIOT_CKPT_MAX);
    return rc;
}

/* ------------------------------------------------------------------------------------- */
/* public API                                                                             */
/* ------------------------------------------------------------------------------------- */

int pkiot_init(pkiot_ctx_t *ctx, const pkiot_config_t *cfg, uint8_t *work, size_t work_len)
{
    if (ctx == NULL || cfg == NULL || work == NULL || cfg->server_url == NULL ||
        cfg->crypto == NULL || cfg->transport == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (work_len < PKIOT_WORKSPACE_SIZE) {
        return PKIOT_E_WORKSPACE_TOO_SMALL;
    }
    if (find_ops(cfg->protocol) == NULL) {
        return PKIOT_E_UNSUPPORTED;
    }
    /* Without pkiot's own X.509 code the issued certificate could not be checked: refuse
     * now rather than after a key, a request and a server round trip. */
    if (!PKIOT_X509_BUILTIN &&
        (cfg->crypto->cert_verify == NULL || cfg->crypto->cert_parse == NULL)) {
        return PKIOT_E_UNSUPPORTED;
    }
    /* The path checks take at most PKIOT_ENGINE_MAX_CHAIN anchors: refuse what they would
     * otherwise ignore without a word, and bytes that are no certificates. */
    if (cfg->trust_anchors_len > 0 &&
        (cfg->trust_anchors == NULL ||
         count_certs(cfg->trust_anchors, cfg->trust_anchors_len) > PKIOT_ENGINE_MAX_CHAIN)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(ctx, 0, sizeof *ctx); /* also PKIOT_PHASE_IDLE */
    ctx->cfg = cfg;
    ctx->tx = work;
    ctx->rx = ctx->tx + PKIOT_TX_BUF_SIZE;
    ctx->csr = ctx->rx + PKIOT_RX_BUF_SIZE;
    ctx->cert = ctx->csr + PKIOT_CSR_MAX;
    ctx->ca = ctx->cert + PKIOT_CERT_MAX;
    ctx->ckpt = ctx->ca + PKIOT_CA_CERTS_MAX;

    pkiot_url_parts_t url;
    int rc = pkiot_url_split(cfg->server_url, strlen(cfg->server_url), &url);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (url.host.len + 1 > sizeof ctx->host || url.path.len + 1 > sizeof ctx->base_path) {
        return PKIOT_E_HTTP_URL;
    }
    /* Terminated by the zeroed context: both lengths were checked to leave room. */
    memcpy(ctx->host, url.host.p, url.host.len);
    /* "https://h/" and "https://h" mean the same base. */
    size_t plen = url.path.len;
    while (plen > 0 && url.path.p[plen - 1] == '/') {
        plen--;
    }
    memcpy(ctx->base_path, url.path.p, plen);
    ctx->port = url.port;
    ctx->use_tls = url.tls;

    ctx->tparams.host = ctx->host;
    ctx->tparams.port = ctx->port;
    ctx->tparams.use_tls = ctx->use_tls;
    ctx->tparams.trust_anchors = cfg->trust_anchors;
    ctx->tparams.trust_anchors_len = cfg->trust_anchors_len;
    ctx->tparams.client_cert = cfg->client_cert;
    ctx->tparams.client_cert_len = cfg->client_cert_len;
    ctx->tparams.client_key = cfg->client_key;
    return PKIOT_OK;
}

void pkiot_engine_close(pkiot_ctx_t *ctx)
{
    if (ctx->conn_open) {
        ctx->cfg->transport->close(ctx->cfg->transport->ctx);
        ctx->conn_open = 0;
    }
}

static void reset_run(pkiot_ctx_t *ctx)
{
    pkiot_engine_close(ctx);
    pkiot_zeroize(&ctx->key, sizeof ctx->key);
    ctx->key_valid = 0;
    ctx->csr_len = 0;
    ctx->cert_len = 0;
    ctx->ca_len = 0;
    ctx->ca_anchor_len = 0;
    ctx->attempts = 0;
    ctx->wake_unix = 0;
    ctx->wait_s = 0;
    ctx->http_status = 0;
    ctx->last_error = PKIOT_OK;
    ctx->server_text[0] = '\0';
    ctx->send_basic_auth = 0;
    pkiot_csr_init(&ctx->csr_state);
}

int pkiot_enroll_start(pkiot_ctx_t *ctx, pkiot_operation_t op)
{
    if (ctx == NULL || ctx->cfg == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (op < PKIOT_OP_ENROLL || op > PKIOT_OP_CACERTS) {
        return PKIOT_E_INVALID_ARG;
    }
    reset_run(ctx);
    ctx->op = op;
    int rc = find_ops(ctx->cfg->protocol)->start(ctx);
    /* reset_run() has already ended any running operation and dropped its key: a refused
     * start must not let pkiot_step() carry on with that half-cleared state. */
    ctx->phase = rc == PKIOT_OK ? PKIOT_PHASE_PREPARE : PKIOT_PHASE_IDLE;
    return rc;
}

int pkiot_resume(pkiot_ctx_t *ctx)
{
    if (ctx == NULL || ctx->cfg == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    const pkiot_storage_port_t *st = ctx->cfg->storage;
    if (st == NULL) {
        return PKIOT_E_STORAGE_EMPTY;
    }
    /* Every way out wipes the blob: a partly loaded or refused one may hold a key too. */
    size_t len = 0;
    int rc = st->load(st->ctx, ctx->ckpt, PKIOT_CKPT_MAX, &len);
    if (rc == PKIOT_E_BUFFER_TOO_SMALL) {
        rc = PKIOT_E_CKPT_CORRUPT;
    }
    pkiot_ckpt_reader_t r;
    memset(&r, 0, sizeof r);
    if (rc == PKIOT_OK) {
        rc = pkiot_ckpt_open(&r, ctx->ckpt, len);
    }
    if (rc == PKIOT_OK && r.protocol != (uint8_t)ctx->cfg->protocol) {
        rc = PKIOT_E_CKPT_MISMATCH;
    }
    if (rc == PKIOT_OK && (r.operation < PKIOT_OP_ENROLL || r.operation > PKIOT_OP_CACERTS)) {
        rc = PKIOT_E_CKPT_CORRUPT;
    }
    /* Validate every common record before touching the context. A record that is absent
     * leaves its slice empty. */
    pkiot_slice_t key = {NULL, 0}, key_type = {NULL, 0}, csr = {NULL, 0}, cert = {NULL, 0};
    int64_t wake = 0;
    uint32_t wait_s = 0;
    if (rc == PKIOT_OK) {
        int has_key = pkiot_ckpt_get(&r, PKIOT_CKPT_T_KEY, &key) == PKIOT_OK;
        (void)pkiot_ckpt_get(&r, PKIOT_CKPT_T_KEY_TYPE, &key_type);
        (void)pkiot_ckpt_get(&r, PKIOT_CKPT_T_CSR, &csr);
        (void)pkiot_ckpt_get(&r, PKIOT_CKPT_T_CERT, &cert);
        int r1 = pkiot_ckpt_get_i64(&r, PKIOT_CKPT_T_WAKE_UNIX, &wake);
        int r2 = pkiot_ckpt_get_u32(&r, PKIOT_CKPT_T_WAIT_S, &wait_s);
        if ((has_key && (key_type.len != 1 || key_type.p[0] == PKIOT_KEY_NONE ||
                         key_type.p[0] > PKIOT_KEY_RSA_4096 || key.len == 0 ||
                         key.len > PKIOT_KEY_REF_MAX)) ||
            csr.len > PKIOT_CSR_MAX || cert.len > PKIOT_CERT_MAX ||
            (r1 != PKIOT_OK && r1 != PKIOT_E_NOT_FOUND) ||
            (r2 != PKIOT_OK && r2 != PKIOT_E_NOT_FOUND)) {
            rc = PKIOT_E_CKPT_CORRUPT;
        }
    }
    if (rc == PKIOT_OK) {
        const pkiot_proto_ops_t *ops = find_ops(ctx->cfg->protocol);
        reset_run(ctx);
        ctx->op = (pkiot_operation_t)r.operation;
        rc = ops->start(ctx);
        if (rc == PKIOT_OK) {
            rc = ops->load(ctx, &r); /* validates its own records before applying them */
        }
        if (rc == PKIOT_OK) {
            if (key.len > 0) {
                ctx->key.type = (pkiot_key_type_t)key_type.p[0];
                ctx->key.len = (uint16_t)key.len;
                memcpy(ctx->key.data, key.p, key.len);
                ctx->key_valid = 1;
            }
            if (cert.len > 0) {
                memcpy(ctx->cert, cert.p, cert.len);
                ctx->cert_len = cert.len;
            } else if (csr.len > 0) {
                memcpy(ctx->csr, csr.p, csr.len);
                ctx->csr_len = csr.len;
            }
            ctx->wake_unix = wake;
            ctx->wait_s = wait_s;
            ctx->phase = PKIOT_PHASE_PREPARE;
            /* A server that said "come back at T" is obeyed after a reboot too; the wake
             * time is set at the first pkiot_step(), when the monotonic clock is known. */
            ctx->resume_wait = wait_s > 0;
        } else {
            reset_run(ctx);
            ctx->phase = PKIOT_PHASE_IDLE;
        }
    }
    pkiot_zeroize(ctx->ckpt, PKIOT_CKPT_MAX);
    return rc;
}

/* Close the connection and wipe the request buffer: it may hold Basic credentials and the
 * receive staging bytes of a server-generated key, and nothing of it outlives an exchange
 * that ended. */
static void end_exchange(pkiot_ctx_t *ctx)
{
    pkiot_engine_close(ctx);
    pkiot_zeroize(ctx->tx, PKIOT_TX_BUF_SIZE);
    ctx->tx_len = 0;
    ctx->tx_off = 0;
}

static int fail(pkiot_ctx_t *ctx, int rc)
{
    end_exchange(ctx);
    /* The key stays in the checkpoint for a later resume; no copy stays in RAM. */
    pkiot_zeroize(&ctx->key, sizeof ctx->key);
    ctx->key_valid = 0;
    ctx->phase = PKIOT_PHASE_FAILED;
    ctx->last_error = rc;
    return rc;
}

/* RFC 9110 §15.6.4 (503) and RFC 6585 §4 (429): the server is overloaded or limits the
 * rate; the request itself is not judged, so it is asked again later, for every protocol. */
static int server_says_later(int http_status)
{
    return http_status == 503 || http_status == 429;
}

static int transient(pkiot_ctx_t *ctx, int rc)
{
    end_exchange(ctx);
    ctx->attempts++;
    ctx->last_error = rc;
    const pkiot_config_t *cfg = ctx->cfg;
    if (ctx->attempts >= cfg_or(cfg->max_attempts, DEFAULT_MAX_ATTEMPTS)) {
        return fail(ctx, rc);
    }
    uint32_t base = cfg_or(cfg->backoff_base_ms, DEFAULT_BACKOFF_BASE_MS);
    uint32_t cap = cfg_or(cfg->backoff_max_ms, DEFAULT_BACKOFF_MAX_MS);
    uint32_t delay = base;
    for (uint32_t i = 1; i < ctx->attempts && delay < cap; i++) {
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    if (delay > cap) {
        delay = cap;
    }
    /* Full jitter on the upper half: a fleet that lost its server at the same moment does
     * not come back in lockstep. */
    uint8_t rnd[2] = {0, 0};
    if (cfg->crypto->random != NULL && cfg->crypto->random(cfg->crypto->ctx, rnd, 2) == PKIOT_OK) {
        uint32_t r16 = (uint32_t)rnd[0] << 8 | rnd[1];
        delay = delay / 2 + (uint32_t)(((uint64_t)(delay / 2) * r16) >> 16);
    }
    ctx->wake_ms = ctx->now_ms + delay;
    ctx->phase = PKIOT_PHASE_BACKOFF;
    return PKIOT_SLEEP;
}

/* Errors worth another attempt after a backoff: the network, a cut or late response, a
 * server that is overloaded or restarting. Everything else (bad data, rejected request,
 * failed checks) would fail the same way again, and fails the operation. */
static int retry_or_fail(pkiot_ctx_t *ctx, int rc, int http_status)
{
    int again;
    if (rc == PKIOT_E_HTTP_STATUS) {
        again = (http_status >= 500 && http_status != 501 && http_status != 505) ||
                server_says_later(http_status);
    } else {
        switch (rc) {
        case PKIOT_E_NET_DNS:
        case PKIOT_E_NET_CONNECT:
        case PKIOT_E_NET_IO:
        case PKIOT_E_NET_CLOSED:
        case PKIOT_E_TLS_ALERT:
        case PKIOT_E_HTTP_TRUNCATED:
        case PKIOT_E_TIMEOUT:
            again = 1;
            break;
        default:
            again = 0;
            break;
        }
    }
    return again ? transient(ctx, rc) : fail(ctx, rc);
}

/* How a transport reports that the peer has dropped the connection (reset, close_notify
 * or a TLS record error on a socket the server already closed). */
static int peer_dropped(int rc)
{
    return rc == PKIOT_E_NET_CLOSED || rc == PKIOT_E_NET_IO || rc == PKIOT_E_TLS_ALERT;
}

/* A server may close an idle kept-alive connection at any moment (RFC 9112 §9.6); the
 * client only learns it at its next send or receive. Such a failure before the first byte
 * of the answer says nothing about the server's health, so the request goes out again at
 * once on a new connection: no attempt counted, no backoff. The new connection is not a
 * reused one, so this happens at most once per exchange. */
static void reconnect_now(pkiot_ctx_t *ctx)
{
    end_exchange(ctx); /* PREPARE describes the same request again */
    ctx->conn_reused = 0;
    ctx->phase = PKIOT_PHASE_PREPARE;
    pkiot_engine_progress(ctx, "kept-alive connection was closed by the server: reconnecting");
}

static int write_request(pkiot_ctx_t *ctx)
{
    const pkiot_config_t *cfg = ctx->cfg;
    const pkiot_request_t *q = &ctx->req;
    pkiot_http_req_t h;
    memset(&h, 0, sizeof h);
    h.method = q->method;
    h.host = ctx->host;
    h.port = ctx->port;
    h.tls = ctx->use_tls;
    h.target = q->path;
    h.content_type = q->content_type;
    h.accept = q->accept;
    h.user_agent = "pkiot/" PKIOT_VERSION_STRING;
    /* RFC 7030 §3.2.3: credentials go only to a server TLS has authenticated. */
    if (ctx->send_basic_auth && cfg->http_user != NULL && ctx->use_tls &&
        !ctx->tparams.insecure_bootstrap) {
        h.user = cfg->http_user;
        h.password = cfg->http_password != NULL ? cfg->http_password : "";
    }
    h.extra_headers = q->extra_headers;
    h.body_len = q->body.len;
    h.keep_alive = 1;
    size_t head_len = 0;
    int rc = pkiot_http_write_head(&h, ctx->tx, ENGINE_HEAD_RESERVE, &head_len);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (q->body.len > 0) {
        if (q->body.len > PKIOT_TX_BUF_SIZE - head_len) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
        memmove(ctx->tx + head_len, q->body.p, q->body.len);
    }
    ctx->tx_len = head_len + q->body.len;
    ctx->tx_off = 0;
    return PKIOT_OK;
}

uint8_t *pkiot_engine_body_area(pkiot_ctx_t *ctx, size_t *cap)
{
    *cap = PKIOT_TX_BUF_SIZE - ENGINE_HEAD_RESERVE;
    return ctx->tx + ENGINE_HEAD_RESERVE;
}

static int io_timed_out(const pkiot_ctx_t *ctx)
{
    return time_reached(ctx->now_ms, ctx->deadline_ms);
}

static int finish_exchange(pkiot_ctx_t *ctx, const pkiot_proto_ops_t *ops, int closed)
{
    ctx->http_status = (uint16_t)ctx->http.status;
    ctx->rx_len = ctx->http.body_len;
    if (closed || !ctx->http.keep_alive) {
        pkiot_engine_close(ctx);
    }
    pkiot_slice_t ra;
    int rc;
    if (server_says_later(ctx->http.status)) {
        /* Its Retry-After is obeyed instead of our own backoff schedule; without one it is
         * still "later", never a refusal: back off and count an attempt. */
        pkiot_engine_keep_text(ctx, ctx->rx, ctx->rx_len);
        rc = pkiot_http_resp_field(&ctx->http, PKIOT_HTTP_F_RETRY_AFTER, &ra) == PKIOT_OK
                 ? pkiot_engine_later(ctx, &ctx->http)
                 : PKIOT_E_HTTP_STATUS;
    } else {
        rc = ops->handle(ctx, &ctx->http);
    }
    if (rc == PKIOT_OK) {
        ctx->attempts = 0;
        ctx->phase = PKIOT_PHASE_PREPARE;
        return PKIOT_OK;
    }
    if (rc == PKIOT_SLEEP || rc == PKIOT_DONE) {
        /* "Later" and "done" both end the exchange with the state on storage. */
        pkiot_engine_close(ctx);
        int src = save_checkpoint(ctx, ops);
        if (src != PKIOT_OK) {
            return fail(ctx, src);
        }
        if (rc == PKIOT_DONE) {
            ctx->phase = PKIOT_PHASE_DONE;
        }
        ctx->attempts = 0; /* the server answered: earlier network trouble is history */
        return rc;
    }
    return retry_or_fail(ctx, rc, ctx->http_status);
}

int pkiot_step(pkiot_ctx_t *ctx, uint32_t now_ms)
{
    if (ctx == NULL || ctx->cfg == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    const pkiot_config_t *cfg = ctx->cfg;
    const pkiot_transport_port_t *tp = cfg->transport;
    const pkiot_proto_ops_t *ops = find_ops(cfg->protocol);
    ctx->now_ms = now_ms;
    if (ctx->resume_wait) {
        ctx->resume_wait = 0;
        int64_t unix_now = pkiot_engine_unix_now(ctx);
        int64_t left = ctx->wait_s; /* no wall clock: wait the whole interval again */
        if (ctx->wake_unix > 0 && unix_now > 0) {
            left = ctx->wake_unix - unix_now;
        }
        if (left > 0 && ctx->phase == PKIOT_PHASE_PREPARE) {
            ctx->wake_ms = now_ms + (uint32_t)(left > (int64_t)MAX_RETRY_AFTER_S
                                                   ? MAX_RETRY_AFTER_S
                                                   : left) * 1000u;
            ctx->phase = PKIOT_PHASE_WAIT;
        }
    }
    /* Bounded: each pass either returns or moves to another phase. */
    for (int pass = 0; pass < 32; pass++) {
        int rc;
        size_t n = 0;
        switch (ctx->phase) {
        case PKIOT_PHASE_IDLE:
            return PKIOT_E_STATE;
        case PKIOT_PHASE_DONE:
            return PKIOT_DONE;
        case PKIOT_PHASE_FAILED:
            return ctx->last_error;
        case PKIOT_PHASE_BACKOFF:
        case PKIOT_PHASE_WAIT:
            if (!time_reached(now_ms, ctx->wake_ms)) {
                return PKIOT_SLEEP;
            }
            ctx->phase = PKIOT_PHASE_PREPARE;
            break;
        case PKIOT_PHASE_PREPARE:
            memset(&ctx->req, 0, sizeof ctx->req);
            rc = ops->prepare(ctx);
            if (ctx->ckpt_dirty || rc == PKIOT_DONE) {
                int src = save_checkpoint(ctx, ops);
                if (src != PKIOT_OK) {
                    return fail(ctx, src);
                }
            }
            if (rc == PKIOT_DONE) {
                pkiot_engine_close(ctx);
                ctx->phase = PKIOT_PHASE_DONE;
                return PKIOT_DONE;
            }
            if (rc < 0) {
                return fail(ctx, rc);
            }
            if (rc == PKIOT_WANT_CRYPTO) {
                return rc;
            }
            rc = write_request(ctx);
            if (rc != PKIOT_OK) {
                return fail(ctx, rc); /* fail() wipes the partly written head */
            }
            ctx->deadline_ms = now_ms + cfg_or(cfg->io_timeout_ms, DEFAULT_IO_TIMEOUT_MS);
            ctx->conn_reused = ctx->conn_open;
            ctx->phase = ctx->conn_open ? PKIOT_PHASE_SEND : PKIOT_PHASE_CONNECT;
            break;
        case PKIOT_PHASE_CONNECT:
            rc = tp->connect(tp->ctx, &ctx->tparams);
            /* WANT_CRYPTO: a TLS layer with asynchronous crypto made progress. */
            if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE || rc == PKIOT_WANT_CRYPTO) {
                ctx->conn_open = 1; /* a half-open connection still needs close() */
                if (io_timed_out(ctx)) {
                    return transient(ctx, PKIOT_E_TIMEOUT);
                }
                return rc;
            }
            ctx->conn_open = 1;
            if (rc > 0) {
                return fail(ctx, PKIOT_E_INTERNAL); /* a port outside its contract */
            }
            if (rc != PKIOT_OK) {
                return retry_or_fail(ctx, rc, 0);
            }
            ctx->phase = PKIOT_PHASE_SEND;
            break;
        case PKIOT_PHASE_SEND:
            while (ctx->tx_off < ctx->tx_len) {
                rc = tp->send(tp->ctx, ctx->tx + ctx->tx_off, ctx->tx_len - ctx->tx_off, &n);
                if (rc == PKIOT_OK && n == 0) {
                    rc = PKIOT_WANT_WRITE; /* nothing accepted: wait rather than spin */
                }
                if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
                    return io_timed_out(ctx) ? transient(ctx, PKIOT_E_TIMEOUT) : rc;
                }
                if (rc != PKIOT_OK) {
                    if (ctx->conn_reused && peer_dropped(rc)) {
                        reconnect_now(ctx);
                        break;
                    }
                    return transient(ctx, rc > 0 ? PKIOT_E_INTERNAL : rc);
                }
                ctx->tx_off += n;
            }
            if (ctx->phase != PKIOT_PHASE_SEND) {
                break; /* reconnect_now(): the request is described again */
            }
            /* The request may carry Basic credentials: clear it once sent. */
            pkiot_zeroize(ctx->tx, ctx->tx_len);
            rc = pkiot_http_resp_init(&ctx->http, ctx->rx, PKIOT_RX_BUF_SIZE,
                                      ctx->req.body_until_close ? PKIOT_HTTP_RESP_READ_TO_CLOSE
                                                                : 0u);
            if (rc != PKIOT_OK) {
                return fail(ctx, rc);
            }
            ctx->phase = PKIOT_PHASE_RECV;
            break;
        case PKIOT_PHASE_RECV: {
            /* The request buffer is free while waiting for the answer: use it as the
             * receive staging area for the HTTP parser. */
            rc = tp->recv(tp->ctx, ctx->tx, PKIOT_TX_BUF_SIZE, &n);
            if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
                return io_timed_out(ctx) ? transient(ctx, PKIOT_E_TIMEOUT) : rc;
            }
            if (ctx->conn_reused && ((rc == PKIOT_OK && n == 0) || peer_dropped(rc))) {
                reconnect_now(ctx);
                break;
            }
            if (rc == PKIOT_OK && n > 0) {
                ctx->conn_reused = 0; /* the server answers: a failure now is a real one */
            }
            /* A close without TLS close_notify is still an end of stream: the HTTP parser
             * decides whether the response was complete. */
            if (rc == PKIOT_E_NET_CLOSED) {
                rc = PKIOT_OK;
                n = 0;
            }
            if (rc != PKIOT_OK) {
                return transient(ctx, rc);
            }
            int closed = n == 0;
            size_t used = 0;
            rc = closed ? pkiot_http_resp_finish(&ctx->http)
                        : pkiot_http_resp_feed(&ctx->http, ctx->tx, n, &used);
            /* The parser copied what it needs; the raw bytes may be a private key. */
            pkiot_zeroize(ctx->tx, n);
            if (rc == PKIOT_WANT_READ) {
                if (closed) {
                    return transient(ctx, PKIOT_E_HTTP_TRUNCATED);
                }
                break;
            }
            if (rc != PKIOT_DONE) {
                return retry_or_fail(ctx, rc, 0);
            }
            /* Bytes beyond the response would belong to a response we did not ask for. */
            if (!closed && used < n) {
                closed = 1;
            }
            rc = finish_exchange(ctx, ops, closed);
            if (rc != PKIOT_OK) {
                return rc;
            }
            break;
        }
        default:
            return fail(ctx, PKIOT_E_INTERNAL);
        }
    }
    /* Still making progress: let the caller's loop breathe. */
    return PKIOT_WANT_CRYPTO;
}

uint32_t pkiot_wake_at(const pkiot_ctx_t *ctx)
{
    return ctx->wake_ms;
}

int64_t pkiot_wake_unix(const pkiot_ctx_t *ctx)
{
    return ctx->wake_unix;
}

void pkiot_wake_now(pkiot_ctx_t *ctx)
{
    ctx->resume_wait = 0;
    if (ctx->phase == PKIOT_PHASE_WAIT || ctx->phase == PKIOT_PHASE_BACKOFF) {
        ctx->phase = PKIOT_PHASE_PREPARE;
    }
}

pkiot_operation_t pkiot_operation(const pkiot_ctx_t *ctx)
{
    return ctx->op;
}

pkiot_phase_t pkiot_phase(const pkiot_ctx_t *ctx)
{
    return ctx->phase;
}

void pkiot_abort(pkiot_ctx_t *ctx)
{
    if (ctx != NULL && ctx->cfg != NULL) {
        end_exchange(ctx);
        ctx->phase = PKIOT_PHASE_IDLE;
    }
}

int pkiot_forget(pkiot_ctx_t *ctx)
{
    if (ctx == NULL || ctx->cfg == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    const pkiot_storage_port_t *st = ctx->cfg->storage;
    return st != NULL ? st->erase(st->ctx) : PKIOT_OK;
}

pkiot_slice_t pkiot_result_cert(const pkiot_ctx_t *ctx)
{
    pkiot_slice_t s = {ctx->cert, ctx->cert_len};
    return s;
}

pkiot_slice_t pkiot_result_ca_certs(const pkiot_ctx_t *ctx)
{
    pkiot_slice_t s = {ctx->ca, ctx->ca_len};
    return s;
}

const pkiot_key_ref_t *pkiot_result_key(const pkiot_ctx_t *ctx)
{
    return ctx->key_valid ? &ctx->key : NULL;
}

int pkiot_last_error(const pkiot_ctx_t *ctx)
{
    return ctx->last_error;
}

int pkiot_http_status(const pkiot_ctx_t *ctx)
{
    return ctx->http_status;
}

const char *pkiot_server_text(const pkiot_ctx_t *ctx)
{
    return ctx->server_text;
}

int64_t pkiot_renewal_time(int64_t not_before, int64_t not_after, unsigned percent,
                           unsigned jitter_percent, const uint8_t *seed, size_t seed_len)
{
    if (not_after <= not_before) {
        return not_before;
    }
    int64_t life = not_after - not_before;
    int64_t at;
    if (percent == 0 || percent > 99) {
        percent = 67;
        at = not_before + life / 3 * 2 + life % 3 * 2 / 3; /* exactly 2/3 */
    } else {
        at = not_before + life / 100 * (int64_t)percent + life % 100 * (int64_t)percent / 100;
    }
    if (jitter_percent > percent) {
        jitter_percent = percent;
    }
    if (jitter_percent > 0 && seed != NULL && seed_len > 0) {
        /* FNV-1a over the seed: stable per certificate, spread across a fleet. */
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < seed_len; i++) {
            h = (h ^ seed[i]) * 16777619u;
        }
        int64_t window = life / 100 * (int64_t)jitter_percent;
        if (window > 0) {
            at -= (int64_t)((uint64_t)h % (uint64_t)window);
        }
    }
    return at;
}
