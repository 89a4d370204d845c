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

#include "core/base/fmt.h"

#include <string.h>

/* ---- semihosting (the ARM operations) ----------------------------------- */

enum {
    SEMI_SYS_OPEN        = 0x01,
    SEMI_SYS_WRITE       = 0x05,
    SEMI_SYS_GET_CMDLINE = 0x15,
    SEMI_OPEN_A          = 8, /* ":tt" opened "a" is stderr */
};

static long semi_open_tt(uint32_t mode)
{
    static const char tt[] = ":tt";
    const uint32_t args[3] = { (uint32_t)(uintptr_t)tt, mode, 3 };
    return flm_hal_riscv_semihost(SEMI_SYS_OPEN, args);
}

static void semi_write(long handle, const void *data, size_t n)
{
    if (handle < 0 || n == 0)
        return;
    const uint32_t args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)data, (uint32_t)n };
    (void)flm_hal_riscv_semihost(SEMI_SYS_WRITE, args);
}

flm_err_t flm_hal_riscv_cmdline(char *buf, size_t cap)
{
    if (!buf || cap == 0 || cap > UINT32_MAX)
        return FLM_ERR_ARG;
    uint32_t args[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)cap };
    if (flm_hal_riscv_semihost(SEMI_SYS_GET_CMDLINE, args) != 0) {
        buf[0] = '\0';
        return FLM_ERR_UNSUPPORTED;
    }
    buf[args[1] < cap ? args[1] : cap - 1] = '\0';
    return FLM_OK;
}

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
    hal.err = semi_open_tt(SEMI_OPEN_A);
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
        semi_write(hal.err, line, n);
    else
        flm_board_console_write(line, n);
}
