/* http/https URL parser. */
#include "../core/core_int.h"
#include "pkiot/url.h"

#include <string.h>

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int prefix_ci(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit), i;
    if (len < n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (lower((unsigned char)s[i]) != lit[i]) {
            return 0;
        }
    }
    return 1;
}

/*
 * Path, query and fragment characters: visible ASCII, valid percent-escapes. Returns where
 * the span ends (at the first character of @p stops, or at @p end), NULL when a character
 * before it is not allowed.
 */
static const char *span(const char *p, const char *end, const char *stops)
{
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F) {
            return NULL;
        }
        if (strchr(stops, c) != NULL) {
            break;
        }
        if (c == '%') {
            if (end - p < 3 || pkiot_hex_value((unsigned char)p[1]) < 0 ||
                pkiot_hex_value((unsigned char)p[2]) < 0) {
                return NULL;
            }
            p += 3;
            continue;
        }
        p++;
    }
    return p;
}

int pkiot_url_split(const char *url, size_t len, pkiot_url_parts_t *parts)
{
    const char *p, *end, *auth_end, *h0, *h1, *path_end;
    if (parts != NULL) {
        memset(parts, 0, sizeof *parts);
    }
    if (url == NULL || parts == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    end = url + len;
    if (prefix_ci(url, len, "https://")) {
        parts->tls = 1;
        p = url + 8;
    } else if (prefix_ci(url, len, "http://")) {
        parts->tls = 0;
        p = url + 7;
    } else {
        return PKIOT_E_HTTP_URL;
    }
    auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') {
        auth_end++;
    }
    if (memchr(p, '@', (size_t)(auth_end - p)) != NULL) {
        return PKIOT_E_HTTP_URL; /* userinfo */
    }
    if (p < auth_end && *p == '[') {
        h0 = ++p;
        while (p < auth_end && *p != ']') {
            if (pkiot_hex_value((unsigned char)*p) < 0 && *p != ':' && *p != '.') {
                return PKIOT_E_HTTP_URL;
            }
            p++;
        }
        if (p >= auth_end || p == h0 || memchr(h0, ':', (size_t)(p - h0)) == NULL) {
            return PKIOT_E_HTTP_URL;
        }
        h1 = p++;
        parts->ipv6 = 1;
    } else {
        h0 = p;
        while (p < auth_end && *p != ':') {
            unsigned char c = (unsigned char)*p;
            if (!is_alnum(c) && c != '-' && c != '.' && c != '_' && c != '~') {
                return PKIOT_E_HTTP_URL;
            }
            p++;
        }
        h1 = p;
        if (h0 == h1) {
            return PKIOT_E_HTTP_URL;
        }
    }
    parts->port = parts->tls ? 443 : 80;
    if (p < auth_end) {
        uint32_t port = 0;
        const char *d0;
        if (*p != ':') {
            return PKIOT_E_HTTP_URL;
        }
        d0 = ++p;
        while (p < auth_end) {
            if (*p < '0' || *p > '9' || p - d0 >= 5) {
                return PKIOT_E_HTTP_URL;
            }
            port = port * 10u + (uint32_t)(*p - '0');
            p++;
        }
        if (p == d0 || port == 0 || port > 65535u) {
            return PKIOT_E_HTTP_URL;
        }
        parts->port = (uint16_t)port;
        parts->port_explicit = 1;
    }
    parts->host.p = (const uint8_t *)h0;
    parts->host.len = (size_t)(h1 - h0);

    path_end = span(auth_end, end, "?#");
    if (path_end == NULL) {
        return PKIOT_E_HTTP_URL;
    }
    parts->path.p = (const uint8_t *)auth_end;
    parts->path.len = (size_t)(path_end - auth_end);
    p = path_end;
    if (p < end && *p == '?') {
        const char *q0 = ++p;
        p = span(q0, end, "#");
        if (p == NULL) {
            return PKIOT_E_HTTP_URL;
        }
        parts->query.p = (const uint8_t *)q0;
        parts->query.len = (size_t)(p - q0);
    }
    /* '#': the fragment stays on the client, but holds no second '#' */
    if (p < end && span(p + 1, end, "#") != end) {
        return PKIOT_E_HTTP_URL;
    }
    return PKIOT_OK;
}

int pkiot_url_parse(const char *url, size_t len, pkiot_url_t *out)
{
    pkiot_url_parts_t parts;
    size_t n;
    int rc;
    if (out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    rc = pkiot_url_split(url, len, &parts);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (parts.host.len > PKIOT_URL_HOST_MAX) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    n = parts.path.len == 0 ? 1 : parts.path.len;
    if (parts.query.p != NULL) {
        n += 1 + parts.query.len;
    }
    if (n > PKIOT_URL_PATH_MAX) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(out->host, parts.host.p, parts.host.len);
    out->host[parts.host.len] = '\0';
    if (parts.path.len == 0) {
        out->target[0] = '/';
        n = 1;
    } else {
        memcpy(out->target, parts.path.p, parts.path.len);
        n = parts.path.len;
    }
    if (parts.query.p != NULL) {
        out->target[n++] = '?';
        memcpy(out->target + n, parts.query.p, parts.query.len);
        n += parts.query.len;
    }
    out->target[n] = '\0';
    out->tls = parts.tls;
    out->port = parts.port;
    out->ipv6 = parts.ipv6;
    return PKIOT_OK;
}
