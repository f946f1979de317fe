/* libFuzzer target: EST CSR attributes parser, and applying its result to the extension
 * writer of the CSR builder. */
#include <stdint.h>
#include <string.h>

#include "pkiot/csr.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const pkiot_slice_t *s, const uint8_t *data, size_t size)
{
    return s->len == 0 || (s->p >= data && s->p + s->len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkiot_csrattrs_t a;
    if (pkiot_csrattrs_parse(data, size, &a) != PKIOT_OK) {
        return 0;
    }
    for (size_t i = 0; i < a.n_extensions; i++) {
        if (!inside(&a.extensions[i], data, size)) {
            __builtin_trap();
        }
    }
    for (size_t i = 0; i < a.n_attributes; i++) {
        if (!inside(&a.attributes[i], data, size)) {
            __builtin_trap();
        }
    }
    if (!inside(&a.subject_template, data, size) || !inside(&a.curve_oid, data, size)) {
        __builtin_trap();
    }

    /* What the CSR builder would write from it. */
    static const char *const sans[] = { "DNS:fuzz.example", "IP:2001:db8::1" };
    uint8_t buf[4096];
    pkiot_der_writer_t w;
    pkiot_csr_params_t p;
    size_t count = 0;
    memset(&p, 0, sizeof p);
    p.san_strings = sans;
    p.n_san_strings = 2;
    p.key_usage = PKIOT_KU_DIGITAL_SIGNATURE;
    p.ext_key_usage = PKIOT_EKU_CLIENT_AUTH;
    p.csrattrs = &a;
    pkiot_der_w_init(&w, buf, sizeof buf);
    (void)pkiot_csr_write_extensions(&w, &p, &count);
    if (a.subject_complete) {
        char text[128];
        (void)pkiot_x509_dn_to_string(a.subject_template.p, a.subject_template.len, text,
                                      sizeof text, NULL);
    }
    return 0;
}
