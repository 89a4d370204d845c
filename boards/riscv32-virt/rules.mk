# Build and run rules of the riscv32-virt board: the firmware ELF (the
# runtime, the bare-metal application of the MPS2 boards, boards/common/mps2/
# main.c, and the model image in one static link), `make demo`,
# `make demo-sample`, `make route`, `make run ARGS=...`, `make footprint`
# and `make profile`, as boards/common/mps2/rules.mk has them.
include boards/common/demo.mk

RV_DIR   := boards/riscv32-virt
APP_DIR  := boards/common/mps2
FW       := $(BUILD)/fieldlm.elf
FW_SRCS  := $(RV_DIR)/startup.c $(RV_DIR)/hal_virt.c $(RV_DIR)/uart_ns16550.c $(APP_DIR)/main.c \
            $(RISCV_STORE_SRCS)
FW_OBJS  := $(call obj,$(FW_SRCS)) $(BUILD)/obj/model.o $(BUILD)/obj/router.o

# The demo's model (boards/common/demo.mk) is linked into flash.
FW_MODEL := $(DEMO_MODEL)

# A change of the board's flags or budget rebuilds every object of it.
$(call obj,$(LIB_SRCS) $(FW_SRCS)): boards/$(BOARD)/board.mk port/$(PORT)/rules.mk

FW_MODEL_NAME := $(BUILD)/gen/fw-model.txt
$(shell mkdir -p $(BUILD)/gen && echo '$(FW_MODEL)' | cmp -s - $(FW_MODEL_NAME) || echo '$(FW_MODEL)' > $(FW_MODEL_NAME))

$(BUILD)/obj/model.o: $(APP_DIR)/model.S $(FW_MODEL) $(FW_MODEL_NAME)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  AS      $@")
	$(Q)$(CC) $(BOARD_CFLAGS) -DFLM_MODEL_PATH='"$(abspath $(FW_MODEL))"' -c $< -o $@

FW_ROUTER_PARAMS  := $(DEMO_ROUTER_PARAMS)
FW_ROUTE_PROMPTS  := tools/router/prompts/ports_check.txt
$(BUILD)/obj/router.o: $(APP_DIR)/router.S $(FW_ROUTER_PARAMS) $(FW_ROUTE_PROMPTS) $(FW_MODEL_NAME)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  AS      $@")
	$(Q)$(CC) $(BOARD_CFLAGS) -DFLM_ROUTER_PARAMS_PATH='"$(abspath $(FW_ROUTER_PARAMS))"' \
	    -DFLM_ROUTE_PROMPTS_PATH='"$(abspath $(FW_ROUTE_PROMPTS))"' -c $< -o $@

$(FW): $(FW_OBJS) $(LIB) $(RV_DIR)/virt.ld
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(FW_OBJS) $(LIB) -Wl,-Map=$(BUILD)/fieldlm.map

.PHONY: run footprint profile route
run: $(FW)
	$(Q)$(BOARD_RUN) $(FW) -append "$(ARGS)"

demo-build: $(FW) $(DEMO_MODEL)

demo: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "$(DEMO_GREEDY)"

demo-sample: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "$(DEMO_SAMPLE)"

route: demo-build
	$(Q)$(BOARD_RUN) $(FW) -append "--route"

# The MPS2 boards' scripts, with this toolchain's nm and size.
footprint: $(FW) $(DEMO_MODEL) $(QEMU_INSN)
	$(Q)FLM_NM=$(CROSS)nm FLM_SIZE=$(CROSS)size FLM_MODEL_NAME=$(basename $(notdir $(DEMO_MODEL))) \
	    sh $(APP_DIR)/footprint.sh $(FW) $(QEMU_INSN) "$(DEMO_GREEDY)" $(BOARD_RUN)

profile: demo-build $(QEMU_INSN)
	$(Q)FLM_NM=$(CROSS)nm sh $(APP_DIR)/profile.sh $(FW) $(QEMU_INSN) "$(DEMO_GREEDY)" $(BOARD_RUN)
