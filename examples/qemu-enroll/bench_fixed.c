/*
 * Fixed-input mode of the bench image: PKIOT_BENCH=1 builds only, EMULATOR-ONLY, switched on
 * by the `fixed=<Unix time>` argument (scripts/bench_device.sh passes it).
 *
 * Under `qemu-system-arm -icount shift=0,sleep=off` the guest's virtual time is its
 * instruction count, so a run repeats exactly when everything that enters the device repeats:
 * its entropy, its wall clock, the bytes of the server, and the points of its instruction
 * stream at which network frames arrive. scripts/bench_device.sh replays recorded server
 * bytes (test/tools/tcp_replay.py); this file fixes the rest.
 *
 *  - Entropy: a counter-mode stream from a fixed key instead of the host's /dev/urandom, so
 *    every run makes the same device key, TLS randoms, ECDHE keys, ECDSA nonces and blinding,
 *    TCP sequence numbers and ports. The stream is public and predictable: it exists to
 *    repeat a measurement and nothing else. It is compiled only into bench images (this whole
 *    file is), it stays off without `fixed=`, and board.c reaches it through weak references
 *    that are NULL in every other image.
 *  - Wall clock: the `fixed=` time, constant for the whole run (the host script picks one
 *    inside the validity of the test certificates).
 *  - Network timing. QEMU's user network (slirp) delivers what the server sends on host time,
 *    which has no fixed relation to the guest's instructions. So whenever the engine waits for
 *    the network, qe_fixed_wait_input() holds the device clock (SysTick stopped: no tick, no
 *    lwIP or engine timer moves, nothing of the wait is counted) and hands the main loop a
 *    batch of frames that is the same in every run:
 *      1. frames that were already waiting right after the device's last transmission: what
 *         slirp answers within the transmission itself (ACKs, ARP), the same every time;
 *      2. otherwise whatever slirp sends on its own once virtual time moves (its delayed ACK,
 *         the SYN-ACK of a new connection);
 *      3. otherwise the server's answer: the device sleeps in WFI with virtual time standing
 *         still, and only then does the replay server send (it follows the `fixed_sync=`
 *         file), so the answer never lands in the middle of the device's work.
 *    Batches 2 and 3 are complete when no frame has come for `fixed_quiet_ms` of host time
 *    (semihosting SYS_ELAPSED, which runs while virtual time stands still) and 4 ms of virtual
 *    time have passed. The device thus sees each answer at a fixed point of its own
 *    execution, as if the server had answered at once, however long the host took.
 */
#include "qe.h"

#if PKIOT_BENCH

#include <string.h>

#include "semihost.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_CSR_ENABLE (1u << 0)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
#define NVIC_ICPR0 (*(volatile uint32_t *)0xE000E280u)
/* Both MPS2 images wire the LAN9118 to IRQ 13 (see board_config.h). */
#define LAN9118_IRQ_BIT (1u << 13)
/* CMSDK APB timers 0 and 1 of the MPS2 images (25 MHz); nothing else in the firmware uses
 * them. */
#define TIMER_CTRL(b)   (*(volatile uint32_t *)((b) + 0x0u))
#define TIMER_VALUE(b)  (*(volatile uint32_t *)((b) + 0x4u))
#define TIMER_RELOAD(b) (*(volatile uint32_t *)((b) + 0x8u))
#define TIMER_CTRL_EN   (1u << 0)
#define TIMER0 0x40000000u
#define TIMER1 0x40001000u

/* Host time after which a batch that does not settle ends the run. */
#define QE_FIXED_WAIT_LIMIT_S 60u
/* TIMER0 period while settling: 10 us of virtual time (see settle()). */
#define QE_FIXED_WAKE_TICKS 250u
/* Virtual time a settling wait lets pass after the last frame: 4 ms in 25 MHz ticks. */
#define QE_FIXED_SETTLE_TICKS 100000u

static struct {
    int on;
    int64_t unix_time;
    uint64_t ctr;
    uint64_t quiet_ticks;   /* fixed_quiet_ms in semihosting ticks */
    uint64_t limit_ticks;
    uint64_t tick_freq;
    int trace;
    int sync_fd;            /* fixed_sync= file, or -1 */
} s_fixed;

/* SplitMix64's output function (Steele, Lea, Flood 2014) over key + counter: a keyed
 * counter-mode stream that costs a few dozen instructions per 8 bytes, about what reading a
 * TRNG register costs, so the counts are not skewed by the stand-in. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int board_fixed_entropy(uint8_t *buf, size_t len)
{
    static const uint64_t key = 0x706b696f742d6265ull; /* "pkiot-be" */
    if (!s_fixed.on) {
        return 1;
    }
    while (len > 0) {
        uint64_t w = mix64(key + ++s_fixed.ctr * 0x9E3779B97F4A7C15ull);
        size_t n = len < sizeof w ? len : sizeof w;
        memcpy(buf, &w, n);
        buf += n;
        len -= n;
    }
    return 0;
}

int board_fixed_unix_time(int64_t *t)
{
    if (!s_fixed.on) {
        return 1;
    }
    *t = s_fixed.unix_time;
    return 0;
}

int qe_fixed_enable(uint32_t unix_time, uint32_t quiet_ms, int trace, const char *sync_path)
{
    uint64_t t;
    intptr_t freq = semihost_tickfreq();
    if (semihost_elapsed(&t) != 0 || freq <= 0) {
        board_printf("fixed: the emulator lacks semihosting SYS_ELAPSED/SYS_TICKFREQ\n");
        return -1;
    }
    /* The certificate checks need a plausible time; anything before 2020 is a mistake. */
    if (unix_time < 1577836800u) {
        board_printf("fixed: fixed=%u is not a Unix time after 2020\n", (unsigned)unix_time);
        return -1;
    }
    s_fixed.on = 1;
    s_fixed.unix_time = (int64_t)unix_time;
    s_fixed.ctr = 0;
    s_fixed.quiet_ticks = (uint64_t)quiet_ms * (uint64_t)freq / 1000u;
    s_fixed.limit_ticks = (uint64_t)QE_FIXED_WAIT_LIMIT_S * (uint64_t)freq;
    s_fixed.tick_freq = (uint64_t)freq;
    s_fixed.trace = trace;
    s_fixed.sync_fd = -1;
    if (sync_path[0] != '\0') {
        s_fixed.sync_fd = semihost_open(sync_path, SEMIHOST_OPEN_AB);
        if (s_fixed.sync_fd < 0) {
            board_printf("fixed: cannot open fixed_sync=%s\n", sync_path);
            return -1;
        }
    }
    board_printf("fixed: BENCH-ONLY fixed inputs: constant entropy stream (NOT random), "
                 "Unix time %u, network input after %u ms of host quiet\n",
                 (unsigned)unix_time, (unsigned)quiet_ms);
    return 0;
}

int qe_fixed_on(void)
{
    return s_fixed.on;
}

/*
 * Sleeps until a frame arrives, with virtual time standing still: SysTick is stopped and no
 * other virtual timer runs, so under `-icount sleep=off` the core sleeps in WFI for host
 * time only (QEMU warns once: "icount sleep disabled and no active timers"), and the
 * LAN9118's interrupt (masked by PRIMASK: WFI wakes, no handler runs) ends the sleep. Nothing
 * on the emulator's side can time out meanwhile either: slirp's timers run on virtual time.
 * There is no time limit here; the host's `timeout` ends a run whose server never answers.
 */
static void sleep_for_frame(lan9118_t *eth)
{
    static const char waiting = 'W', running = 'R';
    /* The replay server (test/tools/tcp_replay.py --sync) sends only while the device sleeps
     * here, so no answer arrives while it works: where it would land in the instruction stream
     * would depend on host timing. */
    if (s_fixed.sync_fd >= 0) {
        (void)semihost_write(s_fixed.sync_fd, &waiting, 1);
    }
    __asm__ volatile("cpsid i" ::: "memory");
    lan9118_rx_irq(eth, 1);
    NVIC_ICPR0 = LAN9118_IRQ_BIT;
    NVIC_ISER0 = LAN9118_IRQ_BIT;
    while (lan9118_rx_pending(eth) == 0) {
        __asm__ volatile("wfi" ::: "memory");
    }
    NVIC_ICER0 = LAN9118_IRQ_BIT;
    lan9118_rx_irq(eth, 0);
    NVIC_ICPR0 = LAN9118_IRQ_BIT;
    __asm__ volatile("cpsie i" ::: "memory");
    if (s_fixed.sync_fd >= 0) {
        (void)semihost_write(s_fixed.sync_fd, &running, 1);
    }
}

/*
 * Waits until no frame has come for the quiet time (host time: an answer and the FIN behind
 * it reach the device as separate bursts) and at least 4 ms of virtual time have passed since
 * the last one. The latter lets slirp's 2 ms delayed-ACK timer, which runs on virtual time,
 * expire here, where what it sends joins this batch; left pending, it would fire at a
 * host-timed moment while the device works. Virtual time moves with the instructions of this
 * loop (the burn loop makes that quick). Two CMSDK timers run meanwhile: TIMER1 measures
 * virtual time, and TIMER0's short period gives QEMU's main loop, which polls slirp's
 * sockets and runs its timers, a virtual deadline to wake for every few thousand
 * instructions; without it, a socket slirp opened for a new connection would wait up to half
 * a second to be polled.
 * @return 0, or -1 after a minute of host time without settling.
 */
static int settle(lan9118_t *eth, uint64_t start, uint32_t *seen, uint64_t *changed,
                  uint64_t *now, uint32_t *spins)
{
    int rc = 0;
    TIMER_CTRL(TIMER1) = 0;
    TIMER_RELOAD(TIMER1) = 0xFFFFFFFFu;
    TIMER_VALUE(TIMER1) = 0xFFFFFFFFu;
    TIMER_CTRL(TIMER1) = TIMER_CTRL_EN;
    TIMER_CTRL(TIMER0) = 0;
    TIMER_RELOAD(TIMER0) = QE_FIXED_WAKE_TICKS;
    TIMER_VALUE(TIMER0) = QE_FIXED_WAKE_TICKS;
    TIMER_CTRL(TIMER0) = TIMER_CTRL_EN;
    uint32_t vchanged = TIMER_VALUE(TIMER1);
    for (;;) {
        for (volatile uint32_t i = 0; i < 256u; i++) {
        }
        (void)semihost_elapsed(now);
        (*spins)++;
        uint32_t n = lan9118_rx_pending(eth);
        uint32_t v = TIMER_VALUE(TIMER1);
        if (n != *seen) {
            *seen = n;
            *changed = *now;
            vchanged = v;
        }
        if (*now - *changed >= s_fixed.quiet_ticks && vchanged - v >= QE_FIXED_SETTLE_TICKS) {
            break;
        }
        if (*now - start >= s_fixed.limit_ticks) {
            rc = -1;
            break;
        }
    }
    TIMER_CTRL(TIMER0) = 0;
    TIMER_CTRL(TIMER1) = 0;
    return rc;
}

int qe_fixed_wait_input(lan9118_t *eth, uint32_t *take)
{
    static const char *const kinds[] = {"those from the last transmission",
                                         "what slirp sent", "the answer, after sleeping"};
    uint64_t start = 0, now = 0, changed = 0, first = 0;
    uint32_t spins = 0;
    int rc = 0, kind = 0;
    /* Hold the clock: stopping SysTick freezes its count, so board_millis() and the bench
     * clock stand still; restarting it later begins the next tick afresh, at a point fixed by
     * the device's own instructions. */
    SYST_CSR &= ~SYST_CSR_ENABLE;
    (void)semihost_elapsed(&start);
    uint32_t pending0 = lan9118_rx_pending(eth), seen = pending0;
    /* Batch 1: exactly the frames marked right after the last transmission (lan9118_netif
     * marks), even when later ones have arrived too: those came on host time. */
    *take = lan9118_rx_marked(eth);
    if (*take == 0) {
        /* Batch 2: what slirp sends with virtual time moving. */
        kind = 1;
        changed = start;
        rc = settle(eth, start, &seen, &changed, &now, &spins);
        if (rc == 0 && seen == 0) {
            /* Batch 3: only now may the server answer, and it finds the device asleep. */
            kind = 2;
            sleep_for_frame(eth);
            (void)semihost_elapsed(&first);
            changed = first;
            seen = lan9118_rx_pending(eth);
            rc = settle(eth, start, &seen, &changed, &now, &spins);
        }
        *take = seen;
    }
    qe_bench.io_waits++;
    if (s_fixed.trace) {
        /* Printed with the clock still held: the trace does not change the counts. */
        uint64_t us = s_fixed.tick_freq / 1000000u;
        board_printf("fixed: wait %u: %u frames (%u waiting at the start), %s; first after "
                     "%u us, last after %u us, done after %u us, %u spins\n",
                     (unsigned)qe_bench.io_waits, (unsigned)*take, (unsigned)pending0,
                     kinds[kind], (unsigned)(first > start ? (first - start) / us : 0),
                     (unsigned)(changed > start ? (changed - start) / us : 0),
                     (unsigned)(now > start ? (now - start) / us : 0), (unsigned)spins);
    }
    SYST_CSR |= SYST_CSR_ENABLE;
    return rc;
}

#else
/* Plain images have no fixed-input mode: nothing of it is compiled. */
typedef int qe_bench_fixed_absent;
#endif /* PKIOT_BENCH */
