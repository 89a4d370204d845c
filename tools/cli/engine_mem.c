/* The engine's memory for a CLI command: a host tool may take it from the
 * heap; the runtime itself only ever uses the caller's memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

flm_err_t flm_cli_engine_init(flm_runtime_t *rt, const flm_engine_config_t *ec, uint8_t **mem)
{
    size_t need = 0;
    *mem = NULL;
    flm_err_t err = flm_runtime_engine_ram(rt, ec, &need);
    if (err)
        return err;
    if (!(*mem = malloc(need)))
        return FLM_ERR_NOMEM;
    err = flm_runtime_engine_init(rt, ec, *mem, need);
    if (err == FLM_ERR_NOMEM && rt->model_rolled_back && !rt->has_engine) {
        /* a slot on trial failed and the model before it needs more */
        free(*mem);
        *mem = NULL;
        err = flm_runtime_engine_ram(rt, ec, &need);
        if (err)
            return err;
        if (!(*mem = malloc(need)))
            return FLM_ERR_NOMEM;
        err = flm_runtime_engine_init(rt, ec, *mem, need);
    }
    if (rt->model_rolled_back)
        fprintf(stderr, "fieldlm: model update: %s; running %s%s\n", rt->update_note,
                rt->model_slot >= 0 ? "slot " : "the ", flm_update_slot_name(rt->model_slot));
    return err;
}

uint32_t flm_cli_threads(long threads)
{
    return threads < 0 ? 0u : threads == 0 ? FLM_RUNTIME_THREADS_AUTO : (uint32_t)threads;
}

bool flm_cli_verify_bad(const char *cmd, const char *verify)
{
    if (!verify || strcmp(verify, "full") == 0 || strcmp(verify, "once") == 0 ||
        strcmp(verify, "header") == 0)
        return false;
    flm_cli_usage_error(cmd, "--verify wants full, once or header, not '%s'", verify);
    return true;
}
