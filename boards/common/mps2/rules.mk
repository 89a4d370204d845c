# Build rules of the MPS2 bare-metal boards: the firmware ELF.
MPS2_DIR  := boards/common/mps2
FW        := $(BUILD)/fieldlm.elf
FW_SRCS   := $(MPS2_DIR)/startup.c $(MPS2_DIR)/main.c

$(FW): $(call obj,$(FW_SRCS)) $(LIB) $(MPS2_DIR)/mps2.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) -Wl,-Map=$(BUILD)/fieldlm.map

.PHONY: run
run: $(FW)
	$(BOARD_RUN) $(FW)
