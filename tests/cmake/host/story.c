/* The smallest program on the runtime: the greedy story of MODEL.flm from
 * "Once upon a time", N positions, printed as `fieldlm run` prints it
 * (prompt, continuation, a newline), and whether this build has TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/runtime/runtime.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: story MODEL.flm POSITIONS\n");
        return 2;
    }
    static const char prompt[] = "Once upon a time";
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .model_path = argv[1], .need_model = true, .local_only = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "story: %s\n", rt.detail);
        return 1;
    }
    flm_engine_config_t cfg = { .ctx_len = 256, .max_prompt_bytes = sizeof prompt - 1 };
    size_t need = 0;
    void *arena = NULL;
    flm_err_t err = flm_runtime_engine_ram(&rt, &cfg, &need);
    if (!err && (arena = malloc(need)) == NULL)
        err = FLM_ERR_NOMEM;
    if (!err)
        err = flm_runtime_engine_init(&rt, &cfg, arena, need);
    if (!err)
        err = flm_engine_start(&rt.engine, (const uint8_t *)prompt, sizeof prompt - 1,
                               (uint32_t)strtoul(argv[2], NULL, 10));
    flm_engine_token_t t;
    while (!err) {
        err = flm_engine_step(&rt.engine, &t);
        if (err)
            break;
        const uint8_t c = t.piece[0]; /* llama2.c's safe_printf: no lone control byte */
        if (!(t.piece_len == 1 && c < 0x80 && !(c >= 0x20 && c < 0x7F) && !(c == ' ' || (c >= '\t' && c <= '\r'))))
            fwrite(t.piece, 1, t.piece_len, stdout);
        if (t.status != FLM_ENGINE_RUNNING)
            break;
    }
    putchar('\n');
    if (err)
        fprintf(stderr, "story: %s\n", flm_strerror(err));
    fprintf(stderr, "tls %d\n", FLM_HAL_HAS_TLS);
    flm_runtime_deinit(&rt);
    free(arena);
    return err ? 1 : 0;
}
