# Board: linux-armhf — a Raspberry-Pi-class 32-bit ARM Linux board
# (ARMv7-A, hard-float ABI), POSIX port, run here under qemu-user.
CC        := arm-linux-gnueabihf-gcc
AR        := arm-linux-gnueabihf-ar
PORT      := posix
# No cross mbedTLS is installed: build without cloud TLS.
override TLS := 0
BOARD_CFLAGS  :=
# Static binaries need no sysroot at run time under qemu-user.
BOARD_LDFLAGS := -static
# How to run one of this board's programs on the build machine.
BOARD_RUN     := qemu-arm
