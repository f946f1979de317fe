# qemu-enroll: the EST device firmware for the QEMU MPS2 boards (examples/qemu-enroll).
#
#   make TARGET=cortex-m3 qemu-enroll       build/cortex-m3/qemu-enroll.elf (AN385, Cortex-M3)
#   make TARGET=cortex-m4 qemu-enroll       build/cortex-m4/qemu-enroll.elf (AN386, Cortex-M4)
#   make TARGET=... PKIOT_BENCH=1 qemu-enroll
#                                           the same image with the instruction-count breakdown
#                                           and the Mbed TLS arena high-water mark (BENCH line);
#                                           `nm` shows the symbol qe_bench in that variant
#   make TARGET=... qemu-run-enroll ENROLL_ARGS="host=10.0.2.2 port=8443 ca=... flash=..."
#                                           run it (the EST server must be reachable, see
#                                           examples/qemu-enroll/README.md)
#   make qemu-test-enroll                   test/interop/test_qemu_est.sh (both boards)
#
# BOARD works as in mk/qemu.mk (TARGET=cortex-m3 BOARD=qemu-mps2-an386 puts the image in
# build/cortex-m3/qemu-mps2-an386/). The board objects, link flags, QEMU command line and
# the heap check are mk/qemu.mk's. QE_ARENA=N sets the Mbed TLS arena size (default 64 KiB).
#
# mk/qemu.mk sorts after this file among the fragments the top Makefile reads, and its
# variables name the targets below. So the first read (as a fragment) only defines the entry
# targets; they run a sub-make that reads this file once more, after everything else.

ifndef QE_MK_SECOND_READ
QE_MK_SECOND_READ := 1

.PHONY: qemu-enroll qemu-run-enroll qemu-test-enroll
qemu-enroll qemu-run-enroll:
	$(Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) -f mk/qemu-enroll.mk \
	  qe-$@

qemu-test-enroll:
	$(Q)bash test/interop/test_qemu_est.sh

else # ---- second read: mk/qemu.mk's variables exist -------------------------------------------

ifneq ($(filter $(BOARD),$(QEMU_BOARDS)),)
PKIOT_BENCH ?=
QE_VARIANT  := $(if $(filter 1,$(PKIOT_BENCH)),bench,plain)
QE_OBJ      := $(FW_OBJ)/qemu-enroll-$(QE_VARIANT)
QE_ELF      := $(FW_DIR)/qemu-enroll.elf
QE_STAMP    := $(FW_DIR)/qemu-enroll.variant
QE_ARENA    ?= $(BOARD_MBEDTLS_ARENA_SIZE)
QE_SRCS     := $(sort $(wildcard examples/qemu-enroll/*.c)) boards/common/mbedtls/board_mbedtls.c
QE_OBJS     := $(patsubst %.c,$(QE_OBJ)/%.o,$(QE_SRCS))
# The bench image counts the arena's high-water mark: its own copy of Mbed TLS's allocator,
# built with MBEDTLS_MEMORY_DEBUG, is linked ahead of the archive's.
QE_BENCH_CFG := -DMBEDTLS_USER_CONFIG_FILE='"bench_mbedtls_config.h"'
ifeq ($(QE_VARIANT),bench)
QE_OBJS     += $(QE_OBJ)/mbedtls/memory_buffer_alloc.o
endif
QE_CPPFLAGS  = $(FW_CPPFLAGS) -I$(BUILD)/gen $(CONFIG_DEFS) -Iports -Iboards/common/mbedtls \
               -Iexamples/qemu-enroll $(MBEDTLS_CPPFLAGS) \
               $(if $(QE_ARENA),-DBOARD_MBEDTLS_ARENA_SIZE=$(QE_ARENA)) \
               $(if $(filter bench,$(QE_VARIANT)),-DPKIOT_BENCH=1 $(QE_BENCH_CFG))
QE_LIBS      = $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB) $(LWIP_LIB)
ENROLL_ARGS ?= host=10.0.2.2 port=8443 ca=build/demo/trust.pem flash=build/qemu-enroll-flash.bin \
               user=estuser:estpwd subject=CN=qemu-device

.PHONY: qe-qemu-enroll qe-qemu-run-enroll
qe-qemu-enroll: qemu-check-board $(QE_ELF)
	$(Q)$(CROSS_COMPILE)size $(QE_ELF)

qe-qemu-run-enroll: qe-qemu-enroll
	$(QEMU) $(QEMU_FLAGS) -kernel $(QE_ELF) -append "$(ENROLL_ARGS)"

# Which variant the image is; rewritten only when that changes, so switching relinks.
$(QE_STAMP): FORCE
	@mkdir -p $(@D)
	@echo $(QE_VARIANT) | cmp -s - $@ || echo $(QE_VARIANT) > $@

$(QE_OBJ)/%.o: %.c $(CONFIG_H) $(FLAGS_STAMP) $(MBEDTLS_CONFIG)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(QE_CPPFLAGS) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(QE_OBJ)/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c examples/qemu-enroll/bench_mbedtls_config.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(MBEDTLS_CPPFLAGS) -I$(MBEDTLS_DIR)/library -Iexamples/qemu-enroll $(QE_BENCH_CFG) \
	  $(ARCHFLAGS) -std=c99 -w -c $< -o $@

$(QE_ELF): $(QE_OBJS) $(FW_BASE_OBJS) $(QE_LIBS) $(FW_LD_DEPS) $(QE_STAMP)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(FW_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(QE_OBJS) $(FW_BASE_OBJS) \
	  -Wl,--start-group $(QE_LIBS) -Wl,--end-group $(FW_LDLIBS)
	$(call fw_heap_check,$@)

-include $(wildcard $(QE_OBJ)/*/*/*.d $(QE_OBJ)/*/*/*/*.d)
else
qe-qemu-enroll qe-qemu-run-enroll:
	@echo "$(@:qe-%=%): needs TARGET=cortex-m3 or cortex-m4 (or BOARD=one of: $(QEMU_BOARDS))" >&2; exit 1
endif

endif
