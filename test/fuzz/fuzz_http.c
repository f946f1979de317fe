/*
 * libFuzzer target for the HTTP/1.1 response parser.
 *
 * Input: the raw bytes a server sent (so captured responses are seeds as they are). Options
 * derive from a hash of the input length: response to HEAD, streaming body callback,
 * read-to-close leniency, body buffer size. The same bytes are parsed once in one piece and
 * once in pieces of 1..67 bytes whose sizes derive from the input; both runs must agree
 * exactly. Bytes left after a complete response are parsed as the next response on the same
 * connection, as a client would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/http.h"

#define MAX_RESPONSES 4

static uint8_t body_a[4096];
static uint8_t body_b[4096];
static pkiot_http_resp_t ra;
static pkiot_http_resp_t rb;

typedef struct sink {
    uint8_t *buf;
    size_t cap;
    size_t len;
} sink_t;

static int sink_cb(void *arg, const uint8_t *d, size_t n)
{
    sink_t *s = arg;
    if (n > s->cap - s->len) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(s->buf + s->len, d, n);
    s->len += n;
    return PKIOT_OK;
}

typedef struct run {
    int rc;
    size_t used;
} run_t;

/* Parse one response from d; step_seed 0 means "all at once". */
static run_t parse_one(pkiot_http_resp_t *r, uint8_t *body, size_t cap, unsigned opts,
                       sink_t *sink, const uint8_t *d, size_t len, uint32_t step_seed)
{
    run_t res = {PKIOT_WANT_READ, 0};
    uint32_t x = step_seed;
    if (pkiot_http_resp_init(r, body, cap, opts & 0xFFu) != PKIOT_OK) {
        abort();
    }
    if (opts & 0x100u) {
        sink->buf = body;
        sink->cap = cap;
        sink->len = 0;
        pkiot_http_resp_set_body_cb(r, sink_cb, sink);
    }
    while (res.used < len) {
        size_t n = len - res.used, used = 0;
        if (step_seed != 0) {
            x = x * 1103515245u + 12345u;
            size_t step = 1u + ((x >> 16) % 67u);
            if (n > step) {
                n = step;
            }
        }
        res.rc = pkiot_http_resp_feed(r, d + res.used, n, &used);
        if (used > n) {
            abort();
        }
        res.used += used;
        if (res.rc != PKIOT_WANT_READ) {
            break;
        }
        if (used != n) {
            abort();
        }
    }
    if (res.rc == PKIOT_WANT_READ) {
        res.rc = pkiot_http_resp_finish(r);
    }
    if (r->body_len > cap) {
        abort();
    }
    return res;
}

static void exercise_accessors(const pkiot_http_resp_t *r)
{
    pkiot_slice_t v;
    char buf[PKIOT_HTTP_BOUNDARY_MAX + 1];
    size_t n;
    uint32_t secs;
    for (int f = 0; f < PKIOT_HTTP_F_COUNT; f++) {
        if (pkiot_http_resp_field(r, (pkiot_http_field_t)f, &v) == PKIOT_OK) {
            if (v.len > PKIOT_HTTP_STORE_SIZE ||
                (v.len > 0 && (v.p < (const uint8_t *)r->store ||
                               v.p + v.len > (const uint8_t *)r->store + PKIOT_HTTP_STORE_SIZE))) {
                abort();
            }
        }
    }
    if (pkiot_http_resp_field(r, PKIOT_HTTP_F_CONTENT_TYPE, &v) == PKIOT_OK) {
        (void)pkiot_http_media_type_is(v, "multipart/mixed");
        if (pkiot_http_media_param(v, "boundary", buf, sizeof buf, &n) == PKIOT_OK &&
            (n >= sizeof buf || buf[n] != '\0')) {
            abort();
        }
        (void)pkiot_http_media_param(v, "charset", buf, 4, &n);
    }
    if (pkiot_http_resp_field(r, PKIOT_HTTP_F_RETRY_AFTER, &v) == PKIOT_OK) {
        (void)pkiot_http_retry_after_delta(v, &secs);
    }
    static const char *const rels[] = {"up", "index", "alternate"};
    for (size_t i = 0; i < 3; i++) {
        for (size_t k = 0; k < 3; k++) {
            (void)pkiot_http_resp_link(r, rels[i], k, &v);
        }
    }
    if (strlen(r->reason) > PKIOT_HTTP_REASON_MAX) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {16, 512, sizeof body_a, sizeof body_a};
    sink_t sa, sb;
    unsigned opts = 0;
    uint32_t h = (uint32_t)size * 2654435761u;
    uint32_t seed;
    size_t cap;
    if (size == 0) {
        return 0;
    }
    if ((h >> 29) == 0) {
        opts |= PKIOT_HTTP_RESP_HEAD;
    }
    if ((h >> 28) & 1u) {
        opts |= 0x100u; /* streaming callback */
    }
    if ((h >> 27) & 1u) {
        opts |= PKIOT_HTTP_RESP_READ_TO_CLOSE;
    }
    cap = ((h >> 20) & 0x3Fu) == 0 ? 0 : caps[(h >> 25) & 3u];
    seed = h ^ data[0] ^ ((uint32_t)data[size - 1] << 8) ^ 0x10000u;

    for (int i = 0; i < MAX_RESPONSES && size > 0; i++) {
        run_t a = parse_one(&ra, body_a, cap, opts, &sa, data, size, 0);
        run_t b = parse_one(&rb, body_b, cap, opts, &sb, data, size, seed + (uint32_t)i);
        /* Chunking must not change the outcome. */
        if (a.rc != b.rc) {
            abort();
        }
        if (a.rc == PKIOT_DONE) {
            if (a.used != b.used || ra.status != rb.status || ra.body_len != rb.body_len ||
                ra.keep_alive != rb.keep_alive || memcmp(body_a, body_b, ra.body_len) != 0 ||
                strcmp(ra.reason, rb.reason) != 0 || !pkiot_http_resp_headers_done(&ra)) {
                abort();
            }
            exercise_accessors(&ra);
        }
        if (a.rc != PKIOT_DONE || a.used == 0) {
            break;
        }
        data += a.used;
        size -= a.used;
    }
    return 0;
}
