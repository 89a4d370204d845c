/* Default network client for a port without one: nothing connects, the
 * link is always down, and a closed connection stays closed. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_NET
#error "port/common/hal_net_none.c has no network: build it with FLM_HAL_HAS_NET=0"
#endif

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
