/*
 * The fieldlm hardware abstraction layer: the whole contract between the
 * portable runtime (core/) and a platform. core/ calls nothing else outside
 * itself and libc's freestanding parts (string.h, stdint.h, ...).
 *
 * A port implements every function below; port/posix/ is the reference.
 * Functions never allocate from the heap. Fallible calls return flm_err_t.
 */
#ifndef FLM_HAL_H
#define FLM_HAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

/* ---- life cycle ------------------------------------------------------- */

/* Bring the platform up (clocks, console, storage). Idempotent. */
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

/* ---- entropy ---------------------------------------------------------- */

/* Fill buf with n bytes from the platform's best entropy source (seeds for
 * TLS and retry jitter; sampling uses a seeded PRNG, not this). */
flm_err_t flm_hal_entropy(void *buf, size_t n);

/* ---- persistent key/record storage ----------------------------------- */

/* A small persistent store of named records (queue entries, budgets,
 * settings). Keys are 1..FLM_HAL_KEY_MAX bytes of [A-Za-z0-9._-], not
 * starting with '.'. A put is atomic: after a power cut the record holds
 * either the old or the new value in full, never a mix. */
#define FLM_HAL_KEY_MAX 48
flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n);
/* Copy up to cap bytes into buf; *len receives the record's full size.
 * FLM_ERR_NOT_FOUND if absent, FLM_ERR_OVERFLOW if cap < size (buf holds
 * the first cap bytes). */
flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len);
flm_err_t flm_hal_store_del(const char *key);

/* ---- network transport ------------------------------------------------ */

/* A byte stream: plain TCP from the HAL, or TLS layered on top of it by
 * port/mbedtls. Protocol code in core/ only ever sees this interface. Each
 * call blocks at most timeout_ms. send/recv return the number of bytes moved
 * (> 0) or a negative flm_err_t; recv returns FLM_ERR_NET_CLOSED at EOF and
 * FLM_ERR_TIMEOUT when nothing arrived in time. */
typedef struct flm_transport flm_transport_t;
struct flm_transport {
    void *ctx;
    int  (*send)(void *ctx, const uint8_t *buf, size_t n, uint32_t timeout_ms);
    int  (*recv)(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms);
    void (*close)(void *ctx);
};

/* A TCP connection owned by the caller (no hidden state, no heap). */
typedef struct {
    int  fd;            /* port-specific handle; -1 when closed */
} flm_hal_tcp_t;

void      flm_hal_tcp_init(flm_hal_tcp_t *c);
/* Connect to host:port within timeout_ms. host is a numeric IPv4/IPv6
 * address or a name the port can resolve. */
flm_err_t flm_hal_tcp_connect(flm_hal_tcp_t *c, const char *host, uint16_t port,
                              uint32_t timeout_ms);
int       flm_hal_tcp_send(flm_hal_tcp_t *c, const uint8_t *buf, size_t n, uint32_t timeout_ms);
int       flm_hal_tcp_recv(flm_hal_tcp_t *c, uint8_t *buf, size_t cap, uint32_t timeout_ms);
void      flm_hal_tcp_close(flm_hal_tcp_t *c);
/* The flm_transport_t view of a connected socket. */
void      flm_hal_tcp_transport(flm_hal_tcp_t *c, flm_transport_t *t);

/* Is there a usable network link right now? (Cheap; the router polls it.) */
bool flm_hal_link_up(void);

/* ---- watchdog --------------------------------------------------------- */

/* Tell the watchdog the main loop is alive. Long computations (a token
 * step, a TLS handshake) call it between units of work. */
void flm_hal_watchdog_kick(void);

#endif /* FLM_HAL_H */
