#include "port/common/hal_common.h"

#include <string.h>

#include "core/base/fmt.h"

void flm_hal_log(flm_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flm_hal_vlog(level, fmt, ap);
    va_end(ap);
}

uint64_t flm_hal_time_ms(void)
{
    return flm_hal_time_us() / 1000u;
}

/* Length of the valid key text at the start of s (stops at the first byte
 * outside the alphabet, or past FLM_HAL_KEY_MAX). */
static size_t key_span(const char *s)
{
    size_t n = 0;
    for (; n <= FLM_HAL_KEY_MAX && s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            break;
    }
    return n;
}

bool flm_hal_key_valid(const char *key)
{
    if (!key || key[0] == '.' || key[0] == '\0')
        return false;
    size_t n = key_span(key);
    return n <= FLM_HAL_KEY_MAX && key[n] == '\0';
}

bool flm_hal_store_next_args_valid(const char *prefix, const char *after, const char *key_out)
{
    if (!prefix || !key_out)
        return false;
    if (prefix[0] && !flm_hal_key_valid(prefix))
        return false;
    return !after || !after[0] || flm_hal_key_valid(after);
}

static bool has_prefix(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false; /* also where s ends first */
    return true;
}

bool flm_hal_store_next_better(const char *key, const char *prefix, const char *after,
                               const char *best)
{
    if (!has_prefix(key, prefix))
        return false;
    if (after && strcmp(key, after) <= 0)
        return false;
    return !best[0] || strcmp(key, best) < 0;
}

/* The transport view only forwards to the port's own TCP calls. */
static int tcp_send_cb(void *ctx, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    return flm_hal_tcp_send(ctx, buf, n, timeout_ms);
}

static int tcp_recv_cb(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    return flm_hal_tcp_recv(ctx, buf, cap, timeout_ms);
}

static void tcp_close_cb(void *ctx)
{
    flm_hal_tcp_close(ctx);
}

void flm_hal_tcp_transport(flm_hal_tcp_t *c, flm_transport_t *t)
{
    t->ctx = c;
    t->send = tcp_send_cb;
    t->recv = tcp_recv_cb;
    t->close = tcp_close_cb;
}

size_t flm_hal_log_line(char *line, flm_log_level_t level, const char *fmt, va_list ap)
{
    static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
    const char *pre = prefix[(unsigned)level <= FLM_LOG_DEBUG ? level : FLM_LOG_DEBUG];
    size_t n = strlen(pre);
    memcpy(line, pre, n);
    n += flm_vsnprintf(line + n, FLM_HAL_LOG_LINE_MAX - n, fmt, ap);
    line[n++] = '\n';
    return n;
}
