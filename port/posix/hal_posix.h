/* POSIX-port extras: settings a host program or test may change. */
#ifndef FLM_HAL_POSIX_H
#define FLM_HAL_POSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hal/hal.h"

/* The largest record the store takes: FLM_HAL_POSIX_STORE_RECORD_MAX
 * (core/base/config.h). */

/* Directory of the key/record store, one file per record. Default:
 * $FLM_STORE_DIR (read at the first flm_hal_init), else ".fieldlm-store"
 * in the working directory. Created on first put. */
flm_err_t flm_hal_posix_set_store_dir(const char *dir);

/* Bound the store below what the disk has, as a device's flash would be
 * (tests use it to reach FLM_ERR_STORE_FULL): at most max_records records
 * and max_bytes payload bytes; 0 leaves that one to the disk. A put then
 * counts the records first, so keep the store small. */
void flm_hal_posix_set_store_limits(uint32_t max_records, uint64_t max_bytes);

/* Link status override for tests: -1 = detect (default route present),
 * 0 = force down, 1 = force up. $FLM_LINK=up|down sets it at the first
 * flm_hal_init. */
void flm_hal_posix_set_link(int state);

/* Number of watchdog kicks since init (tests check long loops kick it). */
uint64_t flm_hal_posix_watchdog_kicks(void);

#endif /* FLM_HAL_POSIX_H */
