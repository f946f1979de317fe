/* Error strings and the few helpers every module shares. */
#include "pkiot/common.h"

#include <string.h>

const char *pkiot_strerror(int code)
{
    switch (code) {
    case PKIOT_OK: return "success";
    case PKIOT_WANT_READ: return "waiting for the transport to become readable";
    case PKIOT_WANT_WRITE: return "waiting for the transport to become writable";
    case PKIOT_WANT_CRYPTO: return "crypto operation in progress";
    case PKIOT_SLEEP: return "waiting: state saved, call again at the wake time";
    case PKIOT_DONE: return "done";
#define PKIOT_ERR_MSG_(name, value, msg) case (value): return (msg);
    PKIOT_ERROR_LIST(PKIOT_ERR_MSG_)
#undef PKIOT_ERR_MSG_
    default: return "unknown error";
    }
}

const char *pkiot_strerror_name(int code)
{
    switch (code) {
    case PKIOT_OK: return "PKIOT_OK";
    case PKIOT_WANT_READ: return "PKIOT_WANT_READ";
    case PKIOT_WANT_WRITE: return "PKIOT_WANT_WRITE";
    case PKIOT_WANT_CRYPTO: return "PKIOT_WANT_CRYPTO";
    case PKIOT_SLEEP: return "PKIOT_SLEEP";
    case PKIOT_DONE: return "PKIOT_DONE";
#define PKIOT_ERR_NAME_(name, value, msg) case (value): return #name;
    PKIOT_ERROR_LIST(PKIOT_ERR_NAME_)
#undef PKIOT_ERR_NAME_
    default: return "PKIOT_E_UNKNOWN";
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
