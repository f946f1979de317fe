/* Error strings and the few helpers every module shares. */
#include "core_int.h"
#include "pkiot/common.h"
#include "pkiot/config.h"

#include <string.h>

#if PKIOT_ERROR_STRINGS
/* One table for names and messages: a lookup loop is smaller than two large switches. */
typedef struct pkiot_err_text {
    int16_t code;
    const char *name;
    const char *msg;
} pkiot_err_text_t;

static const pkiot_err_text_t err_texts[] = {
    {PKIOT_OK, "PKIOT_OK", "success"},
    {PKIOT_WANT_READ, "PKIOT_WANT_READ", "waiting for the transport to become readable"},
    {PKIOT_WANT_WRITE, "PKIOT_WANT_WRITE", "waiting for the transport to become writable"},
    {PKIOT_WANT_CRYPTO, "PKIOT_WANT_CRYPTO", "crypto operation in progress"},
    {PKIOT_SLEEP, "PKIOT_SLEEP", "waiting: state saved, call again at the wake time"},
    {PKIOT_DONE, "PKIOT_DONE", "done"},
#define PKIOT_ERR_TEXT_(name, value, msg) {(value), #name, (msg)},
    PKIOT_ERROR_LIST(PKIOT_ERR_TEXT_)
#undef PKIOT_ERR_TEXT_
};

static const pkiot_err_text_t *err_find(int code)
{
    for (size_t i = 0; i < sizeof err_texts / sizeof err_texts[0]; i++) {
        if (err_texts[i].code == code) {
            return &err_texts[i];
        }
    }
    return NULL;
}

const char *pkiot_strerror(int code)
{
    const pkiot_err_text_t *e = err_find(code);
    return e != NULL ? e->msg : "unknown error";
}

const char *pkiot_strerror_name(int code)
{
    const pkiot_err_text_t *e = err_find(code);
    return e != NULL ? e->name : "PKIOT_E_UNKNOWN";
}
#else
/* Built without texts (PKIOT_ERROR_STRINGS=0): the numeric code is the diagnosis. */
const char *pkiot_strerror(int code)
{
    return code < 0 ? "pkiot error (see the code in pkiot/common.h)" : "pkiot status";
}

const char *pkiot_strerror_name(int code)
{
    return code < 0 ? "PKIOT_E_?" : "PKIOT_?";
}
#endif

pkiot_error_class_t pkiot_error_class(int code)
{
    switch (code) {
    case PKIOT_E_HTTP_AUTH_REQUIRED:
        return PKIOT_ERRCLASS_AUTH;
    case PKIOT_E_SERVER_REJECTED:
        return PKIOT_ERRCLASS_REJECTED;
    case PKIOT_E_TLS_VERIFY:
    case PKIOT_E_CERT_UNTRUSTED:
    case PKIOT_E_CERT_EXPIRED:
    case PKIOT_E_CERT_BAD_SIGNATURE:
    case PKIOT_E_CERT_NOT_CA:
    case PKIOT_E_CERT_KEY_MISMATCH:
    case PKIOT_E_FINGERPRINT:
        return PKIOT_ERRCLASS_TRUST;
    case PKIOT_E_NET_DNS:
    case PKIOT_E_NET_CONNECT:
    case PKIOT_E_NET_IO:
    case PKIOT_E_NET_CLOSED:
    case PKIOT_E_TLS_HANDSHAKE:
    case PKIOT_E_TLS_ALERT:
    case PKIOT_E_TIMEOUT:
    case PKIOT_E_HTTP_TRUNCATED:
    case PKIOT_E_RETRY_EXHAUSTED:
    case PKIOT_E_HTTP_STATUS:
        return PKIOT_ERRCLASS_NETWORK;
    case PKIOT_E_STORAGE_IO:
    case PKIOT_E_CKPT_MAGIC:
    case PKIOT_E_CKPT_VERSION:
    case PKIOT_E_CKPT_CORRUPT:
    case PKIOT_E_CKPT_MISMATCH:
        return PKIOT_ERRCLASS_STORAGE;
    case PKIOT_E_X509_DN_SYNTAX:
    case PKIOT_E_X509_SAN_SYNTAX:
    case PKIOT_E_X509_UNKNOWN_ATTR:
    case PKIOT_E_HTTP_URL:
    case PKIOT_E_UNSUPPORTED:
    case PKIOT_E_CRYPTO_UNSUPPORTED:
    case PKIOT_E_TLS_CONFIG:
    case PKIOT_E_INVALID_ARG:
        return PKIOT_ERRCLASS_CONFIG;
    case PKIOT_E_INTERNAL:
    case PKIOT_E_STATE:
    case PKIOT_E_WORKSPACE_TOO_SMALL:
    case PKIOT_E_CRYPTO:
    case PKIOT_E_CRYPTO_RNG:
    case PKIOT_E_CRYPTO_KEY:
        return PKIOT_ERRCLASS_INTERNAL;
    default:
        return code >= 0 ? PKIOT_ERRCLASS_NONE : PKIOT_ERRCLASS_SERVER_DATA;
    }
}

size_t pkiot_hash_size(pkiot_hash_alg_t alg)
{
    switch (alg) {
    case PKIOT_HASH_SHA1: return 20;
    case PKIOT_HASH_SHA256: return 32;
    case PKIOT_HASH_SHA384: return 48;
    case PKIOT_HASH_SHA512: return 64;
    case PKIOT_HASH_NONE:
    default: return 0;
    }
}

int pkiot_ct_memcmp(const void *a, const void *b, size_t len)
{
    /* volatile keeps the compiler from turning the loop into an early-exit memcmp. */
    const volatile uint8_t *pa = (const volatile uint8_t *)a;
    const volatile uint8_t *pb = (const volatile uint8_t *)b;
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++) {
        diff = (uint8_t)(diff | (pa[i] ^ pb[i]));
    }
    return diff != 0;
}

void pkiot_zeroize(void *p, size_t len)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len-- > 0) {
        *v++ = 0;
    }
}

int pkiot_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20; /* ASCII letters: fold to lower case */
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}
