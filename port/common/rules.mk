# port/common: HAL pieces every port shares (hal_common.c: log, time_ms,
# store key rules, transport view), and the defaults a port takes in its
# rules.mk for what its platform lacks (hal_net_none.c, hal_store_ram.c,
# ...: hal_common.h lists them). The RAM store and the flash store (with
# its NOR simulation) have no dependency: built always, so their tests run
# on the host too.
COMMON_LIB_SRCS := port/common/hal_common.c port/common/ram_store.c \
                   port/common/flash_store.c port/common/flash_sim.c \
                   port/common/flash_slots.c
EXTRA_LIB_SRCS  += $(COMMON_LIB_SRCS)

# What a bare-metal port takes from the defaults above, by name
# (port/riscv/rules.mk, the CMake build's FLM_PORT=none|riscv).
BAREMETAL_HAL_DEFAULTS := net_none net_server_none store_ram entropy_none watchdog_count files_none \
                          clock_none slots_none parallel_none

# Arm semihosting over a port's trap (semihost.h): the bare-metal ports
# that run under a debugger or QEMU take it (port/cortexm, port/riscv).
SEMIHOST_SRCS := port/common/semihost.c
