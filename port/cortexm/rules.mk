# port/cortexm: the part of the HAL every Cortex-M board shares
# (semihosting console, log and command line; hal_cortexm.h says what the
# board adds). Bare metal has no network, no file system, no entropy
# source and no watchdog driver here: those come from port/common/'s
# defaults, and the capability macros tell core/ (core/hal/hal_caps.h).
ifeq ($(PORT),cortexm)
EXTRA_LIB_SRCS += port/common/hal_net_none.c port/common/hal_net_server_none.c \
                  port/common/hal_store_ram.c port/common/hal_entropy_none.c \
                  port/common/hal_watchdog_count.c
HAL_CAPS := -DFLM_HAL_HAS_NET=0 -DFLM_HAL_HAS_NET_SERVER=0 \
            -DFLM_HAL_HAS_STORAGE_PERSISTENT=0 -DFLM_HAL_HAS_ENTROPY=0
CFLAGS   += $(HAL_CAPS)
endif
