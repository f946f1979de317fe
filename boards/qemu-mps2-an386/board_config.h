/**
 * @file board_config.h
 * @brief Fixed facts of the MPS2 AN386 FPGA image as QEMU (7.2) models it (`-M mps2-an386`).
 *
 * Memory map: ZBT SSRAM1 (code) 4 MiB at 0x00000000, ZBT SSRAM2/3 (data) 4 MiB at
 * 0x20000000, PSRAM 16 MiB at 0x21000000 (unused); see memory.ld. Peripherals: CMSDK UART0 at
 * 0x40004000, LAN9118 Ethernet at 0x40200000 (IRQ 13, unused: the driver polls).
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#define BOARD_NAME           "qemu-mps2-an386 (Cortex-M4)"
/** Core clock feeding SysTick (CLKSOURCE = processor clock). */
#define BOARD_SYSCLK_HZ      25000000u
/** Number of external interrupt lines wired to the NVIC on this image. */
#define BOARD_NUM_IRQ        32
#define BOARD_LAN9118_BASE   0x40200000u
/**
 * Locally administered MAC used when the controller reports none (no EEPROM). QEMU loads
 * the `-nic ...,mac=` address (default 52:54:00:12:34:56) into the MAC at reset.
 */
#define BOARD_DEFAULT_MAC    {0x02, 0x50, 0x4b, 0x49, 0x4f, 0x54}

#endif /* BOARD_CONFIG_H */
