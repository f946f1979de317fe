# Compile and archive rules for one variant ($(BUILD)); variables come from the top Makefile
# and from the other mk/ fragments, which are read before this file.

lib: $(LIBPKIOT)
ports: $(LIBPORTS) $(MBEDTLS_LIB)
test-prereqs: $(TEST_PREREQS)

ifeq ($(HOST_PORTS),1)
unit: $(UNIT_BINS)
else
unit:
	@echo "unit tests run on the host: make TARGET=host unit" >&2; exit 1
endif

FORCE:

# Regenerated on every run but rewritten only when its content changes, so it tracks a new
# or deleted .config as well as edits to it.
$(CONFIG_H): FORCE
	$(Q)$(PYTHON) scripts/genconfig.py --kconfig Kconfig --config $(KCONFIG_SRC) --require-config --out $@

FLAGS_SIG = $(CC) | $(AR) | $(ARCHFLAGS) | $(CFLAGS_LIB) | $(CPPFLAGS_PORT) | $(WARN_PORT) | $(MBEDTLS_DIR)
$(FLAGS_STAMP): export PKIOT_FLAGS_SIG = $(FLAGS_SIG)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' "$$PKIOT_FLAGS_SIG" | cmp -s - $@ || printf '%s\n' "$$PKIOT_FLAGS_SIG" > $@

$(BUILD)/obj/lib/%.o: lib/%.c $(CONFIG_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS_LIB) $(CFLAGS_LIB) -MMD -MP -c $< -o $@

$(BUILD)/obj/ports/%.o: ports/%.c $(CONFIG_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS_PORT) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -MMD -MP -c $< -o $@

# Third-party code: its own C99 dialect, no warnings (they are Mbed TLS's to fix, not ours).
$(BUILD)/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_CONFIG) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(MBEDTLS_CPPFLAGS) -I$(MBEDTLS_DIR)/library $(ARCHFLAGS) -std=c99 -w -c $< -o $@

$(LIBPKIOT): $(LIB_OBJS)
	@rm -f $@
	$(quiet) AR $@
	$(Q)$(AR) rcs $@ $^

$(LIBPORTS): $(PORT_OBJS)
	@rm -f $@
	$(quiet) AR $@
	$(Q)$(AR) rcs $@ $^

$(MBEDTLS_LIB): $(MBEDTLS_OBJS)
	@test -n "$(MBEDTLS_SRCS)" || { echo "no Mbed TLS sources in $(MBEDTLS_DIR): run 'make deps' or set MBEDTLS_DIR" >&2; exit 1; }
	@rm -f $@
	$(quiet) AR $@
	$(Q)$(AR) rcs $@ $^

# --- unit tests -------------------------------------------------------------------------------
$(BUILD)/obj/test/%.o: test/%.c $(CONFIG_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS_TEST) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) -Wno-unused-parameter -MMD -MP -c $< -o $@

# A binary that failed to link must not survive from an earlier build and be run as if new.
$(UNIT_BINS): $(BUILD)/test/%: $(BUILD)/obj/test/unit/%.o $(TEST_SUPPORT_OBJS) $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB)
	@mkdir -p $(@D)
	@rm -f $@
	$(quiet) LD $@
	$(Q)$(CC) $(ARCHFLAGS) $< $(TEST_SUPPORT_OBJS) -o $@ $(TEST_LDLIBS)

-include $(wildcard $(BUILD)/obj/lib/*/*.d $(BUILD)/obj/ports/*/*.d $(BUILD)/obj/test/*/*.d)
