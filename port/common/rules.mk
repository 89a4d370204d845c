# port/common: HAL pieces every port shares (hal_common.c: log, time_ms,
# store key rules, transport view), and the defaults a port takes in its
# rules.mk for what its platform lacks (hal_net_none.c, hal_store_ram.c,
# ...: hal_common.h lists them). The RAM store itself has no dependency:
# built always, so its tests run on the host too.
EXTRA_LIB_SRCS += port/common/hal_common.c port/common/ram_store.c
