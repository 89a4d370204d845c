# fieldlm — build the runtime, the host CLI and the tests.
#
#   make                   build/host/libfieldlm.a and build/host/fieldlm
#   make test              build and run every test
#   make test SAN=1        the same under AddressSanitizer + UBSan
#   make BOARD=<name>      cross-build for boards/<name>/
#   make TLS=0             build without mbedTLS (no cloud TLS)
#   make install PREFIX=/usr/local DESTDIR=   (and uninstall)
#   make clean
#   make help              every target, variable and board
#
# Modules add rules without editing this file: every tools/*/rules.mk,
# port/*/rules.mk, tests/*/rules.mk, boards/$(BOARD)/board.mk (toolchain) and
# boards/$(BOARD)/rules.mk (run, demo, footprint) is included.

BOARD ?= host
TLS   ?= 1
SAN   ?= 0
V     ?= 0

BOARDS := $(sort $(patsubst boards/%/board.mk,%,$(wildcard boards/*/board.mk)))
ifeq ($(wildcard boards/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)': the boards are $(BOARDS))
endif

ifeq ($(SAN),1)
BUILD := build/$(BOARD)-san
else
BUILD := build/$(BOARD)
endif

Q := $(if $(filter 1,$(V)),,@)
# `make -s` prints nothing but errors, as kbuild does: the short "  CC file"
# lines are echoed only when SAY is set (not with -s, nor with V=1, which
# prints the whole commands instead).
ifneq ($(findstring s,$(filter-out --%,$(firstword x$(MAKEFLAGS)))),)
SAY :=
else
SAY := $(Q)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wcast-align \
        -Wundef -Wvla -Wformat=2
OPT      ?= -O2 -g
CFLAGS_BASE := -std=c11 $(WARN) $(OPT) -I. -I$(BUILD)/gen -MMD -MP \
               -DFLM_BUILD_CONFIG_FILE='"flm_build_config.h"'
LDLIBS   :=
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

include boards/$(BOARD)/board.mk

CFLAGS  := $(CFLAGS_BASE) $(BOARD_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(BOARD_LDFLAGS) $(EXTRA_LDFLAGS)
ifeq ($(SAN),1)
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

# ---- the runtime library: core/ + this board's port ----------------------
CORE_SRCS := $(sort $(shell find core -name '*.c'))
PORT_SRCS := $(sort $(wildcard port/$(PORT)/*.c))
LIB_SRCS   = $(CORE_SRCS) $(PORT_SRCS) $(EXTRA_LIB_SRCS)
LIB       := $(BUILD)/libfieldlm.a

# ---- host tools and tests (host-like boards only) ------------------------
TOOL_SRCS := $(sort $(filter-out tools/cli/main.c,$(wildcard tools/cli/*.c)))
TOOL_LIB  := $(BUILD)/libfieldlm-tools.a
CLI       := $(BUILD)/fieldlm
UNIT_SRCS := $(sort $(shell find tests/unit tests/harness tests/fixtures -name "*.c"))
UNIT      := $(BUILD)/tests/unit

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all lib cli test clean help install uninstall
.DEFAULT_GOAL := all

ifeq ($(PORT),posix)
all: $(LIB) $(CLI)
else
all: $(LIB) $(BOARD_ALL)
endif
lib: $(LIB)
cli: $(CLI)

-include $(sort $(wildcard port/*/rules.mk tools/*/rules.mk tests/*/rules.mk)) $(wildcard boards/$(BOARD)/rules.mk)

# What this build has, for core/base/config.h (FLM_BUILD_CONFIG_FILE): the
# rules above may have turned TLS off. Rewritten only when it changes, so
# flipping TLS= rebuilds what depends on it and nothing on a plain rebuild.
BUILD_CONFIG := \#define FLM_HAL_HAS_TLS $(TLS)
$(shell mkdir -p $(BUILD)/gen && echo '$(BUILD_CONFIG)' | cmp -s - $(BUILD)/gen/flm_build_config.h || echo '$(BUILD_CONFIG)' > $(BUILD)/gen/flm_build_config.h)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CFLAGS_$(dir $<)) -c $< -o $@

# Rebuild an archive when its member list changes, not only its members.
define member_list
$(shell mkdir -p $(BUILD) && echo '$(2)' | cmp -s - $(BUILD)/$(1).list || echo '$(2)' > $(BUILD)/$(1).list)$(BUILD)/$(1).list
endef

$(LIB): $(call obj,$(LIB_SRCS)) $(call member_list,lib,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

$(TOOL_LIB): $(call obj,$(TOOL_SRCS)) $(call member_list,tools,$(TOOL_SRCS))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

$(CLI): $(call obj,tools/cli/main.c) $(TOOL_LIB) $(LIB)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

# The unit tests are found by grepping for FLM_TEST(name).
$(BUILD)/gen/test_list.h: $(UNIT_SRCS) $(call member_list,unit,$(UNIT_SRCS)) Makefile
	@mkdir -p $(dir $@)
	$(Q)grep -ho '^FLM_TEST([A-Za-z0-9_]*)' $(UNIT_SRCS) | sed 's/FLM_TEST(\(.*\))/X(\1)/' > $@.tmp && mv $@.tmp $@

$(call obj,tests/harness/harness.c): $(BUILD)/gen/test_list.h

# The CLI's commands are found the same way: FLM_CLI_COMMAND(name, ...).
CLI_CMD_SRCS := $(sort $(wildcard tools/cli/cmd_*.c))
$(BUILD)/gen/cli_commands.h: $(CLI_CMD_SRCS) $(call member_list,clicmds,$(CLI_CMD_SRCS)) Makefile
	@mkdir -p $(dir $@)
	$(Q)grep -ho '^FLM_CLI_COMMAND([a-z0-9_]*' $(CLI_CMD_SRCS) | sed 's/FLM_CLI_COMMAND(/X(/; s/$$/)/' | sort > $@.tmp && mv $@.tmp $@

$(call obj,tools/cli/main.c): $(BUILD)/gen/cli_commands.h

$(UNIT): $(call obj,$(UNIT_SRCS)) $(TOOL_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

test: $(LIB) $(CLI) $(UNIT) $(TEST_DEPS)
	@sh tests/run.sh $(BUILD) $(T)

clean:
	rm -rf build

help:
	@echo 'usage: make [TARGET] [BOARD=name] [VARIABLE=value]'
	@echo
	@echo 'targets:'
	@echo '  all (default)  the runtime library and the program of BOARD (host: build/host/fieldlm)'
	@echo '  test           every test: unit tests, then tests/sh/*.sh ("N passed, M failed, K skipped")'
	@echo '  demo           the greedy story from "Once upon a time" on BOARD (64 positions)'
	@echo '  demo-sample    a seeded sampling run on BOARD (-t 0.75 --top-p 0.875 -s 42)'
	@echo '  run ARGS=...   fieldlm run with ARGS on a bare-metal board (the host: build/host/fieldlm run)'
	@echo '  run-unit       the unit tests on BOARD (under qemu-user for the ARM Linux boards)'
	@echo '  footprint      flash, RAM and instructions per token on a bare-metal board'
	@echo '  profile        where the instructions go, per function, on a bare-metal board'
	@echo '  bench          one table: tok/s on 1 and N threads beside llama2.c, prefill, RSS, of the'
	@echo '                 bandwidth limit, Cortex-M4 instructions (QUICK=1: a minute; bench-chart: PNG)'
	@echo '  bench-kernels  ns per kernel call and tokens/s, integer vs float32 (host)'
	@echo '  fuzz           each libFuzzer harness for FUZZ_SECONDS (clang)'
	@echo '  router-eval    train and evaluate the router parameters (needs ../shared)'
	@echo '  sources        the runtime library'"'"'s sources for BOARD/TLS, one a line (SDK builds)'
	@echo '  cmake-sources  rewrite tools/cmake/sources.cmake, the lists CMakeLists.txt builds from'
	@echo '  install        bin/fieldlm, its man page, the default model and an example'
	@echo '                 configuration under $$(DESTDIR)$$(PREFIX) (PREFIX=$(PREFIX))'
	@echo '  uninstall      remove what install put there'
	@echo '  clean          remove build/'
	@echo
	@echo 'variables: BOARD=$(BOARD) TLS=$(TLS) (0: no mbedTLS) SAN=$(SAN) (1: ASan+UBSan)'
	@echo '  V=1 (whole commands) T=prefix (test filter) DEMO_MODEL=path.flm; make -s prints only errors'
	@echo
	@echo 'boards: $(BOARDS)'

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
