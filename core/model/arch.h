/*
 * Model architectures, each spelled out once, as data: the tensors an image
 * of the architecture holds (kind id, name, dtype, global or per layer,
 * rows and cols as symbolic dimensions of the config, where its view goes
 * in flm_model_t, whether it may be shared with another tensor) and the
 * rules its config must meet. The loader (core/model/model.c), the
 * transformer's model check, the converter and `fieldlm info` all walk
 * these tables instead of listing tensors themselves.
 *
 * Table order is image order: the converter writes a global entry where it
 * stands and each run of per-layer entries once per layer, layer 0 first
 * (llama: tok_embedding, then rms_att..w3 for every layer, then rms_final,
 * rope_freq, classifier). `info` prints tensors in the same order.
 *
 * Adding an architecture: a new FLM_ARCH_* id, its tensor and rule tables
 * and one line in core/model/arch.c's list; a new tensor kind: an id in
 * core/model/model_format.h, a view field in flm_model_t or flm_layer_t and
 * one row in the table. The forward pass that runs it is the only other
 * code that changes.
 */
#ifndef FLM_ARCH_H
#define FLM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/model/model.h"
#include "core/model/model_format.h" /* the kind and dtype ids the tables use */

/* Architecture ids: the header's arch field (core/model/FORMAT.md). Llama is
 * 0, so a format 1.0 image (whose reserved bytes are zero) and a
 * zero-initialised flm_model_t both mean llama. */
#define FLM_ARCH_LLAMA 0u

/* Symbolic dimensions: shapes and config rules are written in these and
 * evaluated against a flm_model_config_t by flm_arch_dim(). */
typedef enum {
    FLM_DIM_ONE,        /* 1: the row count of a vector */
    FLM_DIM_DIM,        /* dim */
    FLM_DIM_HIDDEN,     /* hidden_dim */
    FLM_DIM_N_HEADS,    /* n_heads */
    FLM_DIM_N_KV_HEADS, /* n_kv_heads */
    FLM_DIM_HEAD,       /* head_dim */
    FLM_DIM_HALF_HEAD,  /* head_dim / 2 */
    FLM_DIM_Q,          /* n_heads * head_dim */
    FLM_DIM_KV,         /* n_kv_heads * head_dim */
    FLM_DIM_VOCAB,      /* vocab_size */
    FLM_DIM_COUNT
} flm_dim_t;

/* One tensor kind of an architecture. The view's type follows the dtype:
 * Q8 flm_qmat_t, I32 flm_ivec_t, U32 const uint32_t *. A Q8 kind is a
 * group-quantized matrix: from format 1.2 the image may hold it as Q4
 * (flm_arch_dtype_ok). */
typedef struct {
    const char *name;    /* "wq": for info, error details, the converter's report */
    uint16_t kind;       /* flm_tensor_kind_t: the id in the image's tensor table */
    uint8_t  dtype;      /* flm_dtype_t */
    bool     per_layer;  /* one per layer (view in layers[l]) or one (view in flm_model_t) */
    uint8_t  rows, cols; /* flm_dim_t; rows is FLM_DIM_ONE for vectors */
    uint16_t shared_with; /* 0, or the kind whose view this one is when the header's
                           * shared-classifier flag is set: the image then omits it */
    uint32_t view;       /* offsetof the view in flm_layer_t (per_layer) or flm_model_t */
} flm_arch_tensor_t;

/* A config rule: a == b, a a multiple of b, or a even. */
typedef enum { FLM_RULE_EQUAL, FLM_RULE_MULTIPLE, FLM_RULE_EVEN } flm_arch_rule_op_t;

typedef struct {
    uint8_t op;        /* flm_arch_rule_op_t */
    uint8_t a, b;      /* flm_dim_t (b unused for FLM_RULE_EVEN) */
    const char *why;   /* for the error detail */
} flm_arch_rule_t;

typedef struct {
    uint32_t id;       /* FLM_ARCH_* */
    const char *name;  /* "llama" */
    const flm_arch_tensor_t *tensors;
    uint32_t n_tensors;
    const flm_arch_rule_t *rules;
    uint32_t n_rules;
} flm_arch_t;

/* The architecture with this id, or NULL if this build does not know it. */
const flm_arch_t *flm_arch_find(uint32_t id);
/* The i-th known architecture (i from 0), NULL past the last. */
const flm_arch_t *flm_arch_at(uint32_t i);

/* a's entry for a tensor kind, or NULL if a has no such kind. */
const flm_arch_tensor_t *flm_arch_tensor(const flm_arch_t *a, uint32_t kind);

/* The value of a symbolic dimension for config c (64 bits: products of
 * two dimensions cannot overflow), and its name ("n_heads*head_dim"). */
uint64_t    flm_arch_dim(const flm_model_config_t *c, uint32_t dim);
const char *flm_arch_dim_name(uint32_t dim);

/* Check c against a's rules: FLM_OK, or FLM_ERR_MODEL_CONFIG with the
 * broken rule written to detail (cap bytes; detail may be NULL). Does not
 * check ranges (every dimension 1..2^20): that is the loader's. */
flm_err_t flm_arch_check_config(const flm_arch_t *a, const flm_model_config_t *c, char *detail,
                                size_t cap);

/* Whether an image may hold t in dtype (its own, or Q4 for a Q8 matrix). */
bool flm_arch_dtype_ok(const flm_arch_tensor_t *t, uint32_t dtype);

/* Whether an image of config c stores t (false: t is shared with another
 * tensor and absent), and how many entries of t it holds when it does. */
bool     flm_arch_stored(const flm_arch_tensor_t *t, const flm_model_config_t *c);
uint32_t flm_arch_copies(const flm_arch_tensor_t *t, const flm_model_config_t *c);

/* The view of t (of layer `layer` if per layer; < FLM_MODEL_MAX_LAYERS) in m:
 * a flm_qmat_t *, flm_ivec_t * or const uint32_t ** according to t->dtype. */
void       *flm_arch_view(flm_model_t *m, const flm_arch_tensor_t *t, uint32_t layer);
const void *flm_arch_view_const(const flm_model_t *m, const flm_arch_tensor_t *t, uint32_t layer);

/* "layer 3 wq" or "tok_embedding", for messages; returns buf. */
const char *flm_arch_label(const flm_arch_tensor_t *t, uint32_t layer, char *buf, size_t cap);

#endif /* FLM_ARCH_H */
