/*
 * Reference program for `make size` (scripts/size.py): the smallest firmware-shaped use of
 * libpkiot, linked with --gc-sections, so the linker map tells what a device really pays
 * for the library. It is never run.
 *
 * It drives the public API the way a device does (init, resume or start, step until done,
 * take the result, forget the checkpoint) with stub ports. The stubs only return errors:
 * their code is counted as "reference program", never as library, and calls through the
 * port structs are outside the library in the stack analysis as well.
 *
 * Deliberately not called: pkiot_strerror()/pkiot_strerror_name() (diagnostic text a
 * device may leave out) and pkiot_renewal_time(); `make size` reports them separately in
 * the archive view.
 */
#include "pkiot/pkiot.h"

/* Symbols the linker keeps: the entry point and the objects it reaches. */
void pkiot_size_main(void);

static int stub_random(void *c, uint8_t *out, size_t len)
{
    (void)c;
    for (size_t i = 0; i < len; i++) {
        out[i] = (uint8_t)i;
    }
    return PKIOT_OK;
}

static int stub_keygen(void *c, pkiot_key_type_t type, uint32_t slot, pkiot_key_ref_t *key)
{
    (void)c;
    (void)slot;
    key->type = type;
    key->len = 0;
    return PKIOT_E_UNSUPPORTED;
}

static int stub_export_spki(void *c, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                            size_t *olen)
{
    (void)c;
    (void)key;
    (void)out;
    (void)cap;
    *olen = 0;
    return PKIOT_E_UNSUPPORTED;
}

static int stub_sign(void *c, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg,
                     const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_cap,
                     size_t *sig_len)
{
    (void)c;
    (void)key;
    (void)alg;
    (void)hash;
    (void)hash_len;
    (void)sig;
    (void)sig_cap;
    *sig_len = 0;
    return PKIOT_E_UNSUPPORTED;
}

static int stub_hash(void *c, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t nparts,
                     uint8_t *out, size_t out_cap)
{
    (void)c;
    (void)alg;
    (void)parts;
    (void)nparts;
    (void)out;
    (void)out_cap;
    return PKIOT_E_UNSUPPORTED;
}

static int stub_cert_verify(void *c, const uint8_t *leaf, size_t leaf_len,
                            const pkiot_slice_t *inter, size_t n_int, const pkiot_slice_t *anchors,
                            size_t n_anchors, int64_t now, size_t *anchor_index, size_t *path_len)
{
    (void)c;
    (void)leaf;
    (void)leaf_len;
    (void)inter;
    (void)n_int;
    (void)anchors;
    (void)n_anchors;
    (void)now;
    *anchor_index = 0;
    *path_len = 0;
    return PKIOT_E_CERT_UNTRUSTED;
}

static int stub_cert_parse(void *c, const uint8_t *der, size_t len, struct pkiot_x509_cert *out)
{
    (void)c;
    (void)der;
    (void)len;
    (void)out;
    return PKIOT_E_X509_FORMAT;
}

static int stub_connect(void *c, const pkiot_transport_params_t *p)
{
    (void)c;
    (void)p;
    return PKIOT_WANT_WRITE;
}

static int stub_io(void *c, uint8_t *buf, size_t cap, size_t *n)
{
    (void)c;
    (void)buf;
    (void)cap;
    *n = 0;
    return PKIOT_WANT_READ;
}

static int stub_send(void *c, const uint8_t *buf, size_t len, size_t *n)
{
    (void)c;
    (void)buf;
    *n = len;
    return PKIOT_OK;
}

static void stub_close(void *c)
{
    (void)c;
}

static int stub_load(void *c, uint8_t *buf, size_t cap, size_t *len)
{
    (void)c;
    (void)buf;
    (void)cap;
    *len = 0;
    return PKIOT_E_STORAGE_EMPTY;
}

static int stub_save(void *c, const uint8_t *buf, size_t len)
{
    (void)c;
    (void)buf;
    (void)len;
    return PKIOT_OK;
}

static int stub_erase(void *c)
{
    (void)c;
    return PKIOT_OK;
}

static const pkiot_crypto_port_t crypto = {
    .random = stub_random,
    .key_generate = stub_keygen,
    .key_export_spki = stub_export_spki,
    .sign_hash = stub_sign,
    .hash = stub_hash,
    /* Required when PKIOT_X509_BUILTIN is off, as in the device profiles. */
    .cert_verify = stub_cert_verify,
    .cert_parse = stub_cert_parse,
};
static const pkiot_transport_port_t transport = {
    .connect = stub_connect,
    .send = stub_send,
    .recv = stub_io,
    .close = stub_close,
};
static const pkiot_storage_port_t storage = {
    .load = stub_load,
    .save = stub_save,
    .erase = stub_erase,
};

static const pkiot_config_t cfg = {
    .protocol = PKIOT_PROTO_EST,
    .server_url = "https://est.example:8443",
    .crypto = &crypto,
    .transport = &transport,
    .storage = &storage,
    .http_user = "user",
    .http_password = "password",
    .subject = "CN=device",
    .key_type = PKIOT_KEY_EC_P256,
};

static uint8_t work[PKIOT_WORKSPACE_SIZE];
static pkiot_ctx_t ctx;

/* Keeps results alive so the getters are not optimised away. */
volatile uintptr_t pkiot_size_sink;

void pkiot_size_main(void)
{
    uint32_t now = 0;
    int rc = pkiot_init(&ctx, &cfg, work, sizeof work);
    if (rc == PKIOT_OK) {
        rc = pkiot_resume(&ctx);
    }
    if (rc == PKIOT_E_STORAGE_EMPTY) {
        rc = pkiot_enroll_start(&ctx, PKIOT_OP_ENROLL);
    }
    while (rc >= 0 && rc != PKIOT_DONE) {
        rc = pkiot_step(&ctx, now);
        if (rc == PKIOT_SLEEP) {
            now = pkiot_wake_at(&ctx);
            pkiot_size_sink = (uintptr_t)pkiot_phase(&ctx);
        } else {
            now += 10;
        }
    }
    if (rc == PKIOT_DONE) {
        pkiot_slice_t cert = pkiot_result_cert(&ctx);
        pkiot_slice_t cas = pkiot_result_ca_certs(&ctx);
        pkiot_size_sink = (uintptr_t)cert.p + cert.len + (uintptr_t)cas.p +
                          (uintptr_t)pkiot_result_key(&ctx);
        (void)pkiot_forget(&ctx);
    } else {
        pkiot_size_sink = (uintptr_t)pkiot_server_text(&ctx) + (uintptr_t)pkiot_http_status(&ctx);
        pkiot_abort(&ctx);
    }
}
