# Board: host — the build machine itself (Linux, POSIX port).
CC        ?= cc
AR        ?= ar
PORT      := posix
# Host builds run the test suite and the host tools.
BOARD_CFLAGS  :=
BOARD_LDFLAGS :=
