/*
 * libFuzzer target for the JSON reader and escaper.
 *
 * Input: a JSON document. When it parses, the whole tree is walked through the iterators,
 * every member is looked up again by key and every element by index, every string is
 * unescaped, and a few JSON Pointers are followed. Independently, the input is escaped into a
 * JSON string and read back, which must give the input again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/json.h"

static char sbuf[8192];
static char ebuf[6 * 4096 + 2];

static void walk(const pkiot_json_t *v, int depth)
{
    pkiot_json_iter_t it;
    pkiot_json_t k, e, again;
    size_t n, idx = 0, count = 0;
    int64_t i64;
    int b;
    if (depth > PKIOT_JSON_MAX_DEPTH + 1) {
        abort();
    }
    switch (v->type) {
    case PKIOT_JSON_OBJECT:
    case PKIOT_JSON_ARRAY:
        if (pkiot_json_iter_init(&it, v) != PKIOT_OK) {
            abort();
        }
        while (pkiot_json_iter_next(&it, &k, &e) == PKIOT_OK) {
            if (e.p < v->p || e.p + e.len > v->p + v->len) {
                abort();
            }
            if (v->type == PKIOT_JSON_OBJECT) {
                int rc = pkiot_json_string(&k, sbuf, sizeof sbuf, &n);
                if (rc == PKIOT_OK && strlen(sbuf) == n) {
                    /* first member with this name: must be at or before this one */
                    if (pkiot_json_get(v, sbuf, &again) != PKIOT_OK || again.p > e.p) {
                        abort();
                    }
                } else if (rc != PKIOT_OK && rc != PKIOT_E_BUFFER_TOO_SMALL) {
                    abort();
                }
            } else {
                if (pkiot_json_at(v, idx, &again) != PKIOT_OK || again.p != e.p ||
                    again.len != e.len) {
                    abort();
                }
            }
            idx++;
            walk(&e, depth + 1);
        }
        if (pkiot_json_count(v, &count) != PKIOT_OK || count != idx) {
            abort();
        }
        break;
    case PKIOT_JSON_STRING: {
        int rc = pkiot_json_string(v, sbuf, sizeof sbuf, &n);
        if (rc == PKIOT_OK) {
            if (sbuf[n] != '\0') {
                abort();
            }
            if (strlen(sbuf) == n && !pkiot_json_string_eq(v, sbuf)) {
                abort();
            }
        } else if (rc != PKIOT_E_BUFFER_TOO_SMALL) {
            abort(); /* the parser validated every escape */
        }
        break;
    }
    case PKIOT_JSON_NUMBER:
        (void)pkiot_json_int(v, &i64);
        break;
    case PKIOT_JSON_TRUE:
    case PKIOT_JSON_FALSE:
        if (pkiot_json_bool(v, &b) != PKIOT_OK) {
            abort();
        }
        break;
    case PKIOT_JSON_NULL:
        if (!pkiot_json_is_null(v)) {
            abort();
        }
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkiot_json_t root, v;
    size_t n, m;
    static const char *const ptrs[] = {"", "/challenges/0/url", "/status", "/0", "/a~1b/~0",
                                       "/identifiers/1/value", "/detail"};

    if (pkiot_json_parse(data, size, &root) == PKIOT_OK) {
        walk(&root, 0);
        for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) {
            (void)pkiot_json_find(&root, ptrs[i], &v);
        }
    }

    /* Escape round trip for valid UTF-8 input (the reader rejects invalid UTF-8). */
    if (size <= 4096) {
        ebuf[0] = '"';
        if (pkiot_json_escape((const char *)data, size, ebuf + 1, sizeof ebuf - 2, &n) !=
            PKIOT_OK) {
            abort();
        }
        ebuf[n + 1] = '"';
        if (pkiot_json_parse((const uint8_t *)ebuf, n + 2, &root) == PKIOT_OK) {
            if (pkiot_json_string(&root, sbuf, sizeof sbuf, &m) != PKIOT_OK || m != size ||
                memcmp(sbuf, data, size) != 0) {
                abort();
            }
        }
    }
    return 0;
}
