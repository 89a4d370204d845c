/* POSIX-port extras: settings a host program or test may change. */
#ifndef FLM_HAL_POSIX_H
#define FLM_HAL_POSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hal/hal.h"

/* Directory of the key/record store. Default: $FLM_STORE_DIR, else
 * ".fieldlm-store" in the working directory. Created on first put. */
flm_err_t flm_hal_posix_set_store_dir(const char *dir);

/* Link status override for tests: -1 = detect (default route present),
 * 0 = force down, 1 = force up. $FLM_LINK=up|down sets it at init. */
void flm_hal_posix_set_link(int state);

/* Number of watchdog kicks since init (tests check long loops kick it). */
uint64_t flm_hal_posix_watchdog_kicks(void);

#endif /* FLM_HAL_POSIX_H */
