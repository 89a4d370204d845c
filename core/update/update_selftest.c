/* The self-test run (core/update/update.h): BOS, then the first greedy tokens. */
#include "core/update/update.h"

flm_err_t flm_update_selftest(flm_engine_t *e, uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS], size_t *n)
{
    if (!e || !tokens || !n)
        return FLM_ERR_ARG;
    *n = 0;
    if (e->ctx_len < FLM_UPDATE_SELFTEST_TOKENS + 1)
        return FLM_ERR_ENGINE_CONTEXT_FULL;
    flm_sampler_t saved = e->sampler; /* temperature, top-p and the PRNG's state */
    flm_sampler_params_t greedy = { .temperature = 0, .top_p = 0, .seed = 1 };
    flm_err_t err = flm_sampler_set_params(&e->sampler, &greedy, false);
    uint32_t bos = e->model->vocab.bos_id;
    if (!err)
        err = flm_engine_start_tokens(e, &bos, 1, FLM_UPDATE_SELFTEST_TOKENS + 1);
    flm_engine_token_t t;
    t.status = FLM_ENGINE_RUNNING;
    while (!err && t.status == FLM_ENGINE_RUNNING && *n < FLM_UPDATE_SELFTEST_TOKENS) {
        err = flm_engine_step(e, &t);
        if (!err && !t.forced)
            tokens[(*n)++] = t.token;
    }
    flm_engine_cancel(e);
    e->sampler = saved;
    return err;
}
