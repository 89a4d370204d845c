#include "port/mbedtls/net.h"

#include <string.h>

void flm_net_init(flm_net_t *n)
{
    flm_hal_tcp_init(&n->tcp);
#if FLM_CFG_TLS
    flm_tls_init(&n->tls);
#endif
}

/* Reads a dotted-quad component; returns the next char or NULL. */
static const char *octet(const char *s, unsigned *v)
{
    unsigned x = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) {
        x = x * 10u + (unsigned)(*s++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 3 || x > 255)
        return NULL;
    *v = x;
    return s;
}

bool flm_net_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    unsigned v[4];
    const char *s = host;
    for (int i = 0; i < 4; i++) {
        s = octet(s, &v[i]);
        if (!s || *s != (i < 3 ? '.' : '\0'))
            return false;
        s++;
    }
    return v[0] == 127;
}

flm_err_t flm_net_open(flm_net_t *n, const flm_net_config_t *cfg, bool tls,
                       const char *host, uint16_t port, flm_transport_t *out)
{
    if (!n || !cfg || !host || !out)
        return FLM_ERR_ARG;
    if (tls) {
#if FLM_CFG_TLS
        if (!cfg->ca_pem)
            return FLM_ERR_TLS_CA;
        flm_tls_config_t tc = { .ca_pem = cfg->ca_pem, .timeout_ms = cfg->connect_timeout_ms };
        flm_err_t err = flm_tls_connect(&n->tls, &tc, host, port);
        if (!err)
            flm_tls_transport(&n->tls, out);
        return err;
#else
        return FLM_ERR_UNSUPPORTED;
#endif
    }
    if (!cfg->allow_plain_tcp && !flm_net_is_loopback(host))
        return FLM_ERR_TLS_PLAIN_REFUSED;
    flm_err_t err = flm_hal_tcp_connect(&n->tcp, host, port, cfg->connect_timeout_ms);
    if (!err)
        flm_hal_tcp_transport(&n->tcp, out);
    return err;
}
