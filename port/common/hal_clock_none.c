/* Default calendar clock for a platform without one (no RTC): TLS then
 * refuses certificates, since it cannot check their dates. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_UTC_CLOCK
#error "port/common/hal_clock_none.c has no clock: build it with FLM_HAL_HAS_UTC_CLOCK=0"
#endif

flm_err_t flm_hal_utc_s(int64_t *seconds)
{
    if (seconds)
        *seconds = 0;
    return FLM_ERR_UNSUPPORTED;
}
