# Shared settings of the ARM Linux boards: the POSIX port, cross-compiled
# with Debian's toolchains, run under qemu-user. The board's board.mk sets
# CROSS and BOARD_RUN, then includes this.
CC        := $(CROSS)gcc
AR        := $(CROSS)ar
PORT      := posix
# No cross mbedTLS is installed: build without cloud TLS.
override TLS := 0
BOARD_CFLAGS  :=
# Static binaries need no sysroot at run time under qemu-user.
BOARD_LDFLAGS := -static
