/* Default network server for a port without one: nothing listens, so
 * nothing is ever accepted. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_NET_SERVER
#error "port/common/hal_net_server_none.c cannot listen: build it with FLM_HAL_HAS_NET_SERVER=0"
#endif

void flm_hal_tcp_listener_init(flm_hal_tcp_listener_t *l)
{
    l->fd = -1;
    l->port = 0;
}

flm_err_t flm_hal_tcp_listen(flm_hal_tcp_listener_t *l, const char *host, uint16_t port,
                             int backlog)
{
    (void)port;
    (void)backlog;
    if (!l || !host)
        return FLM_ERR_ARG;
    return FLM_ERR_UNSUPPORTED;
}

uint16_t flm_hal_tcp_listener_port(const flm_hal_tcp_listener_t *l)
{
    (void)l;
    return 0;
}

flm_err_t flm_hal_tcp_accept(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *conn, uint32_t timeout_ms)
{
    (void)l;
    (void)conn;
    (void)timeout_ms;
    return FLM_ERR_STATE;
}

flm_err_t flm_hal_tcp_wait(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *const *conns, size_t n,
                           uint32_t timeout_ms, bool *l_ready, bool *ready)
{
    (void)l;
    (void)conns;
    (void)timeout_ms;
    if (l_ready)
        *l_ready = false;
    for (size_t i = 0; ready && i < n; i++)
        ready[i] = false;
    return FLM_ERR_UNSUPPORTED;
}

void flm_hal_tcp_shutdown_send(flm_hal_tcp_t *c)
{
    (void)c;
}

void flm_hal_tcp_listener_close(flm_hal_tcp_listener_t *l)
{
    if (l) {
        l->fd = -1;
        l->port = 0;
    }
}
