/*
 * HAL, network server part: listening for TCP connections (`fieldlm
 * serve`). An accepted connection is an ordinary flm_hal_tcp_t: send, recv,
 * close and the transport view work on it as on one it connected. A port
 * without it (FLM_HAL_HAS_NET_SERVER 0) takes
 * port/common/hal_net_server_none.c: listen says FLM_ERR_UNSUPPORTED.
 */
#ifndef FLM_HAL_NET_SERVER_H
#define FLM_HAL_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hal/hal_net.h"

/* A listening socket owned by the caller (no hidden state, no heap). */
typedef struct {
    int      fd;   /* port-specific handle; -1 when closed */
    uint16_t port; /* the port bound (the one chosen when asked for 0) */
} flm_hal_tcp_listener_t;

void flm_hal_tcp_listener_init(flm_hal_tcp_listener_t *l);

/* Listen on host:port. host is a numeric IPv4 or IPv6 address ("0.0.0.0"
 * or "::" for every interface) or "localhost"; names are not resolved
 * (FLM_ERR_ARG). port 0 lets the port choose one: read it with
 * flm_hal_tcp_listener_port(). backlog is how many connections may wait
 * for accept (at least 1). FLM_ERR_NET_LISTEN when the address is in use
 * or not permitted. */
flm_err_t flm_hal_tcp_listen(flm_hal_tcp_listener_t *l, const char *host, uint16_t port,
                             int backlog);

/* The port a listener is bound to; 0 when it is not listening. */
uint16_t flm_hal_tcp_listener_port(const flm_hal_tcp_listener_t *l);

/* Wait at most timeout_ms for the next connection and hand it over in
 * *conn (initialised by the caller, closed with flm_hal_tcp_close).
 * FLM_ERR_TIMEOUT when nobody came, FLM_ERR_STATE when l is not listening,
 * FLM_ERR_NET_CONNECT when a connection arrived but could not be taken
 * (out of descriptors): the listener stays usable either way. */
flm_err_t flm_hal_tcp_accept(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *conn, uint32_t timeout_ms);

/* Wait at most timeout_ms until the listener l has a connection to accept,
 * or one of the n connections conns[] has bytes to read or was closed or
 * reset by its peer (a recv then says which); a server's one loop sleeps
 * here instead of polling each socket. l may be NULL (or closed), and an
 * entry of conns may be NULL or closed: they are not waited on. On return
 * *l_ready (may be NULL) and ready[i] (n entries; may be NULL when n is 0)
 * say which. FLM_OK when anything is ready, FLM_ERR_TIMEOUT when nothing
 * is, FLM_ERR_ARG for more than FLM_HAL_WAIT_MAX connections. */
#define FLM_HAL_WAIT_MAX 128
flm_err_t flm_hal_tcp_wait(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *const *conns, size_t n,
                           uint32_t timeout_ms, bool *l_ready, bool *ready);

/* Send no more on c (a FIN after what is queued) but keep reading: a
 * server's lingering close, so the client reads the whole response before
 * the connection goes (closing with unread input would reset it). */
void flm_hal_tcp_shutdown_send(flm_hal_tcp_t *c);

/* Stop listening. Connections already accepted stay open. */
void flm_hal_tcp_listener_close(flm_hal_tcp_listener_t *l);

#endif /* FLM_HAL_NET_SERVER_H */
