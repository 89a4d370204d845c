# port/riscv: the part of the HAL every bare-metal RV32 board shares
# (console through the board, log and command line through semihosting
# when a host answers, the trap vector; hal_riscv.h says what the board
# adds).
#
# As on port/cortexm, what bare metal lacks comes from port/common/'s
# defaults (hal_<name>.c) with the capability macros left "off"
# (core/hal/hal_caps.h); a board that has one drops it from
# RISCV_HAL_DEFAULTS by naming it in RISCV_HAL_OWN, supplies the
# functions and sets the macro in BOARD_CFLAGS.
ifeq ($(PORT),riscv)
RISCV_HAL_DEFAULTS ?= $(BAREMETAL_HAL_DEFAULTS)
EXTRA_LIB_SRCS += $(patsubst %,port/common/hal_%.c,$(filter-out $(RISCV_HAL_OWN),$(RISCV_HAL_DEFAULTS))) \
                  $(SEMIHOST_SRCS)
endif
