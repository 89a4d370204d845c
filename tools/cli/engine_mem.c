/* The engine's memory for a CLI command: a host tool may take it from the
 * heap; the runtime itself only ever uses the caller's memory. */
#include <stdlib.h>

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
    return flm_runtime_engine_init(rt, ec, *mem, need);
}
