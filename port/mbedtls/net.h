/*
 * Opens the byte stream a cloud request travels on: TLS for https, plain
 * TCP for http. Plain TCP carries the API key in clear, so it is refused
 * for any host but loopback unless the configuration explicitly allows it.
 * A build without TLS (make TLS=0) refuses https with FLM_ERR_UNSUPPORTED.
 */
#ifndef FLM_NET_H
#define FLM_NET_H

#include <stdbool.h>

#include "core/base/config.h" /* FLM_CFG_TLS */
#include "core/hal/hal.h"
#if FLM_CFG_TLS
#include "port/mbedtls/tls.h"
#endif

typedef struct {
    const char *ca_pem;             /* https: trusted CAs, NUL-terminated PEM */
    uint32_t    connect_timeout_ms; /* TCP connect plus TLS handshake */
    bool        allow_plain_tcp;    /* http to a host that is not loopback */
} flm_net_config_t;

typedef struct {
    flm_hal_tcp_t tcp;
#if FLM_CFG_TLS
    flm_tls_t     tls;
#endif
} flm_net_t;

void flm_net_init(flm_net_t *n);

/* Connect to host:port and fill *out; out->close(out->ctx) ends it. */
flm_err_t flm_net_open(flm_net_t *n, const flm_net_config_t *cfg, bool tls,
                       const char *host, uint16_t port, flm_transport_t *out);

/* "localhost", 127.0.0.0/8 or ::1. */
bool flm_net_is_loopback(const char *host);

#endif /* FLM_NET_H */
