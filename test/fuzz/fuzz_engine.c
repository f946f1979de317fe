/*
 * libFuzzer target for the whole engine with the EST module: whatever a server answers,
 * and wherever the power fails, pkiot_step() must end in PKIOT_DONE, a negative error or a
 * wait, never crash, never save a checkpoint that pkiot_resume() cannot read back, never put
 * a secret into a progress line, and on PKIOT_DONE hand out a certificate and CA
 * certificates that are whole DER. Half of the runs lose power once, at a transport or
 * storage call chosen by the input, and go on in a new context booted from the checkpoint,
 * which must keep the key the checkpoint holds rather than generate another.
 *
 * Input: byte 0 chooses the run (bits 0-1 the operation: enroll, re-enroll, serverkeygen,
 * cacerts; bit 2 fetch_cacerts; bit 3 use_csrattrs; bit 4 bootstrap, with bit 5 rejecting
 * the CA certificates it is asked to confirm; bit 6 failing every checkpoint save after the
 * first; bit 7 failing every signature check). The rest is the server's side: answers
 * separated by SEP, the next one for each request the engine sends, delivered in pieces whose
 * sizes derive from the input; after an answer the connection reports end of stream.
 *
 * The crypto port is a stub whose key is the one libest certified in the recorded session
 * (test/fuzz/corpus/est-captures/, read at start from PKIOT_FUZZ_CAPTURES or that path below
 * the working directory), and a key it imports is the one of the recorded /serverkeygen
 * answer, so recorded answers lead to an accepted certificate; signatures it is asked to
 * check are good unless bit 7 says otherwise. The seeds (test/fuzz/engine_seeds.py) are
 * those recordings, arranged as whole runs.
 *
 * fuzz_engine_device.c builds this with the device profiles' setting PKIOT_X509_BUILTIN=n:
 * certificates are then read and their paths checked by the Mbed TLS port (real signatures,
 * which the recorded certificates have), the rest of the crypto port stays the stub.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/cms.h"
#include "pkiot/der.h"
#include "pkiot/pem.h"
#include "pkiot/pkiot.h"
#include "pkiot/x509.h"
#ifdef PKIOT_FUZZ_ENGINE_DEVICE
#include "mbedtls/pkiot_mbedtls_crypto.h"
#endif

#define SEP "\n@@pkiot-fuzz-next-answer@@\n"
#define MAX_ANSWERS 12
#define MAX_STEPS 4000
#define PASSWORD "fuzz-secret-pw"

static uint8_t g_root[2048];
static size_t g_root_len;
static uint8_t g_leaf[2048];
static size_t g_leaf_len;
static pkiot_x509_cert_t g_leaf_cert; /* its spki is the stub key's public key */
/* The certificate of the recorded /serverkeygen answer: its spki is that of a key the stub
 * imports (the server's key), so the recorded answer is accepted too. */
static uint8_t g_skg[2048];
static pkiot_x509_cert_t g_skg_cert;
static int64_t g_now_unix;
static int g_verbose; /* PKIOT_FUZZ_VERBOSE set: one line per input on how the run ended */

/* --- the input ------------------------------------------------------------------------- */

static unsigned g_opts;
static const uint8_t *g_ans[MAX_ANSWERS];
static size_t g_ans_len[MAX_ANSWERS];
static size_t g_n_ans;
static uint32_t g_rng;

static uint32_t next_rand(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return g_rng >> 8;
}

static void split_answers(const uint8_t *d, size_t n)
{
    const size_t sl = sizeof SEP - 1;
    g_n_ans = 0;
    while (g_n_ans < MAX_ANSWERS) {
        const uint8_t *hit = NULL;
        for (size_t i = 0; i + sl <= n; i++) {
            if (d[i] == (uint8_t)SEP[0] && memcmp(d + i, SEP, sl) == 0) {
                hit = d + i;
                break;
            }
        }
        g_ans[g_n_ans] = d;
        g_ans_len[g_n_ans] = hit != NULL ? (size_t)(hit - d) : n;
        g_n_ans++;
        if (hit == NULL) {
            return;
        }
        n -= (size_t)(hit - d) + sl;
        d = hit + sl;
    }
}

/* --- transport: one answer per request ---------------------------------------------------- */

/* Power cut: at the g_cut_io-th transport or storage call (none when negative) the device
 * stops; from then on the transport only stalls, so pkiot_step() returns and the loop in
 * LLVMFuzzerTestOneInput() cuts the power. */
static int g_cut_io;
static int g_io;
static int g_cut_pending;

static int io_event(void)
{
    if (g_io++ == g_cut_io) {
        g_cut_pending = 1;
    }
    return g_cut_pending;
}

static size_t g_cur;      /* answer for the current request */
static size_t g_off;      /* bytes of it delivered */
static int g_sent;        /* a request went out since the last answer began */
static int g_open;

static int t_connect(void *c, const pkiot_transport_params_t *p)
{
    (void)c;
    if (p == NULL || p->host == NULL) {
        abort();
    }
    if (io_event()) {
        return PKIOT_WANT_READ;
    }
    g_open = 1;
    return (next_rand() & 7u) == 0 ? PKIOT_WANT_READ : PKIOT_OK;
}

static int t_send(void *c, const uint8_t *buf, size_t len, size_t *n)
{
    (void)c;
    (void)buf;
    if (!g_open) {
        abort(); /* send on a connection the engine closed */
    }
    if (io_event()) {
        *n = 0;
        return PKIOT_WANT_WRITE;
    }
    if (!g_sent && g_off > 0) {
        g_cur++; /* a new request on a kept-alive connection: the next answer */
        g_off = 0;
    }
    g_sent = 1;
    size_t take = 1 + next_rand() % 700u;
    *n = take < len ? take : len;
    return PKIOT_OK;
}

static int t_recv(void *c, uint8_t *buf, size_t cap, size_t *n)
{
    (void)c;
    *n = 0;
    if (!g_open) {
        abort();
    }
    if (io_event()) {
        return PKIOT_WANT_READ;
    }
    if (g_cur >= g_n_ans || g_off >= g_ans_len[g_cur]) {
        return PKIOT_OK; /* end of stream */
    }
    if ((next_rand() & 15u) == 0) {
        return PKIOT_WANT_READ;
    }
    size_t take = 1 + next_rand() % 300u;
    size_t left = g_ans_len[g_cur] - g_off;
    take = take < left ? take : left;
    take = take < cap ? take : cap;
    memcpy(buf, g_ans[g_cur] + g_off, take);
    g_off += take;
    g_sent = 0;
    *n = take;
    return PKIOT_OK;
}

static void t_close(void *c)
{
    (void)c;
    if (g_open && g_off > 0) {
        g_cur++; /* the answer on this connection is over, read or not */
        g_off = 0;
    }
    g_open = 0;
    g_sent = 0;
}

static const pkiot_transport_port_t g_transport = {NULL, t_connect, t_send, t_recv, t_close,
                                                   NULL};

/* --- storage: every blob saved must be one the engine reads back -------------------------- */

static uint8_t g_blob[PKIOT_CKPT_MAX];
static size_t g_blob_len;
static unsigned g_saves;

static int s_load(void *c, uint8_t *buf, size_t cap, size_t *len)
{
    (void)c;
    if (g_blob_len == 0) {
        return PKIOT_E_STORAGE_EMPTY;
    }
    if (g_blob_len > cap) {
        abort();
    }
    memcpy(buf, g_blob, g_blob_len);
    *len = g_blob_len;
    return PKIOT_OK;
}

static int s_save(void *c, const uint8_t *buf, size_t len)
{
    (void)c;
    if (len == 0 || len > sizeof g_blob) {
        abort();
    }
    if ((g_opts & 0x40u) != 0 && g_saves++ > 0) {
        return PKIOT_E_STORAGE_IO;
    }
    memcpy(g_blob, buf, len);
    g_blob_len = len;
    (void)io_event(); /* a cut here comes after the save: the slot write is the port's */
    return PKIOT_OK;
}

static int s_erase(void *c)
{
    (void)c;
    g_blob_len = 0;
    return PKIOT_OK;
}

static const pkiot_storage_port_t g_storage = {NULL, s_load, s_save, s_erase};

/* --- crypto: a stub holding the recorded device key's public half ------------------------- */

static int c_random(void *c, uint8_t *out, size_t len)
{
    (void)c;
    for (size_t i = 0; i < len; i++) {
        out[i] = (uint8_t)next_rand();
    }
    return PKIOT_OK;
}

static unsigned g_keygens; /* key_generate calls since the last power cut */

/* The stub's key references: 0x5A the recorded device key, 0x5B the recorded server key. */
static void stub_key(pkiot_key_ref_t *key, pkiot_key_type_t type, uint8_t which)
{
    memset(key, 0, sizeof *key);
    key->type = type;
    key->len = 1;
    key->data[0] = which;
}

static int c_keygen(void *c, pkiot_key_type_t type, uint32_t slot, pkiot_key_ref_t *key)
{
    (void)c;
    (void)slot;
    g_keygens++;
    stub_key(key, type, 0x5A);
    return PKIOT_OK;
}

static int c_import(void *c, const uint8_t *der, size_t len, pkiot_key_ref_t *key)
{
    (void)c;
    if (der == NULL || len == 0) {
        return PKIOT_E_CRYPTO;
    }
    stub_key(key, PKIOT_KEY_EC_P256, 0x5B);
    return PKIOT_OK;
}

static int c_export_private(void *c, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                            size_t *olen)
{
    (void)c;
    (void)key;
    (void)out;
    (void)cap;
    *olen = 0;
    return PKIOT_E_UNSUPPORTED;
}

static int c_export_spki(void *c, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                         size_t *olen)
{
    (void)c;
    if (key == NULL || key->len == 0) {
        abort(); /* asked for the public key of no key */
    }
    const pkiot_slice_t *spki = key->data[0] == 0x5B ? &g_skg_cert.spki : &g_leaf_cert.spki;
    if (spki->len > cap) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(out, spki->p, spki->len);
    *olen = spki->len;
    return PKIOT_OK;
}

static int c_destroy(void *c, pkiot_key_ref_t *key)
{
    (void)c;
    memset(key, 0, sizeof *key);
    return PKIOT_OK;
}

static int c_sign(void *c, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg, const uint8_t *hash,
                  size_t hash_len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    static const uint8_t fake[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    (void)c;
    (void)key;
    (void)alg;
    (void)hash;
    (void)hash_len;
    if (cap < sizeof fake) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(sig, fake, sizeof fake);
    *sig_len = sizeof fake;
    return PKIOT_OK;
}

static int c_verify(void *c, const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg,
                    const uint8_t *hash, size_t hash_len, const uint8_t *sig, size_t sig_len)
{
    (void)c;
    (void)spki;
    (void)spki_len;
    (void)alg;
    (void)hash;
    (void)hash_len;
    (void)sig;
    (void)sig_len;
    return (g_opts & 0x80u) != 0 ? PKIOT_E_CRYPTO_VERIFY : PKIOT_OK;
}

/* Not a hash: a deterministic digest of the right size is all the engine can tell apart. */
static int c_hash(void *c, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t nparts,
                  uint8_t *out, size_t cap)
{
    (void)c;
    size_t n = pkiot_hash_size(alg);
    if (n == 0 || n > cap) {
        return PKIOT_E_INVALID_ARG;
    }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < nparts; i++) {
        for (size_t k = 0; k < parts[i].len; k++) {
            h = (h ^ parts[i].p[k]) * 16777619u;
        }
    }
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint32_t)i) * 16777619u;
        out[i] = (uint8_t)(h >> 24);
    }
    return PKIOT_OK;
}

#ifdef PKIOT_FUZZ_ENGINE_DEVICE
static pkiot_mbedtls_crypto_t g_mbed_state;
static pkiot_crypto_port_t g_mbed;

static int c_cert_parse(void *c, const uint8_t *der, size_t len, struct pkiot_x509_cert *out)
{
    (void)c;
    return g_mbed.cert_parse(g_mbed.ctx, der, len, out);
}

static int c_cert_verify(void *c, const uint8_t *leaf, size_t leaf_len,
                         const pkiot_slice_t *inter, size_t n_int, const pkiot_slice_t *anchors,
                         size_t n_anchors, int64_t now, size_t *anchor_index, size_t *path_len)
{
    (void)c;
    return g_mbed.cert_verify(g_mbed.ctx, leaf, leaf_len, inter, n_int, anchors, n_anchors, now,
                              anchor_index, path_len);
}
#endif

static const pkiot_crypto_port_t g_crypto = {
    .random = c_random,
    .key_generate = c_keygen,
    .key_import = c_import,
    .key_export_private = c_export_private,
    .key_export_spki = c_export_spki,
    .key_destroy = c_destroy,
    .sign_hash = c_sign,
    .verify_hash = c_verify,
    .hash = c_hash,
#ifdef PKIOT_FUZZ_ENGINE_DEVICE
    .cert_verify = c_cert_verify,
    .cert_parse = c_cert_parse,
#endif
};

/* --- application callbacks ----------------------------------------------------------------- */

static uint32_t g_ms;      /* the device's monotonic clock: starts again at a power cut */
static uint32_t g_ms_lost; /* monotonic time before the last power cut */

static int64_t wall_time(void *u)
{
    (void)u;
    return g_now_unix + (int64_t)((g_ms_lost + g_ms) / 1000u);
}

static void progress(void *u, const char *line)
{
    (void)u;
    if (line == NULL || strstr(line, PASSWORD) != NULL) {
        abort(); /* a secret in a progress line */
    }
    if (g_verbose) {
        fprintf(stderr, "  progress: %s\n", line);
    }
}

static int confirm_ca(void *u, const uint8_t *der, size_t len, const uint8_t sha256[32])
{
    (void)u;
    (void)sha256;
    if (der == NULL || len == 0) {
        abort();
    }
    return (g_opts & 0x20u) == 0;
}

/* --- checks -------------------------------------------------------------------------------- */

/* A run of whole DER certificates. */
static void check_certs(pkiot_slice_t s)
{
    pkiot_der_cursor_t cur;
    pkiot_der_tlv_t t;
    pkiot_der_init(&cur, s.p, s.len);
    while (!pkiot_der_at_end(&cur)) {
        if (pkiot_der_expect(&cur, PKIOT_DER_SEQUENCE, &t) != PKIOT_OK) {
            abort();
        }
    }
}

/* Two devices' worth of state: the one running, and the one a power cut boots into. */
static uint8_t g_work[2][PKIOT_WORKSPACE_SIZE];
static pkiot_ctx_t g_ctx[2];

/* A fresh context picks up from the last checkpoint saved, or starts over when there is
 * none: anything else means a blob the engine wrote and cannot read back. */
static void boot(int slot, const pkiot_config_t *cfg, pkiot_operation_t op)
{
    if (pkiot_init(&g_ctx[slot], cfg, g_work[slot], sizeof g_work[slot]) != PKIOT_OK) {
        abort();
    }
    int rc = pkiot_resume(&g_ctx[slot]);
    if (rc == PKIOT_E_STORAGE_EMPTY) {
        rc = pkiot_enroll_start(&g_ctx[slot], op);
    }
    if (rc != PKIOT_OK) {
        fprintf(stderr, "fuzz_engine: saved checkpoint does not resume: %s\n",
                pkiot_strerror_name(rc));
        abort();
    }
}

/* --- setup ------------------------------------------------------------------------------- */

static int read_file(const char *dir, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz_engine: cannot read %s\n", path);
        return -1;
    }
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return *len > 0 && *len < cap ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
#ifdef PKIOT_FUZZ_ENGINE_DEVICE
    if (pkiot_mbedtls_crypto_init(&g_mbed_state, 0, &g_mbed) != PKIOT_OK) {
        exit(1);
    }
#endif
    const char *dir = getenv("PKIOT_FUZZ_CAPTURES");
    if (dir == NULL) {
        dir = "test/fuzz/corpus/est-captures";
    }
    static uint8_t pem[4096], cms[4096];
    size_t pem_len = 0, cms_len = 0;
    pkiot_cms_certs_t it;
    pkiot_slice_t leaf;
    if (read_file(dir, "trust-root.pem", pem, sizeof pem, &pem_len) != 0 ||
        pkiot_pem_decode_all((const char *)pem, pem_len, "CERTIFICATE", g_root, sizeof g_root,
                             &g_root_len) != PKIOT_OK ||
        read_file(dir, "simpleenroll.p7.der", cms, sizeof cms, &cms_len) != 0 ||
        pkiot_cms_certs_init(&it, cms, cms_len) != PKIOT_OK ||
        pkiot_cms_certs_next(&it, &leaf) != PKIOT_OK || leaf.len > sizeof g_leaf) {
        fprintf(stderr, "fuzz_engine: the recorded session is unusable (run from the "
                        "repository root or set PKIOT_FUZZ_CAPTURES)\n");
        exit(1);
    }
    memcpy(g_leaf, leaf.p, leaf.len);
    g_leaf_len = leaf.len;
    pkiot_slice_t skg;
    if (pkiot_x509_cert_parse(g_leaf, g_leaf_len, &g_leaf_cert) != PKIOT_OK ||
        read_file(dir, "serverkeygen.p7.der", cms, sizeof cms, &cms_len) != 0 ||
        pkiot_cms_certs_init(&it, cms, cms_len) != PKIOT_OK ||
        pkiot_cms_certs_next(&it, &skg) != PKIOT_OK || skg.len > sizeof g_skg) {
        fprintf(stderr, "fuzz_engine: the recorded certificates are unusable\n");
        exit(1);
    }
    memcpy(g_skg, skg.p, skg.len);
    if (pkiot_x509_cert_parse(g_skg, skg.len, &g_skg_cert) != PKIOT_OK) {
        exit(1);
    }
    g_now_unix = g_leaf_cert.not_before + 86400; /* inside every recorded validity */
    g_verbose = getenv("PKIOT_FUZZ_VERBOSE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    g_opts = data[0];
    split_answers(data + 1, size - 1);
    g_rng = 0x9E3779B9u ^ (uint32_t)size;
    for (size_t i = 0; i < size && i < 64; i++) {
        g_rng = (g_rng ^ data[i]) * 16777619u;
    }
    g_cur = g_off = 0;
    g_sent = g_open = 0;
    g_blob_len = 0;
    g_saves = 0;
    g_ms = 1000;
    g_ms_lost = 0;

    static pkiot_key_ref_t current_key;
    stub_key(&current_key, PKIOT_KEY_EC_P256, 0x5A);
    static const pkiot_operation_t ops[4] = {PKIOT_OP_ENROLL, PKIOT_OP_REENROLL,
                                             PKIOT_OP_SERVERKEYGEN, PKIOT_OP_CACERTS};
    pkiot_operation_t op = ops[g_opts & 3u];
    pkiot_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.protocol = PKIOT_PROTO_EST;
    cfg.server_url = "https://est.example:8443";
    cfg.crypto = &g_crypto;
    cfg.transport = &g_transport;
    cfg.storage = &g_storage;
    cfg.wall_time = wall_time;
    cfg.progress = progress;
    if ((g_opts & 0x10u) != 0) {
        cfg.bootstrap = 1;
        cfg.confirm_ca = confirm_ca;
    } else {
        cfg.trust_anchors = g_root;
        cfg.trust_anchors_len = g_root_len;
    }
    cfg.http_user = "estuser";
    cfg.http_password = PASSWORD;
    cfg.subject = "CN=pkiot-device";
    cfg.sans[0] = "DNS:device.pkiot.test";
    cfg.nsans = 1;
    cfg.key_type = PKIOT_KEY_EC_P256;
    cfg.max_attempts = 3;
    cfg.backoff_base_ms = 100;
    cfg.backoff_max_ms = 1000;
    cfg.io_timeout_ms = 60000;
    cfg.default_retry_after_s = 1;
    cfg.est.fetch_cacerts = (g_opts & 0x04u) != 0;
    cfg.est.use_csrattrs = (g_opts & 0x08u) != 0;
    if (op == PKIOT_OP_REENROLL) {
        cfg.client_cert = g_leaf;
        cfg.client_cert_len = g_leaf_len;
        cfg.client_key = &current_key;
        cfg.existing_key = &current_key;
    }

    if (pkiot_init(&g_ctx[0], &cfg, g_work[0], sizeof g_work[0]) != PKIOT_OK ||
        pkiot_enroll_start(&g_ctx[0], op) != PKIOT_OK) {
        abort();
    }
    /* Half of the runs lose power once, at an I/O call the input chooses: the context and
     * the connection are gone, the checkpoint stays, and the device boots into a new
     * context. */
    g_io = 0;
    g_cut_pending = 0;
    g_cut_io = (next_rand() & 1u) != 0 ? (int)(next_rand() % 48u) : -1;
    int cut_at = -1; /* the step before which the power was cut */
    int cur = 0;
    int resumed_key = 0; /* the context booted after the cut holds a key from the checkpoint */
    int rc = PKIOT_WANT_WRITE;
    int steps = 0;
    for (int i = 0; i < MAX_STEPS && g_cur <= g_n_ans; i++, steps++) {
        if (g_cut_pending) {
            g_cut_pending = 0;
            g_cut_io = -1;
            cut_at = i;
            if (g_open && g_off > 0) {
                g_cur++; /* the answer under way is lost with the connection */
                g_off = 0;
            }
            g_open = 0;
            g_sent = 0;
            g_ms_lost += g_ms;
            g_ms = 1;
            cur ^= 1;
            boot(cur, &cfg, op);
            resumed_key = pkiot_result_key(&g_ctx[cur]) != NULL;
            g_keygens = 0;
        }
        rc = pkiot_step(&g_ctx[cur], g_ms);
        if (rc == PKIOT_SLEEP) {
            uint32_t wake = pkiot_wake_at(&g_ctx[cur]);
            g_ms = wake > g_ms ? wake : g_ms + 1;
        } else if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE || rc == PKIOT_WANT_CRYPTO) {
            g_ms += 7;
        } else {
            break;
        }
    }
    if (resumed_key && g_keygens > 0) {
        abort(); /* a key saved before the power cut was replaced by a new one */
    }
    if (rc == PKIOT_DONE) {
        pkiot_slice_t cert = pkiot_result_cert(&g_ctx[cur]);
        pkiot_x509_cert_t c;
        if (op != PKIOT_OP_CACERTS && pkiot_x509_cert_parse(cert.p, cert.len, &c) != PKIOT_OK) {
            abort();
        }
        check_certs(pkiot_result_ca_certs(&g_ctx[cur]));
    } else if (rc > 0 && rc != PKIOT_SLEEP && rc != PKIOT_WANT_READ &&
               rc != PKIOT_WANT_WRITE && rc != PKIOT_WANT_CRYPTO) {
        abort(); /* a status outside the contract */
    }
    if (g_verbose) {
        fprintf(stderr,
                "fuzz_engine: options 0x%02x, %zu answers, %zu used, %d steps, power cut at "
                "%d%s: %s\n",
                g_opts, g_n_ans, g_cur, steps, cut_at, resumed_key ? " (key resumed)" : "",
                pkiot_strerror_name(rc));
    }
    pkiot_abort(&g_ctx[cur]);
    /* Whatever the end, the last checkpoint reads back. */
    if (g_blob_len > 0) {
        boot(cur ^ 1, &cfg, op);
        pkiot_abort(&g_ctx[cur ^ 1]);
    }
    return 0;
}
