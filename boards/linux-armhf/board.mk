# Board: linux-armhf — a Raspberry-Pi-class 32-bit ARM Linux board
# (ARMv7-A, hard-float ABI), POSIX port, run here under qemu-user.
CROSS     := arm-linux-gnueabihf-
# How to run one of this board's programs on the build machine.
BOARD_RUN := qemu-arm
include boards/common/linux.mk
