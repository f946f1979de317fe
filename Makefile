# pkiot — top-level build.
#
#   make deps                    install packages and fetch third-party sources (idempotent)
#   make [lib]                   build/<variant>/libpkiot.a
#   make ports                   + libpkiot_ports.a and libpkiot_mbedtls3p.a (Mbed TLS)
#   make unit | check            build | build and run the unit tests of this variant (host)
#   make TARGET=cortex-m4 lib    cross build (cortex-m3, cortex-m4, cortex-m33), -Os
#   make CC=clang ... / SAN=asan host variants in build/host-clang, build/host-asan
#   make defconfig [DEFCONFIG=cortex_m_est_defconfig]   configs/<name> -> .config
#   make menuconfig | savedefconfig [SAVEDEFCONFIG=file]
#   make PKIOT_DEFCONFIG=configs/<name> lib    build that profile in its own directory
#                                (e.g. build/cortex-m4-est); .config is not touched
#   make test                    everything CI runs; ends with "N passed, N failed"
#   make check-heap | cppcheck   no allocator references in the archives | static analysis
#   make fuzz-smoke | fuzz [FUZZ_SECONDS=300]   libFuzzer targets in build/fuzz
#   make demo | bench | size     (see mk/*.mk)
#   make clean | distclean       this variant's build directory | build/, third_party/, .config
#   V=1 prints full command lines.
#
# Sources are discovered by wildcard: a new lib/<module>/*.c, ports/<port>/*.c,
# test/unit/test_*.c or test/fuzz/fuzz_*.c is built without editing this file.
# Fragments mk/*.mk are read after the variables below and before the rules in mk/build.mk,
# so they may append to PORT_SRCS or TEST_PREREQS (targets `make test` builds before running
# the tests, e.g. tools the interop scripts start) and add prerequisites to `ports`/`all`.

TARGET   ?= host
TOP      := $(CURDIR)
# Debian's interpreter: python3-kconfiglib installs for it, not for a user-local python.
PYTHON   ?= /usr/bin/python3
NPROC    := $(shell nproc 2>/dev/null || echo 2)
MBEDTLS_DIR ?= $(TOP)/third_party/mbedtls
LWIP_DIR    ?= $(TOP)/third_party/lwip
export MBEDTLS_DIR LWIP_DIR

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

ifeq ($(V),1)
  Q :=
  quiet = @:
else
  Q := @
  quiet = @printf '  %-7s %s\n'
endif

# --- configuration ------------------------------------------------------------------------
# $(BUILD)/gen/pkiot_config.h comes from, in order of preference:
#   PKIOT_DEFCONFIG=<file or configs/ name>   a profile build (own BUILD directory)
#   .config                                    from `make defconfig` / `make menuconfig`
#   configs/$(DEFCONFIG)                       the target's default profile
# Builds outside this Makefile may skip it entirely: include/pkiot/config_defaults.h supplies
# the Kconfig defaults.
DEFCONFIG ?= $(if $(filter host,$(TARGET)),host_defconfig,cortex_m_all_defconfig)
PKIOT_DEFCONFIG ?=
PROFILE :=
ifneq ($(strip $(PKIOT_DEFCONFIG)),)
  KCONFIG_SRC := $(firstword $(wildcard $(PKIOT_DEFCONFIG) configs/$(PKIOT_DEFCONFIG)))
  ifeq ($(KCONFIG_SRC),)
    $(error PKIOT_DEFCONFIG=$(PKIOT_DEFCONFIG): no such file (also looked in configs/))
  endif
  # configs/cortex_m_est_defconfig -> "est", configs/my_board_defconfig -> "my-board"
  PROFILE := $(subst _,-,$(patsubst host_%,%,$(patsubst cortex_m_%,%,$(patsubst %_defconfig,%,$(notdir $(KCONFIG_SRC))))))
else ifneq ($(wildcard .config),)
  KCONFIG_SRC := .config
else
  KCONFIG_SRC := configs/$(DEFCONFIG)
endif

# --- toolchain and variant ----------------------------------------------------------------
SAN ?=
ifeq ($(TARGET),host)
  ifeq ($(origin CC),default)
    CC := gcc
  endif
  NM       ?= nm
  CCNAME   := $(notdir $(firstword $(CC)))
  VARIANT  := host$(if $(filter clang%,$(CCNAME)),-clang)$(if $(SAN),-$(SAN))
  ARCHFLAGS := -O2 -g
  ifeq ($(SAN),asan)
    ARCHFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  else ifneq ($(SAN),)
    $(error unknown SAN '$(SAN)': use SAN=asan (AddressSanitizer + UndefinedBehaviorSanitizer))
  endif
  HOST_PORTS := 1
else
  CROSS_COMPILE ?= arm-none-eabi-
  override CC := $(CROSS_COMPILE)gcc
  override AR := $(CROSS_COMPILE)ar
  NM       := $(CROSS_COMPILE)nm
  VARIANT  := $(TARGET)
  ifneq ($(SAN),)
    $(error SAN=$(SAN) is for host builds only)
  endif
  ifeq ($(TARGET),cortex-m3)
    ARCHFLAGS := -mcpu=cortex-m3 -mthumb
  else ifeq ($(TARGET),cortex-m4)
    ARCHFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
  else ifeq ($(TARGET),cortex-m33)
    ARCHFLAGS := -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
  else
    $(error unknown TARGET '$(TARGET)': use host, cortex-m3, cortex-m4 or cortex-m33)
  endif
  ARCHFLAGS += -Os -g -ffunction-sections -fdata-sections --specs=nano.specs
  HOST_PORTS :=
endif
BUILD ?= build/$(VARIANT)$(if $(PROFILE),-$(PROFILE))

CONFIG_H    := $(BUILD)/gen/pkiot_config.h
CONFIG_DEFS := -DPKIOT_CONFIG_FILE='"pkiot_config.h"'
# Rewritten only when the compiler or its flags change, so every object depends on it.
FLAGS_STAMP := $(BUILD)/gen/flags.txt

WARN      := -Wall -Wextra -Werror -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef
CSTD      := -std=c11
CPPFLAGS_LIB := -Iinclude -I$(BUILD)/gen $(CONFIG_DEFS)
CFLAGS_LIB   := $(CSTD) $(ARCHFLAGS) $(WARN) -fstack-usage
# Ports and tests include third-party headers, so they get the strict set minus -Wconversion.
WARN_PORT := -Wall -Wextra -Werror -Wshadow -Wformat=2

# --- Mbed TLS -------------------------------------------------------------------------------
MBEDTLS_CONFIG := $(TOP)/configs/mbedtls/pkiot_mbedtls_config.h
MBEDTLS_CPPFLAGS := -isystem $(MBEDTLS_DIR)/include -I$(TOP)/configs/mbedtls \
  -DMBEDTLS_CONFIG_FILE='"pkiot_mbedtls_config.h"' $(if $(HOST_PORTS),,-DPKIOT_MBEDTLS_BAREMETAL)
MBEDTLS_SRCS = $(wildcard $(MBEDTLS_DIR)/library/*.c)
MBEDTLS_OBJS = $(patsubst $(MBEDTLS_DIR)/library/%.c,$(BUILD)/mbedtls/%.o,$(MBEDTLS_SRCS))
MBEDTLS_LIB  := $(BUILD)/libpkiot_mbedtls3p.a

# --- pkiot library --------------------------------------------------------------------------
LIB_SRCS = $(sort $(wildcard lib/*/*.c))
LIB_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBPKIOT := $(BUILD)/libpkiot.a

# Ports: the Mbed TLS crypto + TLS layer and storage everywhere; POSIX net on the host only.
# Other network ports (ports/lwip, ...) come with their own mk/ fragment.
PORT_SRCS := $(wildcard ports/mbedtls/*.c) $(wildcard ports/storage/*.c) \
             $(if $(HOST_PORTS),$(wildcard ports/posix/*.c))
PORT_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(PORT_SRCS))
LIBPORTS  := $(BUILD)/libpkiot_ports.a
CPPFLAGS_PORT = $(CPPFLAGS_LIB) -Iports $(MBEDTLS_CPPFLAGS)

# --- unit tests (host) ----------------------------------------------------------------------
UNIT_SRCS = $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS = $(if $(HOST_PORTS),$(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRCS)))
TEST_SUPPORT_SRCS = $(wildcard test/support/*.c)
TEST_SUPPORT_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT_SRCS))
CPPFLAGS_TEST = $(CPPFLAGS_PORT) -Ilib -Itest/support
TEST_LDLIBS = -Wl,--start-group $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB) -Wl,--end-group -lcmocka
TEST_PREREQS :=

.PHONY: all lib ports deps test unit check test-prereqs clean distclean \
        defconfig menuconfig savedefconfig olddefconfig check-heap cppcheck help FORCE
all: lib

# Fragments from other parts of the tree first (they only add variables and their own rules),
# then the generic rules, then fuzzing.
MK_OWN := mk/build.mk mk/fuzz.mk
-include $(filter-out $(MK_OWN),$(sort $(wildcard mk/*.mk)))
# The interop scripts run the example client against libest: `make test` builds both first.
TEST_PREREQS += $(if $(ENROLL_BIN),examples) $(if $(LIBEST_STAMP),libest)
include mk/build.mk
include mk/fuzz.mk

help:
	@sed -n '2,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# deps.sh fetches Mbed TLS / lwIP only when MBEDTLS_DIR / LWIP_DIR are unset, i.e. not pointed
# at the user's own copies; the default locations exported above do not count as that.
deps:
	@$(if $(filter $(TOP)/third_party/mbedtls,$(MBEDTLS_DIR)),env -u MBEDTLS_DIR) \
	  $(if $(filter $(TOP)/third_party/lwip,$(LWIP_DIR)),env -u LWIP_DIR) bash scripts/deps.sh

# --- Kconfig ----------------------------------------------------------------------------------
# DEFCONFIG may be a name under configs/ or a path.
DEFCONFIG_FILE = $(firstword $(wildcard configs/$(DEFCONFIG) $(DEFCONFIG)))
defconfig:
	@test -n "$(DEFCONFIG_FILE)" || { echo "no configs/$(DEFCONFIG); available:"; ls configs | grep defconfig; exit 1; }
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(DEFCONFIG_FILE) --require-config --write-config .config
	@echo "wrote .config from $(DEFCONFIG_FILE)"

olddefconfig:
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config .config --write-config .config

# menuconfig starts from the target's default profile when there is no .config yet.
menuconfig:
	@test -f .config || $(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(DEFCONFIG_FILE) --require-config --write-config .config
	$(Q)KCONFIG_CONFIG=.config $(PYTHON) -m menuconfig Kconfig

SAVEDEFCONFIG ?= build/defconfig
savedefconfig:
	@mkdir -p $(dir $(SAVEDEFCONFIG))
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(KCONFIG_SRC) --require-config --write-min-config $(SAVEDEFCONFIG)
	@echo "wrote $(SAVEDEFCONFIG) (minimal form of $(KCONFIG_SRC)); copy it to configs/<name>_defconfig"

# --- checks -----------------------------------------------------------------------------------
check: unit
	@bash scripts/run-tests.sh unit $(BUILD)

check-heap:
	@bash scripts/check-heap.sh

cppcheck: $(CONFIG_H)
	$(quiet) CPPCHECK "lib ports"
	$(Q)LWIP_DIR=$(LWIP_DIR) JOBS=$(NPROC) bash scripts/cppcheck.sh $(BUILD)/gen

# `make deps` (silent when everything is present), then every build, test and check.
test:
	@$(MAKE) --no-print-directory deps
	@bash scripts/run-tests.sh all

clean:
	rm -rf $(BUILD)

distclean:
	rm -rf build third_party .config .config.old
