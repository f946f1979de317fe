# Firmware for the QEMU MPS2 boards (boards/qemu-mps2-an385: Cortex-M3, -an386: Cortex-M4).
#
#   make TARGET=cortex-m3 qemu-net-smoke         build/cortex-m3/qemu-net-smoke.elf (AN385)
#   make TARGET=cortex-m4 qemu-net-smoke         build/cortex-m4/qemu-net-smoke.elf (AN386)
#   make TARGET=cortex-m3 qemu-run-net-smoke SMOKE_ARGS="port=8000"
#                                                run it in QEMU (user networking; the host is
#                                                10.0.2.2 inside); Ctrl-A x quits
#   make TARGET=... qemu-run ELF=path.elf QEMU_APPEND="..."
#                                                run any image built for the board
#   make qemu-boards                             the smoke image for both boards
#   make qemu-test-net                           test/interop/test_qemu_net.sh (both boards)
#
# BOARD defaults to the board whose core matches TARGET; BOARD=qemu-mps2-an386 with
# TARGET=cortex-m3 also works (M3 code on the M4), and then the image goes to
# $(BUILD)/<board>/ so both can coexist. Every image is checked with nm: it must not
# contain malloc, free, _sbrk or their reentrant variants (the link also fails if a heap
# function sneaks in, because the linker script provides no heap and nothing provides _sbrk).

QEMU            ?= qemu-system-arm
QEMU_BOARDS     := qemu-mps2-an385 qemu-mps2-an386
QEMU_BOARD_cortex-m3 := qemu-mps2-an385
QEMU_BOARD_cortex-m4 := qemu-mps2-an386
BOARD           ?= $(QEMU_BOARD_$(TARGET))
BOARD_DIR       := boards/$(BOARD)

.PHONY: qemu-net-smoke qemu-run-net-smoke qemu-run qemu-boards qemu-test-net qemu-check-board

qemu-boards:
	$(Q)$(MAKE) --no-print-directory TARGET=cortex-m3 BOARD=qemu-mps2-an385 qemu-net-smoke
	$(Q)$(MAKE) --no-print-directory TARGET=cortex-m4 BOARD=qemu-mps2-an386 qemu-net-smoke

qemu-test-net:
	$(Q)bash test/interop/test_qemu_net.sh

ifneq ($(filter $(BOARD),$(QEMU_BOARDS)),)
include $(BOARD_DIR)/board.mk

FW_DIR     := $(BUILD)$(if $(filter $(BOARD),$(QEMU_BOARD_$(TARGET))),,/$(BOARD))
FW_OBJ     := $(BUILD)/fw/$(BOARD)
FW_CPPFLAGS = -Iinclude -I$(BOARD_DIR) -Iboards/common -Iports/lwip $(LWIP_CPPFLAGS)
FW_CFLAGS   = $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -fstack-usage
FW_LDSCRIPT := boards/common/cortex_m.ld
FW_LDFLAGS  = $(ARCHFLAGS) -nostartfiles -T $(FW_LDSCRIPT) -L $(BOARD_DIR) -Wl,--gc-sections \
              -Wl,--no-warn-rwx-segments
FW_LDLIBS   := -Wl,--start-group -lc -lgcc -Wl,--end-group

BOARD_SRCS     := $(sort $(wildcard boards/common/*.c $(BOARD_DIR)/*.c))
LWIP_PORT_SRCS := ports/lwip/pkiot_lwip_net.c
SMOKE_SRCS     := $(sort $(wildcard examples/qemu-net-smoke/*.c))
FW_BASE_OBJS   := $(patsubst %.c,$(FW_OBJ)/%.o,$(BOARD_SRCS) $(LWIP_PORT_SRCS))
SMOKE_OBJS     := $(patsubst %.c,$(FW_OBJ)/%.o,$(SMOKE_SRCS))
SMOKE_ELF      := $(FW_DIR)/qemu-net-smoke.elf
FW_LD_DEPS      = $(FW_LDSCRIPT) $(BOARD_DIR)/memory.ld

# Heap symbols that must never appear in an image.
FW_HEAP_LIST := malloc calloc realloc free strdup strndup reallocarray aligned_alloc \
  posix_memalign memalign valloc pvalloc asprintf vasprintf _malloc_r _free_r _calloc_r \
  _realloc_r _strdup_r _strndup_r _memalign_r _sbrk _sbrk_r sbrk
fw_empty :=
fw_space := $(fw_empty) $(fw_empty)
FW_HEAP_SYMS := $(subst $(fw_space),|,$(strip $(FW_HEAP_LIST)))
define fw_heap_check
	@if $(NM) $(1) | grep -Eq ' ($(FW_HEAP_SYMS))$$'; then \
	  echo "heap symbols linked into $(1):" >&2; $(NM) $(1) | grep -E ' ($(FW_HEAP_SYMS))$$' >&2; \
	  rm -f $(1); exit 1; fi
	@echo "  HEAP    $(1): no malloc/free/_sbrk"
endef

QEMU_NET    ?= -nic user,model=lan9118
QEMU_FLAGS   = -M $(BOARD_QEMU_MACHINE) -nographic \
               -semihosting-config enable=on,target=native $(QEMU_NET)
SMOKE_ARGS  ?= port=8000

qemu-check-board:
	@case " $(BOARD_TARGETS) " in *" $(TARGET) "*) ;; \
	  *) echo "BOARD=$(BOARD) runs $(BOARD_TARGETS) code, not TARGET=$(TARGET)" >&2; exit 1;; esac

qemu-net-smoke: qemu-check-board lwip-port-check $(SMOKE_ELF)
	$(Q)$(CROSS_COMPILE)size $(SMOKE_ELF)

$(FW_OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(FW_CPPFLAGS) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(SMOKE_ELF): $(SMOKE_OBJS) $(FW_BASE_OBJS) $(LWIP_LIB) $(FW_LD_DEPS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(FW_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(SMOKE_OBJS) $(FW_BASE_OBJS) \
	  $(LWIP_LIB) $(FW_LDLIBS)
	$(call fw_heap_check,$@)

# --- TLS smoke: Mbed TLS on the static arena over the same lwIP net port ----------------------
# Needs the cross Mbed TLS archive $(MBEDTLS_LIB) (built by the top Makefile's rules).
TLS_SMOKE_SRCS := examples/qemu-net-smoke/tls/main.c examples/qemu-net-smoke/smoke_common.c \
                  boards/common/mbedtls/board_mbedtls.c
TLS_SMOKE_OBJS := $(patsubst %.c,$(FW_OBJ)/tls/%.o,$(TLS_SMOKE_SRCS))
TLS_SMOKE_ELF  := $(FW_DIR)/qemu-tls-smoke.elf
TLS_SMOKE_ARGS ?= port=4433 ca=build/qemu-tls/ca.pem sni=pkiot-test-server
# BOARD_MBEDTLS_ARENA_SIZE=N overrides the static Mbed TLS heap (default 64 KiB).
BOARD_MBEDTLS_ARENA_SIZE ?=
TLS_CPPFLAGS    = $(FW_CPPFLAGS) -Iexamples/qemu-net-smoke -Iboards/common/mbedtls $(MBEDTLS_CPPFLAGS) \
                  $(if $(BOARD_MBEDTLS_ARENA_SIZE),-DBOARD_MBEDTLS_ARENA_SIZE=$(BOARD_MBEDTLS_ARENA_SIZE))

.PHONY: qemu-tls-smoke qemu-run-tls-smoke
qemu-tls-smoke: qemu-check-board $(TLS_SMOKE_ELF)
	$(Q)$(CROSS_COMPILE)size $(TLS_SMOKE_ELF)

$(FW_OBJ)/tls/%.o: %.c $(FLAGS_STAMP) $(MBEDTLS_CONFIG)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(TLS_CPPFLAGS) $(FW_CFLAGS) -MMD -MP -c $< -o $@

$(TLS_SMOKE_ELF): $(TLS_SMOKE_OBJS) $(FW_BASE_OBJS) $(LWIP_LIB) $(MBEDTLS_LIB) $(FW_LD_DEPS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(FW_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(TLS_SMOKE_OBJS) $(FW_BASE_OBJS) \
	  $(LWIP_LIB) $(MBEDTLS_LIB) $(FW_LDLIBS)
	$(call fw_heap_check,$@)

qemu-run-tls-smoke: qemu-tls-smoke
	$(QEMU) $(QEMU_FLAGS) -kernel $(TLS_SMOKE_ELF) -append "$(TLS_SMOKE_ARGS)"

qemu-run-net-smoke: qemu-net-smoke
	$(QEMU) $(QEMU_FLAGS) -kernel $(SMOKE_ELF) -append "$(SMOKE_ARGS)"

qemu-run:
	@test -n "$(ELF)" || { echo "usage: make TARGET=$(TARGET) qemu-run ELF=image.elf [QEMU_APPEND=...]" >&2; exit 1; }
	$(QEMU) $(QEMU_FLAGS) -kernel $(ELF) $(if $(QEMU_APPEND),-append "$(QEMU_APPEND)")

-include $(wildcard $(FW_OBJ)/*/*.d $(FW_OBJ)/*/*/*.d $(FW_OBJ)/*/*/*/*.d $(FW_OBJ)/tls/*/*/*/*.d)
else
qemu-net-smoke qemu-run-net-smoke qemu-run qemu-check-board:
	@echo "$@: needs TARGET=cortex-m3 or cortex-m4 (or BOARD=one of: $(QEMU_BOARDS))" >&2; exit 1
endif
