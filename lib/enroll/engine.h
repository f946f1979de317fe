/*
 * Internal interface between the engine (lib/enroll) and the protocol modules
 * (lib/est, lib/cmp, lib/acme, lib/scep). Not installed; applications use pkiot/pkiot.h.
 *
 * A protocol module is sans I/O: it describes its next HTTP request (prepare) and consumes
 * a complete response (handle). The engine owns the connection, the HTTP codec, timeouts,
 * retries with backoff, checkpoints and the sleep/wake bookkeeping. Protocol modules are
 * selected at link time through const tables: a disabled protocol's table is not
 * referenced, so its code is not linked.
 */
#ifndef PKIOT_ENROLL_ENGINE_H
#define PKIOT_ENROLL_ENGINE_H

#include "pkiot/csr.h"
#include "pkiot/http.h"
#include "pkiot/pkiot.h"

#include "checkpoint.h"

typedef struct pkiot_proto_ops {
    pkiot_protocol_t protocol;
    /* Reset protocol state for ctx->op. */
    int (*start)(pkiot_ctx_t *ctx);
    /* Describe the next request in ctx->req. Returns PKIOT_OK (request ready), PKIOT_DONE,
     * PKIOT_WANT_CRYPTO (call again), or an error. May mark the checkpoint dirty. */
    int (*prepare)(pkiot_ctx_t *ctx);
    /* Consume a complete response (status, headers in rsp, body in ctx->rx).
     * Returns PKIOT_OK (prepare the next request), PKIOT_SLEEP (after
     * pkiot_engine_later()), PKIOT_DONE, or an error. */
    int (*handle)(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp);
    /* Add protocol records to a checkpoint / restore them (blob already validated). */
    void (*save)(const pkiot_ctx_t *ctx, pkiot_ckpt_writer_t *w);
    int (*load)(pkiot_ctx_t *ctx, const pkiot_ckpt_reader_t *r);
} pkiot_proto_ops_t;

#if PKIOT_EST
extern const pkiot_proto_ops_t pkiot_est_ops;
#endif

/* Where a protocol builds its request body (inside the request buffer, behind the room
 * kept for the head). */
uint8_t *pkiot_engine_body_area(pkiot_ctx_t *ctx, size_t *cap);

/* Close the connection (the next request opens a new one, e.g. with new trust anchors). */
void pkiot_engine_close(pkiot_ctx_t *ctx);

/* Ask for a checkpoint before the engine next touches the network. */
void pkiot_engine_mark_dirty(pkiot_ctx_t *ctx);

/* Server said "come back later": Retry-After header value (may be empty) or fallback. */
int pkiot_engine_later(pkiot_ctx_t *ctx, const pkiot_http_resp_t *rsp);

/* Keep a printable, truncated copy of a server's failure text for pkiot_server_text(). */
void pkiot_engine_keep_text(pkiot_ctx_t *ctx, const uint8_t *text, size_t len);

/* Report one line of progress through cfg->progress (no secrets). */
void pkiot_engine_progress(const pkiot_ctx_t *ctx, const char *line);

/* Wall clock in Unix seconds or 0. */
int64_t pkiot_engine_unix_now(const pkiot_ctx_t *ctx);

/* Make sure ctx->key holds the device key (existing, or generated now: may return
 * PKIOT_WANT_CRYPTO). Marks the checkpoint dirty when a key was generated. */
int pkiot_engine_ensure_key(pkiot_ctx_t *ctx, pkiot_key_type_t type);

/* Build the CSR for ctx->key into ctx->csr (may return PKIOT_WANT_CRYPTO), applying a
 * server's CSR attributes when @p attrs is not NULL. */
int pkiot_engine_build_csr(pkiot_ctx_t *ctx, pkiot_hash_alg_t hash,
                           const pkiot_csrattrs_t *attrs);

/* Most CA certificates, and most trust anchors, a path check considers. */
#define PKIOT_ENGINE_MAX_CHAIN ((size_t)PKIOT_TRUST_ANCHORS_MAX)

/* Views of the first @p max certificates of concatenated DER @p p (stops at the first
 * element that is not a SEQUENCE); returns how many. */
size_t pkiot_engine_split_certs(const uint8_t *p, size_t len, pkiot_slice_t *out, size_t max);

/* Read a certificate's fields: pkiot_x509_cert_parse(), or with PKIOT_X509_BUILTIN = 0 the
 * crypto port's cert_parse (the provider's parser, which TLS links anyway). */
int pkiot_engine_cert_parse(const pkiot_ctx_t *ctx, const uint8_t *der, size_t len,
                            pkiot_x509_cert_t *out);

/* Check that @p c chains to the trust anchors (or, when bootstrapping, to the CA certificates
 * the application confirmed), with the CA certificates received in this enrollment
 * (ctx->ca) as intermediates, at the device's time. */
int pkiot_engine_check_path(pkiot_ctx_t *ctx, const pkiot_x509_cert_t *c);

/* Leave out of ctx->ca, from offset @p from on, every certificate that does not pass
 * pkiot_engine_check_path(), with a progress message each (RFC 7030 §4.1.3: CA certificates
 * from a server are used only once they validate). Returns the first refusal's code, or
 * PKIOT_OK when none was refused; ctx->ca_len tells what is left. */
int pkiot_engine_keep_valid_ca(pkiot_ctx_t *ctx, size_t from);

/* Check that cert (DER) is for ctx->key and chains to the trust anchors (or to the CA
 * certificates received in this enrollment when bootstrapping). */
int pkiot_engine_accept_cert(pkiot_ctx_t *ctx, const uint8_t *cert, size_t len);

#endif /* PKIOT_ENROLL_ENGINE_H */
