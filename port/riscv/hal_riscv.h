/*
 * RISC-V port extras: what a bare-metal RV32 board (machine mode, one hart)
 * needs beyond core/hal/. The port is what every such board shares:
 * RISC-V semihosting (the ARM protocol behind the slli/ebreak/srai
 * sequence) for the log and the command line when a debugger or QEMU
 * answers it, a trap handler that turns an unanswered semihosting call
 * into a failed one (so the same image runs on a part with no debugger),
 * and the rest of the system contract. Everything else comes from the
 * board folder or port/common/.
 *
 * A RISC-V board supplies (boards/riscv32-virt/ is the example):
 *  - flm_board_init / flm_board_deinit below: clocks, timer and UART,
 *    called by flm_hal_init / flm_hal_deinit;
 *  - flm_board_console_write: the console (a UART on a product);
 *  - flm_board_fault: what a trap that is no semihosting call does (a
 *    reset on a product; an exit status under QEMU);
 *  - flm_hal_time_us and flm_hal_sleep_ms (core/hal/hal_system.h) from its
 *    timer;
 *  - startup that points mtvec at flm_riscv_trap before the first call.
 * Log lines go to semihosting stderr when a host answered at
 * flm_hal_init, else to the console after the application's text.
 */
#ifndef FLM_HAL_RISCV_H
#define FLM_HAL_RISCV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hal/hal.h"
#include "port/common/semihost.h"

/* Semihosting (port/common/semihost.h): flm_semihost_trap is this port's
 * slli/ebreak/srai call, which returns -1 when nobody answered (the
 * breakpoint trapped into flm_riscv_trap, which skips it). */
/* Did a semihosting host answer (known after flm_hal_init)? */
bool flm_hal_riscv_semihosted(void);


/* The machine-mode trap vector (direct mode, 4-byte aligned): a startup
 * writes its address to mtvec. */
void flm_riscv_trap(void);

/* Supplied by the board. */
flm_err_t flm_board_init(void);
void      flm_board_deinit(void);
void      flm_board_console_write(const void *data, size_t n);
void      flm_board_fault(uint32_t mcause, uint32_t mepc) __attribute__((noreturn));

#endif /* FLM_HAL_RISCV_H */
