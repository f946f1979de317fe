# Device cost of an enrollment (scripts/bench_device.sh):
#
#   make bench-device [BENCH_RUNS=5]   the qemu-enroll firmware built with PKIOT_BENCH=1
#                                      enrolls against libest's estserver BENCH_RUNS times under
#                                      qemu-system-arm -icount shift=0; prints instructions for
#                                      total, crypto, TLS handshake and everything else, checks
#                                      that the runs give identical counts
#   make bench-device BENCH_MARKDOWN=1 also a markdown table
#   make bench-device BENCH_BUILD=0    use $(BENCH_DEVICE_ELF) as it is (no rebuild)
#
# The image is $(BENCH_DEVICE_ELF) (build/cortex-m4/qemu-enroll.elf); it is rebuilt first
# with `make TARGET=cortex-m4 PKIOT_BENCH=1 qemu-enroll` when that target exists.

BENCH_RUNS        ?= 5
BENCH_MARKDOWN    ?=
BENCH_BUILD       ?= 1
BENCH_DEVICE_TARGET ?= cortex-m4
BENCH_DEVICE_ELF  ?= build/$(BENCH_DEVICE_TARGET)/qemu-enroll.elf

# The fragment that builds the firmware, if there is one yet.
BENCH_FW_MK = $(shell grep -ls 'qemu-enroll' $(filter-out mk/bench-device.mk mk/size.mk mk/bench.mk,$(wildcard mk/*.mk)))

.PHONY: bench-device
bench-device: $(if $(LIBEST_STAMP),libest)
	$(Q)if [ "$(BENCH_BUILD)" = 1 ] && [ -n "$(BENCH_FW_MK)" ]; then \
	  $(MAKE) --no-print-directory TARGET=$(BENCH_DEVICE_TARGET) PKIOT_DEFCONFIG= PKIOT_BENCH=1 \
	    qemu-enroll || exit 2; fi
	$(Q)BENCH_ELF=$(BENCH_DEVICE_ELF) BENCH_RUNS=$(BENCH_RUNS) BENCH_MARKDOWN=$(BENCH_MARKDOWN) \
	  PYTHON=$(PYTHON) bash $(TOP)/scripts/bench_device.sh; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "bench-device: skipped (no network namespaces or no QEMU)"; exit 0; fi; \
	  exit $$rc
