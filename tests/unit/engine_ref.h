/* Test support: stories260K as the integer engine sees it (the converted
 * image, tests/unit/stories.h) next to the float32 reference on the same
 * checkpoint (tools/ref), plus a tokenizer over the image's vocabulary. */
#ifndef FLM_TEST_ENGINE_REF_H
#define FLM_TEST_ENGINE_REF_H

#include <stdbool.h>

#include "core/tokenizer.h"
#include "tests/unit/stories.h"
#include "tools/ref/ref.h"

typedef struct {
    flm_test_stories_t st; /* st.model: the image's view */
    flm_fmodel_t fm;       /* the checkpoint's floats */
    flm_ref_t ref;         /* float forward pass over fm, ctx positions */
    flm_tokenizer_t tok;
} flm_test_engine_ref_t;

/* same_weights: give the float model the image's dequantized weights and an
 * int8-rounded KV cache, leaving only the integer arithmetic's error.
 * false if ../shared is absent (the test skips). */
bool flm_test_engine_ref_open(flm_test_engine_ref_t *e, int ctx, bool same_weights);
void flm_test_engine_ref_close(flm_test_engine_ref_t *e);

#endif
