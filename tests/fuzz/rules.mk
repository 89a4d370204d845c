# tests/fuzz: one libFuzzer harness per parser fed by the outside world,
# tests/fuzz/fuzz_<name>.c, with its seed corpus in tests/fuzz/corpus/<name>/
# and the inputs that once failed in tests/fuzz/regressions/<name>/.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="json sse"] [FUZZ_RUNS=N] [FUZZ_JOBS=1]
#       builds every harness with clang + libFuzzer + ASan/UBSan into
#       build/fuzz/ and runs each in turn (nice, FUZZ_JOBS at a time: CI
#       runs its 2) for FUZZ_SECONDS
#       (or FUZZ_RUNS executions), growing build/fuzz/corpus/<name>/ from the
#       committed seeds; a crash leaves build/fuzz/artifacts/<name>-crash-*,
#       which goes into regressions/<name>/ with its fix.
#   make test
#       builds each harness with the normal compiler and tests/fuzz/replay.c
#       ($(BUILD)/tests/fuzz/fuzz_<name>) and tests/sh/fuzz_replay.sh runs
#       every corpus and regression input through it (no clang needed).
#
# Adding a harness is adding its file (and a seed or two): this file finds it.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
# Host code some harnesses drive besides the runtime: the GGUF reader and
# converter (fuzz_gguf) and the guards' cut-able test store (fuzz_queue).
# An archive, so a harness links only what it uses.
FUZZ_SUPPORT_SRCS := tools/cli/progress.c tools/cli/read_input.c tools/cli/gguf.c tools/cli/convert_gguf.c tools/cli/convert_llama2c.c \
                     tools/cli/convert_image.c tests/unit/guard/cut_store.c

ifeq ($(BOARD),host)
# ---- replay: the normal compiler, every build (SAN=1 too) ------------------
FUZZ_REPLAY := $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_SUPPORT_LIB := $(BUILD)/libfuzzsupport.a
$(FUZZ_SUPPORT_LIB): $(call obj,$(FUZZ_SUPPORT_SRCS)) tests/fuzz/rules.mk
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(FUZZ_SUPPORT_LIB) $(LIB) $(TLS_POOL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_SUPPORT_LIB) $(LIB) $(LDLIBS) -lm
TEST_DEPS += $(FUZZ_REPLAY)
.PRECIOUS: $(BUILD)/obj/tests/fuzz/%.o

# ---- libFuzzer: clang, its own objects in build/fuzz/ ----------------------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_JOBS    ?= 1
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -g -O1 -I. -I$(FUZZ_DIR)/gen -DFLM_BUILD_CONFIG_FILE='"flm_build_config.h"' \
                -DFLM_HAL_HAS_NET=1 -DFLM_HAL_HAS_NET_SERVER=1 -DFLM_HAL_HAS_STORAGE_PERSISTENT=1 \
                -DFLM_HAL_HAS_ENTROPY=1 -DFLM_HAL_HAS_FILES=1 -DFLM_HAL_HAS_UTC_CLOCK=1 \
                -DFLM_HAL_HAS_SLOTS=1 -DFLM_HAL_HAS_THREADS=1 -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# The runtime as the host has it, without TLS (no parser of ours lives there).
FUZZ_LIB_SRCS := $(CORE_SRCS) $(sort $(wildcard port/posix/*.c)) port/common/hal_common.c \
                 port/common/ram_store.c port/common/hal_tls_none.c port/common/hal_sig_none.c \
                 port/common/flash_store.c port/common/flash_sim.c port/common/flash_slots.c \
                 port/mbedtls/tls_pool.c
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

$(FUZZ_DIR)/gen/flm_build_config.h:
	@mkdir -p $(dir $@)
	@echo '#define FLM_HAL_HAS_TLS 0' > $@

$(FUZZ_DIR)/obj/%.o: %.c | $(FUZZ_DIR)/gen/flm_build_config.h
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libfuzzlib.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/libfuzzsupport.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SUPPORT_SRCS)) tests/fuzz/rules.mk
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libfuzzsupport.a $(FUZZ_DIR)/libfuzzlib.a
	@$(if $(SAY),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lpthread -lm

.PHONY: fuzz fuzz-build
fuzz-build: $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
fuzz: fuzz-build
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_RUNS='$(FUZZ_RUNS)' FUZZ_JOBS='$(FUZZ_JOBS)' sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
endif
