/* CMS SignedData certs-only reader (RFC 5652 §5; EST RFC 7030 §4.1.3). */
#include "oid.h"

#include "pkiot/cms.h"

#include <string.h>

#define FMT PKIOT_E_CMS_FORMAT

/*
 * Next element (BER lengths allowed) with the one-octet tag @p tag into @p t. When @p present
 * is NULL the element is required: missing or another tag is FMT. Otherwise it is read only
 * when its first octet is @p tag (anything else, even malformed, is left for the next
 * field), and *present says whether it was.
 */
static int ber_take(pkiot_der_cursor_t *c, uint8_t tag, pkiot_der_tlv_t *t, int *present)
{
    if (present != NULL) {
        *present = !pkiot_der_at_end(c) && *c->p == tag;
        if (!*present) {
            return PKIOT_OK;
        }
    } else if (pkiot_der_at_end(c)) {
        return FMT;
    }
    int rc = pkiot_der_next_ber(c, t);
    if (rc == PKIOT_OK && t->tag != tag) {
        rc = FMT;
    }
    return rc;
}

/* Count the X.509 entries of a CertificateSet; other CertificateChoices are allowed. */
static int count_certs(pkiot_der_cursor_t c, size_t *count)
{
    size_t n = 0;
    while (!pkiot_der_at_end(&c)) {
        pkiot_der_tlv_t t;
        int rc = pkiot_der_next_ber(&c, &t);
        if (rc != PKIOT_OK) {
            return rc;
        }
        if (t.tag == PKIOT_DER_SEQUENCE) {
            n++;
        } else if (t.tag != PKIOT_DER_CTX_C(0) && t.tag != PKIOT_DER_CTX_C(1) &&
                   t.tag != PKIOT_DER_CTX_C(2) && t.tag != PKIOT_DER_CTX_C(3)) {
            return FMT;
        }
    }
    *count = n;
    return PKIOT_OK;
}

/* How the envelope walk treats an element. */
enum {
    OPTIONAL = 1,     /* may be absent */
    LAST = 2,         /* nothing may follow it in its SEQUENCE */
    DOWN = 4,         /* its contents are walked next */
    UP = 8,           /* the last one inside a DOWN: what follows that DOWN comes next */
    SIGNED_DATA = 16, /* the contentType OID: must be id-signedData */
    VERSION = 32,     /* CMSVersion: 1..5 */
    CERTS = 64,       /* the CertificateSet */
};

/* ContentInfo (RFC 5652 §3) with SignedData content (§5.1), element by element. */
static const struct {
    uint8_t tag;
    uint8_t how;
} k_walk[] = {
    {PKIOT_DER_OID, SIGNED_DATA},               /* contentType */
    {PKIOT_DER_CTX_C(0), LAST | DOWN},          /* content [0] EXPLICIT */
    {PKIOT_DER_SEQUENCE, LAST | DOWN},          /* SignedData */
    {PKIOT_DER_INTEGER, VERSION},               /* version */
    {PKIOT_DER_SET, 0},                         /* digestAlgorithms */
    {PKIOT_DER_SEQUENCE, DOWN},                 /* encapContentInfo */
    {PKIOT_DER_OID, 0},                         /*   eContentType */
    {PKIOT_DER_CTX_C(0), OPTIONAL | LAST | UP}, /*   eContent */
    {PKIOT_DER_CTX_C(0), OPTIONAL | CERTS},     /* certificates */
    {PKIOT_DER_CTX_C(1), OPTIONAL},             /* crls */
    {PKIOT_DER_SET, LAST},                      /* signerInfos */
};

int pkiot_cms_certs_init(pkiot_cms_certs_t *it, const uint8_t *der, size_t len)
{
    pkiot_der_cursor_t in;
    pkiot_der_cursor_t up;
    pkiot_der_cursor_t certs;
    pkiot_der_tlv_t t;
    int have_certs = 0;
    int rc;

    if (it == NULL || (der == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(it, 0, sizeof *it);
    /* The ContentInfo itself is not in the walk: an empty input or bytes after it are DER
     * errors (PKIOT_E_DER_TRUNCATED, PKIOT_E_DER_TRAILING), not FMT. */
    pkiot_der_init(&in, der, len);
    rc = pkiot_der_next_ber(&in, &t);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (t.tag != PKIOT_DER_SEQUENCE) {
        return FMT;
    }
    rc = pkiot_der_finish(&in);
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&t, &in);
    up = in;
    for (size_t i = 0; i < sizeof k_walk / sizeof k_walk[0]; i++) {
        const unsigned how = k_walk[i].how;
        int present = 1;
        rc = ber_take(&in, k_walk[i].tag, &t, (how & OPTIONAL) != 0 ? &present : NULL);
        if (rc == PKIOT_OK && (how & SIGNED_DATA) != 0 &&
            !pkiot_der_oid_eq(&t, PKIOT_OID_ARG(PKIOT_OID_PKCS7_SIGNED_DATA))) {
            rc = FMT;
        }
        if (rc == PKIOT_OK && (how & VERSION) != 0) {
            uint32_t version = 0;
            rc = pkiot_der_get_u32(&t, &version);
            if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && (version < 1 || version > 5))) {
                rc = FMT;
            }
        }
        if (rc == PKIOT_OK && (how & LAST) != 0 && !pkiot_der_at_end(&in)) {
            rc = FMT;
        }
        if (rc != PKIOT_OK) {
            return rc;
        }
        if ((how & CERTS) != 0 && present) {
            pkiot_der_enter(&t, &certs);
            have_certs = 1;
        }
        if ((how & DOWN) != 0) {
            up = in;
            pkiot_der_enter(&t, &in);
        }
        if ((how & UP) != 0) {
            in = up;
        }
    }
    if (have_certs) {
        rc = count_certs(certs, &it->count);
        if (rc != PKIOT_OK) {
            return rc;
        }
    }
    if (it->count == 0) {
        return PKIOT_E_CMS_NO_CERTS;
    }
    it->cur = certs;
    return PKIOT_OK;
}

int pkiot_cms_certs_next(pkiot_cms_certs_t *it, pkiot_slice_t *cert)
{
    if (it == NULL || cert == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    while (it->index < it->count && !pkiot_der_at_end(&it->cur)) {
        pkiot_der_tlv_t t;
        if (pkiot_der_next_ber(&it->cur, &t) != PKIOT_OK) {
            break; /* cannot happen: init walked the same bytes */
        }
        if (t.tag == PKIOT_DER_SEQUENCE) {
            it->index++;
            cert->p = t.raw;
            cert->len = t.raw_len;
            return PKIOT_OK;
        }
    }
    cert->p = NULL;
    cert->len = 0;
    return PKIOT_DONE;
}
