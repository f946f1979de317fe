/*
 * pkiot-enroll: enroll, re-enroll or fetch CA certificates from the command line, with the
 * POSIX ports (sockets + Mbed TLS + file checkpoint). It shows how an application drives
 * the engine: one loop around pkiot_step(), waiting on the socket, sleeping on backoff, and
 * leaving with "come back at T" when the server asks for time.
 *
 * Exit status: see usage() and README.md ("Exit status of pkiot-enroll").
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pkiot/datetime.h"
#include "pkiot/der.h"
#include "pkiot/pem.h"
#include "pkiot/pkiot.h"
#include "pkiot/x509.h"

#include "mbedtls/pkiot_mbedtls_crypto.h"
#include "mbedtls/pkiot_tls.h"
#include "posix/pkiot_posix_net.h"
#include "storage/pkiot_storage_file.h"

/* sysexits.h values, spelled out so the program does not depend on that header. */
enum {
    EXIT_USAGE = 64,      /* bad command line */
    EXIT_DATAERR = 65,    /* malformed or unexpected server response */
    EXIT_NOINPUT = 66,    /* an input file is missing or unreadable */
    EXIT_UNAVAIL = 69,    /* server unreachable, retries exhausted */
    EXIT_SOFTWARE = 70,   /* internal error */
    EXIT_CANTCREAT = 73,  /* an output file cannot be written */
    EXIT_IOERR = 74,      /* checkpoint storage failed */
    EXIT_TEMPFAIL = 75,   /* the server said "later": run again with --resume after T */
    EXIT_PROTOCOL = 76,   /* the server rejected the request */
    EXIT_NOPERM = 77,     /* authentication required or refused */
    EXIT_CONFIG = 78,     /* a bad configuration value (key type, subject, ...) */
    EXIT_TRUST = 79       /* TLS or certificate verification failed, fingerprint refused */
};

#define FILE_MAX 16384
/* A bootstrap /cacerts answer holds a root and one or two issuing CAs; a few more leave room
 * for root key rollover certificates (RFC 7030 §4.1.3). */
#define FPR_MAX 8

static struct {
    const char *protocol;
    const char *server, *label, *trust, *user, *cert, *key, *subject, *key_type;
    const char *out, *key_out, *chain_out, *state, *newkey;
    const char *fingerprints[FPR_MAX];
    size_t nfingerprints;
    const char *sans[PKIOT_SAN_MAX];
    size_t nsans;
    int resume, reenroll, rekey, serverkeygen, cacerts_only, csrattrs, bootstrap, wait;
    int psa, quiet, renew;
    long timeout_s, max_attempts, backoff_ms;
} opt;

static uint8_t trust_der[FILE_MAX], cert_der[FILE_MAX];
static size_t trust_len, cert_len;
static char text[FILE_MAX + 1];
static uint8_t work[PKIOT_WORKSPACE_SIZE];
static pkiot_ctx_t ctx;
static pkiot_key_ref_t client_key, new_key;

static void usage(FILE *f)
{
    fputs("usage: pkiot-enroll est --server https://HOST:PORT [--label L] --trust ca.pem\n"
          "         [--user U:P] [--cert boot.pem --key boot.key] --subject \"CN=dev-1\"\n"
          "         [--san DNS:x]... [--key-type p256|p384|rsa2048|rsa3072]\n"
          "         --out cert.pem [--key-out key.pem] [--chain-out ca.pem] --state state.bin\n"
          "         [--resume] [--reenroll [--rekey]] [--renew] [--newkey key.pem]\n"
          "         [--serverkeygen]\n"
          "         [--csrattrs] [--cacerts-only]\n"
          "         [--bootstrap --fingerprint SHA256HEX [--fingerprint SHA256HEX]...]\n"
          "         [--wait] [--psa] [--timeout SECONDS] [--max-attempts N]\n"
          "         [--backoff-ms MS] [--quiet]\n"
          "         (--psa keeps keys in the PSA key store: files in the current directory)\n"
          "         (--bootstrap accepts the CA certificates of /cacerts without a trust anchor\n"
          "         only if each one's SHA-256 fingerprint was given: one --fingerprint per\n"
          "         certificate, e.g. the root and the issuing CA)\n"
          "exit status: 0 done; 75 the server asked to come back later (run again with\n"
          "  --resume at the printed time); 64 usage; 65 bad server response; 66 missing\n"
          "  input; 69 server unreachable; 73 cannot write output; 74 state storage failed;\n"
          "  76 request rejected; 77 authentication; 78 bad configuration; 79 trust failure\n",
          f);
}

static void progress(void *user, const char *line)
{
    (void)user;
    if (!opt.quiet) {
        fprintf(stderr, "pkiot-enroll: %s\n", line);
    }
}

static int64_t wall_time(void *user)
{
    (void)user;
    return (int64_t)time(NULL);
}

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pkiot-enroll: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    int big = n == cap && fgetc(f) != EOF;
    fclose(f);
    if (big) {
        fprintf(stderr, "pkiot-enroll: %s is larger than %zu bytes\n", path, cap);
        return -1;
    }
    *len = n;
    return 0;
}

/* A PEM bundle of certificates (or one DER certificate) -> concatenated DER. */
static int load_certs(const char *path, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len = 0;
    if (read_file(path, text, FILE_MAX, &len) != 0) {
        return -1;
    }
    if (len > 0 && (uint8_t)text[0] == 0x30) {
        memcpy(out, text, len);
        *out_len = len;
        return 0;
    }
    int rc = pkiot_pem_decode_all(text, len, "CERTIFICATE", out, cap, out_len);
    if (rc == PKIOT_E_PEM_NO_BEGIN) {
        fprintf(stderr, "pkiot-enroll: %s holds no certificate\n", path);
        return -1;
    }
    if (rc != PKIOT_OK) {
        fprintf(stderr, "pkiot-enroll: %s: %s\n", path, pkiot_strerror(rc));
        return -1;
    }
    return 0;
}

static int load_key(const pkiot_crypto_port_t *cr, const char *path, pkiot_key_ref_t *key)
{
    size_t len = 0;
    if (read_file(path, text, FILE_MAX, &len) != 0) {
        return -1;
    }
    text[len] = '\0';
    /* PEM is handed over with its NUL, as the crypto port's contract asks. */
    int rc = cr->key_import(cr->ctx, (const uint8_t *)text,
                            (uint8_t)text[0] == 0x30 ? len : len + 1, key);
    memset(text, 0, sizeof text);
    if (rc != PKIOT_OK) {
        fprintf(stderr, "pkiot-enroll: %s: %s\n", path, pkiot_strerror(rc));
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) {
        fprintf(stderr, "pkiot-enroll: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int write_pem(const char *path, const char *label, const uint8_t *der, size_t len,
                     mode_t mode)
{
    size_t tl = 0;
    int rc = pkiot_pem_encode(label, der, len, text, sizeof text, &tl);
    if (rc != PKIOT_OK) {
        return -1;
    }
    rc = write_file(path, text, tl, mode);
    memset(text, 0, sizeof text);
    return rc;
}

/* Concatenated DER certificates -> PEM bundle file. */
static int write_pem_bundle(const char *path, const uint8_t *der, size_t len)
{
    size_t o = 0, pos = 0;
    static char bundle[FILE_MAX * 2];
    while (pos < len) {
        pkiot_der_cursor_t cur;
        pkiot_der_tlv_t tlv;
        pkiot_der_init(&cur, der + pos, len - pos);
        if (pkiot_der_next(&cur, &tlv) != PKIOT_OK) {
            return -1;
        }
        size_t tl = 0;
        if (pkiot_pem_encode("CERTIFICATE", tlv.raw, tlv.raw_len, bundle + o,
                             sizeof bundle - o, &tl) != PKIOT_OK) {
            return -1;
        }
        o += tl;
        pos += tlv.raw_len;
    }
    return write_file(path, bundle, o, 0644);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One --fingerprint value, "ab:cd:..." or "abcd..." -> 32 bytes; 0 when it is not a
 * SHA-256 in hex (such a value then matches no certificate). */
static int parse_fingerprint(const char *p, uint8_t out[32])
{
    size_t n = 0;
    while (p != NULL && *p != '\0' && n < 32) {
        if (*p == ':' || *p == ' ') {
            p++;
            continue;
        }
        int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
        if (hi < 0 || lo < 0) {
            return 0;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    while (p != NULL && (*p == ':' || *p == ' ')) {
        p++;
    }
    return n == 32 && p != NULL && *p == '\0';
}

/* A CA certificate is confirmed when its SHA-256 is one of the --fingerprint values. */
static int confirm_ca(void *user, const uint8_t *der, size_t len, const uint8_t sha256[32])
{
    (void)user;
    (void)der;
    (void)len;
    char shown[3 * 32];
    for (size_t i = 0; i < 32; i++) {
        snprintf(shown + 3 * i, 4, "%02X%s", sha256[i], i < 31 ? ":" : "");
    }
    int ok = 0;
    for (size_t i = 0; i < opt.nfingerprints; i++) {
        uint8_t want[32];
        /* No early exit: every given value is compared, matching or not. */
        ok |= parse_fingerprint(opt.fingerprints[i], want) &&
              pkiot_ct_memcmp(want, sha256, 32) == 0;
    }
    fprintf(stderr, "pkiot-enroll: bootstrap CA certificate SHA-256 %s: %s\n", shown,
            ok ? "matches a --fingerprint" : "matches no --fingerprint");
    return ok;
}

static int exit_code_for(int rc)
{
    switch (pkiot_error_class(rc)) {
    case PKIOT_ERRCLASS_NETWORK: return EXIT_UNAVAIL;
    case PKIOT_ERRCLASS_AUTH: return EXIT_NOPERM;
    case PKIOT_ERRCLASS_REJECTED: return EXIT_PROTOCOL;
    case PKIOT_ERRCLASS_TRUST: return EXIT_TRUST;
    case PKIOT_ERRCLASS_STORAGE: return EXIT_IOERR;
    case PKIOT_ERRCLASS_CONFIG: return EXIT_CONFIG;
    case PKIOT_ERRCLASS_INTERNAL: return EXIT_SOFTWARE;
    case PKIOT_ERRCLASS_SERVER_DATA:
    case PKIOT_ERRCLASS_NONE:
    default: return EXIT_DATAERR;
    }
}

static int parse_args(int argc, char **argv)
{
    if (argc < 2) {
        return -1;
    }
    opt.protocol = argv[1];
    opt.key_type = "p256";
    opt.timeout_s = 60;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **val = NULL;
        if (!strcmp(a, "--server")) val = &opt.server;
        else if (!strcmp(a, "--label")) val = &opt.label;
        else if (!strcmp(a, "--trust")) val = &opt.trust;
        else if (!strcmp(a, "--user")) val = &opt.user;
        else if (!strcmp(a, "--cert")) val = &opt.cert;
        else if (!strcmp(a, "--key")) val = &opt.key;
        else if (!strcmp(a, "--subject")) val = &opt.subject;
        else if (!strcmp(a, "--key-type")) val = &opt.key_type;
        else if (!strcmp(a, "--out")) val = &opt.out;
        else if (!strcmp(a, "--key-out")) val = &opt.key_out;
        else if (!strcmp(a, "--chain-out")) val = &opt.chain_out;
        else if (!strcmp(a, "--state")) val = &opt.state;
        else if (!strcmp(a, "--newkey")) val = &opt.newkey;
        else if (!strcmp(a, "--fingerprint")) {
            if (i + 1 >= argc) return -1;
            if (opt.nfingerprints >= FPR_MAX) {
                fprintf(stderr, "pkiot-enroll: at most %d --fingerprint values\n", FPR_MAX);
                return -1;
            }
            opt.fingerprints[opt.nfingerprints++] = argv[++i];
            continue;
        } else if (!strcmp(a, "--san")) {
            if (i + 1 >= argc || opt.nsans >= PKIOT_SAN_MAX) return -1;
            opt.sans[opt.nsans++] = argv[++i];
            continue;
        } else if (!strcmp(a, "--timeout")) {
            if (i + 1 >= argc) return -1;
            opt.timeout_s = strtol(argv[++i], NULL, 10);
            continue;
        } else if (!strcmp(a, "--max-attempts")) {
            if (i + 1 >= argc) return -1;
            opt.max_attempts = strtol(argv[++i], NULL, 10);
            continue;
        } else if (!strcmp(a, "--backoff-ms")) {
            if (i + 1 >= argc) return -1;
            opt.backoff_ms = strtol(argv[++i], NULL, 10);
            continue;
        }
        else if (!strcmp(a, "--resume")) { opt.resume = 1; continue; }
        else if (!strcmp(a, "--reenroll")) { opt.reenroll = 1; continue; }
        else if (!strcmp(a, "--renew")) { opt.renew = opt.reenroll = 1; continue; }
        else if (!strcmp(a, "--rekey")) { opt.rekey = 1; continue; }
        else if (!strcmp(a, "--serverkeygen")) { opt.serverkeygen = 1; continue; }
        else if (!strcmp(a, "--cacerts-only")) { opt.cacerts_only = 1; continue; }
        else if (!strcmp(a, "--csrattrs")) { opt.csrattrs = 1; continue; }
        else if (!strcmp(a, "--bootstrap")) { opt.bootstrap = 1; continue; }
        else if (!strcmp(a, "--wait")) { opt.wait = 1; continue; }
        else if (!strcmp(a, "--psa")) { opt.psa = 1; continue; }
        else if (!strcmp(a, "--quiet")) { opt.quiet = 1; continue; }
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
        else {
            fprintf(stderr, "pkiot-enroll: unknown option %s\n", a);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pkiot-enroll: %s needs a value\n", a);
            return -1;
        }
        *val = argv[++i];
    }
    return 0;
}

static pkiot_key_type_t key_type_of(const char *s)
{
    if (!strcmp(s, "p256")) return PKIOT_KEY_EC_P256;
    if (!strcmp(s, "p384")) return PKIOT_KEY_EC_P384;
    if (!strcmp(s, "rsa2048")) return PKIOT_KEY_RSA_2048;
    if (!strcmp(s, "rsa3072")) return PKIOT_KEY_RSA_3072;
    return PKIOT_KEY_NONE;
}

/* GeneralizedTime text of a Unix time, NUL-terminated ("unknown" when out of range). */
static const char *time_text(int64_t t, char out[32])
{
    size_t n = 0;
    if (t <= 0 || pkiot_time_write_generalized(t, out, 31, &n) != PKIOT_OK) {
        strcpy(out, "unknown");
        return out;
    }
    out[n] = '\0';
    return out;
}

static void print_summary(pkiot_slice_t cert)
{
    pkiot_x509_cert_t c;
    char dn[256], iss[256];
    if (pkiot_x509_cert_parse(cert.p, cert.len, &c) != PKIOT_OK) {
        return;
    }
    size_t l;
    if (pkiot_x509_dn_to_string(c.subject.p, c.subject.len, dn, sizeof dn, &l) != PKIOT_OK) {
        strcpy(dn, "?");
    }
    if (pkiot_x509_dn_to_string(c.issuer.p, c.issuer.len, iss, sizeof iss, &l) != PKIOT_OK) {
        strcpy(iss, "?");
    }
    char nb[32], na[32];
    fprintf(stderr, "pkiot-enroll: certificate subject \"%s\" issuer \"%s\" valid %s .. %s\n",
            dn, iss, time_text(c.not_before, nb), time_text(c.not_after, na));
    int64_t renew = pkiot_renewal_time(c.not_before, c.not_after, 0, 5, c.serial.p,
                                       c.serial.len);
    char rn[32];
    fprintf(stderr, "pkiot-enroll: renew after %s\n", time_text(renew, rn));
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    pkiot_protocol_t proto;
    if (!strcmp(opt.protocol, "est")) {
        proto = PKIOT_PROTO_EST;
    } else if (!strcmp(opt.protocol, "cmp") || !strcmp(opt.protocol, "acme") ||
               !strcmp(opt.protocol, "scep")) {
        fprintf(stderr, "pkiot-enroll: protocol %s is not built into this version\n",
                opt.protocol);
        return EXIT_CONFIG;
    } else {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (opt.server == NULL || opt.state == NULL || (!opt.cacerts_only && opt.out == NULL) ||
        (opt.trust == NULL && !opt.bootstrap) || (opt.bootstrap && opt.nfingerprints == 0) ||
        ((opt.cert == NULL) != (opt.key == NULL)) || (opt.reenroll && opt.cert == NULL)) {
        fprintf(stderr, "pkiot-enroll: missing or inconsistent options\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    pkiot_key_type_t kt = key_type_of(opt.key_type);
    if (kt == PKIOT_KEY_NONE) {
        fprintf(stderr, "pkiot-enroll: unknown key type %s\n", opt.key_type);
        return EXIT_USAGE;
    }

    /* Ports: Mbed TLS crypto, POSIX TCP under the one TLS layer, a checkpoint file. */
    static pkiot_mbedtls_crypto_t crypto_state;
    static pkiot_posix_net_t net_state;
    static pkiot_tls_t tls_state;
    static pkiot_storage_file_t file_state;
    pkiot_crypto_port_t crypto;
    pkiot_net_port_t net;
    pkiot_transport_port_t transport;
    pkiot_storage_port_t storage;
    if (pkiot_mbedtls_crypto_init(&crypto_state, opt.psa, &crypto) != PKIOT_OK ||
        pkiot_posix_net_init(&net_state, &net) != PKIOT_OK ||
        pkiot_tls_init(&tls_state, &net, &crypto_state, &transport) != PKIOT_OK ||
        pkiot_storage_file_init(&file_state, opt.state, &storage) != PKIOT_OK) {
        fprintf(stderr, "pkiot-enroll: port initialisation failed\n");
        return EXIT_SOFTWARE;
    }

    static pkiot_config_t cfg;
    cfg.protocol = proto;
    cfg.server_url = opt.server;
    cfg.crypto = &crypto;
    cfg.transport = &transport;
    cfg.storage = &storage;
    cfg.wall_time = wall_time;
    cfg.progress = progress;
    cfg.io_timeout_ms = (uint32_t)(opt.timeout_s > 0 ? opt.timeout_s : 60) * 1000u;
    cfg.max_attempts = (uint32_t)(opt.max_attempts > 0 ? opt.max_attempts : 0);
    cfg.backoff_base_ms = (uint32_t)(opt.backoff_ms > 0 ? opt.backoff_ms : 0);
    cfg.est.label = opt.label;
    cfg.est.use_csrattrs = opt.csrattrs;
    cfg.est.fetch_cacerts = opt.chain_out != NULL;
    cfg.bootstrap = opt.bootstrap;
    cfg.confirm_ca = confirm_ca;
    cfg.subject = opt.subject;
    cfg.key_type = kt;
    cfg.nsans = opt.nsans;
    memcpy(cfg.sans, opt.sans, sizeof opt.sans);
    if (opt.trust != NULL) {
        if (load_certs(opt.trust, trust_der, sizeof trust_der, &trust_len) != 0) {
            return EXIT_NOINPUT;
        }
        size_t n_anchors = 0;
        pkiot_der_cursor_t ta;
        pkiot_der_tlv_t tlv;
        pkiot_der_init(&ta, trust_der, trust_len);
        while (pkiot_der_next(&ta, &tlv) == PKIOT_OK) {
            n_anchors++;
        }
        if (n_anchors > PKIOT_TRUST_ANCHORS_MAX) {
            fprintf(stderr, "pkiot-enroll: %s: %zu certificates, at most %d trust anchors\n",
                    opt.trust, n_anchors, PKIOT_TRUST_ANCHORS_MAX);
            return EXIT_CONFIG;
        }
        cfg.trust_anchors = trust_der;
        cfg.trust_anchors_len = trust_len;
    }
    static char userpass[256];
    if (opt.user != NULL) {
        char *colon;
        if (strlen(opt.user) >= sizeof userpass || (colon = strchr(strcpy(userpass, opt.user), ':')) == NULL) {
            fprintf(stderr, "pkiot-enroll: --user wants USER:PASSWORD\n");
            return EXIT_USAGE;
        }
        *colon = '\0';
        cfg.http_user = userpass;
        cfg.http_password = colon + 1;
    }
    if (opt.cert != NULL) {
        if (load_certs(opt.cert, cert_der, sizeof cert_der, &cert_len) != 0 ||
            load_key(&crypto, opt.key, &client_key) != 0) {
            return EXIT_NOINPUT;
        }
        cfg.client_cert = cert_der;
        cfg.client_cert_len = cert_len;
        cfg.client_key = &client_key;
    }
    if (opt.newkey != NULL) {
        if (load_key(&crypto, opt.newkey, &new_key) != 0) {
            return EXIT_NOINPUT;
        }
        cfg.existing_key = &new_key;
    } else if (opt.reenroll && !opt.rekey) {
        cfg.existing_key = &client_key; /* renew with the same key */
    }

    if (opt.renew && !opt.resume) {
        /* Renew only when due: 2/3 of the validity, moved earlier by a per-certificate
         * jitter so a fleet does not renew in the same second. */
        pkiot_x509_cert_t cur;
        pkiot_der_cursor_t first;
        pkiot_der_tlv_t leaf;
        pkiot_der_init(&first, cert_der, cert_len); /* the file may hold a chain: leaf first */
        if (pkiot_der_next(&first, &leaf) != PKIOT_OK ||
            pkiot_x509_cert_parse(leaf.raw, leaf.raw_len, &cur) != PKIOT_OK) {
            fprintf(stderr, "pkiot-enroll: %s is not a certificate\n", opt.cert);
            return EXIT_NOINPUT;
        }
        int64_t due = pkiot_renewal_time(cur.not_before, cur.not_after, 0, 5, cur.serial.p,
                                         cur.serial.len);
        char when[32];
        time_text(due, when);
        if ((int64_t)time(NULL) < due) {
            printf("renewal not due until %s (%lld)\n", when, (long long)due);
            return 0;
        }
        fprintf(stderr, "pkiot-enroll: renewal due since %s\n", when);
    }

    pkiot_operation_t op = opt.cacerts_only   ? PKIOT_OP_CACERTS
                           : opt.serverkeygen ? PKIOT_OP_SERVERKEYGEN
                           : opt.reenroll     ? PKIOT_OP_REENROLL
                                              : PKIOT_OP_ENROLL;
    int rc = pkiot_init(&ctx, &cfg, work, sizeof work);
    if (rc == PKIOT_OK) {
        if (opt.resume) {
            rc = pkiot_resume(&ctx);
            if (rc == PKIOT_E_STORAGE_EMPTY) {
                progress(NULL, "no saved state: starting a new enrollment");
                rc = pkiot_enroll_start(&ctx, op);
            } else if (rc == PKIOT_OK) {
                progress(NULL, "resuming from saved state");
                /* This program is run by the caller's scheduler when it is time: a wait the
                 * server asked for before is not repeated here (it was reported with 75). */
                pkiot_wake_now(&ctx);
                if (pkiot_operation(&ctx) != op) {
                    progress(NULL, "the saved state belongs to another operation: continuing it");
                    op = pkiot_operation(&ctx);
                }
            }
        } else {
            rc = pkiot_enroll_start(&ctx, op);
        }
    }
    while (rc >= 0 && rc != PKIOT_DONE) {
        rc = pkiot_step(&ctx, now_ms());
        if (rc == PKIOT_WANT_READ || rc == PKIOT_WANT_WRITE) {
            struct pollfd p = {pkiot_posix_net_fd(&net_state),
                               (short)(rc == PKIOT_WANT_READ ? POLLIN : POLLOUT), 0};
            if (p.fd >= 0) {
                poll(&p, 1, 200);
            } else {
                poll(NULL, 0, 10);
            }
        } else if (rc == PKIOT_SLEEP) {
            uint32_t wait = pkiot_wake_at(&ctx) - now_ms();
            if (pkiot_phase(&ctx) == PKIOT_PHASE_WAIT && !opt.wait) {
                int64_t at = pkiot_wake_unix(&ctx);
                char when[32];
                time_text(at, when);
                fprintf(stderr, "pkiot-enroll: server asked to retry later\n");
                printf("sleep until %s (%lld)\n", when, (long long)at);
                pkiot_abort(&ctx);
                return EXIT_TEMPFAIL;
            }
            if ((int32_t)wait > 0) {
                char line[96];
                snprintf(line, sizeof line, "%s: waiting %u ms",
                         pkiot_phase(&ctx) == PKIOT_PHASE_WAIT ? "server asked for time"
                                                               : pkiot_strerror(pkiot_last_error(&ctx)),
                         (unsigned)wait);
                progress(NULL, line);
                poll(NULL, 0, (int)wait);
            }
        }
    }
    if (rc != PKIOT_DONE) {
        const char *st = pkiot_server_text(&ctx);
        int http = pkiot_http_status(&ctx);
        fprintf(stderr, "pkiot-enroll: failed: %s (%s)", pkiot_strerror(rc),
                pkiot_strerror_name(rc));
        if (rc == PKIOT_E_TLS_VERIFY || rc == PKIOT_E_TLS_HANDSHAKE) {
            char detail[160];
            pkiot_tls_last_error_text(&tls_state, detail, sizeof detail);
            fprintf(stderr, ": %s", detail);
        }
        if (http != 0) {
            fprintf(stderr, "; HTTP %d", http);
        }
        if (st[0] != '\0') {
            fprintf(stderr, "; server says: %s", st);
        }
        fputc('\n', stderr);
        return exit_code_for(rc);
    }

    if (op == PKIOT_OP_CACERTS) {
        pkiot_slice_t ca = pkiot_result_ca_certs(&ctx);
        const char *dst = opt.chain_out != NULL ? opt.chain_out : opt.out;
        if (dst != NULL && write_pem_bundle(dst, ca.p, ca.len) != 0) {
            return EXIT_CANTCREAT;
        }
        progress(NULL, "CA certificates written");
        pkiot_forget(&ctx);
        return 0;
    }
    pkiot_slice_t cert = pkiot_result_cert(&ctx);
    if (cert.len == 0 || opt.out == NULL) {
        fprintf(stderr, "pkiot-enroll: no certificate to write\n");
        return EXIT_SOFTWARE;
    }
    if (write_pem(opt.out, "CERTIFICATE", cert.p, cert.len, 0644) != 0) {
        return EXIT_CANTCREAT;
    }
    if (opt.chain_out != NULL) {
        pkiot_slice_t ca = pkiot_result_ca_certs(&ctx);
        if (ca.len > 0 && write_pem_bundle(opt.chain_out, ca.p, ca.len) != 0) {
            return EXIT_CANTCREAT;
        }
    }
    const pkiot_key_ref_t *result_key = pkiot_result_key(&ctx);
    if (opt.key_out != NULL && result_key != NULL && pkiot_mbedtls_key_is_psa(result_key)) {
        /* The private key never leaves the PSA key store: report where it lives instead. */
        fprintf(stderr, "pkiot-enroll: device key kept in the PSA key store, id 0x%02X%02X%02X%02X;"
                        " %s not written\n",
                result_key->data[0], result_key->data[1], result_key->data[2],
                result_key->data[3], opt.key_out);
    } else if (opt.key_out != NULL) {
        static uint8_t pk[PKIOT_KEY_REF_MAX + 64];
        size_t pl = 0;
        rc = result_key != NULL
                 ? crypto.key_export_private(crypto.ctx, result_key, pk, sizeof pk, &pl)
                 : PKIOT_E_STATE;
        if (rc == PKIOT_OK) {
            rc = write_pem(opt.key_out, "PRIVATE KEY", pk, pl, 0600) == 0 ? PKIOT_OK
                                                                          : PKIOT_E_STORAGE_IO;
        }
        memset(pk, 0, sizeof pk);
        if (rc != PKIOT_OK) {
            fprintf(stderr, "pkiot-enroll: cannot write the key to %s: %s\n", opt.key_out,
                    pkiot_strerror(rc));
            return EXIT_CANTCREAT;
        }
    }
    print_summary(cert);
    progress(NULL, "done");
    /* Installed: the checkpoint (which may hold the private key) is no longer needed. */
    pkiot_forget(&ctx);
    pkiot_mbedtls_crypto_free(&crypto_state);
    return 0;
}
