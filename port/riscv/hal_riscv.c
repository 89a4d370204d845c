/*
 * Bare-metal RISC-V implementation of the system part of core/hal/ that
 * every RV32 board shares: the console is the board's (a UART), log lines
 * go to semihosting stderr when a host answers, so the console carries the
 * application's output only, and to the console otherwise (a product's
 * one serial line). Time, sleep and the run's end are the board's
 * (hal_riscv.h); the rest comes from port/common/ (rules.mk).
 */
#include "port/riscv/hal_riscv.h"
#include "port/common/hal_common.h"
#include "port/common/semihost.h"

#include "core/base/fmt.h"

#include <string.h>

/* ---- state ------------------------------------------------------------ */

static struct {
    bool            up;
    long            err; /* semihosting stderr, -1 without a host */
    flm_log_level_t log_level;
} hal = { .err = -1 };

bool flm_hal_riscv_semihosted(void)
{
    return hal.err >= 0;
}

/* ---- life cycle ------------------------------------------------------- */

flm_err_t flm_hal_init(void)
{
    if (hal.up)
        return FLM_OK;
    flm_err_t err = flm_board_init();
    if (err)
        return err;
    hal.err = flm_semihost_open_tt(FLM_SEMI_OPEN_A);
    hal.log_level = FLM_LOG_INFO;
    hal.up = true;
    return FLM_OK;
}

void flm_hal_deinit(void)
{
    flm_board_deinit();
    hal.up = false;
}

/* ---- console and log -------------------------------------------------- */

void flm_hal_console_write(const void *data, size_t n)
{
    flm_board_console_write(data, n);
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
    if (hal.err >= 0)
        flm_semihost_write(hal.err, line, n);
    else
        flm_board_console_write(line, n);
}
