# Benchmarks on the host.
#
#   make bench-est [BENCH_N=20]   pkiot-enroll versus libest's estclient: N enrollments each,
#                                 interleaved, against one local estserver (scripts/bench_est.sh);
#                                 medians of wall time, CPU, peak RSS, bytes on the wire.
#                                 BENCH_N=3 is a quick smoke run.
#   make bench                    every benchmark: bench-est, then bench-device where
#                                 mk/bench-device.mk provides it; one after the other, never
#                                 in parallel (they would disturb each other's timings).

BENCH_N ?= 20

.PHONY: bench bench-est

bench-est: examples libest
	@test -n "$(HOST_PORTS)" || { echo "bench-est: host only (TARGET=$(TARGET))"; exit 2; }
	@BENCH_N=$(BENCH_N) PKIOT_ENROLL=$(TOP)/$(ENROLL_BIN) PYTHON=$(PYTHON) \
	  bash $(TOP)/scripts/bench_est.sh; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "bench-est: skipped (no network namespaces)"; exit 0; fi; exit $$rc

bench:
	@$(MAKE) --no-print-directory bench-est
	$(if $(wildcard $(TOP)/mk/bench-device.mk),@$(MAKE) --no-print-directory bench-device)
