# Shared toolchain settings of the MPS2/MPS3 bare-metal boards (QEMU -M
# mps2-*, mps3-*). The board's board.mk sets MPS2_CPU and QEMU_MACHINE, and
# where its map differs from the AN385/AN386 one MPS2_LD (its memory map,
# which INCLUDEs sections.ld) and MPS2_BOARD_DEFS (the addresses and clocks
# of its timer, UART and watchdog: hal_mps2.c), then includes this.
MPS2_LD         ?= boards/common/mps2/mps2.ld
MPS2_BOARD_DEFS ?=
CROSS     := arm-none-eabi-
CC        := $(CROSS)gcc
AR        := $(CROSS)ar
PORT      := cortexm
# No sockets, no mbedTLS on bare metal.
override TLS := 0
# Options (core/base/config.h): no network, so no cloud path and no server (HTTP, JSON,
# SSE, the client and their error texts compile to nothing); no device
# file (the demo is configured at build time and by its command line);
# no byte-level BPE tokenizer (GPT-2-style vocabularies of 49k tokens are
# for the Linux boards; it and its Unicode table are ~7 KB of flash);
# flm_model_t
# keeps a view per layer, and 8 are plenty for the models a 256 KB-RAM part
# runs (5 KB of RAM saved over the default 32).
BOARD_CFLAGS  := $(MPS2_CPU) -mthumb -ffunction-sections -fdata-sections \
                 -DFLM_CFG_CLOUD=0 -DFLM_CFG_SERVER=0 -DFLM_CFG_DEVICE_FILE=0 -DFLM_CFG_TOKENIZER_BPE=0 \
                 -DFLM_MODEL_MAX_LAYERS=8
# newlib-nano for memcpy & co.; our own startup; nothing may pull in the
# heap (tests/sh/board_elf_checks.sh checks the linked ELF).
BOARD_LDFLAGS := $(MPS2_CPU) -mthumb --specs=nano.specs -nostartfiles \
                 -T $(MPS2_LD) -Wl,--gc-sections
# The demo's memory budget: KV-cache positions, and the static arena that
# holds the engine's whole working set for them (flm_engine_ram() at 256
# positions: 153,700 bytes for the default model fieldtales-800k, 113,760
# for stories260K; the rest is headroom for engine changes, and the
# firmware names any shortfall).
BOARD_CTX_LEN     := 256
BOARD_ARENA_BYTES := 163840
CFLAGS_boards/common/mps2/ := -DFLM_BOARD_CTX_LEN=$(BOARD_CTX_LEN)u \
                              -DFLM_BOARD_ARENA_BYTES=$(BOARD_ARENA_BYTES)u $(MPS2_BOARD_DEFS)
BOARD_ALL      = $(BUILD)/fieldlm.elf

# The watchdog: MPS2_WATCHDOG=cmsdk (default) feeds the CMSDK APB watchdog
# from the engine's steps (watchdog_cmsdk.c: a stalled loop resets the
# board); none keeps port/common's counting stand-in (a board whose QEMU
# model has none: AN547's SSE-300 watchdogs are not emulated).
# MPS2_WDOG_MS is its period: that long without a kick raises its interrupt,
# as long again resets the board.
MPS2_WATCHDOG ?= cmsdk
MPS2_WDOG_MS  ?= 2000
ifeq ($(MPS2_WATCHDOG),cmsdk)
CORTEXM_HAL_OWN += watchdog_count
BOARD_CFLAGS    += -DFLM_HAL_HAS_WATCHDOG=1
MPS2_WATCHDOG_SRCS := boards/common/mps2/watchdog_cmsdk.c
CFLAGS_boards/common/mps2/ += -DFLM_BOARD_WDOG_MS=$(MPS2_WDOG_MS)u
else ifneq ($(MPS2_WATCHDOG),none)
$(error MPS2_WATCHDOG=$(MPS2_WATCHDOG): the MPS2 watchdogs are cmsdk and none)
endif

# The console: CONSOLE=semihost (default, what the tests compare) writes the
# console to semihosting stdout and the log to stderr; CONSOLE=uart sends
# both down the FPGA's CMSDK UART 0 (console_uart.c), a product's serial
# line, which QEMU connects to MPS2_SERIAL (stdio, or file:PATH). The
# command line and the run's end stay semihosting calls under QEMU.
CONSOLE     ?= semihost
MPS2_SERIAL ?= $(if $(filter uart,$(CONSOLE)),stdio,none)
ifeq ($(CONSOLE),uart)
CFLAGS_port/cortexm/ += -DFLM_CORTEXM_CONSOLE_BOARD=1
MPS2_CONSOLE_SRCS := boards/common/mps2/console_uart.c
else ifneq ($(CONSOLE),semihost)
$(error CONSOLE=$(CONSOLE): the MPS2 consoles are semihost and uart)
endif
BOARD_RUN     := qemu-system-arm -M $(QEMU_MACHINE) -display none -serial $(MPS2_SERIAL) \
                 -monitor none -semihosting-config enable=on,target=native -kernel

# The record store: MPS2_STORE=flash (default) is the log-structured store
# on a simulated NOR part (port/common/flash_store.h, flash_sim.h) in the
# STORE region of mps2.ld, which survives a reset, with the A/B model slots
# beside it (SLOTS); MPS2_STORE=ram takes port/common's RAM store instead (4
# records, lost at reset) and no slots.
MPS2_STORE ?= flash
ifeq ($(MPS2_STORE),flash)
CORTEXM_HAL_OWN += store_ram slots_none
BOARD_CFLAGS    += -DFLM_HAL_HAS_STORAGE_PERSISTENT=1 -DFLM_HAL_HAS_SLOTS=1
CFLAGS_boards/common/mps2/ += -DFLM_BOARD_STORE_FLASH=1
MPS2_STORE_SRCS := boards/common/mps2/hal_store_mps2.c boards/common/mps2/selftest_store.c \
                   boards/common/mps2/selftest_update.c
endif
