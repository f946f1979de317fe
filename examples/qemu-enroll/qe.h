/*
 * qemu-enroll: shared declarations of the firmware's parts (see README.md in this directory).
 *
 *   main.c       bring-up, the main loop, driving the engine, installing the certificate
 *   provision.c  EMULATOR-ONLY provisioning (QEMU -append arguments, host files) and the
 *                table of enrollment protocols
 *   flash.c      emulated NOR flash in a host file: A/B slots for the checkpoint and for the
 *                installed credentials
 *   shims.c      measuring/observing wrappers around the transport and crypto ports, and the
 *                nanosecond clock of the bench build
 */
#ifndef QE_H
#define QE_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "board_storage.h"
#include "pkiot/pkiot.h"

/* PKIOT_BENCH=1 (make ... PKIOT_BENCH=1) adds the instruction-count breakdown. */
#ifndef PKIOT_BENCH
#define PKIOT_BENCH 0
#endif

/* Exit status (the QEMU process exit code through semihosting). 70 and 71 are the board's
 * own (fault, failed assertion). */
#define QE_EXIT_OK        0
#define QE_EXIT_USAGE     64 /* bad or missing -append argument */
#define QE_EXIT_DATAERR   65 /* malformed or unexpected server response */
#define QE_EXIT_NOINPUT   66 /* a provisioning file (ca=) is missing or unreadable */
#define QE_EXIT_NETUP     68 /* no LAN9118, or no DHCP lease */
#define QE_EXIT_UNAVAIL   69 /* server unreachable, retries exhausted */
#define QE_EXIT_INTERNAL  72 /* internal error (engine state, crypto failure) */
#define QE_EXIT_FLASH     74 /* emulated flash unusable, checkpoint storage failed */
#define QE_EXIT_TIMEOUT   75 /* the overall time limit (timeout=) ran out */
#define QE_EXIT_REJECTED  76 /* the server rejected the request */
#define QE_EXIT_AUTH      77 /* authentication required or refused */
#define QE_EXIT_CONFIG    78 /* bad configuration value (key type, subject, protocol) */
#define QE_EXIT_TRUST     79 /* TLS server or issued certificate not trusted */
#define QE_EXIT_POWER_CUT 80 /* flash_cut= test knob: simulated power loss inside a save */

/* ---- provisioning (provision.c) ------------------------------------------------------- */

typedef struct qe_args {
    char protocol[8];
    char host[64];
    uint32_t port;
    char ca[BOARD_FILE_PATH_MAX];
    char flash[BOARD_FILE_PATH_MAX];
    char user[128];           /* "user:password" */
    char subject[128];
    char san[96];
    char label[64];
    char key[16];
    uint32_t timeout_s;       /* whole run */
    uint32_t io_timeout_ms;   /* one request/response exchange */
    uint32_t attempts;
    uint32_t backoff_ms;
    uint32_t cacerts;         /* fetch /cacerts before enrolling */
    uint32_t reenroll;        /* re-enroll after enrolling (default 1) */
    uint32_t rekey;           /* re-enroll with a new key instead of the current one */
    /* test knobs */
    uint32_t linkdown_ms;     /* drop the link this long after the first request */
    uint32_t max_sleep_ms;    /* cap every sleep; the engine clock then jumps to the wake time */
    uint32_t flash_cut_save;  /* simulate a power cut inside this flash save (1-based) */
    uint32_t flash_cut_bytes; /* ... after this many byte writes */
    uint32_t flash_cut_back;  /* ... or this many before the end of that save */
    uint32_t hold_ms;         /* pause after each milestone line (deterministic kill points) */
    /* bench builds only (bench_fixed.c) */
    uint32_t fixed_time;      /* fixed= Unix time: fixed-input mode on (0: off) */
    uint32_t fixed_quiet_ms;  /* fixed_quiet_ms= host ms of network silence that end a wait */
    uint32_t fixed_trace;     /* fixed_trace=1: a console line per wait */
    char fixed_sync[BOARD_FILE_PATH_MAX]; /* fixed_sync= host file told when the device waits */
} qe_args_t;

/** An enrollment protocol this firmware can drive: one entry per protocol. */
typedef struct qe_protocol {
    const char *name;          /* protocol= value */
    pkiot_protocol_t id;
    const char *scheme;        /* URL scheme of the server */
    uint16_t default_port;
    /* Protocol-specific part of the configuration (the common part is already filled). */
    int (*configure)(pkiot_config_t *cfg, const qe_args_t *args);
} qe_protocol_t;

extern qe_args_t qe_args;

/** Parses QEMU's -append words into qe_args. @return 0, or -1 after printing why. */
int qe_args_parse(void);
/** The protocol named by protocol=, or NULL (the list of built-in ones is printed). */
const qe_protocol_t *qe_protocol_find(const char *name);
/** Reads the PEM trust anchor file ca= into concatenated DER. @return 0 or -1. */
int qe_trust_load(uint8_t *der, size_t cap, size_t *len);

/* ---- emulated flash (flash.c) --------------------------------------------------------- */

/** Installed credentials: what a device keeps after an enrollment (key + certificate). */
#define QE_STAGE_NONE       0
#define QE_STAGE_ENROLLED   1
#define QE_STAGE_REENROLLED 2
/* Bytes of the credential record ahead of the key and certificate (see flash.c). */
#define QE_CRED_HDR 10u
typedef struct qe_cred {
    uint8_t stage;
    pkiot_key_ref_t key;
    size_t cert_len;
    uint8_t cert[PKIOT_CERT_MAX];
} qe_cred_t;

/** Opens (or formats) the flash image file. @return 0, -1 (I/O), -2 (wrong size). */
int qe_flash_open(const char *path);
/** Storage port on the checkpoint A/B slots. */
void qe_flash_checkpoint_port(pkiot_storage_port_t *port);
/** Test knob: the @p nth flash save (counted from 1) stops after @p bytes byte writes, or
 *  @p back byte writes before its end when @p back is nonzero. */
void qe_flash_set_cut(uint32_t nth, uint32_t bytes, uint32_t back);
/** Slot ('A'/'B', or '-') and sequence number of the newest slot of the checkpoint area. */
void qe_flash_checkpoint_slot(char *slot, uint32_t *seq);
/** @return 0 loaded, 1 nothing installed, -1 error. */
int qe_cred_load(qe_cred_t *c);
/** @return 0 or -1. */
int qe_cred_save(const qe_cred_t *c);

/* ---- port wrappers and the bench clock (shims.c) ---------------------------------------- */

enum qe_io_event {
    QE_IO_CONNECTED,     /* connect() finished (TLS handshake done) */
    QE_IO_REQUEST_SENT,  /* a request went out completely; arg = its size */
    QE_IO_RESPONSE,      /* first bytes of the answer; arg = request number */
    QE_IO_CLOSED
};

/** Wraps @p in: reports connection events to @p event and, in bench builds, times calls. */
void qe_transport_shim(pkiot_transport_port_t *out, const pkiot_transport_port_t *in,
                       void (*event)(enum qe_io_event ev, uint32_t arg));

#if PKIOT_BENCH
/** Virtual nanoseconds since boot (SysTick); under -icount shift=0 one per instruction. */
uint64_t qe_clock_ns(void);

typedef struct qe_bench {
    uint64_t crypto_ns;    /* inside crypto port calls made by the engine */
    uint64_t handshake_ns; /* inside transport connect() calls (TCP connect + TLS handshake) */
    uint64_t tls_io_ns;    /* inside transport send/recv/close (record layer, lwIP) */
    uint64_t idle_ns;      /* in WFI waiting for frames, timers or a wake time */
    uint32_t crypto_calls;
    uint32_t io_waits;     /* fixed-input mode: waits for network input (clock held) */
} qe_bench_t;
extern qe_bench_t qe_bench;

/** Wraps every function of @p in so that the time spent inside counts as crypto. */
void qe_crypto_shim(pkiot_crypto_port_t *out, const pkiot_crypto_port_t *in);

/* ---- fixed-input mode (bench_fixed.c; bench builds only, EMULATOR-ONLY) ------------------- */
#include "lan9118.h"

/**
 * Switches the fixed-input mode on: board_entropy() then yields a fixed stream and
 * board_unix_time() returns @p unix_time. @p quiet_ms of host time without a new frame
 * complete an answer; @p trace prints a line per wait; @p sync_path (empty: none) names the
 * host file the replay server follows (a "W" when the device sleeps for an answer, "R" when
 * it runs again). Call before anything draws entropy.
 * @return 0, or -1 (printed why) when the emulator lacks what the mode needs.
 */
int qe_fixed_enable(uint32_t unix_time, uint32_t quiet_ms, int trace, const char *sync_path);
/** @return 1 when the fixed-input mode is on. */
int qe_fixed_on(void);
/**
 * Waits for network input with the device clock held (SysTick stopped). @p take is set to
 * how many frames of @p eth's RX FIFO to read now: those that came with the device's own
 * last transmission, or when there were none, all that are there once the host's answer has
 * come and completed (no further frame for the quiet time of host time).
 * @return 0, or -1 when the answer did not settle within a minute of host time.
 */
int qe_fixed_wait_input(lan9118_t *eth, uint32_t *take);
#endif

#endif /* QE_H */
