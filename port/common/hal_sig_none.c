/* Default signature check for a build without mbedTLS (make TLS=0, bare
 * metal): no signature can be checked, so [update] require_signature
 * refuses every image there. */
#include "core/hal/hal_sig.h"

#if FLM_HAL_HAS_SIGNATURE
#error "port/common/hal_sig_none.c checks no signature: build it with FLM_HAL_HAS_SIGNATURE=0"
#endif

flm_err_t flm_hal_sig_verify(const void *data, size_t n, const void *sig, size_t sig_len)
{
    (void)data;
    (void)n;
    (void)sig;
    (void)sig_len;
    return FLM_ERR_UNSUPPORTED;
}
