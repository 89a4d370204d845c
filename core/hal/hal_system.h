/*
 * HAL, system part: what every port implements, bare metal included — life
 * cycle, console, log, time, sleep, entropy and the watchdog.
 */
#ifndef FLM_HAL_SYSTEM_H
#define FLM_HAL_SYSTEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

/* ---- life cycle ------------------------------------------------------- */

/* Bring the platform up (clocks, console, storage). Idempotent: a second
 * call before flm_hal_deinit() changes nothing. */
flm_err_t flm_hal_init(void);
void      flm_hal_deinit(void);

/* ---- console and log -------------------------------------------------- */

typedef enum {
    FLM_LOG_ERROR = 0,
    FLM_LOG_WARN  = 1,
    FLM_LOG_INFO  = 2,
    FLM_LOG_DEBUG = 3,
} flm_log_level_t;

/* Write raw bytes to the console (stdout on POSIX, UART or semihosting on a
 * board). Output is unbuffered from the caller's point of view. */
void flm_hal_console_write(const void *data, size_t n);

/* printf-style diagnostic line (stderr on POSIX). Messages above the current
 * level are dropped; the line is truncated at FLM_HAL_LOG_LINE_MAX bytes. */
#define FLM_HAL_LOG_LINE_MAX 256
void flm_hal_log(flm_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void flm_hal_vlog(flm_log_level_t level, const char *fmt, va_list ap);
void flm_hal_log_set_level(flm_log_level_t level);

/* ---- time ------------------------------------------------------------- */

/* Monotonic time since an arbitrary origin; never goes backwards. */
uint64_t flm_hal_time_us(void);
uint64_t flm_hal_time_ms(void);
void     flm_hal_sleep_ms(uint32_t ms);

/* Calendar time: seconds since 1970-01-01T00:00:00Z (UTC, leap seconds not
 * counted) from a clock the platform keeps set (RTC, NTP). FLM_ERR_UNSUPPORTED
 * where it has none (FLM_HAL_HAS_UTC_CLOCK 0). TLS reads it to check the
 * validity dates of certificates (core/base/utc.h converts it, without libc's
 * gmtime) and refuses every certificate without it. */
flm_err_t flm_hal_utc_s(int64_t *seconds);

/* ---- entropy ---------------------------------------------------------- */

/* Fill buf with n bytes from the platform's best entropy source (seeds for
 * TLS and retry jitter; sampling uses a seeded PRNG, not this).
 * FLM_ERR_UNSUPPORTED without one (FLM_HAL_HAS_ENTROPY 0). */
flm_err_t flm_hal_entropy(void *buf, size_t n);

/* ---- CPU features ----------------------------------------------------- */

/* Optional instruction sets of the CPU this runs on, as the OS reports
 * them: the kernels (core/kernels/variants.c) ask before choosing a variant
 * the compiler could not assume. Only ports of CPUs with such options (ARM
 * A-profile Linux: getauxval(AT_HWCAP)) implement it; a port whose CPU has
 * none takes port/common/hal_cpu_none.c (0). Cheap enough to call once per
 * choice, not per kernel call. */
#define FLM_HAL_CPU_ARM_NEON    (1u << 0) /* Advanced SIMD (always on AArch64) */
#define FLM_HAL_CPU_ARM_DOTPROD (1u << 1) /* SDOT/UDOT (Armv8.2-A dot product) */
uint32_t flm_hal_cpu_features(void);

/* ---- watchdog --------------------------------------------------------- */

/* Tell the watchdog the main loop is alive. Long computations (a token
 * step, a TLS handshake) call it between units of work. With a hardware
 * watchdog (FLM_HAL_HAS_WATCHDOG) a loop that stops calling it resets the
 * device; a port may arm the watchdog at the first kick. */
void flm_hal_watchdog_kick(void);

#endif /* FLM_HAL_SYSTEM_H */
