/*
 * Arm semihosting, the calls the bare-metal ports make (console, log and
 * command line through a debugger or QEMU's -semihosting). The protocol is
 * the same on Cortex-M and RISC-V; only the trap that enters the host
 * differs, so each port supplies flm_semihost_trap (port/cortexm: BKPT
 * 0xAB; port/riscv: the slli/ebreak/srai sequence) and shares the rest.
 */
#ifndef FLM_PORT_SEMIHOST_H
#define FLM_PORT_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

enum {
    FLM_SEMI_SYS_OPEN          = 0x01,
    FLM_SEMI_SYS_WRITE         = 0x05,
    FLM_SEMI_SYS_GET_CMDLINE   = 0x15,
    FLM_SEMI_SYS_EXIT          = 0x18,
    FLM_SEMI_SYS_EXIT_EXTENDED = 0x20,
    FLM_SEMI_OPEN_W            = 4, /* ":tt" opened "w" is stdout ... */
    FLM_SEMI_OPEN_A            = 8, /* ... and "a" is stderr */
};

/* One semihosting call (operation op, argument block arg); returns the
 * host's answer. The port's: on Cortex-M without a host attached it traps
 * (call it only on a board that runs under one); on RISC-V it returns -1. */
long flm_semihost_trap(long op, const void *arg);

/* The ":tt" stream opened with `mode` (FLM_SEMI_OPEN_W: stdout,
 * FLM_SEMI_OPEN_A: stderr): a handle, negative when the host refuses. */
long flm_semihost_open_tt(uint32_t mode);

/* n bytes to a handle; nothing for a negative handle or n == 0. */
void flm_semihost_write(long handle, const void *data, size_t n);

/* The program's command line from the host (QEMU: -append),
 * NUL-terminated in buf. FLM_ERR_UNSUPPORTED without a host or when it
 * is longer than cap - 1 bytes (the host cannot say which). */
flm_err_t flm_semihost_cmdline(char *buf, size_t cap);

#endif /* FLM_PORT_SEMIHOST_H */
