/* Parts of core/hal/hal.h every port implements the same way, shared by the
 * ports (port/posix, port/cortexm) instead of copied into each: here
 * flm_hal_log, flm_hal_time_ms and flm_hal_tcp_transport, on top of each
 * port's flm_hal_vlog, flm_hal_time_us and TCP calls. */
#ifndef FLM_HAL_COMMON_H
#define FLM_HAL_COMMON_H

#include <stdbool.h>

#include "core/hal/hal.h"

/* Is `key` a valid store key: 1..FLM_HAL_KEY_MAX bytes of [A-Za-z0-9._-],
 * not starting with '.'? */
bool flm_hal_key_valid(const char *key);

#endif /* FLM_HAL_COMMON_H */
