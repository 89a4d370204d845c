# Board: mps2-an385 — ARM MPS2 with the AN385 FPGA image: Cortex-M3, no
# FPU, soft-float ABI, bare metal, run under QEMU. Its ELF must hold no
# floating-point helper at all (tests/sh/board_elf_checks.sh).
MPS2_CPU     := -mcpu=cortex-m3 -mfloat-abi=soft
QEMU_MACHINE := mps2-an385
include boards/common/mps2/mps2.mk
