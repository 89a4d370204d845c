/* Default watchdog for a board that feeds none: kicks are only counted, so
 * tests can check that long loops kick it. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_WATCHDOG
#error "port/common/hal_watchdog_count.c feeds no watchdog: build it with FLM_HAL_HAS_WATCHDOG=0"
#endif

static uint64_t hal_watchdog_kicks;

void flm_hal_watchdog_kick(void)
{
    hal_watchdog_kicks++;
}

uint64_t flm_hal_watchdog_kicks(void)
{
    return hal_watchdog_kicks;
}
