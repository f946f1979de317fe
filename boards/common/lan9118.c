/*
 * SMSC LAN9118 register-level driver (polled). Register offsets and bit positions are the
 * ones in the LAN9118 datasheet (system control and status registers, MAC CSRs, PHY
 * registers); see lan9118.h for the model.
 */
#include "lan9118.h"

#include <string.h>

/* --- system control and status registers (byte offsets) ---------------------------------- */
#define RX_DATA_FIFO   0x00u
#define TX_DATA_FIFO   0x20u
#define RX_STATUS_FIFO 0x40u
#define TX_STATUS_FIFO 0x48u
#define ID_REV         0x50u
#define IRQ_CFG        0x54u
#define INT_STS        0x58u
#define INT_EN         0x5Cu
#define BYTE_TEST      0x64u
#define RX_CFG         0x6Cu
#define TX_CFG         0x70u
#define HW_CFG         0x74u
#define RX_FIFO_INF    0x7Cu
#define TX_FIFO_INF    0x80u
#define PMT_CTRL       0x84u
#define GPIO_CFG       0x88u
#define MAC_CSR_CMD    0xA4u
#define MAC_CSR_DATA   0xA8u

#define BYTE_TEST_VALUE   0x87654321u
#define HW_CFG_SRST       (1u << 0)
#define HW_CFG_TX_FIF_5K  (5u << 16)
#define HW_CFG_MBO        (1u << 20)
#define PMT_CTRL_READY    (1u << 0)
#define TX_CFG_TX_ON      (1u << 1)
#define TX_CFG_TXSAO      (1u << 2) /* keep transmitting even if the status FIFO overruns */
#define GPIO_CFG_LEDS     0x70070000u /* GPIO0..2 drive the speed/link/activity LEDs */
#define IRQ_CFG_TYPE      (1u << 0)  /* push-pull */
#define IRQ_CFG_POL       (1u << 4)  /* active high */
#define IRQ_CFG_EN        (1u << 8)
#define INT_RSFL          (1u << 3)  /* RX status FIFO above its level (0: any frame) */
#define RX_FIFO_INF_RXSUSED(v) (((v) >> 16) & 0xFFu)
#define TX_FIFO_INF_TXSUSED(v) (((v) >> 16) & 0xFFu)
#define TX_FIFO_INF_TDFREE(v)  ((v) & 0xFFFFu)

#define MAC_CSR_BUSY   (1u << 31)
#define MAC_CSR_READ   (1u << 30)

/* TX command words */
#define TXA_LAST_SEG   (1u << 12)
#define TXA_FIRST_SEG  (1u << 13)
#define TXA_OFFSET(o)  ((uint32_t)(o) << 16)
#define TXB_TAG(t)     ((uint32_t)(t) << 16)
#define TX_STATUS_ES   (1u << 15)

/* RX status word */
#define RXS_ES         (1u << 15)
#define RXS_LEN(s)     (((s) >> 16) & 0x3FFFu)

/* --- MAC control and status registers (indirect) ----------------------------------------- */
#define MAC_CR         1u
#define MAC_ADDRH      2u
#define MAC_ADDRL      3u
#define MAC_MII_ACC    6u
#define MAC_MII_DATA   7u

#define MAC_CR_RXEN    (1u << 2)
#define MAC_CR_TXEN    (1u << 3)
#define MAC_CR_FDPX    (1u << 20)

#define MII_BUSY       (1u << 0)
#define MII_WRITE      (1u << 1)
#define MII_PHY_ADDR   (1u << 11) /* internal PHY at address 1 */
#define MII_REG(r)     ((uint32_t)(r) << 6)

/* --- internal PHY registers --------------------------------------------------------------- */
#define PHY_BMCR       0u
#define PHY_BMSR       1u
#define PHY_ANAR       4u
#define PHY_ANLPAR     5u
#define BMCR_RESET     (1u << 15)
#define BMCR_ANENABLE  (1u << 12)
#define BMCR_ANRESTART (1u << 9)
#define BMSR_LINK      (1u << 2)
#define ANAR_DEFAULT   0x01E1u   /* 100FD 100HD 10FD 10HD, IEEE 802.3 selector */
#define AN_FULL_DUPLEX 0x0140u   /* 100BASE-TX FD | 10BASE-T FD */

#define SPIN_LIMIT 100000u

static inline uint32_t rd(const lan9118_t *dev, uint32_t off)
{
    return *(volatile const uint32_t *)(dev->base + off);
}

static inline void wr(const lan9118_t *dev, uint32_t off, uint32_t val)
{
    *(volatile uint32_t *)(dev->base + off) = val;
}

static int mac_wait(const lan9118_t *dev)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        if ((rd(dev, MAC_CSR_CMD) & MAC_CSR_BUSY) == 0) {
            return 0;
        }
    }
    return -1;
}

static uint32_t mac_read(const lan9118_t *dev, uint32_t idx)
{
    (void)mac_wait(dev);
    wr(dev, MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | idx);
    (void)mac_wait(dev);
    return rd(dev, MAC_CSR_DATA);
}

static void mac_write(const lan9118_t *dev, uint32_t idx, uint32_t val)
{
    (void)mac_wait(dev);
    wr(dev, MAC_CSR_DATA, val);
    wr(dev, MAC_CSR_CMD, MAC_CSR_BUSY | idx);
    (void)mac_wait(dev);
}

static int mii_wait(const lan9118_t *dev)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        if ((mac_read(dev, MAC_MII_ACC) & MII_BUSY) == 0) {
            return 0;
        }
    }
    return -1;
}

static uint16_t phy_read(const lan9118_t *dev, uint32_t reg)
{
    (void)mii_wait(dev);
    mac_write(dev, MAC_MII_ACC, MII_PHY_ADDR | MII_REG(reg) | MII_BUSY);
    (void)mii_wait(dev);
    return (uint16_t)(mac_read(dev, MAC_MII_DATA) & 0xFFFFu);
}

static void phy_write(const lan9118_t *dev, uint32_t reg, uint16_t val)
{
    (void)mii_wait(dev);
    mac_write(dev, MAC_MII_DATA, val);
    mac_write(dev, MAC_MII_ACC, MII_PHY_ADDR | MII_REG(reg) | MII_WRITE | MII_BUSY);
    (void)mii_wait(dev);
}

static int chip_known(uint32_t id)
{
    uint32_t chip = id >> 16;
    return (chip >= 0x0115u && chip <= 0x0118u) || chip == LAN9220_CHIP_ID ||
           chip == 0x9221u;
}

static int mac_usable(const uint8_t *m)
{
    static const uint8_t zero[6];
    return (m[0] & 1u) == 0 && memcmp(m, zero, 6) != 0;
}

int lan9118_init(lan9118_t *dev, uintptr_t base, const uint8_t *mac, const uint8_t *fallback_mac)
{
    memset(dev, 0, sizeof *dev);
    dev->base = base;

    /* BYTE_TEST also proves the bus byte order is right before anything else is trusted. */
    if (rd(dev, BYTE_TEST) != BYTE_TEST_VALUE) {
        return -1;
    }
    dev->id_rev = rd(dev, ID_REV);
    if (!chip_known(dev->id_rev)) {
        return -1;
    }

    wr(dev, HW_CFG, HW_CFG_SRST);
    uint32_t i;
    for (i = 0; i < SPIN_LIMIT; i++) {
        if ((rd(dev, HW_CFG) & HW_CFG_SRST) == 0 && (rd(dev, PMT_CTRL) & PMT_CTRL_READY) != 0) {
            break;
        }
    }
    if (i == SPIN_LIMIT) {
        return -2;
    }

    /* Polled operation: interrupt pin disabled, all sources masked, stale status cleared. */
    wr(dev, IRQ_CFG, 0);
    wr(dev, INT_EN, 0);
    wr(dev, INT_STS, 0xFFFFFFFFu);
    wr(dev, HW_CFG, HW_CFG_TX_FIF_5K | HW_CFG_MBO);
    wr(dev, GPIO_CFG, GPIO_CFG_LEDS);

    phy_write(dev, PHY_BMCR, (uint16_t)BMCR_RESET);
    for (i = 0; i < SPIN_LIMIT; i++) {
        if ((phy_read(dev, PHY_BMCR) & BMCR_RESET) == 0) {
            break;
        }
    }
    phy_write(dev, PHY_ANAR, ANAR_DEFAULT);
    phy_write(dev, PHY_BMCR, (uint16_t)(BMCR_ANENABLE | BMCR_ANRESTART));

    if (mac != NULL) {
        memcpy(dev->mac, mac, 6);
    } else {
        uint32_t lo = mac_read(dev, MAC_ADDRL);
        uint32_t hi = mac_read(dev, MAC_ADDRH);
        dev->mac[0] = (uint8_t)lo;
        dev->mac[1] = (uint8_t)(lo >> 8);
        dev->mac[2] = (uint8_t)(lo >> 16);
        dev->mac[3] = (uint8_t)(lo >> 24);
        dev->mac[4] = (uint8_t)hi;
        dev->mac[5] = (uint8_t)(hi >> 8);
        if (!mac_usable(dev->mac) && fallback_mac != NULL) {
            memcpy(dev->mac, fallback_mac, 6);
        }
    }
    mac_write(dev, MAC_ADDRL,
              (uint32_t)dev->mac[0] | ((uint32_t)dev->mac[1] << 8) |
                  ((uint32_t)dev->mac[2] << 16) | ((uint32_t)dev->mac[3] << 24));
    mac_write(dev, MAC_ADDRH, (uint32_t)dev->mac[4] | ((uint32_t)dev->mac[5] << 8));

    /* Perfect unicast filter + broadcast; duplex follows the link (lan9118_link_up). */
    mac_write(dev, MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN);
    wr(dev, RX_CFG, 0); /* 4-byte end alignment, no data offset */
    wr(dev, TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
    return 0;
}

int lan9118_link_up(lan9118_t *dev)
{
    /* BMSR link status latches low: the second read gives the current state. */
    (void)phy_read(dev, PHY_BMSR);
    int up = (phy_read(dev, PHY_BMSR) & BMSR_LINK) != 0;
    if (up && !dev->link) {
        uint16_t common = (uint16_t)(phy_read(dev, PHY_ANAR) & phy_read(dev, PHY_ANLPAR));
        uint32_t cr = mac_read(dev, MAC_CR);
        if (common & AN_FULL_DUPLEX) {
            cr |= MAC_CR_FDPX;
        } else {
            cr &= ~MAC_CR_FDPX;
        }
        mac_write(dev, MAC_CR, cr);
    }
    dev->link = (uint8_t)up;
    return up;
}

uint32_t lan9118_tx_free(lan9118_t *dev)
{
    return TX_FIFO_INF_TDFREE(rd(dev, TX_FIFO_INF));
}

uint32_t lan9118_tx_cost(const void *data, size_t len)
{
    size_t off = (uintptr_t)data & 3u;
    return (uint32_t)(8u + ((off + len + 3u) & ~(size_t)3u));
}

void lan9118_tx_buffer(lan9118_t *dev, const void *data, size_t len, int first, int last,
                       uint16_t frame_len)
{
    const uint8_t *b = data;
    size_t off = (uintptr_t)b & 3u;
    uint32_t cmd_a = (uint32_t)len | TXA_OFFSET(off) | (first ? TXA_FIRST_SEG : 0u) |
                     (last ? TXA_LAST_SEG : 0u);
    uint32_t cmd_b = TXB_TAG(dev->tx_frames & 0xFFFFu) | frame_len;
    wr(dev, TX_DATA_FIFO, cmd_a);
    wr(dev, TX_DATA_FIFO, cmd_b);

    /*
     * The FIFO takes whole little-endian words from the word-aligned address at or below the
     * buffer; the start offset in command A tells the MAC how many leading bytes to skip.
     * Partial first/last words are assembled from bytes so nothing outside the buffer is read.
     */
    size_t i = 0;
    uint32_t w;
    if (off != 0) {
        w = 0;
        for (size_t k = off; k < 4 && i < len; k++, i++) {
            w |= (uint32_t)b[i] << (8u * k);
        }
        wr(dev, TX_DATA_FIFO, w);
    }
    for (; len - i >= 4; i += 4) {
        memcpy(&w, b + i, 4);
        wr(dev, TX_DATA_FIFO, w);
    }
    if (i < len) {
        w = 0;
        for (size_t k = 0; i < len; k++, i++) {
            w |= (uint32_t)b[i] << (8u * k);
        }
        wr(dev, TX_DATA_FIFO, w);
    }
    if (last) {
        dev->tx_frames++;
    }
}

void lan9118_tx_reap(lan9118_t *dev)
{
    uint32_t used = TX_FIFO_INF_TXSUSED(rd(dev, TX_FIFO_INF));
    while (used-- > 0) {
        if (rd(dev, TX_STATUS_FIFO) & TX_STATUS_ES) {
            dev->tx_errors++;
        }
    }
}

static void rx_drop_words(lan9118_t *dev, uint32_t words)
{
    while (words-- > 0) {
        (void)rd(dev, RX_DATA_FIFO);
    }
}

uint32_t lan9118_rx_pending(lan9118_t *dev)
{
    return RX_FIFO_INF_RXSUSED(rd(dev, RX_FIFO_INF));
}

void lan9118_rx_mark_track(lan9118_t *dev, int on)
{
    dev->rx_mark_on = on != 0;
    dev->rx_mark = 0;
}

void lan9118_rx_mark(lan9118_t *dev)
{
    if (dev->rx_mark_on) {
        dev->rx_mark = RX_FIFO_INF_RXSUSED(rd(dev, RX_FIFO_INF));
    }
}

uint32_t lan9118_rx_marked(lan9118_t *dev)
{
    uint32_t pending = lan9118_rx_pending(dev);
    return dev->rx_mark < pending ? dev->rx_mark : pending;
}

void lan9118_rx_irq(lan9118_t *dev, int on)
{
    if (on) {
        /* Polarity and type first, so the line never shows a spurious level. */
        wr(dev, IRQ_CFG, IRQ_CFG_TYPE | IRQ_CFG_POL);
        wr(dev, INT_STS, INT_RSFL);
        wr(dev, INT_EN, INT_RSFL);
        wr(dev, IRQ_CFG, IRQ_CFG_TYPE | IRQ_CFG_POL | IRQ_CFG_EN);
    } else {
        wr(dev, INT_EN, 0);
        wr(dev, INT_STS, INT_RSFL);
        wr(dev, IRQ_CFG, 0);
    }
}

int lan9118_rx_next(lan9118_t *dev)
{
    if (RX_FIFO_INF_RXSUSED(rd(dev, RX_FIFO_INF)) == 0) {
        return 0;
    }
    uint32_t status = rd(dev, RX_STATUS_FIFO);
    if (dev->rx_mark > 0) {
        dev->rx_mark--; /* frames leave the FIFO in arrival order */
    }
    uint32_t raw = RXS_LEN(status); /* includes the 4-byte FCS */
    uint32_t words = (raw + 3u) / 4u;
    if ((status & RXS_ES) != 0 || raw < 14u + 4u || raw - 4u > LAN9118_MAX_FRAME) {
        rx_drop_words(dev, words);
        dev->rx_errors++;
        return -1;
    }
    dev->rx_words_left = words;
    dev->rx_word_bytes = 0;
    dev->rx_frames++;
    return (int)(raw - 4u);
}

void lan9118_rx_read(lan9118_t *dev, void *dst, size_t len)
{
    uint8_t *d = dst;
    while (len > 0) {
        if (dev->rx_word_bytes == 0) {
            if (dev->rx_words_left == 0) {
                memset(d, 0, len); /* caller asked for more than the frame holds */
                return;
            }
            if (len >= 4) {
                /* Fast path: whole words straight out of the FIFO. */
                uint32_t w = rd(dev, RX_DATA_FIFO);
                dev->rx_words_left--;
                memcpy(d, &w, 4);
                d += 4;
                len -= 4;
                continue;
            }
            dev->rx_word = rd(dev, RX_DATA_FIFO);
            dev->rx_words_left--;
            dev->rx_word_bytes = 4;
        }
        *d++ = (uint8_t)dev->rx_word;
        dev->rx_word >>= 8;
        dev->rx_word_bytes--;
        len--;
    }
}

void lan9118_rx_finish(lan9118_t *dev)
{
    rx_drop_words(dev, dev->rx_words_left);
    dev->rx_words_left = 0;
    dev->rx_word_bytes = 0;
}
