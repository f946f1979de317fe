# Build facts of boards/qemu-mps2-an386 (Cortex-M4), read by mk/qemu.mk.
BOARD_QEMU_MACHINE  := mps2-an386
# TARGETs whose code this core runs; the first is the native one.
BOARD_TARGETS       := cortex-m4 cortex-m3
