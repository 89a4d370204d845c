/*
 * HAL, network client part: TCP connections and the byte-stream interface
 * (flm_transport_t) the protocol code in core/ is written against. A port
 * without a network (FLM_HAL_HAS_NET 0) takes port/common/hal_net_none.c:
 * connect says FLM_ERR_UNSUPPORTED and the link is always down.
 */
#ifndef FLM_HAL_NET_H
#define FLM_HAL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

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

/* A TCP connection owned by the caller (no hidden state, no heap): one it
 * connected, or one a listener accepted (hal_net_server.h). */
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

#endif /* FLM_HAL_NET_H */
