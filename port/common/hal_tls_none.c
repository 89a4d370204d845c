/* Default secure streams for a build without TLS (make TLS=0, bare metal):
 * https endpoints are refused, plain http (to loopback) still works. */
#include "core/hal/hal_tls.h"

#if FLM_HAL_HAS_TLS
#error "port/common/hal_tls_none.c has no TLS: build it with FLM_HAL_HAS_TLS=0"
#endif

flm_err_t flm_hal_tls_connect(const flm_hal_tls_config_t *cfg, const char *host, uint16_t port,
                              flm_transport_t *out)
{
    (void)cfg;
    (void)host;
    (void)port;
    (void)out;
    return FLM_ERR_UNSUPPORTED;
}
