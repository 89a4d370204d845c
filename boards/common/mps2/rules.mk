# Build and run rules of the MPS2 bare-metal boards: the firmware ELF (the
# runtime, the demo application and the model image in one static link),
# `make demo`, `make demo-sample`, `make run ARGS=...` and `make footprint`.
include boards/common/demo.mk

MPS2_DIR := boards/common/mps2
FW       := $(BUILD)/fieldlm.elf
FW_SRCS  := $(MPS2_DIR)/startup.c $(MPS2_DIR)/hal_mps2.c $(MPS2_DIR)/main.c $(MPS2_STORE_SRCS) \
            $(MPS2_CONSOLE_SRCS) $(MPS2_WATCHDOG_SRCS)
FW_OBJS  := $(call obj,$(FW_SRCS)) $(BUILD)/obj/model.o $(BUILD)/obj/router.o

# The demo's model (boards/common/demo.mk) is linked into flash.
FW_MODEL := $(DEMO_MODEL)

# Compiler flags and the memory budget live in the board files (and the
# HAL capabilities in the port's rules.mk): a change there rebuilds every
# object of the board.
$(call obj,$(LIB_SRCS) $(FW_SRCS)): $(MPS2_DIR)/mps2.mk boards/$(BOARD)/board.mk \
    port/$(PORT)/rules.mk

# The console's choice (mps2.mk CONSOLE) compiles into port/cortexm only:
# switching it rebuilds that and relinks.
FW_CONSOLE_NAME := $(BUILD)/gen/fw-console.txt
$(shell mkdir -p $(BUILD)/gen && echo '$(CONSOLE)' | cmp -s - $(FW_CONSOLE_NAME) || echo '$(CONSOLE)' > $(FW_CONSOLE_NAME))
$(call obj,$(PORT_SRCS)): $(FW_CONSOLE_NAME)
# ... and the watchdog's period into its driver only.
FW_WDOG_NAME := $(BUILD)/gen/fw-wdog.txt
$(shell mkdir -p $(BUILD)/gen && echo '$(MPS2_WDOG_MS)' | cmp -s - $(FW_WDOG_NAME) || echo '$(MPS2_WDOG_MS)' > $(FW_WDOG_NAME))
$(call obj,$(MPS2_WATCHDOG_SRCS)): $(FW_WDOG_NAME)

# Names the linked image; rewritten only when that changes, so switching
# between the model and none re-assembles model.o.
FW_MODEL_NAME := $(BUILD)/gen/fw-model.txt
$(shell mkdir -p $(BUILD)/gen && echo '$(FW_MODEL)' | cmp -s - $(FW_MODEL_NAME) || echo '$(FW_MODEL)' > $(FW_MODEL_NAME))

$(BUILD)/obj/model.o: $(MPS2_DIR)/model.S $(FW_MODEL) $(FW_MODEL_NAME)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  AS      $@")
	$(Q)$(CC) $(BOARD_CFLAGS) -DFLM_MODEL_PATH='"$(abspath $(FW_MODEL))"' -c $< -o $@

# The router's parameters for the demo model and the prompts of `--route`,
# which tests/sh/cross_port.sh compares with the host's decisions.
FW_ROUTER_PARAMS  := $(DEMO_ROUTER_PARAMS)
FW_ROUTE_PROMPTS  := tools/router/prompts/ports_check.txt
$(BUILD)/obj/router.o: $(MPS2_DIR)/router.S $(FW_ROUTER_PARAMS) $(FW_ROUTE_PROMPTS) $(FW_MODEL_NAME)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  AS      $@")
	$(Q)$(CC) $(BOARD_CFLAGS) -DFLM_ROUTER_PARAMS_PATH='"$(abspath $(FW_ROUTER_PARAMS))"' \
	    -DFLM_ROUTE_PROMPTS_PATH='"$(abspath $(FW_ROUTE_PROMPTS))"' -c $< -o $@

$(FW): $(FW_OBJS) $(LIB) $(MPS2_LD) $(MPS2_DIR)/sections.ld
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(FW_OBJS) $(LIB) -Wl,-Map=$(BUILD)/fieldlm.map

.PHONY: run footprint
run: $(FW)
	$(Q)$(BOARD_RUN) $(FW) -append "$(ARGS)"

demo-build: $(FW) $(DEMO_MODEL)

demo: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "$(DEMO_GREEDY)"

demo-sample: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "$(DEMO_SAMPLE)"

# The router's decision for each line of $(FW_ROUTE_PROMPTS), as `fieldlm route` prints it.
.PHONY: route
route: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "--route"

footprint: $(FW) $(DEMO_MODEL) $(QEMU_INSN)
	$(Q)FLM_MODEL_NAME=$(basename $(notdir $(DEMO_MODEL))) sh $(MPS2_DIR)/footprint.sh $(FW) $(QEMU_INSN) "$(DEMO_GREEDY)" $(BOARD_RUN)

# Instructions per function for the greedy demo (tools/qemu-insn profile=).
.PHONY: profile
profile: demo-build $(QEMU_INSN)
	$(Q)sh $(MPS2_DIR)/profile.sh $(FW) $(QEMU_INSN) "$(DEMO_GREEDY)" $(BOARD_RUN)
include boards/common/mps2/unit.mk
