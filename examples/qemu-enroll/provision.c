/*
 * EMULATOR-ONLY provisioning: the firmware learns its server, trust anchor, credentials and
 * identity from QEMU's `-append "key=value ..."` (semihosting SYS_GET_CMDLINE) and reads the
 * trust anchor from a host file (semihosting file calls). A real device has all of this in
 * flash, written at manufacturing: replace qe_args_parse()/qe_trust_load() by reads of that
 * provisioning record. Values may contain %XX escapes (e.g. %20 for a space).
 *
 * Also the table of enrollment protocols: adding CMP, ACME or SCEP is one entry with its
 * configure function, selected with protocol=.
 */
#include <string.h>

#include "pkiot/pem.h"
#include "qe.h"

qe_args_t qe_args;

/* ---- protocols ------------------------------------------------------------------------ */

static int est_configure(pkiot_config_t *cfg, const qe_args_t *a)
{
    cfg->est.label = a->label[0] != '\0' ? a->label : NULL;
    cfg->est.fetch_cacerts = a->cacerts != 0;
    return 0;
}

static const qe_protocol_t k_protocols[] = {
#if PKIOT_EST
    {"est", PKIOT_PROTO_EST, "https", 8443, est_configure},
#endif
    /* e.g. {"cmp", PKIOT_PROTO_CMP, "http", 80, cmp_configure}, once lib/cmp is built in */
};

const qe_protocol_t *qe_protocol_find(const char *name)
{
    for (size_t i = 0; i < sizeof k_protocols / sizeof k_protocols[0]; i++) {
        if (strcmp(k_protocols[i].name, name) == 0) {
            return &k_protocols[i];
        }
    }
    board_printf("provision: protocol \"%s\" is not built in; available:", name);
    for (size_t i = 0; i < sizeof k_protocols / sizeof k_protocols[0]; i++) {
        board_printf(" %s", k_protocols[i].name);
    }
    board_printf("\n");
    return NULL;
}

/* ---- arguments ------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copies a value, decoding %XX. @return 0, or -1 when it does not fit. */
static int copy_val(char *dst, size_t cap, const char *v, size_t vl)
{
    size_t o = 0;
    for (size_t i = 0; i < vl; i++) {
        char c = v[i];
        if (c == '%' && i + 2 < vl && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
            c = (char)(hexval(v[i + 1]) << 4 | hexval(v[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap) {
            return -1;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    return 0;
}

static int parse_u32(const char *v, size_t vl, uint32_t *out)
{
    uint32_t x = 0;
    if (vl == 0) {
        return -1;
    }
    for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9' || x > 429496728u) {
            return -1;
        }
        x = x * 10u + (uint32_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

typedef struct arg_text {
    const char *key;
    char *dst;
    size_t cap;
} arg_text_t;

typedef struct arg_num {
    const char *key;
    uint32_t *dst;
} arg_num_t;

static int set_arg(const char *k, size_t kl, const char *v, size_t vl)
{
    const arg_text_t texts[] = {
        {"protocol", qe_args.protocol, sizeof qe_args.protocol},
        {"host", qe_args.host, sizeof qe_args.host},
        {"ca", qe_args.ca, sizeof qe_args.ca},
        {"flash", qe_args.flash, sizeof qe_args.flash},
        {"user", qe_args.user, sizeof qe_args.user},
        {"subject", qe_args.subject, sizeof qe_args.subject},
        {"san", qe_args.san, sizeof qe_args.san},
        {"label", qe_args.label, sizeof qe_args.label},
        {"key", qe_args.key, sizeof qe_args.key},
#if PKIOT_BENCH
        {"fixed_sync", qe_args.fixed_sync, sizeof qe_args.fixed_sync},
#endif
    };
    const arg_num_t nums[] = {
        {"port", &qe_args.port},
        {"timeout", &qe_args.timeout_s},
        {"io_timeout_ms", &qe_args.io_timeout_ms},
        {"attempts", &qe_args.attempts},
        {"backoff_ms", &qe_args.backoff_ms},
        {"cacerts", &qe_args.cacerts},
        {"reenroll", &qe_args.reenroll},
        {"rekey", &qe_args.rekey},
        {"linkdown_ms", &qe_args.linkdown_ms},
        {"max_sleep_ms", &qe_args.max_sleep_ms},
        {"hold_ms", &qe_args.hold_ms},
#if PKIOT_BENCH
        /* bench builds only: a plain image rejects these as unknown */
        {"fixed", &qe_args.fixed_time},
        {"fixed_quiet_ms", &qe_args.fixed_quiet_ms},
        {"fixed_trace", &qe_args.fixed_trace},
#endif
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (strlen(texts[i].key) == kl && memcmp(texts[i].key, k, kl) == 0) {
            return copy_val(texts[i].dst, texts[i].cap, v, vl);
        }
    }
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strlen(nums[i].key) == kl && memcmp(nums[i].key, k, kl) == 0) {
            return parse_u32(v, vl, nums[i].dst);
        }
    }
    if (kl == 9 && memcmp(k, "flash_cut", 9) == 0) {
        /* flash_cut=K:B (after B byte writes) or K:-B (B byte writes before the end) */
        const char *colon = memchr(v, ':', vl);
        if (colon == NULL || parse_u32(v, (size_t)(colon - v), &qe_args.flash_cut_save) != 0) {
            return -1;
        }
        const char *b = colon + 1;
        size_t bl = vl - (size_t)(colon - v) - 1;
        if (bl > 0 && b[0] == '-') {
            return parse_u32(b + 1, bl - 1, &qe_args.flash_cut_back) == 0 &&
                           qe_args.flash_cut_back > 0
                       ? 0
                       : -1;
        }
        return parse_u32(b, bl, &qe_args.flash_cut_bytes);
    }
    return -2;
}

int qe_args_parse(void)
{
    static char line[1024];
    memset(&qe_args, 0, sizeof qe_args);
    strcpy(qe_args.protocol, "est");
    strcpy(qe_args.host, "10.0.2.2");
    strcpy(qe_args.subject, "CN=qemu-device");
    strcpy(qe_args.key, "p256");
    qe_args.timeout_s = 300u;
    qe_args.io_timeout_ms = 30000u;
    qe_args.attempts = 8;
    qe_args.reenroll = 1;
    qe_args.fixed_quiet_ms = 50u;
    if (board_cmdline(line, sizeof line) != 0) {
        board_printf("provision: no command line (QEMU -append) or longer than %u bytes\n",
                     (unsigned)sizeof line - 1);
        return -1;
    }
    /* Words without '=' (QEMU puts the image file name first) are not arguments. */
    for (const char *p = line; *p != '\0';) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
        }
        const char *w = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            p++;
        }
        size_t wl = (size_t)(p - w);
        const char *eq = wl > 0 ? memchr(w, '=', wl) : NULL;
        if (eq == NULL) {
            continue;
        }
        size_t kl = (size_t)(eq - w);
        int rc = set_arg(w, kl, eq + 1, wl - kl - 1);
        if (rc != 0) {
            board_printf("provision: %s argument \"%.*s\"\n", rc == -2 ? "unknown" : "bad",
                         (int)wl, w);
            return -1;
        }
    }
    const qe_protocol_t *proto = qe_protocol_find(qe_args.protocol);
    if (proto == NULL) {
        return -1;
    }
    if (qe_args.port == 0) {
        qe_args.port = proto->default_port;
    }
    if (qe_args.port > 65535u || qe_args.timeout_s == 0 || qe_args.timeout_s > 86400u) {
        board_printf("provision: port= or timeout= out of range\n");
        return -1;
    }
    if (qe_args.fixed_time != 0 && (qe_args.linkdown_ms != 0 || qe_args.fixed_quiet_ms == 0 ||
                                     qe_args.fixed_quiet_ms > 10000u)) {
        /* The fixed-input main loop has no simulated cable; a wait needs some quiet. */
        board_printf("provision: fixed= needs fixed_quiet_ms= 1..10000 and no linkdown_ms=\n");
        return -1;
    }
    if (qe_args.ca[0] == '\0' || qe_args.flash[0] == '\0') {
        board_printf("provision: ca=<PEM trust anchor file> and flash=<flash image file> are "
                     "required\n");
        return -1;
    }
    return 0;
}

/* ---- trust anchor --------------------------------------------------------------------- */

int qe_trust_load(uint8_t *der, size_t cap, size_t *len)
{
    static char pem[8192];
    size_t plen = 0;
    int rc = board_file_read(qe_args.ca, (uint8_t *)pem, sizeof pem - 1, &plen);
    if (rc != 0) {
        board_printf("provision: cannot read the trust anchor %s%s\n", qe_args.ca,
                     rc == -2 ? " (too large)" : "");
        return -1;
    }
    rc = pkiot_pem_decode_all(pem, plen, "CERTIFICATE", der, cap, len);
    if (rc == PKIOT_E_PEM_NO_BEGIN) {
        board_printf("provision: %s holds no PEM certificate\n", qe_args.ca);
        return -1;
    }
    if (rc != PKIOT_OK) {
        board_printf("provision: %s: %s\n", qe_args.ca, pkiot_strerror(rc));
        return -1;
    }
    return 0;
}
