# libest: Cisco's EST server/client, the EST interop peer (see test/interop/README.md).
#
#   make libest          build/libest/bin/{estserver,estclient} against the system OpenSSL 3
#   make libest-clean    remove build/libest and build/libest-src only
#
# Built once; the stamp is newer than the unpacked source, this file and the build script,
# so a second `make libest` does nothing.

LIBEST_SRC_DIR   := $(TOP)/third_party/libest
LIBEST_PREFIX    := $(TOP)/build/libest
LIBEST_STAMP     := $(LIBEST_PREFIX)/.pkiot-built
LIBEST_SCRIPT    := $(TOP)/test/interop/libest_build.sh
LIBEST_ESTSERVER := $(LIBEST_PREFIX)/bin/estserver
LIBEST_ESTCLIENT := $(LIBEST_PREFIX)/bin/estclient
export LIBEST_ESTSERVER LIBEST_ESTCLIENT

.PHONY: libest libest-clean

libest: $(LIBEST_STAMP)

# `make deps` creates the marker after unpacking the source with Debian's patches applied.
$(LIBEST_SRC_DIR)/.pkiot-ready:
	@bash $(TOP)/scripts/deps.sh

$(LIBEST_STAMP): $(LIBEST_SRC_DIR)/.pkiot-ready $(LIBEST_SCRIPT) $(TOP)/mk/libest.mk
	@echo "LIBEST $(LIBEST_PREFIX)"
	@LIBEST_SRC_DIR=$(LIBEST_SRC_DIR) LIBEST_PREFIX=$(LIBEST_PREFIX) \
	  LIBEST_WORK_DIR=$(TOP)/build/libest-src bash $(LIBEST_SCRIPT)
	@touch $@

libest-clean:
	rm -rf $(LIBEST_PREFIX) $(TOP)/build/libest-src

# Self-tests of the EST interop environment and of the test tools (test/interop/README.md).
# Exit code 77 from the scripts (no network namespaces here) is reported and not an error.
.PHONY: libest-selftest test-tools-selftest
libest-selftest: $(LIBEST_STAMP)
	@bash $(TOP)/test/interop/est_env_selftest.sh; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "libest-selftest: skipped (no network namespaces)"; exit 0; fi; exit $$rc

test-tools-selftest:
	@bash $(TOP)/test/tools/selftest.sh; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "test-tools-selftest: skipped (no network namespaces)"; exit 0; fi; exit $$rc
