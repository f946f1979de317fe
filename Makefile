# pkiot — top-level build.
#
#   make deps                 install packages and fetch third-party sources (idempotent)
#   make lib                  build/<target>/libpkiot.a (+ ports for the host)
#   make TARGET=cortex-m4 lib cross build with arm-none-eabi-gcc -Os
#   make test                 everything CI runs; ends with "N passed, N failed"
#   make demo                 a device enrolls against a local CA and prints its certificate
#   make fuzz / bench / size  long fuzz runs, benchmarks, footprint table
#
# Sources are discovered by wildcard: a new lib/<module>/*.c, test/unit/test_*.c or
# test/fuzz/fuzz_*.c is built without editing this file.

TARGET   ?= host
TOP      := $(CURDIR)
# Debian's interpreter: python3-kconfiglib installs for it, not for a user-local python.
PYTHON   ?= /usr/bin/python3
MBEDTLS_DIR ?= $(TOP)/third_party/mbedtls
LWIP_DIR    ?= $(TOP)/third_party/lwip
export MBEDTLS_DIR LWIP_DIR

ifeq ($(TARGET),host)
  CC       ?= cc
  ifeq ($(origin CC),default)
    CC := gcc
  endif
  AR       ?= ar
  CCNAME   := $(notdir $(firstword $(CC)))
  SAN      ?=
  BUILD    ?= build/host$(if $(filter clang%,$(CCNAME)),-clang)$(if $(SAN),-$(SAN))
  ARCHFLAGS := -O2 -g
  ifeq ($(SAN),asan)
    ARCHFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  endif
  HOST_PORTS := 1
else
  CC       := arm-none-eabi-gcc
  AR       := arm-none-eabi-ar
  BUILD    ?= build/$(TARGET)
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

# --- configuration ------------------------------------------------------------------------
# `.config` (from `make defconfig`/`menuconfig`) becomes $(BUILD)/gen/pkiot_config.h (Kconfig
# defaults when there is no .config). Builds outside this Makefile may skip it entirely:
# include/pkiot/config_defaults.h supplies the same defaults.
DEFCONFIG ?= $(if $(filter host,$(TARGET)),host_defconfig,cortex_m_all_defconfig)
CONFIG_H  := $(BUILD)/gen/pkiot_config.h
KCONFIG_SRC := $(TOP)/.config
CONFIG_DEFS := -DPKIOT_CONFIG_FILE='"pkiot_config.h"'

WARN      := -Wall -Wextra -Werror -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef
CSTD      := -std=c11
CPPFLAGS_LIB := -Iinclude -I$(BUILD)/gen $(CONFIG_DEFS)
CFLAGS_LIB   := $(CSTD) $(ARCHFLAGS) $(WARN) -fstack-usage
# Ports and tests include third-party headers, so they get the strict set minus -Wconversion.
WARN_PORT := -Wall -Wextra -Werror -Wshadow -Wformat=2

# --- Mbed TLS -------------------------------------------------------------------------------
MBEDTLS_CONFIG := $(TOP)/configs/mbedtls/pkiot_mbedtls_config.h
MBEDTLS_CPPFLAGS := -I$(MBEDTLS_DIR)/include -I$(TOP)/configs/mbedtls \
  -DMBEDTLS_CONFIG_FILE='"pkiot_mbedtls_config.h"' $(if $(HOST_PORTS),,-DPKIOT_MBEDTLS_BAREMETAL)
MBEDTLS_SRCS := $(wildcard $(MBEDTLS_DIR)/library/*.c)
MBEDTLS_OBJS := $(patsubst $(MBEDTLS_DIR)/library/%.c,$(BUILD)/mbedtls/%.o,$(MBEDTLS_SRCS))
MBEDTLS_LIB  := $(BUILD)/libpkiot_mbedtls3p.a

# --- pkiot library --------------------------------------------------------------------------
LIB_SRCS := $(wildcard lib/*/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBPKIOT := $(BUILD)/libpkiot.a

# Ports for the host: Mbed TLS crypto + TLS layer, POSIX net + storage, in-memory storage.
PORT_SRCS := $(wildcard ports/mbedtls/*.c) $(wildcard ports/storage/*.c) \
             $(if $(HOST_PORTS),$(wildcard ports/posix/*.c))
PORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(PORT_SRCS))
LIBPORTS  := $(BUILD)/libpkiot_ports.a

.PHONY: all lib ports deps test unit demo clean distclean defconfig menuconfig savedefconfig \
        check-heap fuzz bench size help
all: lib

help:
	@sed -n '2,11p' Makefile

lib: $(LIBPKIOT)
ports: $(LIBPORTS) $(MBEDTLS_LIB)

deps:
	@bash scripts/deps.sh

$(CONFIG_H): $(wildcard $(KCONFIG_SRC)) Kconfig scripts/genconfig.py
	@mkdir -p $(dir $@)
	@$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(KCONFIG_SRC) --out $@

$(BUILD)/obj/lib/%.o: lib/%.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_LIB) $(CFLAGS_LIB) -MMD -MP -c $< -o $@

$(BUILD)/obj/ports/%.o: ports/%.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_LIB) -Iports $(MBEDTLS_CPPFLAGS) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -MMD -MP -c $< -o $@

$(BUILD)/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG)
	@mkdir -p $(dir $@)
	@$(CC) $(MBEDTLS_CPPFLAGS) -I$(MBEDTLS_DIR)/library $(ARCHFLAGS) -std=c99 -w -c $< -o $@

$(LIBPKIOT): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBPORTS): $(PORT_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(MBEDTLS_LIB): $(MBEDTLS_OBJS)
	@rm -f $@
	@$(AR) rcs $@ $^
	@echo "AR $@"

# --- unit tests -----------------------------------------------------------------------------
UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_BINS := $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRCS))
TEST_SUPPORT_SRCS := $(wildcard test/support/*.c)
TEST_LDLIBS := $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB) $(LIBPKIOT) -lcmocka

$(BUILD)/test/%: test/unit/%.c $(TEST_SUPPORT_SRCS) $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_LIB) -Iports -Itest/support $(MBEDTLS_CPPFLAGS) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) \
	  -Wno-unused-parameter $< $(TEST_SUPPORT_SRCS) -o $@ $(TEST_LDLIBS)

unit: $(UNIT_BINS)

clean:
	rm -rf build

distclean: clean
	rm -rf third_party .config .config.old

-include $(LIB_OBJS:.o=.d) $(PORT_OBJS:.o=.d)
-include mk/*.mk
