#include "tests/unit/engine_ref.h"

#include <string.h>

#include "tests/unit/harness.h"

bool flm_test_engine_ref_open(flm_test_engine_ref_t *e, int ctx, bool same_weights)
{
    memset(e, 0, sizeof *e);
    char err[256];
    if (!flm_test_stories_open(&e->st))
        return false;
    const char *p = flm_test_shared("models/stories260K.bin");
    bool ok = p && flm_fmodel_load(&e->fm, p, err, sizeof err) == 0;
    if (!ok) {
        flm_test_stories_close(&e->st);
        return false;
    }
    ok = flm_ref_init(&e->ref, &e->fm, ctx) == 0 &&
         flm_tokenizer_init(&e->tok, &e->st.model.vocab) == FLM_OK;
    if (ok && same_weights) {
        flm_ref_apply_quant(&e->fm, &e->st.model);
        e->ref.kv_int8 = (int)e->st.model.cfg.head_dim;
    }
    if (!ok)
        flm_test_engine_ref_close(e);
    return ok;
}

void flm_test_engine_ref_close(flm_test_engine_ref_t *e)
{
    flm_ref_free(&e->ref);
    if (e->fm.mem)
        flm_fmodel_free(&e->fm);
    flm_test_stories_close(&e->st);
    memset(e, 0, sizeof *e);
}
