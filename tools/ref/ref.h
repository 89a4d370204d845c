/*
 * Float32 reference of the llama2.c transformer, for tests and measurement
 * only (host, heap and floats allowed). It reads the legacy llama2.c
 * checkpoint (stories260K.bin) directly and follows run.c's forward() step
 * by step, so the integer engine can be measured against it kernel by
 * kernel and end to end.
 *
 * flm_ref_quantize() also builds an flm_model_t view of the same weights,
 * group-quantized the way core/model.h describes, so the integer engine can
 * run on a checkpoint without an image file.
 */
#ifndef FLM_REF_H
#define FLM_REF_H

#include <stdint.h>

#include "core/model.h"

typedef struct {
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    int shared;               /* classifier == token embedding */
    int kv_int8;              /* simulate an int8 KV cache, one scale per head vector */
    float *data;              /* the whole file */
    const float *tok_emb, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3,
        *rms_final, *wcls;
    /* run state */
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits, *key_cache, *value_cache;
} flm_ref_t;

/* Load a legacy llama2.c checkpoint; 0 on success, -1 on error. */
int  flm_ref_load(flm_ref_t *r, const char *path);
void flm_ref_free(flm_ref_t *r);

/* run.c's forward(): returns the vocab_size logits (valid until the next call). */
float *flm_ref_forward(flm_ref_t *r, int token, int pos);

/* The float kernels, exposed for per-kernel comparisons. */
void flm_ref_rmsnorm(float *o, const float *x, const float *w, int n);
void flm_ref_softmax(float *x, int n);
void flm_ref_matmul(float *o, const float *x, const float *w, int n, int d);

/* An flm_model_t over heap copies of r's weights, int8 in groups of gs
 * columns (freed by flm_ref_quant_free). No vocabulary. 0 on success. */
typedef struct {
    flm_model_t model;
    void *mem;
} flm_ref_quant_t;

int  flm_ref_quantize(const flm_ref_t *r, uint32_t gs, flm_ref_quant_t *out);
void flm_ref_quant_free(flm_ref_quant_t *q);

/* Replace r's weights by q's dequantized ones: a float model with exactly
 * the integer engine's weights, to separate weight quantization error from
 * the error of the integer arithmetic. */
void flm_ref_apply_quant(flm_ref_t *r, const flm_ref_quant_t *q);

#endif /* FLM_REF_H */
