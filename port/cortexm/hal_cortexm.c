/*
 * Bare-metal Cortex-M implementation of core/hal/hal.h (the MPS2 boards under
 * QEMU, or any Cortex-M with a debugger attached).
 *
 *  - console: ARM semihosting, stdout; log lines go to semihosting stderr so
 *    a board's console carries the application's output only. A product
 *    without a debugger would write a UART here instead.
 *  - time: CMSDK APB timer 0 (25 MHz on MPS2), free-running and polled: no
 *    interrupt may perturb the deterministic instruction counts of
 *    tools/qemu-insn.
 *  - entropy: none on these parts -> FLM_ERR_UNSUPPORTED.
 *  - storage: a few small records in RAM: atomic as seen by the one thread
 *    that uses them, but NOT persistent across a reset (a power cut loses
 *    them all); a product maps this onto a pair of flash sectors.
 *  - network: none; the link is always down.
 *  - watchdog: counts kicks (the MPS2 watchdog is not used).
 */
#include "port/cortexm/hal_cortexm.h"
#include "port/common/hal_common.h"

#include "core/base/fmt.h"

#include <string.h>

/* ---- semihosting ------------------------------------------------------ */

enum {
    SEMI_SYS_OPEN          = 0x01,
    SEMI_SYS_WRITE         = 0x05,
    SEMI_SYS_GET_CMDLINE   = 0x15,
    SEMI_SYS_EXIT          = 0x18,
    SEMI_SYS_EXIT_EXTENDED = 0x20,
    SEMI_APP_EXIT          = 0x20026, /* ADP_Stopped_ApplicationExit */
    SEMI_RUNTIME_ERROR     = 0x20023, /* ADP_Stopped_RunTimeErrorUnknown */
    SEMI_OPEN_W            = 4,       /* ":tt" opened "w" is stdout ... */
    SEMI_OPEN_A            = 8,       /* ... and "a" is stderr */
};

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int semi_open_tt(uint32_t mode)
{
    static const char tt[] = ":tt";
    const uint32_t args[3] = { (uint32_t)(uintptr_t)tt, mode, 3 };
    return semihost(SEMI_SYS_OPEN, args);
}

static void semi_write(int handle, const void *data, size_t n)
{
    if (handle < 0 || n == 0)
        return;
    const uint32_t args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)data, (uint32_t)n };
    (void)semihost(SEMI_SYS_WRITE, args);
}

flm_err_t flm_hal_cortexm_cmdline(char *buf, size_t cap)
{
    if (!buf || cap == 0 || cap > UINT32_MAX)
        return FLM_ERR_ARG;
    uint32_t args[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)cap };
    if (semihost(SEMI_SYS_GET_CMDLINE, args) != 0) {
        buf[0] = '\0';
        return FLM_ERR_UNSUPPORTED;
    }
    buf[args[1] < cap ? args[1] : cap - 1] = '\0';
    return FLM_OK;
}

void flm_hal_cortexm_exit(int status)
{
    const uint32_t args[2] = { SEMI_APP_EXIT, (uint32_t)status };
    (void)semihost(SEMI_SYS_EXIT_EXTENDED, args);
    /* A host without the extended call: plain exit says pass or fail. */
    (void)semihost(SEMI_SYS_EXIT, (const void *)(uintptr_t)(status ? SEMI_RUNTIME_ERROR : SEMI_APP_EXIT));
    for (;;) {
    }
}

/* ---- CMSDK APB timer 0 ------------------------------------------------ */

#define TIMER0_BASE   0x40000000u
#define TIMER_CTRL    (*(volatile uint32_t *)(TIMER0_BASE + 0x0u))
#define TIMER_VALUE   (*(volatile uint32_t *)(TIMER0_BASE + 0x4u))
#define TIMER_RELOAD  (*(volatile uint32_t *)(TIMER0_BASE + 0x8u))
#define TIMER_TICKS_PER_US 25u

/* ---- state ------------------------------------------------------------ */

#define STORE_SLOTS    4
#define STORE_DATA_MAX 256

typedef struct {
    bool     used;
    char     key[FLM_HAL_KEY_MAX + 1];
    size_t   n;
    uint8_t  data[STORE_DATA_MAX];
} store_slot_t;

static struct {
    bool            up;
    int             out, err;      /* semihosting handles */
    flm_log_level_t log_level;
    uint32_t        timer_last;    /* last TIMER_VALUE seen */
    uint64_t        ticks;         /* timer ticks since init */
    uint64_t        kicks;
    store_slot_t    store[STORE_SLOTS];
} hal;

/* ---- life cycle ------------------------------------------------------- */

flm_err_t flm_hal_init(void)
{
    if (hal.up)
        return FLM_OK;
    hal.out = semi_open_tt(SEMI_OPEN_W);
    hal.err = semi_open_tt(SEMI_OPEN_A);
    if (hal.err < 0)
        hal.err = hal.out;
    hal.log_level = FLM_LOG_INFO;
    TIMER_CTRL = 0;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u; /* enable, no interrupt */
    hal.timer_last = 0xFFFFFFFFu;
    hal.ticks = 0;
    hal.kicks = 0;
    hal.up = true;
    return FLM_OK;
}

void flm_hal_deinit(void)
{
    TIMER_CTRL = 0;
    hal.up = false;
}

/* ---- console and log -------------------------------------------------- */

void flm_hal_console_write(const void *data, size_t n)
{
    semi_write(hal.out, data, n);
}

void flm_hal_log_set_level(flm_log_level_t level)
{
    hal.log_level = level;
}

void flm_hal_vlog(flm_log_level_t level, const char *fmt, va_list ap)
{
    static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
    if (level > hal.log_level)
        return;
    char line[FLM_HAL_LOG_LINE_MAX + 2];
    const char *pre = prefix[(unsigned)level <= FLM_LOG_DEBUG ? level : FLM_LOG_DEBUG];
    size_t n = strlen(pre);
    memcpy(line, pre, n);
    n += flm_vsnprintf(line + n, FLM_HAL_LOG_LINE_MAX - n, fmt, ap);
    line[n++] = '\n';
    semi_write(hal.err, line, n);
}

/* ---- time ------------------------------------------------------------- */

uint64_t flm_hal_time_us(void)
{
    /* The timer counts down and wraps every 171 s: fold each reading into
     * a 64-bit total (callers poll far more often than that). */
    uint32_t now = TIMER_VALUE;
    hal.ticks += (uint32_t)(hal.timer_last - now);
    hal.timer_last = now;
    return hal.ticks / TIMER_TICKS_PER_US;
}

void flm_hal_sleep_ms(uint32_t ms)
{
    uint64_t end = flm_hal_time_us() + (uint64_t)ms * 1000u;
    while (flm_hal_time_us() < end) {
    }
}

/* ---- entropy ---------------------------------------------------------- */

flm_err_t flm_hal_entropy(void *buf, size_t n)
{
    (void)buf;
    (void)n;
    return FLM_ERR_UNSUPPORTED;
}

/* ---- key/record storage (RAM) ----------------------------------------- */

static store_slot_t *slot_find(const char *key)
{
    for (size_t i = 0; i < STORE_SLOTS; i++)
        if (hal.store[i].used && strcmp(hal.store[i].key, key) == 0)
            return &hal.store[i];
    return NULL;
}

flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n)
{
    if (!flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (n > STORE_DATA_MAX)
        return FLM_ERR_NOMEM;
    store_slot_t *s = slot_find(key);
    for (size_t i = 0; !s && i < STORE_SLOTS; i++)
        if (!hal.store[i].used)
            s = &hal.store[i];
    if (!s)
        return FLM_ERR_NOMEM;
    if (n)
        memcpy(s->data, data, n);
    s->n = n;
    strcpy(s->key, key);
    s->used = true;
    return FLM_OK;
}

flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len)
{
    if (!flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    const store_slot_t *s = slot_find(key);
    if (!s)
        return FLM_ERR_NOT_FOUND;
    *len = s->n;
    if (buf)
        memcpy(buf, s->data, s->n < cap ? s->n : cap);
    return s->n > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

flm_err_t flm_hal_store_del(const char *key)
{
    if (!flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    store_slot_t *s = slot_find(key);
    if (!s)
        return FLM_ERR_NOT_FOUND;
    s->used = false;
    return FLM_OK;
}

/* ---- network: none ---------------------------------------------------- */

void flm_hal_tcp_init(flm_hal_tcp_t *c)
{
    c->fd = -1;
}

flm_err_t flm_hal_tcp_connect(flm_hal_tcp_t *c, const char *host, uint16_t port,
                              uint32_t timeout_ms)
{
    (void)port;
    (void)timeout_ms;
    if (!c || !host)
        return FLM_ERR_ARG;
    return FLM_ERR_UNSUPPORTED;
}

int flm_hal_tcp_send(flm_hal_tcp_t *c, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    (void)c;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FLM_ERR_STATE;
}

int flm_hal_tcp_recv(flm_hal_tcp_t *c, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    (void)c;
    (void)buf;
    (void)cap;
    (void)timeout_ms;
    return FLM_ERR_STATE;
}

void flm_hal_tcp_close(flm_hal_tcp_t *c)
{
    if (c)
        c->fd = -1;
}

bool flm_hal_link_up(void)
{
    return false;
}

/* ---- watchdog --------------------------------------------------------- */

void flm_hal_watchdog_kick(void)
{
    hal.kicks++;
}

uint64_t flm_hal_cortexm_watchdog_kicks(void)
{
    return hal.kicks;
}
