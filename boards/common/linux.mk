# Shared settings of the ARM Linux boards: the POSIX port, cross-compiled
# with Debian's toolchains, run under qemu-user. The board's board.mk sets
# CROSS and BOARD_RUN, then includes this.
CC        := $(CROSS)gcc
AR        := $(CROSS)ar
PORT      := posix
# Cloud TLS with Debian's multiarch mbedTLS (libmbedtls-dev:arm64 / :armhf,
# installed beside the cross compilers by `sh .ci/install test`); without
# it port/mbedtls/rules.mk builds with TLS=0 and says so.
OBJCOPY   := $(CROSS)objcopy
BOARD_CFLAGS  :=
# Static binaries need no sysroot at run time under qemu-user.
BOARD_LDFLAGS := -static
