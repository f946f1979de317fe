/*
 * EST client state machine (RFC 7030 as updated by RFC 8951), sans I/O.
 *
 * Steps, in order (each request goes through the engine, lib/enroll/engine.c):
 *   CACERTS   GET  /cacerts       when bootstrapping, when cfg->est.fetch_cacerts is set, or
 *                                 for PKIOT_OP_CACERTS. Bootstrap (§4.1.1): the connection is
 *                                 not verified, every CA certificate is shown to
 *                                 cfg->confirm_ca, and the connection is then re-opened with
 *                                 the confirmed certificates as trust anchors. Otherwise
 *                                 (§4.1.3) every certificate received must chain to the
 *                                 configured trust anchors, the others received serving as
 *                                 intermediates, before any is used or returned.
 *   CSRATTRS  GET  /csrattrs      when cfg->est.use_csrattrs; 204/404 mean "no attributes".
 *                                 Requested key type, hash, challengePassword and extensions
 *                                 are applied to the CSR.
 *   KEY       (local)             generate the device key, or take cfg->existing_key.
 *                                 Checkpointed before anything is sent.
 *   CSR       (local)             build and sign the PKCS#10 request. Checkpointed.
 *   ENROLL    POST /simpleenroll, /simplereenroll (PKIOT_OP_REENROLL) or /serverkeygen
 *                                 (PKIOT_OP_SERVERKEYGEN). 200: the certificate is checked to
 *                                 match the key and to chain to the trust anchors, then
 *                                 checkpointed. 202: Retry-After is checkpointed and
 *                                 pkiot_step() returns PKIOT_SLEEP. 401 with a challenge:
 *                                 the same request is sent once more with HTTP Basic
 *                                 credentials.
 *
 * What pkiot_resume() does from each checkpointed state:
 *   - no key yet               starts again (CA certificates are fetched again);
 *   - key, no CSR              re-fetches CA certificates/csrattrs if configured, then builds
 *                              the CSR with the same key;
 *   - CSR stored (sent, or 202 "later" received)
 *                              re-sends the same CSR (after re-fetching CA certificates when
 *                              configured; in bootstrap mode they are accepted again only if
 *                              their SHA-256 fingerprints match the ones confirmed before);
 *   - certificate stored       returns PKIOT_DONE at once with the same certificate and key.
 * What a bad or unexpected answer yields (pkiot_step() return; the checkpoint is untouched, so
 * the same key and request can be retried later):
 *   401 without a Basic challenge, or after credentials were sent  PKIOT_E_HTTP_AUTH_REQUIRED
 *   other 4xx (not 429)                              PKIOT_E_SERVER_REJECTED (text kept)
 *   5xx, cut connection, truncated body, timeout     retried with backoff, then that error
 *   429 or 503 with Retry-After (RFC 6585 §4)        PKIOT_SLEEP until then (phase WAIT, like
 *                                                    a 202; checkpointed, no attempt counted)
 *   429 without Retry-After                          like a 5xx: backoff, an attempt counted,
 *                                                    then PKIOT_E_HTTP_STATUS (text kept)
 *   kept-alive connection closed by the server, seen at the send or before the first byte
 *   of the answer                                    sent again at once on a new connection,
 *                                                    once per request, no attempt counted, no
 *                                                    backoff (a second failure is a real one)
 *   202 without Retry-After                          PKIOT_SLEEP for default_retry_after_s
 *   wrong Content-Type                               PKIOT_E_HTTP_CONTENT_TYPE
 *   body not base64                                  PKIOT_E_EST_BAD_RESPONSE
 *   not a certs-only CMS / no certificate in it      PKIOT_E_CMS_FORMAT, PKIOT_E_DER_*,
 *                                                    PKIOT_E_CMS_NO_CERTS
 *   body larger than PKIOT_RX_BUF_SIZE               PKIOT_E_HTTP_BODY_TOO_LARGE
 *   not HTTP at all                                  PKIOT_E_HTTP_BAD_STATUS_LINE
 *   certificate for another key                      PKIOT_E_CERT_KEY_MISMATCH
 *   certificate not chaining to the trust anchors    PKIOT_E_CERT_UNTRUSTED
 *   /cacerts certificate not chaining to the trust   PKIOT_E_CERT_UNTRUSTED (or the path's
 *   anchors (not bootstrapping)                      PKIOT_E_CERT_EXPIRED, _BAD_SIGNATURE,
 *                                                    _NOT_CA; only _EXPIRED when the path
 *                                                    check is the crypto port's); nothing
 *                                                    of the answer is kept
 *   bootstrap CA certificate refused by confirm_ca   PKIOT_E_FINGERPRINT
 *   malformed multipart (serverkeygen)               PKIOT_E_HTTP_MULTIPART
 *
 * Server-generated keys (serverkeygen) replace the CSR key once the response is accepted; a
 * cut before that re-sends the request and the server generates a fresh key.
 */
#ifndef PKIOT_EST_EST_H
#define PKIOT_EST_EST_H

#include "../enroll/engine.h"

typedef enum pkiot_est_step {
    PKIOT_EST_S_CACERTS = 0,
    PKIOT_EST_S_CSRATTRS = 1,
    PKIOT_EST_S_KEY = 2,
    PKIOT_EST_S_CSR = 3,
    PKIOT_EST_S_ENROLL = 4,
    PKIOT_EST_S_DONE = 5
} pkiot_est_step_t;

#endif /* PKIOT_EST_EST_H */
