#include "tests/unit/stories.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tools/cli/convert.h"

bool flm_test_stories_open(flm_test_stories_t *s)
{
    memset(s, 0, sizeof *s);
    char err[256], ckpt[1024];
    const char *p = flm_test_shared("models/stories260K.bin");
    if (!p)
        return false;
    snprintf(ckpt, sizeof ckpt, "%s", p);
    const char *tokp = flm_test_shared("models/tok512.bin");
    if (!tokp)
        return false;
    flm_fmodel_t fm;
    flm_ftok_t tok;
    if (flm_fmodel_load(&fm, ckpt, err, sizeof err) != 0)
        return false;
    bool ok = flm_ftok_load(&tok, tokp, fm.vocab_size, err, sizeof err) == 0;
    size_t len = 0;
    if (ok) {
        ok = flm_image_build(&fm, &tok, 32, NULL, &s->image, &len, err, sizeof err) == 0;
        flm_ftok_free(&tok);
    }
    flm_fmodel_free(&fm);
    if (ok && flm_model_open(&s->model, s->image, len, FLM_MODEL_VERIFY_FULL) != FLM_OK)
        ok = false;
    if (!ok)
        flm_test_stories_close(s);
    return ok;
}

void flm_test_stories_close(flm_test_stories_t *s)
{
    if (s->image)
        flm_model_close(&s->model);
    free(s->image);
    memset(s, 0, sizeof *s);
}
