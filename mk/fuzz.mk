# libFuzzer targets: test/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput; seeds live in
# test/fuzz/corpus/<name>/. The lib/ sources are compiled again by clang with coverage and
# ASan+UBSan into build/fuzz/libpkiot_fuzz.a (never the gcc archive), always with the host
# profile so every parser is present.
#
#   make fuzz-build                      build/fuzz/fuzz_<name> for every target
#   make fuzz-smoke [FUZZ_SMOKE_SECONDS=20 | FUZZ_RUNS=N]   short run of each; fails on a crash
#   make fuzz [FUZZ_SECONDS=300] [FUZZ=name...]             long runs
#
# New inputs go to build/fuzz/corpus/<name>/ (the seed directory is only read), crashes to
# build/fuzz/artifacts/<name>/, logs to build/fuzz/logs/<name>.log. An optional dictionary
# test/fuzz/fuzz_<name>.dict is passed with -dict=.

FUZZ_CC        ?= clang
FUZZ_BUILD     := build/fuzz
FUZZ_DEFCONFIG := configs/host_defconfig
FUZZ_CONFIG_H  := $(FUZZ_BUILD)/gen/pkiot_config.h
FUZZ_SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS    := -g -O1 -fno-omit-frame-pointer $(FUZZ_SANFLAGS)
FUZZ_CPPFLAGS  := -Iinclude -I$(FUZZ_BUILD)/gen $(CONFIG_DEFS)
FUZZ_SRCS       = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_NAMES      = $(patsubst test/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS       = $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
FUZZ_LIB_OBJS   = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRCS))
FUZZ_LIB       := $(FUZZ_BUILD)/libpkiot_fuzz.a
FUZZ_STAMP     := $(FUZZ_BUILD)/gen/flags.txt

FUZZ               ?= $(FUZZ_NAMES)
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_RUNS          ?=

.PHONY: fuzz fuzz-build fuzz-smoke

fuzz-build: $(FUZZ_BINS)

$(FUZZ_CONFIG_H): FORCE
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(FUZZ_DEFCONFIG) --require-config --out $@

FUZZ_SIG = $(FUZZ_CC) | $(FUZZ_CFLAGS) | $(FUZZ_CPPFLAGS) | $(WARN) | $(WARN_PORT)
$(FUZZ_STAMP): export PKIOT_FLAGS_SIG = $(FUZZ_SIG)
$(FUZZ_STAMP): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' "$$PKIOT_FLAGS_SIG" | cmp -s - $@ || printf '%s\n' "$$PKIOT_FLAGS_SIG" > $@

# fuzzer-no-link: coverage instrumentation without libFuzzer's main(), which only the
# target binaries link.
$(FUZZ_BUILD)/obj/lib/%.o: lib/%.c $(FUZZ_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(quiet) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(CSTD) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(quiet) AR $@
	$(Q)ar rcs $@ $^

# Targets that also run the Mbed TLS crypto port, to check it against pkiot's own code
# (fuzz_<name>_port): the port is compiled like the library, Mbed TLS itself comes from the
# host build ($(MBEDTLS_LIB)) without instrumentation.
FUZZ_PORT_NAMES = $(filter %_port,$(FUZZ_NAMES))
FUZZ_PORT_OBJ  := $(FUZZ_BUILD)/obj/ports/mbedtls/pkiot_mbedtls_crypto.o
FUZZ_PORT_LIBS  = $(FUZZ_PORT_OBJ) $(MBEDTLS_LIB)

$(FUZZ_PORT_OBJ): ports/mbedtls/pkiot_mbedtls_crypto.c $(FUZZ_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(quiet) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CPPFLAGS) -Iports $(MBEDTLS_CPPFLAGS) $(CSTD) $(FUZZ_CFLAGS) \
	  -fsanitize=fuzzer-no-link $(WARN_PORT) -MMD -MP -c $< -o $@

$(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_PORT_NAMES)): $(FUZZ_PORT_LIBS)

$(FUZZ_BUILD)/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_LIB) $(FUZZ_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(FUZZ_BUILD)/obj
	@rm -f $@
	$(quiet) FUZZLD $@
	$(Q)$(FUZZ_CC) $(FUZZ_CPPFLAGS) -Ilib -Itest/fuzz -Itest/support $(if $(filter $*,$(FUZZ_PORT_NAMES)),-Iports \
	  $(MBEDTLS_CPPFLAGS)) $(CSTD) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN_PORT) \
	  -MMD -MP -MF $(FUZZ_BUILD)/obj/$(@F).d $< -Wl,--start-group $(FUZZ_LIB) \
	  $(if $(filter $*,$(FUZZ_PORT_NAMES)),$(FUZZ_PORT_LIBS)) -Wl,--end-group -o $@

# Targets of the device profiles' certificate handling (fuzz_<name>_device): the library
# once more, with configs/host_port_path_defconfig (PKIOT_X509_BUILTIN=n, certificates read
# and checked by the crypto port), and the Mbed TLS port built against that configuration.
FUZZ_DEV_NAMES     = $(filter %_device,$(FUZZ_NAMES))
FUZZ_DEV_BUILD    := $(FUZZ_BUILD)/device
FUZZ_DEV_CONFIG_H := $(FUZZ_DEV_BUILD)/gen/pkiot_config.h
FUZZ_DEV_CPPFLAGS := -Iinclude -I$(FUZZ_DEV_BUILD)/gen $(CONFIG_DEFS)
FUZZ_DEV_LIB_OBJS  = $(patsubst %.c,$(FUZZ_DEV_BUILD)/obj/%.o,$(LIB_SRCS))
FUZZ_DEV_LIB      := $(FUZZ_DEV_BUILD)/libpkiot_fuzz.a
FUZZ_DEV_PORT_OBJ := $(FUZZ_DEV_BUILD)/obj/ports/mbedtls/pkiot_mbedtls_crypto.o

$(FUZZ_DEV_CONFIG_H): FORCE
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config configs/host_port_path_defconfig \
	  --require-config --out $@

$(FUZZ_DEV_BUILD)/obj/lib/%.o: lib/%.c $(FUZZ_DEV_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(quiet) FUZZCC "$< (device)"
	$(Q)$(FUZZ_CC) $(FUZZ_DEV_CPPFLAGS) $(CSTD) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -MMD -MP -c $< -o $@

$(FUZZ_DEV_LIB): $(FUZZ_DEV_LIB_OBJS)
	@rm -f $@
	$(quiet) AR $@
	$(Q)ar rcs $@ $^

$(FUZZ_DEV_PORT_OBJ): ports/mbedtls/pkiot_mbedtls_crypto.c $(FUZZ_DEV_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(quiet) FUZZCC "$< (device)"
	$(Q)$(FUZZ_CC) $(FUZZ_DEV_CPPFLAGS) -Iports $(MBEDTLS_CPPFLAGS) $(CSTD) $(FUZZ_CFLAGS) \
	  -fsanitize=fuzzer-no-link $(WARN_PORT) -MMD -MP -c $< -o $@

# The shorter stem makes make prefer this rule to the general one for fuzz_*_device.
$(FUZZ_BUILD)/fuzz_%_device: test/fuzz/fuzz_%_device.c $(FUZZ_DEV_LIB) $(FUZZ_DEV_PORT_OBJ) \
    $(MBEDTLS_LIB) $(FUZZ_DEV_CONFIG_H) $(FUZZ_STAMP)
	@mkdir -p $(FUZZ_BUILD)/obj
	@rm -f $@
	$(quiet) FUZZLD $@
	$(Q)$(FUZZ_CC) $(FUZZ_DEV_CPPFLAGS) -Ilib -Itest/fuzz -Itest/support -Iports $(MBEDTLS_CPPFLAGS) \
	  $(CSTD) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN_PORT) \
	  -MMD -MP -MF $(FUZZ_BUILD)/obj/$(@F).d $< -Wl,--start-group $(FUZZ_DEV_LIB) \
	  $(FUZZ_DEV_PORT_OBJ) $(MBEDTLS_LIB) -Wl,--end-group -o $@

# One phony target per fuzzer, so `make -j2 fuzz-smoke` runs two at a time. Each records its
# exit status instead of stopping make, so every target runs; the aggregate then fails.
FUZZ_RUN = bash scripts/fuzz-run.sh
FUZZ_STATUS = $(FUZZ_BUILD)/logs/$(1).status
define fuzz_verdict
	@failed=""; for n in $(1); do \
	  [ "$$(cat $(FUZZ_BUILD)/logs/$$n.status 2>/dev/null)" = 0 ] || failed="$$failed $$n"; done; \
	if [ -n "$$failed" ]; then echo "$(2): failed:$$failed (logs in $(FUZZ_BUILD)/logs/)" >&2; exit 1; fi; \
	test -n "$(1)" || echo "$(2): no targets in test/fuzz"
endef

fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ))
	$(call fuzz_verdict,$(FUZZ),fuzz-smoke)
fuzz-smoke-%: $(FUZZ_BUILD)/fuzz_% FORCE
	@mkdir -p $(FUZZ_BUILD)/logs; rm -f $(call FUZZ_STATUS,$*)
	@$(FUZZ_RUN) $* $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS),--seconds $(FUZZ_SMOKE_SECONDS)); \
	  echo $$? > $(call FUZZ_STATUS,$*)

fuzz: $(addprefix fuzz-run-,$(FUZZ))
	$(call fuzz_verdict,$(FUZZ),fuzz)
fuzz-run-%: $(FUZZ_BUILD)/fuzz_% FORCE
	@mkdir -p $(FUZZ_BUILD)/logs; rm -f $(call FUZZ_STATUS,$*)
	@$(FUZZ_RUN) $* $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS),--seconds $(FUZZ_SECONDS)); \
	  echo $$? > $(call FUZZ_STATUS,$*)

-include $(wildcard $(FUZZ_BUILD)/obj/lib/*/*.d $(FUZZ_BUILD)/obj/ports/*/*.d $(FUZZ_BUILD)/obj/fuzz_*.d \
  $(FUZZ_DEV_BUILD)/obj/lib/*/*.d $(FUZZ_DEV_BUILD)/obj/ports/*/*.d)
