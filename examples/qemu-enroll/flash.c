/*
 * Emulated NOR flash for the checkpoint and the installed credentials. EMULATOR-ONLY backing:
 * a host file reached through semihosting.
 *
 * Why A/B slots over a file rather than a file replaced by rename (boards/common/board_storage):
 * this is the storage a real board ships with (ports/storage/pkiot_storage_mem), driven
 * through its flash hooks exactly as a NOR driver would drive it. Every erase and every
 * program operation is written through to the image file at once (one semihosting
 * SYS_SEEK + SYS_WRITE, i.e. a host write(2) with no buffering in between), so when QEMU is
 * killed the file holds precisely the flash operations that completed — the state a power cut
 * leaves in real flash. The slot protocol (erase the older slot, program blob, header, magic
 * last) then guarantees that the newest complete blob survives a cut at any byte. Temp file +
 * rename is atomic only thanks to the host's file system, which no device has; it would test
 * the emulator, not the firmware.
 *
 * Image layout (all of it 0xFF when new), sectors of QE_SECTOR bytes:
 *   [0, 2*QE_CKPT_SLOT)                      checkpoint area: two slots, pkiot_storage_mem
 *   [2*QE_CKPT_SLOT, +2*QE_CRED_SLOT)        credential area: two slots, pkiot_storage_mem
 * A slot is `"PKS1" | seq | len | crc | blob` (pkiot_storage_mem.h). Checkpoint blobs start
 * with "PKCK" (lib/enroll/checkpoint.h); credential blobs are
 *   "QEC1" | stage u8 | key type u8 | key length u16 LE | certificate length u16 LE |
 *   key reference | DER certificate
 * and hold the device's private key (software key reference): on a real device this record
 * belongs in protected flash.
 */
#include <string.h>

#include "qe.h"
#include "semihost.h"
#include "storage/pkiot_storage_mem.h"

#define QE_SECTOR 4096u
#define QE_ROUND(x) ((((x) + QE_SECTOR - 1u) / QE_SECTOR) * QE_SECTOR)
#define QE_CRED_BLOB_MAX (QE_CRED_HDR + PKIOT_KEY_REF_MAX + PKIOT_CERT_MAX)
#define QE_CKPT_SLOT QE_ROUND(PKIOT_STORAGE_MEM_HEADER + PKIOT_CKPT_MAX)
#define QE_CRED_SLOT QE_ROUND(PKIOT_STORAGE_MEM_HEADER + QE_CRED_BLOB_MAX)
#define QE_CKPT_BASE 0u
#define QE_CRED_BASE (2u * QE_CKPT_SLOT)
#define QE_FLASH_SIZE (QE_CRED_BASE + 2u * QE_CRED_SLOT)

typedef struct region {
    const char *name;
    size_t base;
    size_t slot;
    pkiot_storage_mem_flash_t drv;
    pkiot_storage_mem_t mem;
    pkiot_storage_port_t raw;
} region_t;

/* The RAM copy plays the memory-mapped flash array; the file is the non-volatile cells. */
static uint8_t s_image[QE_FLASH_SIZE] __attribute__((aligned(4)));
static int s_fd = -1;
static region_t s_ckpt = {"checkpoint", QE_CKPT_BASE, QE_CKPT_SLOT, {0}, {0}, {0}};
static region_t s_cred = {"credentials", QE_CRED_BASE, QE_CRED_SLOT, {0}, {0}, {0}};
static uint32_t s_saves, s_cut_at, s_cut_bytes, s_cut_back;
static uint8_t s_blob[QE_CRED_BLOB_MAX];

static int write_through(size_t off, size_t len)
{
    if (semihost_seek(s_fd, off) != 0) {
        return -1;
    }
    return semihost_write(s_fd, s_image + off, len) == 0 ? 0 : -1;
}

static int drv_erase(void *user, size_t off, size_t len)
{
    const region_t *r = user;
    memset(s_image + r->base + off, 0xFF, len);
    return write_through(r->base + off, len);
}

static int drv_program(void *user, size_t off, const uint8_t *src, size_t len)
{
    const region_t *r = user;
    uint8_t *dst = s_image + r->base + off;
    for (size_t i = 0; i < len; i++) {
        dst[i] &= src[i]; /* NOR programming only clears bits */
    }
    return write_through(r->base + off, len);
}

static int region_init(region_t *r)
{
    r->drv.user = r;
    r->drv.erase = drv_erase;
    r->drv.program = drv_program;
    return pkiot_storage_mem_init(&r->mem, s_image + r->base, 2u * r->slot, &r->drv, &r->raw);
}

int qe_flash_open(const char *path)
{
    int fresh = 0;
    s_fd = semihost_open(path, SEMIHOST_OPEN_RPB);
    if (s_fd < 0) {
        s_fd = semihost_open(path, SEMIHOST_OPEN_WPB);
        fresh = 1;
    }
    if (s_fd < 0) {
        return -1;
    }
    intptr_t flen = semihost_flen(s_fd);
    if (flen == 0) {
        fresh = 1;
    } else if (flen != (intptr_t)QE_FLASH_SIZE) {
        board_printf("flash: %s has %d bytes, this firmware's image is %u bytes\n", path,
                     (int)flen, (unsigned)QE_FLASH_SIZE);
        return -2;
    }
    if (fresh) {
        memset(s_image, 0xFF, sizeof s_image);
        if (write_through(0, sizeof s_image) != 0) {
            return -1;
        }
    } else if (semihost_seek(s_fd, 0) != 0 || semihost_read(s_fd, s_image, sizeof s_image) != 0) {
        return -1;
    }
    if (region_init(&s_ckpt) != PKIOT_OK || region_init(&s_cred) != PKIOT_OK) {
        return -1;
    }
    board_printf("flash: %s, %u bytes%s; checkpoint slots 2 x %u at 0x%x, credential slots "
                 "2 x %u at 0x%x\n",
                 path, (unsigned)QE_FLASH_SIZE, fresh ? " (new, erased)" : "",
                 (unsigned)QE_CKPT_SLOT, (unsigned)QE_CKPT_BASE, (unsigned)QE_CRED_SLOT,
                 (unsigned)QE_CRED_BASE);
    return 0;
}

void qe_flash_set_cut(uint32_t nth, uint32_t bytes, uint32_t back)
{
    s_cut_at = nth;
    s_cut_bytes = bytes;
    s_cut_back = back;
}

static int region_save(region_t *r, const uint8_t *buf, size_t len)
{
    int cut = s_cut_at != 0 && ++s_saves == s_cut_at;
    size_t cost = pkiot_storage_mem_save_cost(&r->mem, len), at = s_cut_bytes;
    if (cut) {
        if (s_cut_back != 0) {
            at = s_cut_back < cost ? cost - s_cut_back : 0;
        }
        pkiot_storage_mem_cut_power_after(&r->mem, at);
    }
    int rc = r->raw.save(r->raw.ctx, buf, len);
    if (cut) {
        /* Power is gone: nothing after this point may reach the flash. */
        board_printf("flash: simulated power cut in save %u (%s), after %u of %u byte writes\n",
                     (unsigned)s_cut_at, r->name, (unsigned)at, (unsigned)cost);
        board_exit(QE_EXIT_POWER_CUT);
    }
    return rc;
}

static int ckpt_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    region_t *r = ctx;
    return r->raw.load(r->raw.ctx, buf, cap, len);
}

static int ckpt_save(void *ctx, const uint8_t *buf, size_t len)
{
    return region_save(ctx, buf, len);
}

static int ckpt_erase(void *ctx)
{
    region_t *r = ctx;
    return r->raw.erase(r->raw.ctx);
}

void qe_flash_checkpoint_port(pkiot_storage_port_t *port)
{
    port->ctx = &s_ckpt;
    port->load = ckpt_load;
    port->save = ckpt_save;
    port->erase = ckpt_erase;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void qe_flash_checkpoint_slot(char *slot, uint32_t *seq)
{
    *slot = '-';
    *seq = 0;
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *s = s_image + s_ckpt.base + i * s_ckpt.slot;
        uint32_t q = get32(s + 4);
        if (memcmp(s, "PKS1", 4) == 0 && (*slot == '-' || (int32_t)(q - *seq) > 0)) {
            *slot = (char)('A' + i);
            *seq = q;
        }
    }
}

int qe_cred_load(qe_cred_t *c)
{
    size_t len = 0;
    memset(c, 0, sizeof *c);
    int rc = s_cred.raw.load(s_cred.raw.ctx, s_blob, sizeof s_blob, &len);
    if (rc == PKIOT_E_STORAGE_EMPTY) {
        return 1;
    }
    int ok = rc == PKIOT_OK && len >= QE_CRED_HDR && memcmp(s_blob, "QEC1", 4) == 0;
    size_t kl = ok ? (size_t)(s_blob[6] | s_blob[7] << 8) : 0;
    size_t cl = ok ? (size_t)(s_blob[8] | s_blob[9] << 8) : 0;
    ok = ok && s_blob[4] >= QE_STAGE_ENROLLED && s_blob[4] <= QE_STAGE_REENROLLED && kl > 0 &&
         kl <= PKIOT_KEY_REF_MAX && cl > 0 && cl <= PKIOT_CERT_MAX && len == QE_CRED_HDR + kl + cl;
    if (ok) {
        c->stage = s_blob[4];
        c->key.type = (pkiot_key_type_t)s_blob[5];
        c->key.len = (uint16_t)kl;
        memcpy(c->key.data, s_blob + QE_CRED_HDR, kl);
        c->cert_len = cl;
        memcpy(c->cert, s_blob + QE_CRED_HDR + kl, cl);
    }
    pkiot_zeroize(s_blob, sizeof s_blob);
    return ok ? 0 : -1;
}

int qe_cred_save(const qe_cred_t *c)
{
    size_t kl = c->key.len, cl = c->cert_len;
    if (kl > PKIOT_KEY_REF_MAX || cl > PKIOT_CERT_MAX) {
        return -1;
    }
    memcpy(s_blob, "QEC1", 4);
    s_blob[4] = c->stage;
    s_blob[5] = (uint8_t)c->key.type;
    s_blob[6] = (uint8_t)kl;
    s_blob[7] = (uint8_t)(kl >> 8);
    s_blob[8] = (uint8_t)cl;
    s_blob[9] = (uint8_t)(cl >> 8);
    memcpy(s_blob + QE_CRED_HDR, c->key.data, kl);
    memcpy(s_blob + QE_CRED_HDR + kl, c->cert, cl);
    int rc = region_save(&s_cred, s_blob, QE_CRED_HDR + kl + cl);
    pkiot_zeroize(s_blob, sizeof s_blob);
    return rc == PKIOT_OK ? 0 : -1;
}
