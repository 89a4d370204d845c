# Board: linux-aarch64 — a Raspberry-Pi-class 64-bit ARM Linux board
# (Cortex-A53/A72), POSIX port, run here under qemu-user.
CC        := aarch64-linux-gnu-gcc
AR        := aarch64-linux-gnu-ar
PORT      := posix
# No cross mbedTLS is installed: build without cloud TLS.
override TLS := 0
BOARD_CFLAGS  :=
# Static binaries need no sysroot at run time under qemu-user.
BOARD_LDFLAGS := -static
# How to run one of this board's programs on the build machine.
BOARD_RUN     := qemu-aarch64
