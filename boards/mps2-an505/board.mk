# Board: mps2-an505 — ARM MPS2+ with the AN505 FPGA image (IoTKit): Cortex-M33
# with the DSP extension and a single-precision FPU (hard-float ABI), bare
# metal, run under QEMU. The firmware runs in the Secure state it boots in
# (no TrustZone partition): code at the Secure alias of ZBT SSRAM1, data in
# SSRAM2 (an505.ld). The M33 takes the existing DSP kernels (SXTB16/SMLAxy).
MPS2_CPU        := -mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard
QEMU_MACHINE    := mps2-an505
MPS2_LD         := boards/mps2-an505/an505.ld
# IoTKit timer 0 at 20 MHz (the Secure alias of 0x40000000); UART0 of the
# FPGA at 0x40200000; the IoTKit's Secure watchdog (CMSDK) at 0x50081000.
MPS2_BOARD_DEFS := -DFLM_BOARD_TIMER_BASE=0x50000000u -DFLM_BOARD_TIMER_HZ=20000000u \
                   -DFLM_BOARD_UART_BASE=0x50200000u -DFLM_BOARD_UART_HZ=20000000u \
                   -DFLM_BOARD_WDOG_BASE=0x50081000u -DFLM_BOARD_WDOG_HZ=20000000u
MPS2_UNIT_LD    := boards/mps2-an505/unit.ld
include boards/common/mps2/mps2.mk
