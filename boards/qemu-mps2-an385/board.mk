# Build facts of boards/qemu-mps2-an385 (Cortex-M3), read by mk/qemu.mk.
BOARD_QEMU_MACHINE  := mps2-an385
# TARGETs whose code this core runs; the first is the native one.
BOARD_TARGETS       := cortex-m3
