# Board: linux-aarch64 — a Raspberry-Pi-class 64-bit ARM Linux board
# (Cortex-A53/A72), POSIX port, run here under qemu-user.
CROSS     := aarch64-linux-gnu-
# How to run one of this board's programs on the build machine.
BOARD_RUN := qemu-aarch64
include boards/common/linux.mk
