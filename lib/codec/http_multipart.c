/* multipart/mixed reader (RFC 2046 §5.1) over a complete body. */
#include "pkiot/http.h"

/* Only EST /serverkeygen answers in multipart/mixed (PKIOT_EST_SERVERKEYGEN). */
#if PKIOT_EST_SERVERKEYGEN

#include <string.h>

enum { MP_START = 0, MP_PART, MP_DONE, MP_ERROR };

static int bchar(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return 1;
    }
    switch (c) {
    case '\'': case '(': case ')': case '+': case '_': case ',': case '-': case '.':
    case '/': case ':': case '=': case '?': case ' ':
        return 1;
    default:
        return 0;
    }
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int ci_eq(const uint8_t *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || lower(a[i]) != lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return b[i] == '\0';
}

int pkiot_multipart_init(pkiot_multipart_t *mp, const uint8_t *body, size_t len,
                         const char *boundary, size_t boundary_len)
{
    size_t i;
    if (mp == NULL || boundary == NULL || (body == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(mp, 0, sizeof *mp);
    mp->state = MP_ERROR;
    if (boundary_len == 0 || boundary_len > PKIOT_HTTP_BOUNDARY_MAX ||
        boundary[boundary_len - 1] == ' ') {
        return PKIOT_E_HTTP_MULTIPART;
    }
    for (i = 0; i < boundary_len; i++) {
        if (!bchar((unsigned char)boundary[i])) {
            return PKIOT_E_HTTP_MULTIPART;
        }
    }
    memcpy(mp->boundary, boundary, boundary_len);
    mp->boundary[boundary_len] = '\0';
    mp->blen = (uint8_t)boundary_len;
    mp->p = body;
    mp->end = body + len;
    mp->state = MP_START;
    return PKIOT_OK;
}

/*
 * Is there a delimiter line "--boundary" at q (which starts a line)? On success *after points
 * past the delimiter line and *close says whether it was the close delimiter.
 * Returns 1 for a delimiter, 0 for ordinary content, -1 for a delimiter cut short.
 */
static int delim_at(const pkiot_multipart_t *mp, const uint8_t *q, const uint8_t **after,
                    int *close)
{
    const uint8_t *end = mp->end;
    size_t need = 2u + mp->blen;
    if ((size_t)(end - q) < need) {
        return 0;
    }
    if (q[0] != '-' || q[1] != '-' || memcmp(q + 2, mp->boundary, mp->blen) != 0) {
        return 0;
    }
    q += need;
    if ((size_t)(end - q) >= 2 && q[0] == '-' && q[1] == '-') {
        *close = 1;
        *after = end; /* the epilogue is ignored */
        return 1;
    }
    while (q < end && (*q == ' ' || *q == '\t')) {
        q++; /* transport padding */
    }
    if (q < end && *q == '\r') {
        q++;
    }
    if (q >= end) {
        return -1;
    }
    if (*q != '\n') {
        return 0; /* a longer string that merely starts with the boundary */
    }
    *close = 0;
    *after = q + 1;
    return 1;
}

/*
 * Find the next delimiter at or after `from`; `first` also accepts one at the very start of
 * the body. *line_start receives where the delimiter's line break begins (the content end).
 */
static int find_delim(const pkiot_multipart_t *mp, const uint8_t *from, const uint8_t *floor_,
                      int first, const uint8_t **line_start, const uint8_t **after, int *close)
{
    const uint8_t *q = from;
    while (q < mp->end) {
        const uint8_t *hit = (const uint8_t *)memchr(q, '-', (size_t)(mp->end - q));
        if (hit == NULL) {
            return 0;
        }
        if ((first && hit == from) || (hit > floor_ && hit[-1] == '\n')) {
            int rc = delim_at(mp, hit, after, close);
            if (rc < 0) {
                return -1;
            }
            if (rc > 0) {
                const uint8_t *ls = hit;
                if (ls > floor_ && ls[-1] == '\n') {
                    ls--;
                    if (ls > floor_ && ls[-1] == '\r') {
                        ls--;
                    }
                }
                *line_start = ls;
                return 1;
            }
        }
        q = hit + 1;
    }
    return 0;
}

static int mp_fail(pkiot_multipart_t *mp)
{
    mp->state = MP_ERROR;
    return PKIOT_E_HTTP_MULTIPART;
}

/* Trimmed slice of a header value. */
static pkiot_slice_t value_slice(const uint8_t *v, const uint8_t *e)
{
    pkiot_slice_t s;
    while (v < e && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    s.p = v;
    s.len = (size_t)(e - v);
    return s;
}

int pkiot_multipart_next(pkiot_multipart_t *mp, pkiot_multipart_part_t *part)
{
    const uint8_t *ls, *after, *p, *hdr_start, *content;
    int close = 0, rc;

    if (mp == NULL || part == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(part, 0, sizeof *part);
    if (mp->state == MP_DONE) {
        return PKIOT_DONE;
    }
    if (mp->state == MP_ERROR) {
        return PKIOT_E_HTTP_MULTIPART;
    }
    if (mp->state == MP_START) {
        rc = find_delim(mp, mp->p, mp->p, 1, &ls, &after, &close);
        if (rc <= 0 || close) {
            return mp_fail(mp); /* no delimiter, or no body part at all */
        }
        mp->p = after;
        mp->state = MP_PART;
    }

    /* Part header lines, up to the empty line. */
    p = hdr_start = mp->p;
    for (;;) {
        const uint8_t *nl = (const uint8_t *)memchr(p, '\n', (size_t)(mp->end - p));
        const uint8_t *le, *colon;
        if (nl == NULL) {
            return mp_fail(mp);
        }
        le = nl;
        if (le > p && le[-1] == '\r') {
            le--;
        }
        if (le == p) {
            part->headers.p = hdr_start;
            part->headers.len = (size_t)(p - hdr_start);
            content = nl + 1;
            break;
        }
        if (*p == ' ' || *p == '\t') {
            return mp_fail(mp); /* folded header line */
        }
        colon = (const uint8_t *)memchr(p, ':', (size_t)(le - p));
        if (colon == NULL || colon == p) {
            return mp_fail(mp);
        }
        {
            const uint8_t *c;
            for (c = p; c < colon; c++) {
                if (*c <= ' ' || *c >= 0x7F) {
                    return mp_fail(mp);
                }
            }
            for (c = colon + 1; c < le; c++) {
                if ((*c < 0x20 && *c != '\t') || *c == 0x7F) {
                    return mp_fail(mp);
                }
            }
        }
        if (ci_eq(p, (size_t)(colon - p), "content-type")) {
            part->content_type = value_slice(colon + 1, le);
        } else if (ci_eq(p, (size_t)(colon - p), "content-transfer-encoding")) {
            part->cte = value_slice(colon + 1, le);
        }
        p = nl + 1;
    }

    /* The empty line's LF may double as the delimiter's line break when content is empty. */
    rc = find_delim(mp, content, content - 1, 0, &ls, &after, &close);
    if (rc <= 0) {
        return mp_fail(mp);
    }
    if (ls < content) {
        ls = content;
    }
    part->content.p = content;
    part->content.len = (size_t)(ls - content);
    mp->p = after;
    mp->state = close ? MP_DONE : MP_PART;
    return PKIOT_OK;
}

#endif /* PKIOT_EST_SERVERKEYGEN */
