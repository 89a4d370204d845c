# Board: riscv32-virt — QEMU's RISC-V `virt` machine as a 32-bit
# microcontroller (the ESP32-C3 class): RV32IMC, no FPU (soft-float ABI
# ilp32, and no float on the path: tests/sh/board_elf_checks.sh), machine
# mode, bare metal, Debian's riscv64-unknown-elf toolchain with picolibc.
# Console: the virt machine's NS16550A UART (QEMU -serial stdio); log and
# command line through semihosting when QEMU answers it; the run ends
# through the SiFive test device ("finisher"), which QEMU exits on.
CROSS     := riscv64-unknown-elf-
CC        := $(CROSS)gcc
AR        := $(CROSS)ar
PORT      := riscv
RISCV_ARCH := -march=rv32imc -mabi=ilp32
# No sockets, no mbedTLS on bare metal.
override TLS := 0
# The options of the MPS2 boards (boards/common/mps2/mps2.mk says why):
# no network, cloud, server, device file or byte-level BPE, 8 layer views.
BOARD_CFLAGS  := $(RISCV_ARCH) -mcmodel=medany --specs=picolibc.specs -ffunction-sections -fdata-sections \
                 -DFLM_CFG_CLOUD=0 -DFLM_CFG_SERVER=0 -DFLM_CFG_DEVICE_FILE=0 -DFLM_CFG_TOKENIZER_BPE=0 \
                 -DFLM_MODEL_MAX_LAYERS=8
# picolibc for memcpy & co. and libgcc for 64-bit division; our own
# startup; nothing may pull in the heap (tests/sh/board_elf_checks.sh).
BOARD_LDFLAGS := $(RISCV_ARCH) -mcmodel=medany --specs=picolibc.specs -nostartfiles \
                 -T boards/riscv32-virt/virt.ld -Wl,--gc-sections
# The demo's memory budget, as on the MPS2 boards: 256 KB of RAM, 1 MB of
# flash (virt.ld), 256 KV-cache positions in a 160 KiB static arena.
BOARD_CTX_LEN     := 256
BOARD_ARENA_BYTES := 163840
CFLAGS_boards/common/mps2/ := -DFLM_BOARD_CTX_LEN=$(BOARD_CTX_LEN)u \
                              -DFLM_BOARD_ARENA_BYTES=$(BOARD_ARENA_BYTES)u
BOARD_ALL      = $(BUILD)/fieldlm.elf
BOARD_RUN     := qemu-system-riscv32 -M virt -bios none -display none -monitor none \
                 -serial stdio -semihosting-config enable=on,target=native -kernel

# The record store: the log-structured flash store of the MPS2 boards
# (boards/common/mps2/hal_store_mps2.c on a simulated NOR part) in the
# STORE region of virt.ld, with the A/B model slots beside it (SLOTS);
# RISCV_STORE=ram takes port/common's RAM store.
RISCV_STORE ?= flash
ifeq ($(RISCV_STORE),flash)
RISCV_HAL_OWN   += store_ram slots_none
BOARD_CFLAGS    += -DFLM_HAL_HAS_STORAGE_PERSISTENT=1 -DFLM_HAL_HAS_SLOTS=1
CFLAGS_boards/common/mps2/ += -DFLM_BOARD_STORE_FLASH=1
RISCV_STORE_SRCS := boards/common/mps2/hal_store_mps2.c boards/common/mps2/selftest_store.c \
                    boards/common/mps2/selftest_update.c
endif
