# Board: mps2-an386 — ARM MPS2 with the AN386 FPGA image: Cortex-M4 with
# single-precision FPU (hard-float ABI), bare metal, run under QEMU.
MPS2_CPU     := -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
QEMU_MACHINE := mps2-an386
include boards/common/mps2/mps2.mk
