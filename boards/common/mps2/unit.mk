# The unit tests of the kernels on the board itself, under QEMU (`make
# BOARD=<board> run-unit T=prefix`): the harness and tests/unit/kernels/
# linked with the runtime into one ELF, printf through semihosting
# (newlib's librdimon, the test ELF's only heap user), so every kernel
# variant the core has (MVE on the M55, DSP on the M33) is compared with its
# _ref on the core itself. The tests' pools need more RAM than the part's
# budget: a board that runs them names a map with its larger RAM
# (MPS2_UNIT_LD, INCLUDEing sections.ld). Include after mps2/rules.mk.
ifneq ($(MPS2_UNIT_LD),)
UNIT_FW       := $(BUILD)/tests/unit.elf
UNIT_FW_TESTS := $(sort $(wildcard tests/unit/kernels/*.c))
UNIT_FW_SRCS  := $(MPS2_DIR)/startup.c $(MPS2_DIR)/hal_mps2.c $(MPS2_DIR)/unit_main.c $(UNIT_FW_TESTS)
UNIT_FW_LIST  := $(BUILD)/gen/unitfw/test_list.h
UNIT_FW_MAIN  := $(BUILD)/obj/unitfw/harness.o

# The tests print uint32_t with %u, as it is on the Linux ABIs; newlib's is
# a long: its format warnings are not errors here.
CFLAGS_tests/unit/kernels/ += -Wno-format

$(UNIT_FW_LIST): $(UNIT_FW_TESTS) Makefile
	@mkdir -p $(dir $@)
	$(Q)grep -ho '^FLM_TEST([A-Za-z0-9_]*)' $(UNIT_FW_TESTS) | sed 's/FLM_TEST(\(.*\))/X(\1)/' > $@.tmp && mv $@.tmp $@

# the harness with this list (-iquote comes before the -I of the full one)
$(UNIT_FW_MAIN): tests/harness/harness.c $(UNIT_FW_LIST)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -iquote $(dir $(UNIT_FW_LIST)) -Dmain=flm_test_main -Wno-missing-prototypes -c $< -o $@

$(UNIT_FW): $(call obj,$(UNIT_FW_SRCS)) $(UNIT_FW_MAIN) $(LIB) $(MPS2_UNIT_LD) $(MPS2_DIR)/sections.ld
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(filter-out -T $(MPS2_LD),$(LDFLAGS)) -T $(MPS2_UNIT_LD) --specs=rdimon.specs \
	    -o $@ $(call obj,$(UNIT_FW_SRCS)) $(UNIT_FW_MAIN) $(LIB) -lm

.PHONY: run-unit
run-unit: $(UNIT_FW)
	$(Q)$(BOARD_RUN) $(UNIT_FW) -append "$(T)"
endif
