/*
 * Bare-metal Cortex-M implementation of the system part of core/hal/ that
 * every Cortex-M shares: the console goes to ARM semihosting stdout and log
 * lines to semihosting stderr, so a board's console carries the
 * application's output only. A board built with FLM_CORTEXM_CONSOLE_BOARD=1
 * (a product without a debugger: the MPS2 boards' CONSOLE=uart) writes both
 * through its own flm_board_console_write instead, a UART. Time, sleep and
 * the run's end are the board's (hal_cortexm.h); the rest comes from
 * port/common/ (rules.mk).
 */
#include "port/cortexm/hal_cortexm.h"
#include "port/common/hal_common.h"
#include "port/common/semihost.h"

#include "core/base/fmt.h"

#include <string.h>

/* ---- semihosting (port/common/semihost.h: the rest of the protocol) --- */

long flm_semihost_trap(long op, const void *arg)
{
    register long r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* ---- state ------------------------------------------------------------ */

static struct {
    bool            up;
    long            out, err;      /* semihosting handles */
    flm_log_level_t log_level;
} hal;

/* ---- life cycle ------------------------------------------------------- */

flm_err_t flm_hal_init(void)
{
    if (hal.up)
        return FLM_OK;
#if !FLM_CORTEXM_CONSOLE_BOARD
    hal.out = flm_semihost_open_tt(FLM_SEMI_OPEN_W);
    hal.err = flm_semihost_open_tt(FLM_SEMI_OPEN_A);
    if (hal.err < 0)
        hal.err = hal.out;
#endif
    hal.log_level = FLM_LOG_INFO;
    flm_err_t err = flm_board_init();
    if (err)
        return err;
    hal.up = true;
    return FLM_OK;
}

void flm_hal_deinit(void)
{
    flm_board_deinit();
    hal.up = false;
}

/* ---- console and log -------------------------------------------------- */

#if FLM_CORTEXM_CONSOLE_BOARD
/* console and log share the board's one line */
#define console_out(data, n) flm_board_console_write(data, n)
#define log_out(data, n)     flm_board_console_write(data, n)
#else
#define console_out(data, n) flm_semihost_write(hal.out, data, n)
#define log_out(data, n)     flm_semihost_write(hal.err, data, n)
#endif

void flm_hal_console_write(const void *data, size_t n)
{
    console_out(data, n);
}

void flm_hal_log_set_level(flm_log_level_t level)
{
    hal.log_level = level;
}

void flm_hal_vlog(flm_log_level_t level, const char *fmt, va_list ap)
{
    if (level > hal.log_level)
        return;
    char line[FLM_HAL_LOG_LINE_MAX + 2];
    size_t n = flm_hal_log_line(line, level, fmt, ap);
    log_out(line, n);
}
