/* The TLS layer: Mbed TLS client over any pkiot_net_port_t. */
#include "mbedtls/pkiot_tls.h"

#include <limits.h>
#include "mbedtls/platform.h"
#include <string.h>

#include "mbedtls/asn1.h"
#include "mbedtls/debug.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/x509.h"

enum { T_IDLE = 0, T_TCP, T_HANDSHAKE, T_OPEN, T_FAILED };

/* ---------------------------------------------------------------------------------------- */
/* BIO over the net port                                                                     */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    size_t n = 0;
    if (len > INT_MAX) {
        len = INT_MAX;
    }
    int rc = t->net->send(t->net->ctx, buf, len, &n);
    if (rc == PKIOT_OK) {
        return n > 0 ? (int)n : MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    if (rc == PKIOT_WANT_READ) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (rc == PKIOT_WANT_WRITE) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    t->net_error = rc < 0 ? rc : PKIOT_E_NET_IO;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    size_t n = 0;
    if (len > INT_MAX) {
        len = INT_MAX;
    }
    int rc = t->net->recv(t->net->ctx, buf, len, &n);
    if (rc == PKIOT_OK) {
        return (int)n; /* 0: EOF, Mbed TLS reports MBEDTLS_ERR_SSL_CONN_EOF */
    }
    if (rc == PKIOT_WANT_READ) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (rc == PKIOT_WANT_WRITE) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    t->net_error = rc < 0 ? rc : PKIOT_E_NET_IO;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ---------------------------------------------------------------------------------------- */
/* setup                                                                                     */

/*
 * Signature schemes, PKCS#1 v1.5 before RSA-PSS. Mbed TLS 3.6.6 offers rsa_pss_rsae_* in a
 * ClientHello that also offers TLS 1.3, but its TLS 1.2 client then rejects a
 * ServerKeyExchange signed with them (fixed upstream after 3.6.6). Servers that honour the
 * client's order (OpenSSL's default, Go) pick PKCS#1 v1.5 in TLS 1.2, while TLS 1.3, where
 * PKCS#1 v1.5 is not allowed for handshake signatures, still gets PSS.
 */
static const uint16_t k_sig_algs[] = {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) || defined(MBEDTLS_SSL_PROTO_TLS1_2)
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
#endif
    MBEDTLS_TLS1_3_SIG_NONE
};

/* Address literals are matched against iPAddress SANs only (RFC 6125 §6.2.1). */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    if (depth != 0 || t->ip_len == 0) {
        return 0;
    }
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL; s = s->next) {
        if (s->buf.p == NULL) {
            continue;
        }
        unsigned char type = (unsigned char)(s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK);
        if ((s->buf.tag & MBEDTLS_ASN1_CONTEXT_SPECIFIC) && type == MBEDTLS_X509_SAN_IP_ADDRESS &&
            s->buf.len == t->ip_len && memcmp(s->buf.p, t->ip, t->ip_len) == 0) {
            return 0;
        }
    }
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* Concatenated DER certificates; false when @p p is not exactly that. */
static int parse_der_certs(mbedtls_x509_crt *chain, const uint8_t *p, size_t len, int *mbed_err)
{
    const uint8_t *end = p + len;
    while (p < end) {
        unsigned char *q = (unsigned char *)(uintptr_t)p;
        size_t body;
        int ret = mbedtls_asn1_get_tag(&q, end, &body,
                                       MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
        if (ret == 0) {
            size_t one = (size_t)(q - p) + body;
            ret = mbedtls_x509_crt_parse_der(chain, p, one);
            p += one;
        }
        if (ret != 0) {
            *mbed_err = ret;
            return 0;
        }
    }
    return 1;
}

/*
 * Concatenated DER certificates, or a NUL-terminated PEM bundle. DER is tried first: its
 * last byte (the end of a signature) is 0 once in 256 certificates, so "ends with NUL" alone
 * would take such a bundle for PEM, and Mbed TLS would then read only its first certificate.
 */
static int parse_certs(mbedtls_x509_crt *chain, const uint8_t *p, size_t len, int *mbed_err)
{
    if (p == NULL || len == 0) {
        return PKIOT_E_TLS_CONFIG;
    }
    int der_err = MBEDTLS_ERR_X509_INVALID_FORMAT;
    if (p[0] == (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) &&
        parse_der_certs(chain, p, len, &der_err)) {
        return PKIOT_OK;
    }
    if (p[len - 1] != '\0') {
        *mbed_err = der_err;
        return PKIOT_E_TLS_CONFIG;
    }
    /* Not DER (a PEM bundle may begin with any text): start again as PEM. */
    mbedtls_x509_crt_free(chain);
    mbedtls_x509_crt_init(chain);
    int ret = mbedtls_x509_crt_parse(chain, p, len);
    if (ret != 0) { /* > 0: some certificates failed to parse; be strict */
        *mbed_err = ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT;
        return PKIOT_E_TLS_CONFIG;
    }
    return PKIOT_OK;
}

/* Identity of a connection's security context: server, trust anchors, client certificate.
 * A session is only offered again to a connection with the same identity. */
static uint32_t session_identity(const pkiot_transport_params_t *p)
{
    uint32_t h = 2166136261u;
    const uint8_t *parts[3] = {(const uint8_t *)p->host, p->trust_anchors, p->client_cert};
    size_t lens[3] = {strlen(p->host), p->trust_anchors_len, p->client_cert_len};
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < lens[k]; i++) {
            h = (h ^ parts[k][i]) * 16777619u;
        }
        h = (h ^ 0xFFu) * 16777619u;
    }
    return (h ^ p->port) * 16777619u;
}

void pkiot_tls_forget_session(pkiot_tls_t *t)
{
    if (t != NULL && t->session_valid) {
        mbedtls_ssl_session_free(&t->session);
        t->session_valid = 0;
    }
}

int pkiot_tls_resumed(const pkiot_tls_t *t)
{
    return t != NULL && t->resumed;
}

static void free_objs(pkiot_tls_t *t)
{
    if (!t->objs_ready) {
        return;
    }
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_x509_crt_free(&t->own_chain);
    mbedtls_pk_free(&t->own_key);
    t->objs_ready = 0;
}

static int setup_tls(pkiot_tls_t *t, const pkiot_transport_params_t *params)
{
    int ret;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_x509_crt_init(&t->own_chain);
    mbedtls_pk_init(&t->own_key);
    t->objs_ready = 1;

    ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        t->last_mbedtls_error = ret;
        return PKIOT_E_TLS_CONFIG;
    }
    mbedtls_ssl_conf_rng(&t->conf, pkiot_mbedtls_rng, t->crypto);
    mbedtls_ssl_conf_sig_algs(&t->conf, k_sig_algs); /* unsupported entries are skipped */
#if defined(MBEDTLS_DEBUG_C)
    if (t->dbg_fn != NULL) {
        mbedtls_ssl_conf_dbg(&t->conf, t->dbg_fn, t->dbg_arg);
        mbedtls_debug_set_threshold(t->dbg_level);
    }
#endif
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_3);
#else
    mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif

    if (params->insecure_bootstrap) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
    } else {
        int rc = parse_certs(&t->ca, params->trust_anchors, params->trust_anchors_len,
                             &t->last_mbedtls_error);
        if (rc != PKIOT_OK) {
            return rc;
        }
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    }

    if (params->client_cert != NULL && params->client_cert_len > 0) {
        if (params->client_key == NULL) {
            return PKIOT_E_TLS_CONFIG;
        }
        int rc = parse_certs(&t->own_chain, params->client_cert, params->client_cert_len,
                             &t->last_mbedtls_error);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (pkiot_mbedtls_key_to_pk(t->crypto, params->client_key, &t->own_key) != PKIOT_OK) {
            t->last_mbedtls_error = pkiot_mbedtls_crypto_last_error(t->crypto);
            return PKIOT_E_TLS_CONFIG;
        }
        ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->own_chain, &t->own_key);
        if (ret != 0) {
            t->last_mbedtls_error = ret;
            return PKIOT_E_TLS_CONFIG;
        }
        /* TLS 1.3 signs with RSA-PSS, which the PSA RSA key policy does not allow. */
        if (pkiot_mbedtls_key_is_psa(params->client_key) &&
            (params->client_key->type == PKIOT_KEY_RSA_2048 ||
             params->client_key->type == PKIOT_KEY_RSA_3072 ||
             params->client_key->type == PKIOT_KEY_RSA_4096)) {
            mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
        }
    }

    ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (ret != 0) {
        t->last_mbedtls_error = ret;
        return PKIOT_E_TLS_CONFIG;
    }
    t->resumed = 0;
    t->insecure = params->insecure_bootstrap;
    uint32_t id = session_identity(params);
    if (t->session_valid && (params->insecure_bootstrap || id != t->session_id_hash)) {
        pkiot_tls_forget_session(t);
    }
    /* A session the server no longer knows just yields a full handshake. */
    if (t->session_valid && mbedtls_ssl_set_session(&t->ssl, &t->session) != 0) {
        pkiot_tls_forget_session(t);
    }
    t->session_id_hash = id;

    uint32_t ipbuf[4];
    size_t iplen = mbedtls_x509_crt_parse_cn_inet_pton(params->host, ipbuf);
    if (iplen == 4 || iplen == 16) {
        t->ip_len = iplen;
        memcpy(t->ip, ipbuf, iplen);
        /* NULL: no SNI and no DNS-name check; verify_cb checks the address instead */
        ret = mbedtls_ssl_set_hostname(&t->ssl, NULL);
        mbedtls_ssl_set_verify(&t->ssl, verify_cb, t);
    } else {
        t->ip_len = 0;
        ret = mbedtls_ssl_set_hostname(&t->ssl, params->host);
    }
    if (ret != 0) {
        t->last_mbedtls_error = ret;
        return PKIOT_E_TLS_CONFIG;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    return PKIOT_OK;
}

/* ---------------------------------------------------------------------------------------- */

/* Keep the verified session for the next connection (never an unverified bootstrap one). */
static void save_session(pkiot_tls_t *t)
{
    t->resumed = t->session_valid;
    if (t->insecure) {
        return;
    }
    pkiot_tls_forget_session(t);
    mbedtls_ssl_session_init(&t->session);
    if (mbedtls_ssl_get_session(&t->ssl, &t->session) == 0) {
        t->session_valid = 1;
    } else {
        mbedtls_ssl_session_free(&t->session);
    }
}

static int fail(pkiot_tls_t *t, int rc)
{
    t->state = T_FAILED;
    t->fail_rc = rc;
    return rc;
}

static int handshake_error(pkiot_tls_t *t, int ret)
{
    t->last_mbedtls_error = ret;
    if (t->net_error != 0) {
        return t->net_error;
    }
    uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
        (flags != 0 && flags != (uint32_t)-1 && ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE)) {
        t->verify_flags = flags;
        return PKIOT_E_TLS_VERIFY;
    }
    if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED || ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) {
        return PKIOT_E_INTERNAL;
    }
    return PKIOT_E_TLS_HANDSHAKE;
}

static int data_error(pkiot_tls_t *t, int ret)
{
    t->last_mbedtls_error = ret;
    if (t->net_error != 0) {
        return t->net_error;
    }
    return PKIOT_E_TLS_ALERT;
}

static int t_connect(void *ctx, const pkiot_transport_params_t *params)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    int rc;

    switch (t->state) {
    case T_OPEN:
        return PKIOT_OK;
    case T_FAILED:
        return t->fail_rc;
    case T_IDLE:
        if (params == NULL || params->host == NULL || params->host[0] == '\0') {
            return PKIOT_E_INVALID_ARG;
        }
        t->use_tls = params->use_tls ? 1 : 0;
        t->close_sent = 0;
        t->net_error = 0;
        t->last_mbedtls_error = 0;
        t->verify_flags = 0;
        t->fail_rc = 0;
        if (t->use_tls) {
            /* configuration errors surface before any packet is sent */
            rc = setup_tls(t, params);
            if (rc != PKIOT_OK) {
                free_objs(t);
                return fail(t, rc);
            }
        }
        t->state = T_TCP;
        /* fall through */
    case T_TCP:
        rc = t->net->connect(t->net->ctx, params->host, params->port);
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
            return rc;
        }
        if (rc != PKIOT_OK) {
            return fail(t, rc < 0 ? rc : PKIOT_E_NET_CONNECT);
        }
        if (!t->use_tls) {
            t->state = T_OPEN;
            return PKIOT_OK;
        }
        t->state = T_HANDSHAKE;
        /* fall through */
    case T_HANDSHAKE:
    default: {
        int ret = mbedtls_ssl_handshake(&t->ssl);
        if (ret == 0) {
            t->state = T_OPEN;
            save_session(t);
            return PKIOT_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
            return PKIOT_WANT_READ;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return PKIOT_WANT_WRITE;
        }
        if (ret == MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS || ret == MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS) {
            return PKIOT_WANT_CRYPTO;
        }
        return fail(t, handshake_error(t, ret));
    }
    }
}

static int t_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    if (n == NULL || (buf == NULL && len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (t->state != T_OPEN) {
        return t->state == T_FAILED ? t->fail_rc : PKIOT_E_STATE;
    }
    if (!t->use_tls) {
        return t->net->send(t->net->ctx, buf, len, n);
    }
    if (len == 0) {
        return PKIOT_OK;
    }
    int ret = mbedtls_ssl_write(&t->ssl, buf, len);
    if (ret >= 0) {
        *n = (size_t)ret;
        return PKIOT_OK;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
        return PKIOT_WANT_READ;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return PKIOT_WANT_WRITE;
    }
    return fail(t, data_error(t, ret));
}

static int t_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    if (n == NULL || buf == NULL || cap == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    *n = 0;
    if (t->state != T_OPEN) {
        return t->state == T_FAILED ? t->fail_rc : PKIOT_E_STATE;
    }
    if (!t->use_tls) {
        return t->net->recv(t->net->ctx, buf, cap, n);
    }
    for (;;) {
        int ret = mbedtls_ssl_read(&t->ssl, buf, cap);
        if (ret > 0) {
            *n = (size_t)ret;
            return PKIOT_OK;
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
            return PKIOT_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
            return PKIOT_WANT_READ;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return PKIOT_WANT_WRITE;
        }
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            continue; /* post-handshake message; no application data yet */
        }
#endif
        return fail(t, data_error(t, ret));
    }
}

static void t_close(void *ctx)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
    if (t->objs_ready && t->state == T_OPEN && !t->close_sent) {
        t->close_sent = 1;
        (void)mbedtls_ssl_close_notify(&t->ssl); /* best effort: never wait for it */
    }
    if (t->state != T_IDLE) {
        t->net->close(t->net->ctx);
    }
    free_objs(t);
    t->state = T_IDLE;
}

static int t_export_keying_material(void *ctx, const char *label, const uint8_t *context,
                                    size_t context_len, uint8_t *out, size_t out_len)
{
    pkiot_tls_t *t = (pkiot_tls_t *)ctx;
#if defined(MBEDTLS_SSL_KEYING_MATERIAL_EXPORT)
    if (label == NULL || out == NULL || out_len == 0 || (context == NULL && context_len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (t->state != T_OPEN) {
        return PKIOT_E_STATE;
    }
    if (!t->use_tls) {
        return PKIOT_E_UNSUPPORTED;
    }
    if (out_len > MBEDTLS_SSL_EXPORT_MAX_KEY_LEN) {
        return PKIOT_E_INVALID_ARG;
    }
    int ret = mbedtls_ssl_export_keying_material(&t->ssl, out, out_len, label, strlen(label),
                                                 context, context_len, context != NULL);
    if (ret != 0) {
        t->last_mbedtls_error = ret;
        return PKIOT_E_UNSUPPORTED;
    }
    return PKIOT_OK;
#else
    (void)t;
    (void)label;
    (void)context;
    (void)context_len;
    (void)out;
    (void)out_len;
    return PKIOT_E_UNSUPPORTED;
#endif
}

/* ---------------------------------------------------------------------------------------- */

int pkiot_tls_init(pkiot_tls_t *t, const pkiot_net_port_t *net, pkiot_mbedtls_crypto_t *crypto,
                   pkiot_transport_port_t *port_out)
{
    if (t == NULL || net == NULL || net->connect == NULL || net->send == NULL ||
        net->recv == NULL || net->close == NULL || crypto == NULL || port_out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(t, 0, sizeof *t);
    t->net = net;
    t->crypto = crypto;
    t->state = T_IDLE;
    port_out->ctx = t;
    port_out->connect = t_connect;
    port_out->send = t_send;
    port_out->recv = t_recv;
    port_out->close = t_close;
    port_out->export_keying_material = t_export_keying_material;
    return PKIOT_OK;
}

void pkiot_tls_free(pkiot_tls_t *t)
{
    if (t == NULL || t->net == NULL) {
        return;
    }
    t_close(t);
    pkiot_tls_forget_session(t);
}

uint32_t pkiot_tls_verify_flags(const pkiot_tls_t *t)
{
    return t != NULL ? t->verify_flags : 0;
}

int pkiot_tls_last_mbedtls_error(const pkiot_tls_t *t)
{
    return t != NULL ? t->last_mbedtls_error : 0;
}

int pkiot_tls_last_error_text(const pkiot_tls_t *t, char *buf, size_t cap)
{
    if (t == NULL || buf == NULL || cap == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    buf[0] = '\0';
    size_t off = 0;
    if (t->net_error != 0) {
        int w = mbedtls_snprintf(buf, cap, "network: %s; ", pkiot_strerror(t->net_error));
        off = w < 0 ? 0 : (size_t)w >= cap ? cap - 1 : (size_t)w;
    }
    if (t->last_mbedtls_error != 0 && off < cap) {
#if defined(MBEDTLS_ERROR_C)
        char e[160];
        mbedtls_strerror(t->last_mbedtls_error, e, sizeof e);
        int w = mbedtls_snprintf(buf + off, cap - off, "mbedtls -0x%04X: %s",
                                 -t->last_mbedtls_error, e);
#else
        int w = mbedtls_snprintf(buf + off, cap - off, "mbedtls -0x%04X", -t->last_mbedtls_error);
#endif
        off += w < 0 ? 0 : (size_t)w >= cap - off ? cap - off - 1 : (size_t)w;
    }
    if (t->verify_flags != 0 && off + 1 < cap) {
        char v[512];
        int w = mbedtls_x509_crt_verify_info(v, sizeof v, "", t->verify_flags);
        if (w > 0) {
            /* one line: the verify info is newline-separated */
            for (int i = 0; i < w; i++) {
                if (v[i] == '\n') {
                    v[i] = (i == w - 1) ? '\0' : ';';
                }
            }
            (void)mbedtls_snprintf(buf + off, cap - off, "; verify: %s", v);
        }
    }
    return PKIOT_OK;
}

void pkiot_tls_set_debug(pkiot_tls_t *t, int level,
                         void (*fn)(void *arg, int level, const char *file, int line,
                                    const char *msg),
                         void *arg)
{
    if (t == NULL) {
        return;
    }
    t->dbg_fn = fn;
    t->dbg_arg = arg;
    t->dbg_level = level;
}

const char *pkiot_tls_version(const pkiot_tls_t *t)
{
    if (t == NULL || !t->use_tls || t->state != T_OPEN || !t->objs_ready) {
        return "none";
    }
    return mbedtls_ssl_get_version(&t->ssl);
}
