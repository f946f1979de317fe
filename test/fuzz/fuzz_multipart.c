/*
 * libFuzzer target for the multipart/mixed reader.
 *
 * Input: the boundary, a LF, then the body (so seeds stay readable). Every part's slices
 * must lie inside the body, and parsing must end in PKIOT_DONE or a sticky error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/http.h"

static int inside(pkiot_slice_t s, const uint8_t *b, size_t len)
{
    return s.len == 0 || (s.p >= b && s.len <= len && s.p + s.len <= b + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
    pkiot_multipart_t mp;
    pkiot_multipart_part_t part;
    const uint8_t *body;
    size_t blen, len;
    int rc, parts = 0;

    if (nl == NULL) {
        return 0;
    }
    blen = (size_t)(nl - data);
    body = nl + 1;
    len = size - blen - 1;
    if (pkiot_multipart_init(&mp, body, len, (const char *)data, blen) != PKIOT_OK) {
        return 0;
    }
    while ((rc = pkiot_multipart_next(&mp, &part)) == PKIOT_OK) {
        if (!inside(part.headers, body, len) || !inside(part.content, body, len) ||
            !inside(part.content_type, body, len) || !inside(part.cte, body, len)) {
            abort();
        }
        if (++parts > (int)len + 1) {
            abort(); /* every part consumes input */
        }
    }
    if (rc != PKIOT_DONE && rc != PKIOT_E_HTTP_MULTIPART) {
        abort();
    }
    if (pkiot_multipart_next(&mp, &part) != rc) {
        abort();
    }
    return 0;
}
