/* Parts of core/hal/ every port implements the same way, shared by the
 * ports instead of copied into each: flm_hal_log, flm_hal_time_ms and
 * flm_hal_tcp_transport (in hal_common.c, on top of each port's
 * flm_hal_vlog, flm_hal_time_us and TCP calls), and the store's key rules.
 *
 * Beside it, port/common/ holds defaults a port takes, in its rules.mk,
 * for what its platform lacks (each says so with its FLM_HAL_HAS_* macro,
 * core/hal/hal_caps.h):
 *
 *   hal_net_none.c         no network: connect FLM_ERR_UNSUPPORTED, link down
 *   hal_net_server_none.c  no server: listen FLM_ERR_UNSUPPORTED
 *   hal_store_ram.c        the record store in RAM (ram_store.h), lost at reset
 *   hal_entropy_none.c     no entropy source: FLM_ERR_UNSUPPORTED
 *   hal_clock_none.c       no calendar clock: flm_hal_utc_s FLM_ERR_UNSUPPORTED
 *   hal_watchdog_count.c   no watchdog to feed: kicks are only counted
 *   hal_parallel_none.c    no threads: one worker, the caller
 */
#ifndef FLM_HAL_COMMON_H
#define FLM_HAL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hal/hal.h"

/* One log line as every port writes it: the level's prefix ("error: ",
 * "warning: ", "", "debug: "), the message cut at FLM_HAL_LOG_LINE_MAX
 * bytes, a newline. line holds FLM_HAL_LOG_LINE_MAX + 2 bytes; returns the
 * bytes in it (no NUL is counted). */
size_t flm_hal_log_line(char *line, flm_log_level_t level, const char *fmt, va_list ap);

/* Is `key` a valid store key: 1..FLM_HAL_KEY_MAX bytes of [A-Za-z0-9._-],
 * not starting with '.'? */
bool flm_hal_key_valid(const char *key);

/* Check the arguments of flm_hal_store_next(): prefix "" or the start of a
 * valid key, after NULL, "" or a valid key, key_out not NULL. */
bool flm_hal_store_next_args_valid(const char *prefix, const char *after, const char *key_out);

/* Is `key` a candidate for flm_hal_store_next(prefix, after) that sorts
 * before `best` (the candidate so far, "" for none)? */
bool flm_hal_store_next_better(const char *key, const char *prefix, const char *after,
                               const char *best);

/* The counting watchdog's kicks since reset (hal_watchdog_count.c). */
uint64_t flm_hal_watchdog_kicks(void);

#endif /* FLM_HAL_COMMON_H */
