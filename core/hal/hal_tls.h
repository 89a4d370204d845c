/*
 * Secure streams: a TLS client over the port's TCP, on platforms that have
 * one (port/mbedtls on POSIX). Verification cannot be turned off: the
 * server's chain must lead to one of the given CAs and its certificate must
 * name the host dialled. Without it (port/common/hal_tls_none.c) connect
 * says FLM_ERR_UNSUPPORTED and only plain TCP is left.
 *
 * The sessions live in the port (FLM_TLS_SESSIONS static slots, each
 * returned by out->close); core/ only ever holds the flm_transport_t.
 */
#ifndef FLM_HAL_TLS_H
#define FLM_HAL_TLS_H

#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"
#include "core/hal/hal_net.h"

typedef struct {
    const char *ca_pem;     /* trusted CAs, NUL-terminated PEM: one pinned CA or a bundle */
    uint32_t    timeout_ms; /* TCP connect plus handshake */
} flm_hal_tls_config_t;

/* Connect, handshake, verify and fill *out. FLM_ERR_NET_* / FLM_ERR_TIMEOUT
 * for the socket, FLM_ERR_TLS_CA for unusable CA text, FLM_ERR_TLS_UNKNOWN_CA
 * / _HOSTNAME / _CERT for a refused certificate, FLM_ERR_TLS_HANDSHAKE for
 * the rest, FLM_ERR_NOMEM when every session slot (or the pool) is taken. */
flm_err_t flm_hal_tls_connect(const flm_hal_tls_config_t *cfg, const char *host, uint16_t port,
                              flm_transport_t *out);

#endif /* FLM_HAL_TLS_H */
