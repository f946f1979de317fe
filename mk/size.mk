# Footprint: `make size` builds every Cortex-M profile and reports (scripts/size.py)
#
#   make size                 every configs/cortex_m_*_defconfig for $(SIZE_TARGET), -Os, each in
#                             build/<target>-<profile>; text/data/bss per module (whole archive,
#                             and what a --gc-sections link of test/size/min_enroll.c keeps),
#                             library static RAM, worst-case stack per public entry point, the
#                             firmware image split by component; fails (scripts/size.py exits 1)
#                             when a profile is over a budget in configs/size_budgets.txt
#   make size SIZE_ENFORCE=0  report only
#   make size SIZE_DETAIL=1   also per object and the largest linked functions
#   make size SIZE_MARKDOWN=1 also a markdown table for the README
#   make size SIZE_LINES=1    also one PASS:/FAIL: line per budget (scripts/check-size.sh)
#   make size-profile         (internal) the per-profile artefacts in $(BUILD)/size/
#
# Per profile, besides libpkiot.a itself (the normal rules, so the numbers are those of the
# real archive), $(BUILD)/size/ holds:
#   cg/lib/<module>/<file>.{o,ci}   the library sources again with the same flags plus
#                                   -fcallgraph-info=su (call graph with frame sizes)
#   min_enroll.{elf,map}            the reference program linked with --gc-sections

SIZE_TARGET   ?= cortex-m4
SIZE_PROFILES ?= $(sort $(wildcard configs/cortex_m_*_defconfig))
SIZE_BUDGETS  ?= configs/size_budgets.txt
SIZE_ENFORCE  ?= 1
SIZE_DETAIL   ?=
SIZE_MARKDOWN ?=
SIZE_LINES    ?=

# Same profile name and directory as the top Makefile gives PKIOT_DEFCONFIG builds.
size_profile_name = $(subst _,-,$(patsubst cortex_m_%,%,$(patsubst %_defconfig,%,$(notdir $(1)))))
size_build_dir    = build/$(SIZE_TARGET)-$(call size_profile_name,$(1))
# Parallel sub-builds unless the caller already runs make with -j (jobserver).
SIZE_JOBS := $(if $(findstring jobserver,$(MAKEFLAGS))$(filter -j%,$(MAKEFLAGS)),,-j$(NPROC))

.PHONY: size size-profile
size:
	@test -n "$(SIZE_PROFILES)" || { echo "size: no configs/cortex_m_*_defconfig" >&2; exit 2; }
	$(Q)set -e; $(foreach p,$(SIZE_PROFILES),\
	  $(MAKE) --no-print-directory $(SIZE_JOBS) TARGET=$(SIZE_TARGET) PKIOT_DEFCONFIG=$(p) \
	    BUILD=$(call size_build_dir,$(p)) size-profile;)
	$(Q)$(PYTHON) scripts/size.py --target $(SIZE_TARGET) --budgets $(SIZE_BUDGETS) \
	  $(foreach p,$(SIZE_PROFILES),--profile $(p)=$(call size_build_dir,$(p))) \
	  $(if $(filter 0,$(SIZE_ENFORCE)),--no-enforce) $(if $(SIZE_DETAIL),--detail) \
	  $(if $(SIZE_MARKDOWN),--markdown) $(if $(SIZE_LINES),--lines)

SIZE_DIR     := $(BUILD)/size
SIZE_CG_OBJS  = $(patsubst %.c,$(SIZE_DIR)/cg/%.o,$(LIB_SRCS))
SIZE_REF_ELF := $(SIZE_DIR)/min_enroll.elf
SIZE_REF_SRC := test/size/min_enroll.c

size-profile: $(LIBPKIOT) $(SIZE_CG_OBJS) $(SIZE_REF_ELF)

# -fcallgraph-info does not change code generation: the objects equal the archive's.
$(SIZE_DIR)/cg/lib/%.o: lib/%.c $(CONFIG_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_LIB) $(CFLAGS_LIB) -fcallgraph-info=su -MMD -MP -c $< -o $@

# No start files, no C runtime: the entry point is the reference program's function, so
# the map shows the library and the C library helpers it needs, nothing else.
$(SIZE_DIR)/min_enroll.o: $(SIZE_REF_SRC) $(CONFIG_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_LIB) $(CSTD) $(ARCHFLAGS) $(WARN) -Wno-unused-parameter -MMD -MP -c $< -o $@

$(SIZE_REF_ELF): $(SIZE_DIR)/min_enroll.o $(LIBPKIOT)
	$(quiet) LD $@
	$(Q)$(CC) $(ARCHFLAGS) -nostartfiles -Wl,--gc-sections -Wl,-e,pkiot_size_main \
	  -Wl,-Map=$(@:.elf=.map) -o $@ $< $(LIBPKIOT) -Wl,--start-group -lc -lgcc -Wl,--end-group

-include $(wildcard $(SIZE_DIR)/cg/lib/*/*.d $(SIZE_DIR)/*.d)
