/* Parts of port/hal.h every port implements the same way, shared by the
 * ports (port/posix, port/cortexm) instead of copied into each. */
#ifndef FLM_HAL_COMMON_H
#define FLM_HAL_COMMON_H

#include <stdbool.h>

#include "port/hal.h"

/* Is `key` a valid store key: 1..FLM_HAL_KEY_MAX bytes of [A-Za-z0-9._-],
 * not starting with '.'? */
bool flm_hal_key_valid(const char *key);

#endif /* FLM_HAL_COMMON_H */
