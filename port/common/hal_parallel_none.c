/* Default parallel-for for a platform without threads: one worker, the
 * caller, so every range is one call. */
#include "port/common/hal_common.h"

#if FLM_HAL_HAS_THREADS
#error "port/common/hal_parallel_none.c has no threads: build it with FLM_HAL_HAS_THREADS=0"
#endif

flm_err_t flm_hal_parallel_init(uint32_t threads)
{
    (void)threads;
    return FLM_OK;
}

void flm_hal_parallel_deinit(void)
{
}

uint32_t flm_hal_parallel_threads(void)
{
    return 1;
}

flm_err_t flm_hal_parallel_for(uint32_t n, uint32_t grain, flm_hal_parallel_fn fn, void *ctx)
{
    (void)grain;
    if (!fn)
        return FLM_ERR_ARG;
    return n ? fn(ctx, 0, n) : FLM_OK;
}
