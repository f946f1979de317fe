/**
 * @file lan9118.h
 * @brief SMSC LAN9118 (and register-compatible LAN9220) 10/100 Ethernet controller, polled.
 *
 * Written from the SMSC LAN9118 datasheet register map. The controller sits on a 32-bit
 * memory bus; packets move through FIFOs (TX data FIFO with command A/B words per buffer,
 * RX status + RX data FIFOs). The MAC is reached through the indirect MAC_CSR_CMD/DATA pair
 * and the internal PHY (address 1) through the MAC's MII_ACC/MII_DATA registers.
 *
 * No interrupts are used: the firmware's main loop calls the netif poll function, which
 * drains the RX FIFO and the TX status FIFO. Under QEMU (`-nic user,model=lan9118`) the
 * controller is at 0x40200000 on the MPS2 AN385/AN386 images.
 *
 * Two layers: the lan9118_* register-level functions below (no lwIP), and
 * lan9118_netif_init()/lan9118_netif_poll() in lan9118_netif.h which wire it to lwIP.
 */
#ifndef LAN9118_H
#define LAN9118_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Value of ID_REV[31:16] for a LAN9118 (QEMU reads 0x01180001 as a whole). */
#define LAN9118_CHIP_ID 0x0118u
#define LAN9220_CHIP_ID 0x9220u

/** Largest frame the driver moves, without FCS (1500 + 14 header + 4 VLAN tag). */
#define LAN9118_MAX_FRAME 1518u

typedef struct lan9118 {
    uintptr_t base;
    uint8_t mac[6];
    uint32_t id_rev;
    uint8_t link;        /**< last link state seen by lan9118_link_up() */
    uint32_t rx_frames;
    uint32_t rx_errors;  /**< frames dropped: error status, oversize, or no buffer */
    uint32_t tx_frames;
    uint32_t tx_errors;  /**< TX status words with the error summary bit */
    /* receive cursor inside the current frame */
    uint32_t rx_words_left; /**< FIFO words of the current frame not yet popped */
    uint32_t rx_word;       /**< last popped word, partly consumed */
    uint8_t rx_word_bytes;  /**< bytes of rx_word not yet consumed */
    /* lan9118_rx_mark_track() */
    uint8_t rx_mark_on;
    uint32_t rx_mark;       /**< frames waiting right after the last transmission, unread */
} lan9118_t;

/**
 * Resets the controller, configures MAC address, PHY (auto-negotiation) and FIFOs, and
 * enables TX and RX.
 * @param mac address to program; NULL keeps the one the controller loaded at reset (EEPROM,
 *            or QEMU's `-nic ...,mac=`), falling back to @p fallback_mac when that is
 *            all-zero or multicast. The address in use is left in dev->mac.
 * @return 0, or -1 when no LAN9118 answers at @p base, -2 when reset does not complete.
 */
int lan9118_init(lan9118_t *dev, uintptr_t base, const uint8_t *mac,
                 const uint8_t *fallback_mac);

/** @return 1 when the PHY reports link up (BMSR link status), else 0. */
int lan9118_link_up(lan9118_t *dev);

/** @return free bytes in the TX data FIFO. */
uint32_t lan9118_tx_free(lan9118_t *dev);

/**
 * TX data FIFO bytes one buffer of @p len bytes starting at @p data takes
 * (command words + word-rounded data including the start offset).
 */
uint32_t lan9118_tx_cost(const void *data, size_t len);

/**
 * Queues one buffer of a frame. A frame is one or more buffers: the first has @p first set,
 * the last @p last; @p frame_len is the whole frame length and must be the same for each
 * buffer. The caller checks lan9118_tx_free() >= the sum of lan9118_tx_cost() first.
 * Buffers may start at any byte address.
 */
void lan9118_tx_buffer(lan9118_t *dev, const void *data, size_t len, int first, int last,
                       uint16_t frame_len);

/** Pops TX status words (counting errors); call regularly so the status FIFO never fills. */
void lan9118_tx_reap(lan9118_t *dev);

/** @return received frames waiting in the RX FIFO that lan9118_rx_next() has not started. */
uint32_t lan9118_rx_pending(lan9118_t *dev);

/**
 * Starts (@p on) or stops the marking below. Under an emulator whose network answers some
 * frames within their transmission (QEMU's slirp acknowledges and answers ARP that way), the
 * mark taken right after a transmission tells those answers, and whatever came before, from
 * frames that arrive later, on host time. The caller marks (lan9118_netif does, around each
 * frame it sends).
 */
void lan9118_rx_mark_track(lan9118_t *dev, int on);

/** Marks the frames waiting now (no-op unless tracking is on). */
void lan9118_rx_mark(lan9118_t *dev);

/** @return frames waiting at the last mark that are still unread. */
uint32_t lan9118_rx_marked(lan9118_t *dev);

/**
 * Drives the controller's IRQ line (active high) while received frames wait (@p on), or
 * returns it to the polled configuration of lan9118_init(). For a caller that sleeps in WFI
 * until a frame arrives; the NVIC side is the caller's.
 */
void lan9118_rx_irq(lan9118_t *dev, int on);

/**
 * Starts on the next received frame.
 * @return frame length without FCS (> 0); 0 when no frame is waiting; -1 when the frame
 *         has an error status or is oversize (it has already been dropped).
 * After a positive return, read the frame with lan9118_rx_read() (any number of calls) and
 * always end it with lan9118_rx_finish().
 */
int lan9118_rx_next(lan9118_t *dev);

/** Reads the next @p len bytes of the current frame into @p dst (any alignment). */
void lan9118_rx_read(lan9118_t *dev, void *dst, size_t len);

/** Ends the current frame, dropping whatever of it (FCS included) has not been read. */
void lan9118_rx_finish(lan9118_t *dev);

#ifdef __cplusplus
}
#endif

#endif /* LAN9118_H */
