/*
 * Wrappers around the ports the engine is given. They change nothing in what the ports do:
 *  - the transport wrapper reports "connected", "request sent", "response arriving" and
 *    "closed" to main.c (console progress, and the linkdown_ms= test knob's trigger);
 *  - in bench builds (PKIOT_BENCH=1) both wrappers add the virtual time spent inside each call
 *    to qe_bench, so the enrollment's time splits into crypto / TLS handshake / the rest.
 */
#include <string.h>

#include "qe.h"

/* ---- clock ------------------------------------------------------------------------------ */
#if PKIOT_BENCH
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

qe_bench_t qe_bench;

/* SysTick counts down from RVR once per core clock and board.c counts its wraps in
 * milliseconds: together a clock with one core-clock resolution (40 ns at 25 MHz). Under
 * `-icount shift=0` QEMU advances virtual time by 1 ns per instruction, so differences are
 * instruction counts. A wrap whose interrupt has not been taken yet would read as a step
 * back; the clamp turns that into a stall of less than a millisecond. */
uint64_t qe_clock_ns(void)
{
    static uint64_t last;
    uint32_t m1, m2, cvr, rvr = SYST_RVR;
    do {
        m1 = board_millis();
        cvr = SYST_CVR;
        m2 = board_millis();
    } while (m1 != m2);
    uint64_t ns = (uint64_t)m1 * 1000000u + (uint64_t)(rvr - cvr) * 1000000u / (rvr + 1u);
    if (ns < last) {
        ns = last;
    }
    last = ns;
    return ns;
}

#define T_BEGIN uint64_t t0_ = qe_clock_ns()
#define T_END(acc) ((acc) += qe_clock_ns() - t0_)
#else
#define T_BEGIN
#define T_END(acc)
#endif

/* ---- transport ------------------------------------------------------------------------- */

static struct {
    const pkiot_transport_port_t *in;
    void (*event)(enum qe_io_event ev, uint32_t arg);
    int connected;
    size_t sent;       /* bytes of the request going out */
    int awaiting;      /* request sent, no answer bytes yet */
    uint32_t requests;
} s_tp;

static int tp_connect(void *ctx, const pkiot_transport_params_t *params)
{
    (void)ctx;
    T_BEGIN;
    int rc = s_tp.in->connect(s_tp.in->ctx, params);
    T_END(qe_bench.handshake_ns);
    if (rc == PKIOT_OK && !s_tp.connected) {
        s_tp.connected = 1;
        s_tp.event(QE_IO_CONNECTED, 0);
    }
    return rc;
}

static int tp_send(void *ctx, const uint8_t *buf, size_t len, size_t *n)
{
    (void)ctx;
    T_BEGIN;
    int rc = s_tp.in->send(s_tp.in->ctx, buf, len, n);
    T_END(qe_bench.tls_io_ns);
    if (rc == PKIOT_OK) {
        s_tp.sent += *n;
    }
    return rc;
}

static int tp_recv(void *ctx, uint8_t *buf, size_t cap, size_t *n)
{
    (void)ctx;
    /* The engine reads only once its whole request is out. */
    if (s_tp.sent > 0) {
        s_tp.requests++;
        s_tp.event(QE_IO_REQUEST_SENT, (uint32_t)s_tp.sent);
        s_tp.sent = 0;
        s_tp.awaiting = 1;
    }
    T_BEGIN;
    int rc = s_tp.in->recv(s_tp.in->ctx, buf, cap, n);
    T_END(qe_bench.tls_io_ns);
    if (rc == PKIOT_OK && *n > 0 && s_tp.awaiting) {
        s_tp.awaiting = 0;
        s_tp.event(QE_IO_RESPONSE, s_tp.requests);
    }
    return rc;
}

static void tp_close(void *ctx)
{
    (void)ctx;
    T_BEGIN;
    s_tp.in->close(s_tp.in->ctx);
    T_END(qe_bench.tls_io_ns);
    s_tp.sent = 0;
    s_tp.awaiting = 0;
    if (s_tp.connected) {
        s_tp.connected = 0;
        s_tp.event(QE_IO_CLOSED, 0);
    }
}

static int tp_export(void *ctx, const char *label, const uint8_t *context, size_t context_len,
                     uint8_t *out, size_t out_len)
{
    (void)ctx;
    return s_tp.in->export_keying_material(s_tp.in->ctx, label, context, context_len, out,
                                           out_len);
}

void qe_transport_shim(pkiot_transport_port_t *out, const pkiot_transport_port_t *in,
                       void (*event)(enum qe_io_event ev, uint32_t arg))
{
    memset(&s_tp, 0, sizeof s_tp);
    s_tp.in = in;
    s_tp.event = event;
    out->ctx = &s_tp;
    out->connect = tp_connect;
    out->send = tp_send;
    out->recv = tp_recv;
    out->close = tp_close;
    out->export_keying_material = in->export_keying_material != NULL ? tp_export : NULL;
}

/* ---- crypto (bench builds only) ----------------------------------------------------------- */
#if PKIOT_BENCH
#define IN ((const pkiot_crypto_port_t *)ctx)
#define TIMED(call)                                                                          \
    do {                                                                                     \
        T_BEGIN;                                                                             \
        int rc_ = (call);                                                                    \
        T_END(qe_bench.crypto_ns);                                                           \
        qe_bench.crypto_calls++;                                                             \
        return rc_;                                                                          \
    } while (0)

static int c_random(void *ctx, uint8_t *out, size_t len)
{
    TIMED(IN->random(IN->ctx, out, len));
}

static int c_key_generate(void *ctx, pkiot_key_type_t type, uint32_t slot_hint,
                          pkiot_key_ref_t *key)
{
    TIMED(IN->key_generate(IN->ctx, type, slot_hint, key));
}

static int c_key_import(void *ctx, const uint8_t *der_or_pem, size_t len, pkiot_key_ref_t *key)
{
    TIMED(IN->key_import(IN->ctx, der_or_pem, len, key));
}

static int c_key_export_private(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                                size_t *olen)
{
    TIMED(IN->key_export_private(IN->ctx, key, out, cap, olen));
}

static int c_key_export_spki(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                             size_t *olen)
{
    TIMED(IN->key_export_spki(IN->ctx, key, out, cap, olen));
}

static int c_key_destroy(void *ctx, pkiot_key_ref_t *key)
{
    TIMED(IN->key_destroy(IN->ctx, key));
}

static int c_sign_hash(void *ctx, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg,
                       const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_cap,
                       size_t *sig_len)
{
    TIMED(IN->sign_hash(IN->ctx, key, alg, hash, hash_len, sig, sig_cap, sig_len));
}

static int c_verify_hash(void *ctx, const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg,
                         const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                         size_t sig_len)
{
    TIMED(IN->verify_hash(IN->ctx, spki, spki_len, alg, hash, hash_len, sig, sig_len));
}

static int c_hash(void *ctx, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t nparts,
                  uint8_t *out, size_t out_cap)
{
    TIMED(IN->hash(IN->ctx, alg, parts, nparts, out, out_cap));
}

static int c_hmac(void *ctx, pkiot_hash_alg_t alg, const uint8_t *key, size_t key_len,
                  const pkiot_slice_t *parts, size_t nparts, uint8_t *out, size_t out_cap)
{
    TIMED(IN->hmac(IN->ctx, alg, key, key_len, parts, nparts, out, out_cap));
}

static int c_pbkdf2(void *ctx, pkiot_hash_alg_t alg, const uint8_t *pw, size_t pw_len,
                    const uint8_t *salt, size_t salt_len, uint32_t iterations, uint8_t *out,
                    size_t out_len)
{
    TIMED(IN->pbkdf2(IN->ctx, alg, pw, pw_len, salt, salt_len, iterations, out, out_len));
}

static int c_cipher_cbc(void *ctx, pkiot_cipher_t cipher, int encrypt, const uint8_t *key,
                        size_t key_len, const uint8_t *iv, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len)
{
    TIMED(IN->cipher_cbc(IN->ctx, cipher, encrypt, key, key_len, iv, in, in_len, out, out_cap,
                         out_len));
}

static int c_rsa_encrypt(void *ctx, const uint8_t *spki, size_t spki_len, const uint8_t *in,
                         size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    TIMED(IN->rsa_encrypt(IN->ctx, spki, spki_len, in, in_len, out, out_cap, out_len));
}

static int c_rsa_decrypt(void *ctx, const pkiot_key_ref_t *key, const uint8_t *in,
                         size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    TIMED(IN->rsa_decrypt(IN->ctx, key, in, in_len, out, out_cap, out_len));
}

static int c_cert_verify(void *ctx, const uint8_t *leaf, size_t leaf_len,
                         const pkiot_slice_t *intermediates, size_t n_int,
                         const pkiot_slice_t *anchors, size_t n_anchors, int64_t now,
                         size_t *anchor_index, size_t *path_len)
{
    TIMED(IN->cert_verify(IN->ctx, leaf, leaf_len, intermediates, n_int, anchors, n_anchors,
                          now, anchor_index, path_len));
}

/* Certificate parsing is not crypto: forwarded untimed, so its cost stays in "everything
 * else" as it did when pkiot's own parser did the work. */
static int c_cert_parse(void *ctx, const uint8_t *der, size_t len, pkiot_x509_cert_t *out)
{
    return IN->cert_parse(IN->ctx, der, len, out);
}

#define WRAP(fn) out->fn = in->fn != NULL ? c_##fn : NULL

void qe_crypto_shim(pkiot_crypto_port_t *out, const pkiot_crypto_port_t *in)
{
    memset(out, 0, sizeof *out);
    out->ctx = (void *)(uintptr_t)in;
    WRAP(random);
    WRAP(key_generate);
    WRAP(key_import);
    WRAP(key_export_private);
    WRAP(key_export_spki);
    WRAP(key_destroy);
    WRAP(sign_hash);
    WRAP(verify_hash);
    WRAP(hash);
    WRAP(hmac);
    WRAP(pbkdf2);
    WRAP(cipher_cbc);
    WRAP(rsa_encrypt);
    WRAP(rsa_decrypt);
    WRAP(cert_verify);
    WRAP(cert_parse);
}
#endif /* PKIOT_BENCH */
