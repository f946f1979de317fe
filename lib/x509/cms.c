/* CMS SignedData certs-only reader (RFC 5652 §5; EST RFC 7030 §4.1.3). */
#include "oid.h"

#include "pkiot/cms.h"

#include <string.h>

#define FMT PKIOT_E_CMS_FORMAT

/* Next element (BER lengths allowed) with tag @p tag; missing or another tag is FMT. */
static int ber_expect(pkiot_der_cursor_t *c, uint32_t tag, pkiot_der_tlv_t *t)
{
    if (pkiot_der_at_end(c)) {
        return FMT;
    }
    pkiot_der_tlv_t tmp;
    int rc = pkiot_der_next_ber(c, &tmp);
    if (rc == PKIOT_OK && tmp.tag != tag) {
        rc = FMT;
    }
    if (rc == PKIOT_OK && t != NULL) {
        *t = tmp;
    }
    return rc;
}

/* Consume the next element when its (one-octet) tag is @p tag. */
static int ber_optional(pkiot_der_cursor_t *c, uint32_t tag, pkiot_der_tlv_t *t, int *present)
{
    *present = 0;
    if (pkiot_der_at_end(c) || *c->p != (uint8_t)tag) {
        return PKIOT_OK;
    }
    *present = 1;
    return pkiot_der_next_ber(c, t);
}

/* Count the X.509 entries of a CertificateSet; other CertificateChoices are allowed. */
static int count_certs(const pkiot_der_tlv_t *set, size_t *count)
{
    pkiot_der_cursor_t c;
    size_t n = 0;
    pkiot_der_enter(set, &c);
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

int pkiot_cms_certs_init(pkiot_cms_certs_t *it, const uint8_t *der, size_t len)
{
    pkiot_der_cursor_t c;
    pkiot_der_cursor_t in;
    pkiot_der_tlv_t ci;
    pkiot_der_tlv_t t;
    pkiot_der_tlv_t sd;
    pkiot_der_tlv_t certs;
    uint32_t version = 0;
    int have_certs = 0;
    int present = 0;
    int rc;

    if (it == NULL || (der == NULL && len != 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(it, 0, sizeof *it);
    pkiot_der_init(&c, der, len);
    rc = pkiot_der_next_ber(&c, &ci);
    if (rc != PKIOT_OK) {
        return rc;
    }
    if (ci.tag != PKIOT_DER_SEQUENCE) {
        return FMT;
    }
    rc = pkiot_der_finish(&c);
    if (rc != PKIOT_OK) {
        return rc;
    }

    /* ContentInfo { contentType, [0] EXPLICIT content } */
    pkiot_der_enter(&ci, &in);
    rc = ber_expect(&in, PKIOT_DER_OID, &t);
    if (rc == PKIOT_OK && !pkiot_der_oid_eq(&t, PKIOT_OID_ARG(PKIOT_OID_PKCS7_SIGNED_DATA))) {
        rc = FMT;
    }
    if (rc == PKIOT_OK) {
        rc = ber_expect(&in, PKIOT_DER_CTX_C(0), &t);
    }
    if (rc == PKIOT_OK && !pkiot_der_at_end(&in)) {
        rc = FMT;
    }
    if (rc != PKIOT_OK) {
        return rc;
    }
    pkiot_der_enter(&t, &in);
    rc = ber_expect(&in, PKIOT_DER_SEQUENCE, &sd);
    if (rc == PKIOT_OK && !pkiot_der_at_end(&in)) {
        rc = FMT;
    }
    if (rc != PKIOT_OK) {
        return rc;
    }

    /* SignedData */
    pkiot_der_enter(&sd, &in);
    rc = ber_expect(&in, PKIOT_DER_INTEGER, &t);
    if (rc == PKIOT_OK) {
        rc = pkiot_der_get_u32(&t, &version);
        if (rc == PKIOT_E_OVERFLOW || (rc == PKIOT_OK && (version < 1 || version > 5))) {
            rc = FMT;
        }
    }
    if (rc == PKIOT_OK) {
        rc = ber_expect(&in, PKIOT_DER_SET, NULL); /* digestAlgorithms */
    }
    if (rc == PKIOT_OK) {
        rc = ber_expect(&in, PKIOT_DER_SEQUENCE, &t); /* encapContentInfo */
    }
    if (rc == PKIOT_OK) {
        pkiot_der_cursor_t e;
        pkiot_der_tlv_t ect;
        pkiot_der_enter(&t, &e);
        rc = ber_expect(&e, PKIOT_DER_OID, &ect);
        if (rc == PKIOT_OK) {
            rc = ber_optional(&e, PKIOT_DER_CTX_C(0), NULL, &present);
        }
        if (rc == PKIOT_OK && !pkiot_der_at_end(&e)) {
            rc = FMT;
        }
    }
    if (rc == PKIOT_OK) {
        rc = ber_optional(&in, PKIOT_DER_CTX_C(0), &certs, &have_certs);
    }
    if (rc == PKIOT_OK) {
        rc = ber_optional(&in, PKIOT_DER_CTX_C(1), NULL, &present); /* crls */
    }
    if (rc == PKIOT_OK) {
        rc = ber_expect(&in, PKIOT_DER_SET, NULL); /* signerInfos */
    }
    if (rc == PKIOT_OK && !pkiot_der_at_end(&in)) {
        rc = FMT;
    }
    if (rc == PKIOT_OK && have_certs) {
        rc = count_certs(&certs, &it->count);
    }
    if (rc != PKIOT_OK) {
        memset(it, 0, sizeof *it);
        return rc;
    }
    if (it->count == 0) {
        return PKIOT_E_CMS_NO_CERTS;
    }
    pkiot_der_enter(&certs, &it->cur);
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
