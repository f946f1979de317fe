# Device cost of an enrollment (scripts/bench_device.sh):
#
#   make bench-device [BENCH_RUNS=5]   the qemu-enroll firmware built with PKIOT_BENCH=1
#                                      enrolls BENCH_RUNS times under
#                                      qemu-system-arm -icount shift=0,sleep=off; prints
#                                      instructions for total, crypto, TLS handshake and
#                                      everything else, and checks that the runs give
#                                      identical counts
#   make bench-device BENCH_MARKDOWN=1 also a markdown table
#   make bench-device BENCH_BUILD=0    use $(BENCH_DEVICE_ELF) as it is (no rebuild)
#   make bench-device BENCH_SESSION=DIR
#                                      keep the recorded server session in DIR and replay
#                                      it in later invocations (counts then repeat across
#                                      invocations too, e.g. before and after a change that
#                                      leaves the device's bytes alone)
#
# The runs repeat exactly because nothing in them varies: the image runs in its bench-only
# fixed-input mode (fixed entropy stream, fixed Unix time, network input taken at fixed
# points of its execution; examples/qemu-enroll/bench_fixed.c), and the server's side is
# one enrollment against libest's estserver, recorded through a proxy at the start of each
# invocation and replayed byte for byte to every measured run, which must send the recorded
# bytes back (test/tools/tcp_replay.py). A new invocation records anew (libest's keys and
# signatures change), so its counts may differ slightly from the last one's.
#
# The image is $(BENCH_DEVICE_ELF), built in its own directory $(BENCH_DEVICE_BUILD) with
# `make TARGET=cortex-m4 BUILD=$(BENCH_DEVICE_BUILD) PKIOT_BENCH=1 qemu-enroll` when that
# target exists, so the plain build/cortex-m4/qemu-enroll.elf is never relinked as a bench
# image.

BENCH_RUNS        ?= 5
BENCH_MARKDOWN    ?=
BENCH_BUILD       ?= 1
BENCH_SESSION     ?=
BENCH_DEVICE_TARGET ?= cortex-m4
BENCH_DEVICE_BUILD ?= build/$(BENCH_DEVICE_TARGET)-bench
BENCH_DEVICE_ELF  ?= $(BENCH_DEVICE_BUILD)/qemu-enroll.elf

# The fragment that builds the firmware, if there is one yet.
BENCH_FW_MK = $(shell grep -ls 'qemu-enroll' $(filter-out mk/bench-device.mk mk/size.mk mk/bench.mk,$(wildcard mk/*.mk)))

.PHONY: bench-device
bench-device: $(if $(LIBEST_STAMP),libest)
	$(Q)if [ "$(BENCH_BUILD)" = 1 ] && [ -n "$(BENCH_FW_MK)" ]; then \
	  $(MAKE) --no-print-directory TARGET=$(BENCH_DEVICE_TARGET) BUILD=$(BENCH_DEVICE_BUILD) \
	    PKIOT_DEFCONFIG= PKIOT_BENCH=1 qemu-enroll || exit 2; fi
	$(Q)BENCH_ELF=$(BENCH_DEVICE_ELF) BENCH_RUNS=$(BENCH_RUNS) BENCH_MARKDOWN=$(BENCH_MARKDOWN) \
	  BENCH_SESSION=$(BENCH_SESSION) PYTHON=$(PYTHON) bash $(TOP)/scripts/bench_device.sh; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "bench-device: skipped (no network namespaces or no QEMU)"; exit 0; fi; \
	  exit $$rc
