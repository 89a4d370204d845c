#include "port/common/hal_common.h"

#include <string.h>

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
