# Demo rules of the POSIX boards (host, and ARM Linux under qemu-user):
# `fieldlm run` itself is the demo program.
include boards/common/demo.mk

demo-build: $(CLI) $(DEMO_MODEL)

demo: demo-build
	$(Q)$(BOARD_RUN) $(CLI) run -m $(DEMO_MODEL) -p "$(DEMO_PROMPT)" $(DEMO_GREEDY)

# The router's decision for each prompt of the check list (the MPS2 boards
# link the same list and parameters: boards/common/mps2/rules.mk).
.PHONY: route
route: demo-build
	$(Q)$(BOARD_RUN) $(CLI) route -m $(DEMO_MODEL) --params $(DEMO_ROUTER_PARAMS) \
	    --prompts tools/router/prompts/ports_check.txt

demo-sample: demo-build
	$(Q)$(BOARD_RUN) $(CLI) run -m $(DEMO_MODEL) -p "$(DEMO_PROMPT)" $(DEMO_SAMPLE)

# The unit tests on this board (under qemu-user for the ARM Linux boards).
.PHONY: run-unit
run-unit: $(UNIT)
	$(Q)$(BOARD_RUN) $(UNIT) $(T)

# Compiler flags live in the board files (and the HAL capabilities in the
# port's rules.mk): a change there rebuilds the board.
$(call obj,$(LIB_SRCS) $(TOOL_SRCS) $(UNIT_SRCS) tools/cli/main.c): \
    boards/$(BOARD)/board.mk $(wildcard boards/common/linux.mk) port/$(PORT)/rules.mk
