/*
 * What the MPS2/MPS3 boards add to port/cortexm: time from a CMSDK APB timer
 * (timer 0 at 25 MHz on AN385/AN386, 20 MHz on AN505; the SSE-300 of AN547
 * keeps a CMSDK timer only on its 32 kHz clock: MPS2_BOARD_DEFS in the
 * board's board.mk), and the end of a run through semihosting (QEMU exits
 * with the status). The timer is free-running and polled: no interrupt may
 * perturb the deterministic instruction counts of tools/qemu-insn.
 */
#include "boards/common/mps2/board.h"

#include <stdint.h>

#include "port/cortexm/hal_cortexm.h"

/* ---- CMSDK APB timer -------------------------------------------------- */

#ifndef FLM_BOARD_TIMER_BASE
#define FLM_BOARD_TIMER_BASE 0x40000000u /* AN385/AN386: timer 0 */
#endif
#ifndef FLM_BOARD_TIMER_HZ
#define FLM_BOARD_TIMER_HZ 25000000u
#endif
#if FLM_BOARD_TIMER_HZ % 1000u != 0
#error "FLM_BOARD_TIMER_HZ must be a multiple of 1 kHz"
#endif
#define TIMER_CTRL    (*(volatile uint32_t *)(FLM_BOARD_TIMER_BASE + 0x0u))
#define TIMER_VALUE   (*(volatile uint32_t *)(FLM_BOARD_TIMER_BASE + 0x4u))
#define TIMER_RELOAD  (*(volatile uint32_t *)(FLM_BOARD_TIMER_BASE + 0x8u))

static struct {
    uint32_t last;  /* last TIMER_VALUE seen */
    uint64_t ticks; /* timer ticks since init */
} timer;

flm_err_t flm_board_init(void)
{
    TIMER_CTRL = 0;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u; /* enable, no interrupt */
    timer.last = 0xFFFFFFFFu;
    timer.ticks = 0;
    return FLM_OK;
}

void flm_board_deinit(void)
{
    TIMER_CTRL = 0;
}

uint64_t flm_hal_time_us(void)
{
    /* The timer counts down and wraps every 2^32 ticks (171 s at 25 MHz):
     * fold each reading into a 64-bit total (callers poll far more often
     * than that). */
    uint32_t now = TIMER_VALUE;
    timer.ticks += (uint32_t)(timer.last - now);
    timer.last = now;
#if FLM_BOARD_TIMER_HZ % 1000000u == 0
    return timer.ticks / (FLM_BOARD_TIMER_HZ / 1000000u);
#else
    return timer.ticks * 1000u / (FLM_BOARD_TIMER_HZ / 1000u);
#endif
}

void flm_hal_sleep_ms(uint32_t ms)
{
    uint64_t end = flm_hal_time_us() + (uint64_t)ms * 1000u;
    while (flm_hal_time_us() < end) {
    }
}

flm_err_t flm_board_cmdline(char *buf, size_t cap)
{
    return flm_semihost_cmdline(buf, cap);
}

/* ---- end of a run ----------------------------------------------------- */

enum {
    SEMI_APP_EXIT          = 0x20026, /* ADP_Stopped_ApplicationExit */
    SEMI_RUNTIME_ERROR     = 0x20023, /* ADP_Stopped_RunTimeErrorUnknown */
};

void flm_board_exit(int status)
{
    const uint32_t args[2] = { SEMI_APP_EXIT, (uint32_t)status };
    (void)flm_semihost_trap(FLM_SEMI_SYS_EXIT_EXTENDED, args);
    /* A host without the extended call: plain exit says pass or fail. */
    uintptr_t reason = status ? SEMI_RUNTIME_ERROR : SEMI_APP_EXIT;
    (void)flm_semihost_trap(FLM_SEMI_SYS_EXIT, (const void *)reason);
    for (;;) {
    }
}
