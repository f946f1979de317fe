/* PEM block finder/decoder and encoder (RFC 7468). */
#include "pkiot/pem.h"

#include <string.h>

#define NOT_FOUND ((size_t)-1)

static const char k_dashes[] = "-----";
static const char k_begin[] = "-----BEGIN ";
static const char k_end[] = "-----END ";
#define DASHES_LEN (sizeof k_dashes - 1u)
#define BEGIN_LEN (sizeof k_begin - 1u)
#define END_LEN (sizeof k_end - 1u)

/* Input bytes per 64-column base64 line. */
#define PEM_LINE_BYTES 48u

/* First index i in [from, to) where @p needle starts and fits before @p to, or NOT_FOUND. */
static size_t find(const char *h, size_t from, size_t to, const char *needle, size_t nlen)
{
    if (to < nlen) {
        return NOT_FOUND;
    }
    for (size_t i = from; i <= to - nlen; i++) {
        if (h[i] == needle[0] && memcmp(h + i, needle, nlen) == 0) {
            return i;
        }
    }
    return NOT_FOUND;
}

/* RFC 7468: labelchar is printable ASCII except '-'. */
static int is_labelchar(char c)
{
    return c >= 0x21 && c <= 0x7E && c != '-';
}

/* RFC 7468 label: [ labelchar *( [ "-" / SP ] labelchar ) ]. */
static int label_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (is_labelchar(s[i])) {
            continue;
        }
        /* a single separator, between two labelchars */
        if ((s[i] != '-' && s[i] != ' ') || i == 0 || i + 1 == n || !is_labelchar(s[i + 1])) {
            return 0;
        }
    }
    return 1;
}

/*
 * Skip optional spaces/tabs and one line break (LF, CRLF or a lone CR) starting at *@p i.
 * End of input also ends the line. Returns 0 when something else follows.
 */
static int eat_eol(const char *in, size_t len, size_t *i)
{
    size_t k = *i;
    while (k < len && (in[k] == ' ' || in[k] == '\t')) {
        k++;
    }
    if (k < len) {
        if (in[k] == '\r') {
            k++;
            if (k < len && in[k] == '\n') {
                k++;
            }
        } else if (in[k] == '\n') {
            k++;
        } else {
            return 0;
        }
    }
    *i = k;
    return 1;
}

int pkiot_pem_next(const char *in, size_t in_len, size_t *pos, const char *want_label,
                   uint8_t *der, size_t der_cap, pkiot_pem_block_t *blk)
{
    if (pos == NULL || (in == NULL && in_len != 0) || (der == NULL && der_cap != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t want_len = (want_label != NULL) ? strlen(want_label) : 0;
    size_t from = *pos;
    if (from > in_len) {
        return PKIOT_E_INVALID_ARG;
    }

    for (;;) {
        size_t b = find(in, from, in_len, k_begin, BEGIN_LEN);
        if (b == NOT_FOUND) {
            return PKIOT_E_PEM_NO_BEGIN;
        }
        /* The label runs to the first "-----" on the same line. */
        size_t lab = b + BEGIN_LEN;
        size_t k = lab;
        while (k < in_len && in[k] != '\r' && in[k] != '\n' &&
               !(in_len - k >= DASHES_LEN && memcmp(in + k, k_dashes, DASHES_LEN) == 0)) {
            k++;
        }
        if (k >= in_len || in[k] == '\r' || in[k] == '\n') {
            return PKIOT_E_PEM_BAD_LABEL;
        }
        size_t lab_len = k - lab;
        if (!label_valid(in + lab, lab_len)) {
            return PKIOT_E_PEM_BAD_LABEL;
        }
        size_t body = k + DASHES_LEN;
        if (!eat_eol(in, in_len, &body)) {
            return PKIOT_E_PEM_BAD_LABEL;
        }
        if (want_label != NULL &&
            (lab_len != want_len || memcmp(in + lab, want_label, lab_len) != 0)) {
            from = body;
            continue;
        }

        /* The first "-----" after the BEGIN line must open the matching END line. */
        size_t e = find(in, body, in_len, k_dashes, DASHES_LEN);
        if (e == NOT_FOUND || in_len - e < END_LEN || memcmp(in + e, k_end, END_LEN) != 0) {
            return PKIOT_E_PEM_NO_END;
        }
        size_t el = e + END_LEN;
        if (in_len - el < lab_len + DASHES_LEN || memcmp(in + el, in + lab, lab_len) != 0 ||
            memcmp(in + el + lab_len, k_dashes, DASHES_LEN) != 0) {
            return PKIOT_E_PEM_NO_END;
        }
        size_t after = el + lab_len + DASHES_LEN;
        if (!eat_eol(in, in_len, &after)) {
            return PKIOT_E_PEM_NO_END;
        }
        if (find(in, body, e, ":", 1) != NOT_FOUND) {
            return PKIOT_E_UNSUPPORTED; /* RFC 1421 headers: legacy encrypted PEM */
        }

        size_t der_len = 0;
        int rc = pkiot_base64_decode(in + body, e - body, der, der_cap, &der_len);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (blk != NULL) {
            blk->label = in + lab;
            blk->label_len = lab_len;
            blk->der_len = der_len;
            blk->begin = b;
            blk->end = after;
        }
        *pos = after;
        return PKIOT_OK;
    }
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

int pkiot_pem_decode_all(const char *in, size_t in_len, const char *want_label, uint8_t *der,
                         size_t der_cap, size_t *der_len)
{
    size_t pos = 0;
    size_t o = 0;
    if (der_len == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    *der_len = 0;
    for (;;) {
        pkiot_pem_block_t blk;
        int rc = pkiot_pem_next(in, in_len, &pos, want_label, der != NULL ? der + o : NULL,
                                der_cap - o, &blk);
        if (rc == PKIOT_E_PEM_NO_BEGIN && o > 0) {
            break;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        o += blk.der_len;
    }
    *der_len = o;
    return PKIOT_OK;
}

int pkiot_pem_encode(const char *label, const uint8_t *der, size_t der_len, char *out,
                     size_t out_cap, size_t *out_len)
{
    if (label == NULL || (der == NULL && der_len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    size_t lab_len = strlen(label);
    if (!label_valid(label, lab_len)) {
        return PKIOT_E_INVALID_ARG;
    }
    /* Keeps PKIOT_PEM_ENCODED_SIZE from wrapping (the text is < 1.4x the DER). */
    if (der_len > SIZE_MAX / 2u || lab_len > SIZE_MAX / 8u) {
        return PKIOT_E_OVERFLOW;
    }
    size_t need = PKIOT_PEM_ENCODED_SIZE(lab_len, der_len);
    if (need > out_cap) {
        if (out_len != NULL) {
            *out_len = need;
        }
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }

    char *o = out;
    o = put(o, k_begin, BEGIN_LEN);
    o = put(o, label, lab_len);
    o = put(o, k_dashes, DASHES_LEN);
    *o++ = '\n';
    for (size_t i = 0; i < der_len; i += PEM_LINE_BYTES) {
        size_t n = der_len - i < PEM_LINE_BYTES ? der_len - i : PEM_LINE_BYTES;
        size_t w = 0;
        size_t room = (size_t)(out + out_cap - o);
        int rc = pkiot_base64_encode(der + i, n, o, room, &w);
        if (rc != PKIOT_OK) {
            return PKIOT_E_INTERNAL; /* cannot happen: room was checked above */
        }
        o += w;
        *o++ = '\n';
    }
    o = put(o, k_end, END_LEN);
    o = put(o, label, lab_len);
    o = put(o, k_dashes, DASHES_LEN);
    *o++ = '\n';
    *o = '\0';
    if (out_len != NULL) {
        *out_len = (size_t)(o - out);
    }
    return PKIOT_OK;
}
