/* Default entropy for a platform without a source (no TRNG): callers seed
 * from time instead, and TLS refuses to start. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_ENTROPY
#error "port/common/hal_entropy_none.c has no entropy: build it with FLM_HAL_HAS_ENTROPY=0"
#endif

flm_err_t flm_hal_entropy(void *buf, size_t n)
{
    (void)buf;
    (void)n;
    return FLM_ERR_UNSUPPORTED;
}
