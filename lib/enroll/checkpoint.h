/*
 * Checkpoint blob: the durable state of one enrollment, written through the storage port.
 *
 * Layout (all integers little-endian, so a blob written on one device reads on any other):
 *   0  "PKCK"            magic
 *   4  u16 version       PKIOT_CKPT_VERSION
 *   6  u8  protocol      pkiot_protocol_t
 *   7  u8  operation     pkiot_operation_t
 *   8  u32 payload_len
 *  12  payload           records: u8 tag, u16 len, len bytes
 *  12+payload_len  u32 CRC-32 of everything before it
 *
 * Records are tagged so a newer reader can skip what it does not know. A blob is validated
 * completely (magic, version, length, CRC, record framing) before any record is handed out,
 * so a corrupt or foreign blob is rejected without touching the context.
 */
#ifndef PKIOT_ENROLL_CHECKPOINT_H
#define PKIOT_ENROLL_CHECKPOINT_H

#include "pkiot/common.h"

#define PKIOT_CKPT_VERSION 1u
#define PKIOT_CKPT_HEADER_LEN 12u
#define PKIOT_CKPT_TRAILER_LEN 4u

/* Record tags. Never renumber: blobs outlive firmware versions. */
enum pkiot_ckpt_tag {
    PKIOT_CKPT_T_STEP = 1,      /* reserved */
    PKIOT_CKPT_T_KEY = 2,       /* key reference bytes (secret for software keys) */
    PKIOT_CKPT_T_CSR = 3,       /* DER CSR already sent or about to be sent */
    PKIOT_CKPT_T_WAKE_UNIX = 4, /* i64 wall-clock time the server asked us to come back */
    PKIOT_CKPT_T_CERT = 5,      /* DER certificate received */
    PKIOT_CKPT_T_CA = 6,        /* reserved: CA certificates are fetched again instead */
    PKIOT_CKPT_T_FLAGS = 7,     /* reserved */
    PKIOT_CKPT_T_ATTEMPTS = 8,  /* reserved */
    PKIOT_CKPT_T_KEY_TYPE = 9,  /* u8 pkiot_key_type_t of the KEY record */
    PKIOT_CKPT_T_WAIT_S = 10,   /* u32 seconds the server asked us to wait */
    PKIOT_CKPT_T_CA_FPR = 11,   /* SHA-256 fingerprints of CA certs confirmed in bootstrap */
    PKIOT_CKPT_T_PROTO = 32     /* first tag reserved for protocol modules */
};

typedef struct pkiot_ckpt_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
} pkiot_ckpt_writer_t;

typedef struct pkiot_ckpt_reader {
    const uint8_t *payload;
    size_t payload_len;
    uint8_t protocol;
    uint8_t operation;
} pkiot_ckpt_reader_t;

void pkiot_ckpt_begin(pkiot_ckpt_writer_t *w, uint8_t *buf, size_t cap, uint8_t protocol,
                      uint8_t operation);
void pkiot_ckpt_put(pkiot_ckpt_writer_t *w, uint8_t tag, const void *data, size_t len);
void pkiot_ckpt_put_u32(pkiot_ckpt_writer_t *w, uint8_t tag, uint32_t v);
void pkiot_ckpt_put_i64(pkiot_ckpt_writer_t *w, uint8_t tag, int64_t v);
/* Seal the blob (length + CRC). Returns PKIOT_OK and the total length, or the first error. */
int pkiot_ckpt_end(pkiot_ckpt_writer_t *w, size_t *total_len);

/* Validate a whole blob. PKIOT_E_CKPT_MAGIC / _VERSION / _CORRUPT on failure. */
int pkiot_ckpt_open(pkiot_ckpt_reader_t *r, const uint8_t *blob, size_t len);
/* First record with @p tag: PKIOT_OK or PKIOT_E_NOT_FOUND. */
int pkiot_ckpt_get(const pkiot_ckpt_reader_t *r, uint8_t tag, pkiot_slice_t *val);
int pkiot_ckpt_get_u32(const pkiot_ckpt_reader_t *r, uint8_t tag, uint32_t *v);
int pkiot_ckpt_get_i64(const pkiot_ckpt_reader_t *r, uint8_t tag, int64_t *v);

#endif /* PKIOT_ENROLL_CHECKPOINT_H */
