/*
 * POSIX implementation of core/hal/ (Linux: the host and the ARM Linux
 * boards), system part: life cycle, console, log, time, entropy, watchdog.
 * The record store is in hal_posix_store.c, the network in hal_posix_net.c.
 *
 * Uses system calls directly (write, open, poll, ...) rather than stdio:
 * stdio buffers and name-service lookups allocate from the heap, and the
 * runtime must not.
 */
#define _POSIX_C_SOURCE 200809L
#include "port/posix/hal_posix.h"
#include "port/common/hal_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/fmt.h"
#include "port/posix/hal_posix_io.h"

#if !FLM_HAL_HAS_ENTROPY
#error "port/posix has entropy: build it with FLM_HAL_HAS_ENTROPY=1 (port/posix/rules.mk)"
#endif

static bool            hal_up;
static flm_log_level_t hal_log_level = FLM_LOG_INFO;
static uint64_t        hal_watchdog_kicks;

/* ---- life cycle ------------------------------------------------------- */

/* The environment is read once, at the first init; the setters of
 * hal_posix.h override it at any time. */
flm_err_t flm_hal_init(void)
{
    if (hal_up)
        return FLM_OK;
    const char *dir = getenv("FLM_STORE_DIR");
    if (dir && *dir) {
        flm_err_t err = flm_hal_posix_set_store_dir(dir);
        if (err)
            return err;
    }
    const char *link = getenv("FLM_LINK");
    if (link && strcmp(link, "up") == 0)
        flm_hal_posix_set_link(1);
    else if (link && strcmp(link, "down") == 0)
        flm_hal_posix_set_link(0);
    hal_watchdog_kicks = 0;
    hal_up = true;
    return FLM_OK;
}

void flm_hal_deinit(void)
{
    hal_up = false;
}

/* ---- console and log -------------------------------------------------- */

/* A console write that fails has nowhere to report to: it is dropped. */
void flm_hal_console_write(const void *data, size_t n)
{
    (void)flm_posix_write_full(STDOUT_FILENO, data, n);
}

void flm_hal_log_set_level(flm_log_level_t level)
{
    hal_log_level = level;
}

void flm_hal_vlog(flm_log_level_t level, const char *fmt, va_list ap)
{
    if (level > hal_log_level)
        return;
    char line[FLM_HAL_LOG_LINE_MAX + 2];
    size_t n = flm_hal_log_line(line, level, fmt, ap);
    (void)flm_posix_write_full(STDERR_FILENO, line, n);
}

/* ---- time ------------------------------------------------------------- */

uint64_t flm_hal_time_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

flm_err_t flm_hal_utc_s(int64_t *seconds)
{
    struct timespec ts;
    if (!seconds)
        return FLM_ERR_ARG;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return FLM_ERR_IO;
    *seconds = (int64_t)ts.tv_sec;
    return FLM_OK;
}

void flm_hal_sleep_ms(uint32_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000u), .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- entropy ---------------------------------------------------------- */

flm_err_t flm_hal_entropy(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_ENTROPY;
    flm_err_t err = flm_posix_read_full(fd, buf, n);
    close(fd);
    return err ? FLM_ERR_ENTROPY : FLM_OK;
}

/* ---- watchdog --------------------------------------------------------- */

void flm_hal_watchdog_kick(void)
{
    hal_watchdog_kicks++;
}

uint64_t flm_hal_posix_watchdog_kicks(void)
{
    return hal_watchdog_kicks;
}
