# fieldlm — build the runtime, the host CLI and the tests.
#
#   make                   build/host/libfieldlm.a and build/host/fieldlm
#   make test              build and run every test
#   make test SAN=1        the same under AddressSanitizer + UBSan
#   make BOARD=<name>      cross-build for boards/<name>/
#   make TLS=0             build without mbedTLS (no cloud TLS)
#   make clean
#
# Modules add rules without editing this file: every tools/*/rules.mk,
# port/*/rules.mk, tests/*/rules.mk, boards/$(BOARD)/board.mk (toolchain) and
# boards/$(BOARD)/rules.mk (run, demo, footprint) is included.

BOARD ?= host
TLS   ?= 1
SAN   ?= 0
V     ?= 0

ifeq ($(wildcard boards/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)': no boards/$(BOARD)/board.mk)
endif

ifeq ($(SAN),1)
BUILD := build/$(BOARD)-san
else
BUILD := build/$(BOARD)
endif

Q := $(if $(filter 1,$(V)),,@)

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

.PHONY: all lib cli test clean help
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
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CFLAGS_$(dir $<)) -c $< -o $@

# Rebuild an archive when its member list changes, not only its members.
define member_list
$(shell mkdir -p $(BUILD) && echo '$(2)' | cmp -s - $(BUILD)/$(1).list || echo '$(2)' > $(BUILD)/$(1).list)$(BUILD)/$(1).list
endef

$(LIB): $(call obj,$(LIB_SRCS)) $(call member_list,lib,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

$(TOOL_LIB): $(call obj,$(TOOL_SRCS)) $(call member_list,tools,$(TOOL_SRCS))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

$(CLI): $(call obj,tools/cli/main.c) $(TOOL_LIB) $(LIB)
	@$(if $(Q),echo "  LD      $@")
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
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

test: $(LIB) $(CLI) $(UNIT) $(TEST_DEPS)
	@sh tests/run.sh $(BUILD) $(T)

clean:
	rm -rf build

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
