/**
 * @file url.h
 * @brief Parser for the server URLs pkiot talks to: `http://` and `https://` only.
 *
 * Accepted form: scheme "://" host [ ":" port ] [ path-abempty ] [ "?" query ] [ "#" frag ]
 * - scheme: "http" or "https", case-insensitive; default ports 80 and 443;
 * - host: a registered name (letters, digits, '-', '.', '_', '~') or an IPv6 literal in
 *   brackets (hex digits, ':' and '.' for an embedded IPv4; zone identifiers are rejected);
 *   an IPv4 literal is a registered name syntactically;
 * - port: 1 to 5 digits, 1..65535; an empty port ("host:") is rejected;
 * - userinfo ("user@host") is rejected: credentials never travel in URLs;
 * - path and query: visible ASCII without spaces or control characters; the fragment is
 *   dropped (it is never sent to a server).
 * Nothing is allocated; pkiot_url_split() gives slices into the input, pkiot_url_parse()
 * bounded NUL-terminated copies ready for the transport port and the request writer.
 */
#ifndef PKIOT_URL_H
#define PKIOT_URL_H

#include "pkiot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest host kept by pkiot_url_parse() (DNS names are at most 253 characters). */
#ifndef PKIOT_URL_HOST_MAX
#define PKIOT_URL_HOST_MAX 128
#endif
/** Longest request-target (path + "?" + query) kept by pkiot_url_parse(). */
#ifndef PKIOT_URL_PATH_MAX
#define PKIOT_URL_PATH_MAX 256
#endif

/** Parts of a URL as views into the input string. */
typedef struct pkiot_url_parts {
    int tls;             /**< 1 for https, 0 for http */
    uint16_t port;       /**< explicit port, or the scheme's default */
    int port_explicit;   /**< 1 when the URL carried a port */
    int ipv6;            /**< 1 when host was a bracketed IPv6 literal */
    pkiot_slice_t host;  /**< host without brackets */
    pkiot_slice_t path;  /**< path, len 0 when absent (means "/") */
    pkiot_slice_t query; /**< query without the '?', p NULL when there was no '?' */
} pkiot_url_parts_t;

/** A parsed URL with its own bounded copies. */
typedef struct pkiot_url {
    int tls;                              /**< 1 for https, 0 for http */
    uint16_t port;                        /**< explicit port, or 443 / 80 */
    int ipv6;                             /**< host is an IPv6 literal (no brackets here) */
    char host[PKIOT_URL_HOST_MAX + 1];    /**< NUL-terminated host, without brackets */
    char target[PKIOT_URL_PATH_MAX + 1];  /**< NUL-terminated request-target: path ("/" when
                                               empty) followed by "?query" when present */
} pkiot_url_t;

/**
 * @brief Split @p len bytes at @p url into parts (no copies).
 * @return PKIOT_OK, PKIOT_E_HTTP_URL (not http/https, userinfo, bad host, bad or zero port,
 *         illegal characters), PKIOT_E_INVALID_ARG.
 */
int pkiot_url_split(const char *url, size_t len, pkiot_url_parts_t *parts);

/**
 * @brief Parse @p len bytes at @p url into @p out (bounded copies, NUL-terminated).
 * @return as pkiot_url_split(), plus PKIOT_E_BUFFER_TOO_SMALL when the host exceeds
 *         PKIOT_URL_HOST_MAX or path + query exceed PKIOT_URL_PATH_MAX. On error @p out holds
 *         empty strings.
 */
int pkiot_url_parse(const char *url, size_t len, pkiot_url_t *out);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_URL_H */
