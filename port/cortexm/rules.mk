# port/cortexm: the part of the HAL every Cortex-M board shares
# (semihosting console, log and command line; hal_cortexm.h says what the
# board adds).
#
# Bare metal has no network, no file system, no entropy source and no
# watchdog driver here: those come from port/common/'s defaults
# (hal_<name>.c), which go with the capability macros left at their "off"
# defaults (core/hal/hal_caps.h). A board that has one (a TRNG, a flash
# store) drops it from CORTEXM_HAL_DEFAULTS in its board.mk, supplies those
# functions itself and sets the macro in BOARD_CFLAGS
# (-DFLM_HAL_HAS_ENTROPY=1); a default built against a macro that says
# otherwise stops the build.
ifeq ($(PORT),cortexm)
CORTEXM_HAL_DEFAULTS ?= net_none net_server_none store_ram entropy_none watchdog_count files_none \
                        clock_none slots_none parallel_none
EXTRA_LIB_SRCS += $(patsubst %,port/common/hal_%.c,$(CORTEXM_HAL_DEFAULTS)) $(SEMIHOST_SRCS)
endif

# CORTEXM_HAL_OWN names defaults a board supplies itself (the MPS2 boards'
# flash store: store_ram), left out of the list above.
ifeq ($(PORT),cortexm)
EXTRA_LIB_SRCS := $(filter-out $(patsubst %,port/common/hal_%.c,$(CORTEXM_HAL_OWN)),$(EXTRA_LIB_SRCS))
endif
