/* The architecture tables (core/model/arch.h) are well formed, their config
 * rules say what broke, and the converter writes an image in table order. */
#include <stdlib.h>
#include <string.h>

#include "core/model/arch.h"
#include "core/model/model_format.h"
#include "tests/fixtures/model_synth.h"
#include "tests/harness/harness.h"

static size_t view_size(uint32_t dtype)
{
    return dtype == FLM_DTYPE_Q8 ? sizeof(flm_qmat_t) : dtype == FLM_DTYPE_I32 ? sizeof(flm_ivec_t)
                                                                               : sizeof(const uint32_t *);
}

FLM_TEST(model_arch_tables_are_well_formed)
{
    static flm_model_t m;
    const size_t layers_begin = offsetof(flm_model_t, layers), layers_end = layers_begin + sizeof m.layers;
    const flm_arch_t *a;
    uint32_t n_archs = 0;
    for (uint32_t k = 0; (a = flm_arch_at(k)) != NULL; k++, n_archs++) {
        FLM_CHECK(flm_arch_find(a->id) == a);
        FLM_CHECK(a->name && a->name[0] && strcmp(flm_model_arch_name(a->id), a->name) == 0);
        FLM_CHECK(a->n_tensors > 0);
        for (uint32_t i = 0; i < a->n_tensors; i++) {
            const flm_arch_tensor_t *t = &a->tensors[i];
            FLM_CHECK_MSG(t->name && t->name[0], "%s tensor %u has no name", a->name, i);
            FLM_CHECK(flm_arch_tensor(a, t->kind) == t);
            FLM_CHECK_MSG(strcmp(flm_model_kind_name(t->kind), t->name) == 0, "%s: kind %u", t->name, t->kind);
            FLM_CHECK_MSG(t->per_layer == (t->kind >= FLM_TENSOR_FIRST_LAYER_KIND), "%s: scope vs id", t->name);
            FLM_CHECK(t->dtype == FLM_DTYPE_Q8 || t->dtype == FLM_DTYPE_I32 || t->dtype == FLM_DTYPE_U32);
            FLM_CHECK(t->rows < FLM_DIM_COUNT && t->cols < FLM_DIM_COUNT && t->cols != FLM_DIM_ONE);
            FLM_CHECK_MSG((t->dtype == FLM_DTYPE_Q8) == (t->rows != FLM_DIM_ONE), "%s: vectors have one row", t->name);
            /* the view lies inside its struct and overlaps no other view of the same scope */
            size_t end = t->view + view_size(t->dtype);
            FLM_CHECK_MSG(end <= (t->per_layer ? sizeof(flm_layer_t) : offsetof(flm_model_t, vocab)), "%s: view",
                          t->name);
            FLM_CHECK(t->per_layer || t->view >= offsetof(flm_model_t, tok_embedding));
            FLM_CHECK(t->per_layer || end <= layers_begin || t->view >= layers_end);
            for (uint32_t j = 0; j < i; j++) {
                const flm_arch_tensor_t *u = &a->tensors[j];
                FLM_CHECK_MSG(strcmp(u->name, t->name) != 0, "%s twice", t->name);
                if (u->per_layer == t->per_layer)
                    FLM_CHECK_MSG(end <= u->view || u->view + view_size(u->dtype) <= t->view, "%s and %s share a view",
                                  u->name, t->name);
            }
            if (t->shared_with) {
                const flm_arch_tensor_t *w = flm_arch_tensor(a, t->shared_with);
                FLM_CHECK_MSG(w && w != t && !w->shared_with && !w->per_layer && !t->per_layer &&
                                  w->dtype == t->dtype && w->rows == t->rows && w->cols == t->cols,
                              "%s cannot share %u", t->name, t->shared_with);
            }
        }
        for (uint32_t i = 0; i < a->n_rules; i++) {
            const flm_arch_rule_t *r = &a->rules[i];
            FLM_CHECK(r->op <= FLM_RULE_EVEN && r->a < FLM_DIM_COUNT && r->b < FLM_DIM_COUNT && r->why);
        }
    }
    FLM_CHECK(n_archs >= 1);
    FLM_CHECK(flm_arch_find(7) == NULL && flm_arch_at(n_archs) == NULL);
    FLM_CHECK(strcmp(flm_model_arch_name(7), "unknown") == 0);
    FLM_CHECK(strcmp(flm_model_kind_name(99), "unknown") == 0);
    FLM_CHECK(flm_arch_tensor(flm_arch_find(FLM_ARCH_LLAMA), 99) == NULL);
}

/* llama's table: its shapes and where its views go. */
FLM_TEST(model_arch_llama)
{
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    FLM_CHECK(a && strcmp(a->name, "llama") == 0);
    FLM_CHECK_EQ(a->n_tensors, 13);
    const flm_model_config_t c = { 64, 172, 5, 8, 4, 8, 512, 512, 42950, 10000, true };
    FLM_CHECK_EQ(flm_arch_dim(&c, FLM_DIM_Q), 64);
    FLM_CHECK_EQ(flm_arch_dim(&c, FLM_DIM_KV), 32);
    FLM_CHECK_EQ(flm_arch_dim(&c, FLM_DIM_HALF_HEAD), 4);
    FLM_CHECK_EQ(flm_arch_dim(&c, FLM_DIM_ONE), 1);
    FLM_CHECK(strcmp(flm_arch_dim_name(FLM_DIM_KV), "n_kv_heads*head_dim") == 0);
    const flm_arch_tensor_t *wk = flm_arch_tensor(a, FLM_TENSOR_WK), *cls = flm_arch_tensor(a, FLM_TENSOR_CLASSIFIER);
    const flm_arch_tensor_t *rope = flm_arch_tensor(a, FLM_TENSOR_ROPE_FREQ);
    FLM_CHECK(wk && wk->per_layer && wk->rows == FLM_DIM_KV && wk->cols == FLM_DIM_DIM);
    FLM_CHECK(cls && cls->shared_with == FLM_TENSOR_TOK_EMBEDDING && !flm_arch_stored(cls, &c));
    FLM_CHECK(rope && rope->dtype == FLM_DTYPE_U32 && rope->cols == FLM_DIM_HALF_HEAD);
    FLM_CHECK_EQ(flm_arch_copies(wk, &c), 5);
    FLM_CHECK_EQ(flm_arch_copies(cls, &c), 1);
    static flm_model_t m;
    FLM_CHECK(flm_arch_view(&m, wk, 3) == (void *)&m.layers[3].wk);
    FLM_CHECK(flm_arch_view(&m, cls, 0) == (void *)&m.classifier);
    FLM_CHECK(flm_arch_view_const(&m, rope, 0) == (const void *)&m.rope_freq);
    char label[32];
    FLM_CHECK(strcmp(flm_arch_label(wk, 3, label, sizeof label), "layer 3 wk") == 0);
    FLM_CHECK(strcmp(flm_arch_label(cls, 0, label, sizeof label), "classifier") == 0);
}

/* Each rule of llama's, broken alone, is named in the detail. */
FLM_TEST(model_arch_config_rules)
{
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    const flm_model_config_t good = { 64, 172, 5, 8, 4, 8, 512, 512, 42950, 10000, true };
    char d[FLM_MODEL_DETAIL_MAX];
    FLM_CHECK_EQ(flm_arch_check_config(a, &good, d, sizeof d), FLM_OK);
    FLM_CHECK_EQ(flm_arch_check_config(a, &good, NULL, 0), FLM_OK);
    /* from format 1.2 head_dim is free of dim / n_heads (SmolLM-like 64 x 9 != 576 is fine too) */
    flm_model_config_t wide = good;
    wide.head_dim = 16;
    FLM_CHECK_EQ(flm_arch_check_config(a, &wide, d, sizeof d), FLM_OK);
    struct { flm_model_config_t c; const char *says; } bad[] = {
        { good, "head_dim = 7 is odd (RoPE rotates pairs)" },
        { good, "n_heads = 8 is not a multiple of n_kv_heads = 3 (grouped-query attention)" },
        { good, "n_heads = 8 is not a multiple of n_kv_heads = 0" },
        { good, "n_heads = 8 is not a multiple of n_kv_heads = 16" },
    };
    bad[0].c.head_dim = 7;
    bad[0].c.dim = 56;
    bad[1].c.n_kv_heads = 3;
    bad[2].c.n_kv_heads = 0;
    bad[3].c.n_kv_heads = 16;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FLM_CHECK_EQ(flm_arch_check_config(a, &bad[i].c, d, sizeof d), FLM_ERR_MODEL_CONFIG);
        FLM_CHECK_MSG(strstr(d, bad[i].says) != NULL, "case %zu: '%s'", i, d);
        FLM_CHECK_EQ(flm_arch_check_config(a, &bad[i].c, NULL, 0), FLM_ERR_MODEL_CONFIG);
    }
    FLM_CHECK_EQ(flm_arch_check_config(NULL, &good, d, sizeof d), FLM_ERR_ARG);
}

/* The converter writes the table's entries in table order (a global entry
 * where it stands, each run of per-layer ones once per layer), with the
 * table's shapes; a shared classifier is left out. */
FLM_TEST(model_arch_converter_follows_the_table)
{
    for (int shared = 0; shared < 2; shared++) {
        flm_synth_t s = FLM_SYNTH_DEFAULT;
        s.shared = shared != 0;
        size_t len;
        uint8_t *img = flm_synth_image(&s, &len);
        FLM_CHECK(img != NULL);
        flm_model_t m;
        FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
        const flm_arch_t *a = flm_arch_find(m.arch);
        uint32_t e = 0, n = flm_model_tensor_count(&m);
        for (uint32_t i = 0; i < a->n_tensors;) {
            uint32_t end = i + 1;
            while (a->tensors[i].per_layer && end < a->n_tensors && a->tensors[end].per_layer)
                end++;
            for (uint32_t l = 0; l < flm_arch_copies(&a->tensors[i], &m.cfg); l++) {
                for (uint32_t k = i; k < end; k++) {
                    const flm_arch_tensor_t *t = &a->tensors[k];
                    if (!flm_arch_stored(t, &m.cfg))
                        continue;
                    flm_tensor_info_t ti;
                    FLM_CHECK_EQ(flm_model_tensor_info(&m, e++, &ti), FLM_OK);
                    FLM_CHECK_MSG(ti.kind == t->kind && ti.layer == l && ti.dtype == t->dtype, "entry %u: %s", e - 1,
                                  flm_model_kind_name(ti.kind));
                    FLM_CHECK(ti.rows == flm_arch_dim(&m.cfg, t->rows) && ti.cols == flm_arch_dim(&m.cfg, t->cols));
                }
            }
            i = end;
        }
        FLM_CHECK_EQ(e, n);
        FLM_CHECK_EQ(n, (shared ? 3u : 4u) + 9u * s.n_layers);
        free(img);
    }
}
