/* The architecture tables (core/model/arch.h) and the helpers that read them. */
#include "core/model/arch.h"

#include <string.h>

#include "core/base/fmt.h"
#include "core/model/model_format.h"

#define GLOBAL(kind, name, dtype, rows, cols, field) \
    { name, kind, dtype, false, rows, cols, 0, (uint32_t)offsetof(flm_model_t, field) }
#define SHARED(kind, name, dtype, rows, cols, field, with) \
    { name, kind, dtype, false, rows, cols, with, (uint32_t)offsetof(flm_model_t, field) }
#define LAYER(kind, name, dtype, rows, cols, field) \
    { name, kind, dtype, true, rows, cols, 0, (uint32_t)offsetof(flm_layer_t, field) }

/* ---- llama (llama2.c's transformer) --------------------------------------- */

static const flm_arch_tensor_t llama_tensors[] = {
    GLOBAL(FLM_TENSOR_TOK_EMBEDDING, "tok_embedding", FLM_DTYPE_Q8, FLM_DIM_VOCAB, FLM_DIM_DIM, tok_embedding),
    LAYER(FLM_TENSOR_RMS_ATT, "rms_att", FLM_DTYPE_I32, FLM_DIM_ONE, FLM_DIM_DIM, rms_att),
    LAYER(FLM_TENSOR_WQ, "wq", FLM_DTYPE_Q8, FLM_DIM_Q, FLM_DIM_DIM, wq),
    LAYER(FLM_TENSOR_WK, "wk", FLM_DTYPE_Q8, FLM_DIM_KV, FLM_DIM_DIM, wk),
    LAYER(FLM_TENSOR_WV, "wv", FLM_DTYPE_Q8, FLM_DIM_KV, FLM_DIM_DIM, wv),
    LAYER(FLM_TENSOR_WO, "wo", FLM_DTYPE_Q8, FLM_DIM_DIM, FLM_DIM_Q, wo),
    LAYER(FLM_TENSOR_RMS_FFN, "rms_ffn", FLM_DTYPE_I32, FLM_DIM_ONE, FLM_DIM_DIM, rms_ffn),
    LAYER(FLM_TENSOR_W1, "w1", FLM_DTYPE_Q8, FLM_DIM_HIDDEN, FLM_DIM_DIM, w1),
    LAYER(FLM_TENSOR_W2, "w2", FLM_DTYPE_Q8, FLM_DIM_DIM, FLM_DIM_HIDDEN, w2),
    LAYER(FLM_TENSOR_W3, "w3", FLM_DTYPE_Q8, FLM_DIM_HIDDEN, FLM_DIM_DIM, w3),
    GLOBAL(FLM_TENSOR_RMS_FINAL, "rms_final", FLM_DTYPE_I32, FLM_DIM_ONE, FLM_DIM_DIM, rms_final),
    GLOBAL(FLM_TENSOR_ROPE_FREQ, "rope_freq", FLM_DTYPE_U32, FLM_DIM_ONE, FLM_DIM_HALF_HEAD, rope_freq),
    SHARED(FLM_TENSOR_CLASSIFIER, "classifier", FLM_DTYPE_Q8, FLM_DIM_VOCAB, FLM_DIM_DIM, classifier,
           FLM_TENSOR_TOK_EMBEDDING),
};

/* From format 1.2 head_dim is free: n_heads * head_dim need not be dim
 * (wq and wo are then not square). */
static const flm_arch_rule_t llama_rules[] = {
    { FLM_RULE_EVEN, FLM_DIM_HEAD, 0, "RoPE rotates pairs" },
    { FLM_RULE_MULTIPLE, FLM_DIM_N_HEADS, FLM_DIM_N_KV_HEADS, "grouped-query attention" },
};

#define COUNT(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))

static const flm_arch_t archs[] = {
    { FLM_ARCH_LLAMA, "llama", llama_tensors, COUNT(llama_tensors), llama_rules, COUNT(llama_rules) },
};

/* ---- lookups ---------------------------------------------------------------- */

const flm_arch_t *flm_arch_at(uint32_t i)
{
    return i < COUNT(archs) ? &archs[i] : NULL;
}

const flm_arch_t *flm_arch_find(uint32_t id)
{
    for (uint32_t i = 0; i < COUNT(archs); i++) {
        if (archs[i].id == id)
            return &archs[i];
    }
    return NULL;
}

const flm_arch_tensor_t *flm_arch_tensor(const flm_arch_t *a, uint32_t kind)
{
    for (uint32_t i = 0; a && i < a->n_tensors; i++) {
        if (a->tensors[i].kind == kind)
            return &a->tensors[i];
    }
    return NULL;
}

uint64_t flm_arch_dim(const flm_model_config_t *c, uint32_t dim)
{
    switch (dim) {
    case FLM_DIM_ONE:        return 1;
    case FLM_DIM_DIM:        return c->dim;
    case FLM_DIM_HIDDEN:     return c->hidden_dim;
    case FLM_DIM_N_HEADS:    return c->n_heads;
    case FLM_DIM_N_KV_HEADS: return c->n_kv_heads;
    case FLM_DIM_HEAD:       return c->head_dim;
    case FLM_DIM_HALF_HEAD:  return c->head_dim / 2;
    case FLM_DIM_Q:          return (uint64_t)c->n_heads * c->head_dim;
    case FLM_DIM_KV:         return (uint64_t)c->n_kv_heads * c->head_dim;
    case FLM_DIM_VOCAB:      return c->vocab_size;
    default:                 return 0;
    }
}

const char *flm_arch_dim_name(uint32_t dim)
{
    static const char *const names[FLM_DIM_COUNT] = {
        [FLM_DIM_ONE] = "1",
        [FLM_DIM_DIM] = "dim",
        [FLM_DIM_HIDDEN] = "hidden_dim",
        [FLM_DIM_N_HEADS] = "n_heads",
        [FLM_DIM_N_KV_HEADS] = "n_kv_heads",
        [FLM_DIM_HEAD] = "head_dim",
        [FLM_DIM_HALF_HEAD] = "head_dim/2",
        [FLM_DIM_Q] = "n_heads*head_dim",
        [FLM_DIM_KV] = "n_kv_heads*head_dim",
        [FLM_DIM_VOCAB] = "vocab_size",
    };
    return dim < FLM_DIM_COUNT ? names[dim] : "?";
}

flm_err_t flm_arch_check_config(const flm_arch_t *a, const flm_model_config_t *c, char *detail,
                                size_t cap)
{
    char none[1];
    if (!detail) {
        detail = none;
        cap = sizeof none;
    }
    if (!a || !c) {
        flm_snprintf(detail, cap, "no architecture or config");
        return FLM_ERR_ARG;
    }
    for (uint32_t i = 0; i < a->n_rules; i++) {
        const flm_arch_rule_t *r = &a->rules[i];
        uint64_t x = flm_arch_dim(c, r->a), y = flm_arch_dim(c, r->b);
        const char *xn = flm_arch_dim_name(r->a), *yn = flm_arch_dim_name(r->b);
        switch (r->op) {
        case FLM_RULE_EQUAL:
            if (x != y) {
                flm_snprintf(detail, cap, "%s = %" PRIu64 " != %s = %" PRIu64 " (%s)", xn, x, yn, y, r->why);
                return FLM_ERR_MODEL_CONFIG;
            }
            break;
        case FLM_RULE_MULTIPLE:
            if (y == 0 || x % y != 0) {
                flm_snprintf(detail, cap, "%s = %" PRIu64 " is not a multiple of %s = %" PRIu64 " (%s)", xn, x, yn,
                             y, r->why);
                return FLM_ERR_MODEL_CONFIG;
            }
            break;
        case FLM_RULE_EVEN:
            if (x % 2 != 0) {
                flm_snprintf(detail, cap, "%s = %" PRIu64 " is odd (%s)", xn, x, r->why);
                return FLM_ERR_MODEL_CONFIG;
            }
            break;
        default:
            flm_snprintf(detail, cap, "%s: rule %" PRIu32 " has unknown op %u", a->name, i, (unsigned)r->op);
            return FLM_ERR_MODEL_CONFIG;
        }
    }
    return FLM_OK;
}

bool flm_arch_dtype_ok(const flm_arch_tensor_t *t, uint32_t dtype)
{
    return dtype == t->dtype || (t->dtype == FLM_DTYPE_Q8 && dtype == FLM_DTYPE_Q4);
}

bool flm_arch_stored(const flm_arch_tensor_t *t, const flm_model_config_t *c)
{
    return t->shared_with == 0 || !c->shared_classifier;
}

uint32_t flm_arch_copies(const flm_arch_tensor_t *t, const flm_model_config_t *c)
{
    return t->per_layer ? c->n_layers : 1u;
}

/* Casts through void: every view offset is that of a pointer-aligned member. */
void *flm_arch_view(flm_model_t *m, const flm_arch_tensor_t *t, uint32_t layer)
{
    uint8_t *base = t->per_layer ? (uint8_t *)(void *)&m->layers[layer] : (uint8_t *)(void *)m;
    return base + t->view;
}

const void *flm_arch_view_const(const flm_model_t *m, const flm_arch_tensor_t *t, uint32_t layer)
{
    const uint8_t *base = t->per_layer ? (const uint8_t *)(const void *)&m->layers[layer]
                                       : (const uint8_t *)(const void *)m;
    return base + t->view;
}

const char *flm_arch_label(const flm_arch_tensor_t *t, uint32_t layer, char *buf, size_t cap)
{
    if (t->per_layer)
        flm_snprintf(buf, cap, "layer %" PRIu32 " %s", layer, t->name);
    else
        flm_snprintf(buf, cap, "%s", t->name);
    return buf;
}
