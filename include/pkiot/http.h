/**
 * @file http.h
 * @brief HTTP/1.1 client codec: request writer, push-style response parser, media-type
 *        helpers and a multipart/mixed (RFC 2046) reader. No I/O, no allocation.
 *
 * Request writer: pkiot_http_write_head() writes the request line and header block into a
 * caller buffer; the body is sent by the caller from its own buffer (or appended with
 * pkiot_http_write_request()). When the buffer is too small nothing usable is written,
 * PKIOT_E_BUFFER_TOO_SMALL is returned and `*out_len` holds the exact number of bytes needed.
 *
 * Response parser: a ::pkiot_http_resp_t fed with whatever the transport delivered, in chunks
 * of any size (down to one byte):
 * @code
 *   pkiot_http_resp_t rsp;                        // ~ PKIOT_HTTP_LINE_MAX + store size
 *   pkiot_http_resp_init(&rsp, rx, sizeof rx, 0);  // rx: caller's body buffer
 *   for (;;) {
 *       size_t used;
 *       rc = pkiot_http_resp_feed(&rsp, data, n, &used);
 *       if (rc == PKIOT_DONE) break;               // rsp.status, rsp.body/body_len valid
 *       if (rc < 0) fail(rc);
 *       // rc == PKIOT_WANT_READ: receive more; on orderly close call
 *       // pkiot_http_resp_finish(&rsp), which gives PKIOT_DONE or PKIOT_E_HTTP_TRUNCATED.
 *   }
 * @endcode
 * Bytes after the end of the response (`n - used` once PKIOT_DONE is returned) belong to the
 * next response on a persistent connection; rsp.keep_alive says whether the connection may be
 * reused at all.
 *
 * Header values the library needs (Content-Type, Location, Replay-Nonce, Retry-After, Link,
 * WWW-Authenticate, Content-Transfer-Encoding) are copied into a fixed store inside the
 * parser and read back with pkiot_http_resp_field() / pkiot_http_resp_link(); other headers
 * are validated and dropped. Location, Replay-Nonce and Link are kept only in builds with
 * PKIOT_ACME, the one protocol that reads them. Retry-After is kept raw: the delta-seconds
 * form can be read with pkiot_http_retry_after_delta(), the HTTP-date form is left to
 * pkiot/datetime.h.
 *
 * Sizes: the ::PKIOT_HTTP_* macros below may be overridden with -D or in the configuration
 * header (they are only read here, with #ifndef).
 */
#ifndef PKIOT_HTTP_H
#define PKIOT_HTTP_H

#include "pkiot/common.h"
#include "pkiot/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------------------------------- */
/* Sizes                                                                                     */
/* ----------------------------------------------------------------------------------------- */

/** Bytes of the header-value store inside ::pkiot_http_resp_t (kept header values). */
#ifndef PKIOT_HTTP_STORE_SIZE
#define PKIOT_HTTP_STORE_SIZE 768
#endif
/** Longest reason phrase kept (longer phrases are truncated; the copy is NUL-terminated). */
#ifndef PKIOT_HTTP_REASON_MAX
#define PKIOT_HTTP_REASON_MAX 40
#endif
/** Most header lines accepted in one response head (interim 1xx and trailers count too). */
#ifndef PKIOT_HTTP_MAX_HEADERS
#define PKIOT_HTTP_MAX_HEADERS 48
#endif
/** Most Link entries (link-values, RFC 8288) kept per response. */
#ifndef PKIOT_HTTP_LINKS_MAX
#define PKIOT_HTTP_LINKS_MAX 6
#endif
/** Most interim (1xx) responses skipped before the final response. */
#ifndef PKIOT_HTTP_MAX_INTERIM
#define PKIOT_HTTP_MAX_INTERIM 8
#endif
/** Longest multipart boundary (RFC 2046 §5.1.1). */
#define PKIOT_HTTP_BOUNDARY_MAX 70

#if PKIOT_HTTP_STORE_SIZE > 65535 || PKIOT_HTTP_LINE_MAX > 65535
#error "pkiot: PKIOT_HTTP_STORE_SIZE and PKIOT_HTTP_LINE_MAX must fit in 16 bits"
#endif
#if PKIOT_HTTP_LINKS_MAX < 1 || PKIOT_HTTP_LINKS_MAX > 255
#error "pkiot: PKIOT_HTTP_LINKS_MAX must be 1..255"
#endif

/* ----------------------------------------------------------------------------------------- */
/* Request writer                                                                            */
/* ----------------------------------------------------------------------------------------- */

/**
 * What to send. All strings are NUL-terminated and only read during the call; NULL means
 * "leave this header out". Strings must not contain CR or LF (PKIOT_E_INVALID_ARG).
 */
typedef struct pkiot_http_req {
    const char *method;        /**< "GET", "POST", "HEAD", ... (required) */
    const char *host;          /**< host name or address literal, IPv6 without brackets
                                    (required; brackets are added in the Host header) */
    uint16_t port;             /**< 0 or the scheme's default port: Host without port */
    int tls;                   /**< 1 for https (default port 443), 0 for http (80) */
    const char *target;        /**< request-target, e.g. "/.well-known/est" (required) */
    const char *target_suffix; /**< appended to target, e.g. "/simpleenroll"; may be NULL */
    const char *content_type;  /**< Content-Type value, e.g. "application/pkcs10" */
    const char *accept;        /**< Accept value */
    const char *user_agent;    /**< User-Agent value */
    const char *user;          /**< Basic auth user-id; with password, adds Authorization */
    const char *password;      /**< Basic auth password (secret: only read, never copied
                                    anywhere but the encoded header in the output) */
    const char *extra_headers; /**< complete header lines, each ending in CRLF; may be NULL */
    size_t body_len;           /**< body length announced in Content-Length */
    int keep_alive;            /**< 1: "Connection: keep-alive", 0: "Connection: close" */
} pkiot_http_req_t;

/**
 * @brief Write request line and header block (ending with the empty line) into @p buf.
 *
 * Content-Length is written when body_len > 0, when content_type is set, or when the method
 * is neither GET nor HEAD (so an empty POST says "Content-Length: 0").
 * The output holds the Basic credentials in clear (base64); zeroize @p buf after sending when
 * they matter. Temporary bytes of the credentials are zeroized before returning.
 *
 * @param req     request description (required)
 * @param buf     output buffer (may be NULL when @p cap is 0, to learn the size)
 * @param cap     size of @p buf
 * @param out_len bytes written; on PKIOT_E_BUFFER_TOO_SMALL the exact size needed
 * @return PKIOT_OK; PKIOT_E_BUFFER_TOO_SMALL (the first @p cap bytes may hold a partial
 *         head, credentials included: nothing to send, zeroize if it matters);
 *         PKIOT_E_INVALID_ARG (missing method/host/target, spaces or control characters in
 *         method/host/target, CR/LF or control characters in a header value, '/' or '@' in
 *         host, ':' in user, only one of user/password, extra_headers not CRLF-terminated
 *         lines). Nothing is written on PKIOT_E_INVALID_ARG.
 */
int pkiot_http_write_head(const pkiot_http_req_t *req, uint8_t *buf, size_t cap,
                          size_t *out_len);

/**
 * @brief Write head and @p body (req->body_len bytes) contiguously into @p buf.
 * @param body may be NULL only when req->body_len is 0; may not overlap @p buf.
 * @return as pkiot_http_write_head(); `*out_len` is head + body (needed size on
 *         PKIOT_E_BUFFER_TOO_SMALL).
 */
int pkiot_http_write_request(const pkiot_http_req_t *req, const uint8_t *body, uint8_t *buf,
                             size_t cap, size_t *out_len);

/* ----------------------------------------------------------------------------------------- */
/* Response parser                                                                           */
/* ----------------------------------------------------------------------------------------- */

/** Flags for pkiot_http_resp_init(). */
#define PKIOT_HTTP_RESP_HEAD 0x1u /**< response to a HEAD request: it never has a body */
/**
 * Interoperability: when the response is not persistent (keep_alive is 0, e.g. HTTP/1.0
 * without keep-alive, or "Connection: close") and is not chunked, read the body until the
 * connection closes instead of stopping at Content-Length; pkiot_http_resp_finish() then
 * still reports PKIOT_E_HTTP_TRUNCATED when fewer than Content-Length bytes arrived.
 * Needed for libest's /serverkeygen, whose Content-Length counts only the two payloads and
 * not the multipart framing around them. Persistent responses always honour Content-Length.
 */
#define PKIOT_HTTP_RESP_READ_TO_CLOSE 0x2u

/** Header values kept in the parser's store. */
typedef enum pkiot_http_field {
    PKIOT_HTTP_F_CONTENT_TYPE = 0, /**< full value: media type and parameters */
    PKIOT_HTTP_F_LOCATION,         /**< Location (first occurrence; kept only with PKIOT_ACME) */
    PKIOT_HTTP_F_REPLAY_NONCE,     /**< Replay-Nonce (first occurrence; only with PKIOT_ACME) */
    PKIOT_HTTP_F_RETRY_AFTER,      /**< Retry-After, raw: delta-seconds or HTTP-date */
    PKIOT_HTTP_F_CTE,              /**< Content-Transfer-Encoding (EST: "base64") */
    PKIOT_HTTP_F_AUTH_SCHEME,      /**< scheme of the first WWW-Authenticate challenge */
    PKIOT_HTTP_F_AUTH_REALM,       /**< its realm parameter, unquoted */
    PKIOT_HTTP_F_COUNT
} pkiot_http_field_t;

/** Where a kept value lives in the store (internal; use the accessors). */
typedef struct pkiot_http_ref {
    uint16_t off;
    uint16_t len;
    uint8_t state; /**< 0 absent, 1 present, 2 present but did not fit the store */
} pkiot_http_ref_t;

/** Body sink for streaming mode: return PKIOT_OK or a negative error (stops the parser). */
typedef int (*pkiot_http_body_cb)(void *arg, const uint8_t *data, size_t len);

/**
 * Response parser state. Fields marked "result" are for the caller to read once
 * pkiot_http_resp_feed() has returned PKIOT_DONE (status/version/reason/keep_alive and the
 * header accessors are valid as soon as pkiot_http_resp_headers_done() is 1). Everything
 * else is internal. Size is roughly PKIOT_HTTP_LINE_MAX + PKIOT_HTTP_STORE_SIZE + 100 bytes.
 */
typedef struct pkiot_http_resp {
    /* results */
    int status;                          /**< result: final status code, 100..599 */
    int version;                         /**< result: 10 for HTTP/1.0, 11 for HTTP/1.1 */
    char reason[PKIOT_HTTP_REASON_MAX + 1]; /**< result: reason phrase, truncated, NUL-term. */
    uint8_t *body;                       /**< result: caller's body buffer (as given) */
    size_t body_len;                     /**< result: body bytes delivered (after dechunking) */
    uint64_t content_length;             /**< result: Content-Length when has_content_length */
    uint8_t has_content_length;          /**< result: 1 when a Content-Length header was seen */
    uint8_t chunked;                     /**< result: 1 when the body was chunked */
    uint8_t keep_alive;                  /**< result: 1 when the connection may be reused */
    /* internal */
    uint8_t state;
    uint8_t flags;
    uint8_t conn_close;
    uint8_t conn_keep_alive;
    uint8_t te_seen;
    uint8_t n_interim;
    uint8_t head_done;
#if PKIOT_ACME
    uint8_t n_links;
    uint8_t links_dropped;
#endif
    int err;
    size_t body_cap;
    pkiot_http_body_cb cb;
    void *cb_arg;
    uint64_t remaining;                  /* bytes left in a Content-Length body or chunk */
    uint16_t line_len;
    uint16_t n_headers;
    uint16_t store_used;
    pkiot_http_ref_t field[PKIOT_HTTP_F_COUNT];
#if PKIOT_ACME
    struct {
        pkiot_http_ref_t url;
        pkiot_http_ref_t rel;
    } link[PKIOT_HTTP_LINKS_MAX];
#endif
    /* pkiot_http_resp_init() zeroes everything above this line, so the members above
     * start at zero; the two buffers below are written before they are read. */
    char line[PKIOT_HTTP_LINE_MAX + 1]; /* one spare byte for the CR before LF */
    char store[PKIOT_HTTP_STORE_SIZE];
} pkiot_http_resp_t;

/**
 * @brief Prepare @p r for one response.
 *
 * Call again (with the same or another buffer) before each response on a persistent
 * connection. The body is copied into @p body; it must stay valid until the response is done.
 * @param body     body buffer (may be NULL when @p body_cap is 0: any body then fails with
 *                 PKIOT_E_HTTP_BODY_TOO_LARGE unless a body callback is set)
 * @param body_cap size of @p body
 * @param flags    0, or PKIOT_HTTP_RESP_HEAD and/or PKIOT_HTTP_RESP_READ_TO_CLOSE
 * @return PKIOT_OK or PKIOT_E_INVALID_ARG.
 */
int pkiot_http_resp_init(pkiot_http_resp_t *r, uint8_t *body, size_t body_cap,
                         unsigned flags);

/**
 * @brief Streaming mode: deliver body bytes to @p cb instead of the body buffer.
 * Call after pkiot_http_resp_init() and before the first feed. body_len still counts the
 * bytes delivered. A negative return from @p cb is returned by pkiot_http_resp_feed().
 */
void pkiot_http_resp_set_body_cb(pkiot_http_resp_t *r, pkiot_http_body_cb cb, void *arg);

/**
 * @brief Push @p len received bytes into the parser.
 * @param consumed bytes of @p data used (all of them unless PKIOT_DONE is returned)
 * @return PKIOT_WANT_READ (need more bytes), PKIOT_DONE (final response complete; later
 *         calls keep returning PKIOT_DONE and consume nothing), or a negative error, which is
 *         sticky: PKIOT_E_HTTP_BAD_STATUS_LINE, PKIOT_E_HTTP_BAD_VERSION,
 *         PKIOT_E_HTTP_BAD_HEADER (syntax, obs-fold, control characters),
 *         PKIOT_E_HTTP_HEADER_TOO_LONG (a line longer than PKIOT_HTTP_LINE_MAX),
 *         PKIOT_E_HTTP_TOO_MANY_HEADERS, PKIOT_E_HTTP_BAD_LENGTH (malformed, overflowing or
 *         conflicting Content-Length), PKIOT_E_HTTP_TRANSFER_ENCODING (a coding other than
 *         chunked), PKIOT_E_HTTP_BAD_CHUNK, PKIOT_E_HTTP_BODY_TOO_LARGE, PKIOT_E_UNSUPPORTED
 *         (101 Switching Protocols, or more than PKIOT_HTTP_MAX_INTERIM interim responses),
 *         PKIOT_E_INVALID_ARG, or the body callback's error.
 */
int pkiot_http_resp_feed(pkiot_http_resp_t *r, const uint8_t *data, size_t len,
                         size_t *consumed);

/**
 * @brief The transport reported an orderly close (recv gave 0 bytes).
 * @return PKIOT_DONE when the response is complete (a read-until-close body ends here),
 *         PKIOT_E_HTTP_TRUNCATED when the response was cut short, or the sticky error.
 */
int pkiot_http_resp_finish(pkiot_http_resp_t *r);

/**
 * 1 once the final response's status line and headers have been parsed. Stays 1 when the
 * body then fails (e.g. PKIOT_E_HTTP_BODY_TOO_LARGE for a large error page), so status,
 * reason and the header accessors can still be read.
 */
int pkiot_http_resp_headers_done(const pkiot_http_resp_t *r);

/**
 * @brief A kept header value (a view into @p r's store, valid until the next init).
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND (header absent), PKIOT_E_BUFFER_TOO_SMALL (present but
 *         it did not fit PKIOT_HTTP_STORE_SIZE), PKIOT_E_INVALID_ARG.
 */
int pkiot_http_resp_field(const pkiot_http_resp_t *r, pkiot_http_field_t f,
                          pkiot_slice_t *out);

/**
 * @brief URL of the @p nth (0-based) Link whose rel parameter contains the token @p rel
 *        (case-insensitive, e.g. "up", "index", "alternate"). The URL is the raw
 *        URI-Reference between '<' and '>' (may be relative).
 * Link headers are parsed only in builds with PKIOT_ACME (no other protocol uses them).
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND, PKIOT_E_BUFFER_TOO_SMALL (not found, but some Link
 *         entries were dropped for lack of room), PKIOT_E_INVALID_ARG.
 */
#if PKIOT_ACME
int pkiot_http_resp_link(const pkiot_http_resp_t *r, const char *rel, size_t nth,
                         pkiot_slice_t *url);
#endif

/** 1 when the response's media type equals @p type (see pkiot_http_media_type_is()). */
int pkiot_http_resp_content_type_is(const pkiot_http_resp_t *r, const char *type);

/* ----------------------------------------------------------------------------------------- */
/* Header value helpers                                                                      */
/* ----------------------------------------------------------------------------------------- */

/**
 * @brief 1 when the media type of Content-Type value @p ct ("type/subtype; params") equals
 *        @p type ("type/subtype"), case-insensitively, ignoring parameters and whitespace;
 *        0 otherwise (also for malformed values).
 */
int pkiot_http_media_type_is(pkiot_slice_t ct, const char *type);

/**
 * @brief Copy the value of parameter @p name (case-insensitive) of media-type value @p ct,
 *        unquoting a quoted-string, NUL-terminated.
 * @param out     buffer; @p cap must leave room for the NUL
 * @param out_len value length without the NUL (needed length on PKIOT_E_BUFFER_TOO_SMALL)
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND, PKIOT_E_BUFFER_TOO_SMALL, PKIOT_E_HTTP_BAD_HEADER
 *         (malformed parameter list), PKIOT_E_INVALID_ARG.
 */
int pkiot_http_media_param(pkiot_slice_t ct, const char *name, char *out, size_t cap,
                           size_t *out_len);

/**
 * @brief Read a Retry-After value in delta-seconds form (digits only, OWS around).
 * Values beyond UINT32_MAX are clamped.
 * @return PKIOT_OK, PKIOT_E_NOT_FOUND when the value is not delta-seconds (an HTTP-date:
 *         parse it with pkiot/datetime.h), PKIOT_E_INVALID_ARG.
 */
int pkiot_http_retry_after_delta(pkiot_slice_t v, uint32_t *seconds);

/* ----------------------------------------------------------------------------------------- */
/* multipart/mixed reader (RFC 2046 §5.1), for EST /serverkeygen (RFC 7030 §4.4.2)           */
/* ----------------------------------------------------------------------------------------- */

/** Cursor over a complete multipart body. Internal fields; nothing is copied. */
typedef struct pkiot_multipart {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* end of the body */
    char boundary[PKIOT_HTTP_BOUNDARY_MAX + 1];
    uint8_t blen;
    uint8_t state;      /* 0: before first delimiter, 1: at a part, 2: done, 3: error */
} pkiot_multipart_t;

/** One body part; slices point into the body given to pkiot_multipart_init(). */
typedef struct pkiot_multipart_part {
    pkiot_slice_t headers;      /**< raw header block (without the empty line) */
    pkiot_slice_t content_type; /**< Content-Type value (trimmed), len 0 when absent */
    pkiot_slice_t cte;          /**< Content-Transfer-Encoding value, len 0 when absent */
    pkiot_slice_t content;      /**< the part's content, undecoded */
} pkiot_multipart_part_t;

/**
 * @brief Start reading @p body (the complete HTTP body) split by @p boundary (the value of
 *        the Content-Type boundary parameter, without leading dashes).
 * @return PKIOT_OK, PKIOT_E_HTTP_MULTIPART (boundary empty, longer than 70 or with
 *         characters outside RFC 2046 bchars), PKIOT_E_INVALID_ARG.
 */
int pkiot_multipart_init(pkiot_multipart_t *mp, const uint8_t *body, size_t len,
                         const char *boundary, size_t boundary_len);

/**
 * @brief Next body part. The preamble before the first delimiter and the epilogue after the
 *        close delimiter are skipped. Line ends may be CRLF or LF.
 * @return PKIOT_OK (part filled), PKIOT_DONE (close delimiter reached, no more parts),
 *         PKIOT_E_HTTP_MULTIPART (no delimiter, missing close delimiter, malformed part
 *         headers, folded header lines), PKIOT_E_INVALID_ARG. Errors are sticky.
 */
int pkiot_multipart_next(pkiot_multipart_t *mp, pkiot_multipart_part_t *part);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_HTTP_H */
