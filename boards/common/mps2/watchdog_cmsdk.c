/*
 * The MPS2 boards' watchdog (MPS2_WATCHDOG=cmsdk, mps2.mk): the CMSDK APB
 * watchdog (0x40008000 on AN385/AN386, the IoTKit's Secure one on AN505),
 * fed by flm_hal_watchdog_kick(), which the engine calls at every step
 * (FLM_HAL_HAS_WATCHDOG). It arms at the first kick, so a program that never
 * runs the loop (the start-up CRC check, a self-test) is never reset by it.
 *
 * The counter runs down from a period's worth of ticks; a kick reloads it.
 * The first time it reaches zero it raises its interrupt, wired to the NMI:
 * the handler notes the cause in the boot record (startup.c, kept over the
 * reset) and waits; the second time, one period later, it resets the board.
 * A loop stalled for two periods therefore restarts the firmware.
 */
#include "boards/common/mps2/board.h"

#include <stdint.h>

#include "port/common/hal_common.h"

#if !FLM_HAL_HAS_WATCHDOG
#error "the CMSDK watchdog resets the board: build it with FLM_HAL_HAS_WATCHDOG=1 (mps2.mk)"
#endif

#ifndef FLM_BOARD_WDOG_BASE
#define FLM_BOARD_WDOG_BASE 0x40008000u /* AN385/AN386 */
#endif
#ifndef FLM_BOARD_WDOG_HZ
#define FLM_BOARD_WDOG_HZ 25000000u     /* its clock */
#endif
#ifndef FLM_BOARD_WDOG_MS
#define FLM_BOARD_WDOG_MS 2000u /* mps2.mk MPS2_WDOG_MS: bark, then as long again to the reset */
#endif
#define WDOG_PERIOD_TICKS ((uint32_t)((uint64_t)FLM_BOARD_WDOG_HZ * FLM_BOARD_WDOG_MS / 1000u))
#if FLM_BOARD_WDOG_MS == 0 || (FLM_BOARD_WDOG_HZ / 1000u) * FLM_BOARD_WDOG_MS > 0xFFFFFFFFu
#error "FLM_BOARD_WDOG_MS must give a period of 1 to 2^32 - 1 watchdog ticks"
#endif

#define WDOG_LOAD    (*(volatile uint32_t *)(FLM_BOARD_WDOG_BASE + 0x000u))
#define WDOG_CONTROL (*(volatile uint32_t *)(FLM_BOARD_WDOG_BASE + 0x008u))
#define WDOG_INTCLR  (*(volatile uint32_t *)(FLM_BOARD_WDOG_BASE + 0x00Cu))
#define WDOG_MIS     (*(volatile uint32_t *)(FLM_BOARD_WDOG_BASE + 0x014u))
#define WDOG_LOCK    (*(volatile uint32_t *)(FLM_BOARD_WDOG_BASE + 0xC00u))
#define CONTROL_INTEN 1u
#define CONTROL_RESEN 2u
#define LOCK_OPEN     0x1ACCE551u

static struct {
    bool     armed;
    uint64_t kicks;
} wdog;

void flm_hal_watchdog_kick(void)
{
    wdog.kicks++;
    WDOG_LOCK = LOCK_OPEN;
    if (wdog.armed) {
        WDOG_INTCLR = 1u; /* reloads the counter */
    } else {
        WDOG_LOAD = WDOG_PERIOD_TICKS;
        WDOG_INTCLR = 1u;
        WDOG_CONTROL = CONTROL_INTEN | CONTROL_RESEN;
        wdog.armed = true;
    }
    WDOG_LOCK = 0;
}

uint64_t flm_hal_watchdog_kicks(void)
{
    return wdog.kicks;
}

void flm_board_watchdog_stop(void)
{
    WDOG_LOCK = LOCK_OPEN;
    WDOG_CONTROL = 0;
    WDOG_INTCLR = 1u;
    WDOG_LOCK = 0;
    wdog.armed = false;
}

/* The NMI: the watchdog's first expiry (its bark) waits here for the
 * reset; any other NMI ends the run as a fault does. */
void flm_nmi_handler(void) __attribute__((noreturn));
void flm_nmi_handler(void)
{
    if (wdog.armed && (WDOG_MIS & 1u)) {
        flm_board_note_reset(FLM_BOARD_RESET_WATCHDOG);
        for (;;) {
        }
    }
    flm_board_exit(99);
}
