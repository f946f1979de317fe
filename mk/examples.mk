# Host example programs: pkiot-enroll (examples/posix) and `make demo`.

ENROLL_BIN := $(BUILD)/pkiot-enroll
ENROLL_SRCS := $(wildcard examples/posix/*.c)

.PHONY: examples demo
examples: $(if $(HOST_PORTS),$(ENROLL_BIN))

$(ENROLL_BIN): $(ENROLL_SRCS) $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB)
	@mkdir -p $(dir $@)
	$(quiet) LD $@
	$(Q)$(CC) $(CPPFLAGS_PORT) $(CSTD) $(ARCHFLAGS) $(WARN_PORT) $(ENROLL_SRCS) -o $@ \
	  -Wl,--start-group $(LIBPKIOT) $(LIBPORTS) $(MBEDTLS_LIB) -Wl,--end-group

# A device enrolls against a local CA (Cisco libest on loopback) and prints its certificate.
demo:
	@$(MAKE) --no-print-directory deps
	@bash scripts/demo.sh
