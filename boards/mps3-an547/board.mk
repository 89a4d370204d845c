# Board: mps3-an547 — ARM MPS3 with the AN547 FPGA image (SSE-300): Cortex-M55
# with Helium (MVE, integer and float) and the FPU (hard-float ABI), bare
# metal, run under QEMU. Secure state, as it boots (an547.ld). The matvecs
# and the attention head take the MVE kernels (core/kernels/arm/*_mve.c).
MPS2_CPU        := -mcpu=cortex-m55 -mfloat-abi=hard
QEMU_MACHINE    := mps3-an547
MPS2_LD         := boards/mps3-an547/an547.ld
# The SSE-300 has no CMSDK timer on the main clock (its timers are the
# ARMv8-M system timers): time comes from the 32 kHz one at 0x4802f000.
# UART0 at 0x49303000 (25 MHz APB clock). QEMU models the SSE-300's
# watchdogs as unimplemented devices: no watchdog here.
MPS2_BOARD_DEFS := -DFLM_BOARD_TIMER_BASE=0x4802f000u -DFLM_BOARD_TIMER_HZ=32000u \
                   -DFLM_BOARD_UART_BASE=0x49303000u -DFLM_BOARD_UART_HZ=25000000u
MPS2_UNIT_LD    := boards/mps3-an547/unit.ld
MPS2_WATCHDOG   := none
include boards/common/mps2/mps2.mk
