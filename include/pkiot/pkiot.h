/**
 * @file pkiot.h
 * @brief pkiot public API: enroll, re-enroll and renew a device certificate, resumably.
 *
 * One engine drives every protocol (EST, CMP, ACME, SCEP). The application owns all memory:
 * a ::pkiot_ctx_t (static or on a long-lived stack) and a workspace of at least
 * ::PKIOT_WORKSPACE_SIZE bytes. Nothing blocks: pkiot_step() does as much as it can and
 * returns what it is waiting for.
 *
 * @code
 * static uint8_t work[PKIOT_WORKSPACE_SIZE];
 * static pkiot_ctx_t ctx;
 * pkiot_init(&ctx, &cfg, work, sizeof work);
 * int rc = pkiot_resume(&ctx);                  // continue a checkpointed enrollment...
 * if (rc == PKIOT_E_STORAGE_EMPTY) rc = pkiot_enroll_start(&ctx, PKIOT_OP_ENROLL);
 * while (rc >= 0 && rc != PKIOT_DONE) {
 *     rc = pkiot_step(&ctx, now_ms());
 *     if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) wait_for_socket(rc);
 *     else if (rc == PKIOT_SLEEP) { deep_sleep_until(pkiot_wake_at(&ctx)); }
 * }
 * @endcode
 *
 * Call order: pkiot_init() once; then pkiot_enroll_start() or pkiot_resume(); then
 * pkiot_step() until it returns PKIOT_DONE or an error; then the pkiot_result_*() getters.
 * pkiot_abort() may be called at any time and leaves the checkpoint in place. A context is
 * not thread-safe: one thread drives it.
 */
#ifndef PKIOT_PKIOT_H
#define PKIOT_PKIOT_H

#include "pkiot/common.h"
#include "pkiot/config.h"
#include "pkiot/crypto.h"
#include "pkiot/csr.h"
#include "pkiot/http.h"
#include "pkiot/storage.h"
#include "pkiot/transport.h"
#include "pkiot/x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Enrollment protocols. */
typedef enum pkiot_protocol {
    PKIOT_PROTO_EST = 1,
    PKIOT_PROTO_CMP = 2,
    PKIOT_PROTO_ACME = 3,
    PKIOT_PROTO_SCEP = 4
} pkiot_protocol_t;

/** What pkiot_enroll_start() should do. */
typedef enum pkiot_operation {
    PKIOT_OP_ENROLL = 1,        /**< first certificate (EST simpleenroll, CMP ir/cr, ...) */
    PKIOT_OP_REENROLL = 2,      /**< renew with the current certificate (EST simplereenroll) */
    PKIOT_OP_SERVERKEYGEN = 3,  /**< the server generates the key (EST serverkeygen) */
    PKIOT_OP_CACERTS = 4        /**< only fetch and validate the CA certificates */
} pkiot_operation_t;

/** Largest DER CSR the engine builds (RSA-3072 with a few SANs and extensions). */
#define PKIOT_CSR_MAX 1800
/** Room for the CA certificates of one enrollment (concatenated DER). */
#define PKIOT_CA_CERTS_MAX (2 * PKIOT_CERT_MAX)
/** Library version. */
#define PKIOT_VERSION_STRING "0.1.0"
/** Largest server failure text kept for the caller (EST body, CMP PKIFreeText, ...). */
#define PKIOT_SERVER_TEXT_MAX 160
/** Largest number of SANs requested. */
#define PKIOT_SAN_MAX 8
/** Most trust anchors the certificate checks consider (pkiot_init() refuses more), and most
 *  CA certificates from the server they take as intermediates. */
#define PKIOT_TRUST_ANCHORS_MAX 8

/**
 * Workspace the caller provides to pkiot_init(): request buffer, response buffer, CSR,
 * certificate and checkpoint areas. Derived from the configured buffer sizes.
 */
#define PKIOT_WORKSPACE_SIZE                                                              \
    (PKIOT_TX_BUF_SIZE + PKIOT_RX_BUF_SIZE + PKIOT_CSR_MAX + PKIOT_CERT_MAX +                \
     PKIOT_CA_CERTS_MAX + PKIOT_CKPT_MAX)

/**
 * Called during bootstrap (RFC 7030 §4.1.1) with each CA certificate received over an
 * unauthenticated TLS connection. Return 1 to accept it (after comparing its fingerprint
 * with one obtained out of band), 0 to reject. @p sha256 is the SHA-256 of @p der.
 */
typedef int (*pkiot_confirm_ca_fn)(void *user, const uint8_t *der, size_t len,
                                   const uint8_t sha256[32]);

/** Optional progress callback: one short line per step, never containing secrets. */
typedef void (*pkiot_progress_fn)(void *user, const char *line);

/** EST-specific settings. */
typedef struct pkiot_est_config {
    const char *label;     /**< optional CA label: /.well-known/est/<label>/... */
    int use_csrattrs;      /**< fetch /csrattrs and apply it to the CSR */
    int fetch_cacerts;     /**< fetch /cacerts first (always done when bootstrapping) */
} pkiot_est_config_t;

/**
 * Everything the engine needs. The application owns it and every pointer in it; they must
 * stay valid and unchanged while the context is in use.
 */
typedef struct pkiot_config {
    pkiot_protocol_t protocol;
    /** Server base URL: "https://host[:port]" (EST adds /.well-known/est). */
    const char *server_url;

    /* --- ports --- */
    const pkiot_crypto_port_t *crypto;
    const pkiot_transport_port_t *transport;
    const pkiot_storage_port_t *storage; /**< NULL: no checkpoints (not resumable) */
    /** Wall clock in Unix seconds, or 0 when unknown. NULL: unknown. */
    int64_t (*wall_time)(void *user);
    void *user; /**< passed to wall_time, confirm_ca and progress */
    pkiot_progress_fn progress;

    /* --- trust --- */
    /** Trust anchors: concatenated DER certificates (pkiot_pem_* converts a PEM bundle),
     *  at most PKIOT_TRUST_ANCHORS_MAX. Used for the TLS server check and to check the
     *  issued certificate's chain. */
    const uint8_t *trust_anchors;
    size_t trust_anchors_len;
    /** No trust anchor yet: fetch CA certs over unverified TLS and ask confirm_ca. */
    int bootstrap;
    pkiot_confirm_ca_fn confirm_ca;

    /* --- authentication --- */
    const char *http_user;     /**< HTTP Basic user, or NULL */
    const char *http_password; /**< HTTP Basic password; never logged */
    /** TLS client certificate chain (DER, leaf first; concatenated) and its key. For
     *  PKIOT_OP_REENROLL this is the current device certificate. */
    const uint8_t *client_cert;
    size_t client_cert_len;
    const pkiot_key_ref_t *client_key;

    /* --- the request --- */
    const char *subject;                  /**< e.g. "CN=dev-1,O=Acme" */
    const char *sans[PKIOT_SAN_MAX];      /**< e.g. "DNS:dev-1.example", "IP:10.0.0.7" */
    size_t nsans;
    pkiot_key_type_t key_type;            /**< for a generated key */
    /** Use this key instead of generating one (e.g. re-enroll with the same key). */
    const pkiot_key_ref_t *existing_key;
    uint32_t key_slot_hint;               /**< passed to crypto->key_generate */
    const char *challenge_password;       /**< optional PKCS#9 challengePassword */

    /* --- timing --- */
    uint32_t max_attempts;     /**< transient failures before giving up (0: 5) */
    uint32_t backoff_base_ms;  /**< first retry delay (0: 2000) */
    uint32_t backoff_max_ms;   /**< cap of the exponential backoff (0: 300000) */
    uint32_t io_timeout_ms;    /**< one request/response exchange (0: 30000) */
    uint32_t default_retry_after_s; /**< when a 202 carries no usable Retry-After (0: 60) */

    pkiot_est_config_t est;
} pkiot_config_t;

/** Internal engine phases (exposed for diagnostics only). */
typedef enum pkiot_phase {
    PKIOT_PHASE_IDLE = 0,
    PKIOT_PHASE_PREPARE,   /**< protocol builds its next request (keygen, CSR, signing) */
    PKIOT_PHASE_CONNECT,
    PKIOT_PHASE_SEND,
    PKIOT_PHASE_RECV,
    PKIOT_PHASE_BACKOFF,   /**< waiting before a retry */
    PKIOT_PHASE_WAIT,      /**< server said "later" */
    PKIOT_PHASE_DONE,
    PKIOT_PHASE_FAILED
} pkiot_phase_t;

/** An HTTP request as the protocol module describes it; the engine writes it out. */
typedef struct pkiot_request {
    const char *method;       /**< "GET" or "POST" */
    char path[160];           /**< request-target */
    const char *content_type; /**< NULL for none */
    const char *accept;       /**< NULL for none */
    const char *extra_headers; /**< complete header lines, each ending in CRLF, or NULL */
    pkiot_slice_t body;       /**< request body (points into the workspace) */
    /** Tolerate a Content-Length that undercounts: when the server closes the connection
     *  after the response, append what follows the announced body (libest's serverkeygen
     *  multipart answer counts only its base64 payloads). */
    uint8_t body_until_close;
} pkiot_request_t;

/** Most CA certificates whose bootstrap fingerprints are remembered across a resume. */
#define PKIOT_EST_MAX_CA_FPR 4

/** EST protocol state (see lib/est/est.h for the state machine). Private. */
typedef struct pkiot_est_state {
    uint8_t step;             /* pkiot_est_step_t */
    uint8_t have_cacerts;
    uint8_t csrattrs_done;
    uint8_t trusted_ca;       /* bootstrap done: the connection now verifies against ca */
    uint8_t n_ca_fpr;
    pkiot_hash_alg_t csr_hash;
    pkiot_key_type_t want_key_type;
    size_t csrattrs_len;      /* DER csrattrs kept in the cert area until the CSR is built */
    uint8_t ca_fpr[PKIOT_EST_MAX_CA_FPR][32];
} pkiot_est_state_t;

/**
 * The context. Allocate it statically or on a long-lived stack; all fields are private and
 * may change between versions: use the functions below.
 */
typedef struct pkiot_ctx {
    const pkiot_config_t *cfg;
    uint8_t *tx, *rx, *csr, *cert, *ca, *ckpt; /* workspace areas */
    pkiot_operation_t op;
    pkiot_phase_t phase;
    int last_error;
    uint32_t now_ms, wake_ms, deadline_ms;
    int64_t wake_unix;
    uint32_t wait_s;
    uint32_t attempts;
    int conn_open, send_basic_auth, resume_wait;
    int conn_reused; /* this exchange runs on a kept-alive connection, no answer byte yet */
    size_t tx_len, tx_off, rx_len;
    size_t csr_len, cert_len, ca_len, ca_anchor_len;
    uint16_t http_status;
    uint16_t port;
    int use_tls;
    int key_valid;
    int ckpt_dirty;
    char host[64];
    char base_path[96];
    pkiot_transport_params_t tparams;
    pkiot_request_t req;
    pkiot_key_ref_t key; /* the device key of this enrollment (secret for software keys) */
    pkiot_csr_ctx_t csr_state;
    pkiot_est_state_t est;
    char server_text[PKIOT_SERVER_TEXT_MAX];
    pkiot_http_resp_t http;
} pkiot_ctx_t;

/**
 * Bind a context to a configuration and a workspace. Does no I/O.
 * @return PKIOT_OK, PKIOT_E_INVALID_ARG (missing port or URL; trust anchors that are not a
 *         run of DER certificates, or more than PKIOT_TRUST_ANCHORS_MAX), PKIOT_E_HTTP_URL,
 *         PKIOT_E_WORKSPACE_TOO_SMALL, PKIOT_E_UNSUPPORTED (protocol not compiled in, or
 *         built with PKIOT_X509_BUILTIN = 0 and the crypto port lacks cert_parse or
 *         cert_verify).
 */
int pkiot_init(pkiot_ctx_t *ctx, const pkiot_config_t *cfg, uint8_t *work, size_t work_len);

/**
 * Begin a new operation. Any running one ends first: its connection is closed and its key
 * is dropped from memory (a stored checkpoint stays until the new operation's first save
 * replaces it). Does no other I/O.
 * @return PKIOT_OK (pkiot_step() then drives the operation); PKIOT_E_INVALID_ARG (no bound
 *         context, or @p op is not a pkiot_operation_t; nothing is changed);
 *         PKIOT_E_UNSUPPORTED (the build or the configuration cannot run @p op: e.g.
 *         serverkeygen without PKIOT_EST_SERVERKEYGEN or without crypto->key_import,
 *         use_csrattrs without PKIOT_EST_CSRATTRS, bootstrap without crypto->hash);
 *         PKIOT_E_HTTP_URL (EST needs an https URL). After an error other than
 *         PKIOT_E_INVALID_ARG the context is idle: pkiot_step() returns PKIOT_E_STATE until
 *         a start or a resume succeeds.
 */
int pkiot_enroll_start(pkiot_ctx_t *ctx, pkiot_operation_t op);

/**
 * Continue from the checkpoint in the storage port. When the server had asked for time
 * (EST 202 + Retry-After), the first pkiot_step() returns PKIOT_SLEEP until the rest of
 * that time has passed (pkiot_wake_now() overrides).
 * @return PKIOT_OK (call pkiot_step()), PKIOT_E_STORAGE_EMPTY (nothing to resume),
 *         PKIOT_E_STORAGE_IO, PKIOT_E_UNSUPPORTED (the protocol refuses the stored
 *         operation in this build), PKIOT_E_CKPT_* (corrupt, foreign or other-protocol blob;
 *         nothing was applied).
 */
int pkiot_resume(pkiot_ctx_t *ctx);

/**
 * Advance. @p now_ms is a monotonic millisecond clock (wraps are handled).
 * @return PKIOT_WANT_READ / PKIOT_WANT_WRITE (wait for the transport), PKIOT_WANT_CRYPTO
 *         (call again soon), PKIOT_SLEEP (checkpointed; call again at pkiot_wake_at()),
 *         PKIOT_DONE, or a negative error (pkiot_server_text() may explain it).
 */
int pkiot_step(pkiot_ctx_t *ctx, uint32_t now_ms);

/** Current phase: tells a PKIOT_SLEEP for a retry backoff (PKIOT_PHASE_BACKOFF) from one the
 *  server asked for (PKIOT_PHASE_WAIT). */
pkiot_phase_t pkiot_phase(const pkiot_ctx_t *ctx);

/**
 * The application's scheduler decided it is time: proceed at once even though the server's
 * Retry-After (restored by pkiot_resume(), or received in this run) has not passed, or a
 * backoff is running. Use sparingly: servers may refuse early requests.
 */
void pkiot_wake_now(pkiot_ctx_t *ctx);

/** The operation under way (after pkiot_resume(): the one the checkpoint holds). */
pkiot_operation_t pkiot_operation(const pkiot_ctx_t *ctx);

/** Monotonic time (same clock as pkiot_step) at which to call pkiot_step() again. */
uint32_t pkiot_wake_at(const pkiot_ctx_t *ctx);

/** Wall-clock wake time in Unix seconds when known (also stored in the checkpoint), else 0. */
int64_t pkiot_wake_unix(const pkiot_ctx_t *ctx);

/** Close the connection; keeps the checkpoint so pkiot_resume() can continue later. */
void pkiot_abort(pkiot_ctx_t *ctx);

/** Remove the checkpoint (after the application installed the certificate). */
int pkiot_forget(pkiot_ctx_t *ctx);

/** The issued certificate (DER), valid after PKIOT_DONE until the next start/resume. */
pkiot_slice_t pkiot_result_cert(const pkiot_ctx_t *ctx);

/**
 * CA certificates received (concatenated DER, in the server's order), possibly empty. With
 * trust anchors configured, only those from /cacerts that validate against the anchors are
 * here (RFC 7030 §4.1.3); the others were left out with a progress message. In bootstrap
 * mode, the ones the application confirmed.
 */
pkiot_slice_t pkiot_result_ca_certs(const pkiot_ctx_t *ctx);

/** The device key used for the certificate (generated, existing or server-generated). */
const pkiot_key_ref_t *pkiot_result_key(const pkiot_ctx_t *ctx);

/** The error behind the current state: the failure after an error return, or the reason for
 *  a retry while pkiot_phase() is PKIOT_PHASE_BACKOFF. PKIOT_OK when there is none. */
int pkiot_last_error(const pkiot_ctx_t *ctx);

/** Last HTTP status received (0 if none). */
int pkiot_http_status(const pkiot_ctx_t *ctx);

/** Server-supplied failure text, NUL-terminated, possibly empty. Never a secret. */
const char *pkiot_server_text(const pkiot_ctx_t *ctx);

/**
 * Renewal time for a certificate valid from @p not_before to @p not_after (Unix seconds):
 * at @p percent (1..99, 0 means 67) of its lifetime, moved earlier by a pseudo-random
 * jitter of up to @p jitter_percent of the lifetime derived from @p seed (e.g. the
 * serial number), so a fleet does not renew in the same second.
 */
int64_t pkiot_renewal_time(int64_t not_before, int64_t not_after, unsigned percent,
                           unsigned jitter_percent, const uint8_t *seed, size_t seed_len);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_PKIOT_H */
