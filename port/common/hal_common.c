#include "port/common/hal_common.h"

bool flm_hal_key_valid(const char *key)
{
    if (!key || key[0] == '.' || key[0] == '\0')
        return false;
    for (size_t n = 0; key[n]; n++) {
        char c = key[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= FLM_HAL_KEY_MAX)
            return false;
    }
    return true;
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
