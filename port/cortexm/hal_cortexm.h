/*
 * Cortex-M port extras: what a bare-metal board's startup and application
 * need beyond core/hal/. The port itself is only what every Cortex-M with a
 * debugger has: ARM semihosting for the console, the log and the command
 * line. Everything else comes from the board folder or port/common/.
 *
 * A Cortex-M board supplies (boards/common/mps2/ is the example):
 *  - flm_board_init / flm_board_deinit below: clocks and the timer, called
 *    by flm_hal_init / flm_hal_deinit;
 *  - flm_hal_time_us and flm_hal_sleep_ms (core/hal/hal_system.h) from its
 *    timer;
 *  - how a run ends (reset, halt, or semihosting exit under a debugger).
 * port/cortexm/rules.mk takes the rest from port/common/: no network, a RAM
 * record store, no entropy, a watchdog that only counts kicks.
 */
#ifndef FLM_HAL_CORTEXM_H
#define FLM_HAL_CORTEXM_H

#include <stddef.h>
#include <stdint.h>

#include "core/hal/hal.h"
#include "port/common/semihost.h"

/* Semihosting (port/common/semihost.h): flm_semihost_trap is this port's
 * BKPT 0xAB, which traps without a debugger or QEMU attached: a board
 * calls it only where it runs under one. */

/* Supplied by the board: bring up (and stop) its clocks and timer. */
flm_err_t flm_board_init(void);
void      flm_board_deinit(void);

/* The console and log go to semihosting unless the board brings its own
 * line (a UART): then it builds with FLM_CORTEXM_CONSOLE_BOARD=1 and
 * supplies this, which sends the n bytes before it returns (and may be
 * called before flm_board_init). */
#ifndef FLM_CORTEXM_CONSOLE_BOARD
#define FLM_CORTEXM_CONSOLE_BOARD 0
#endif
void flm_board_console_write(const void *data, size_t n);

#endif /* FLM_HAL_CORTEXM_H */
