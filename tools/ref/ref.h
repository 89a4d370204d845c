/*
 * Float32 reference of the llama2.c transformer, for tests and measurement
 * only (host, heap and floats allowed). It runs on the converter's float
 * view of a checkpoint (flm_fmodel_t, tools/cli/convert.h) and follows
 * run.c's forward() step by step, so the integer engine can be measured
 * against it kernel by kernel and end to end.
 */
#ifndef FLM_REF_H
#define FLM_REF_H

#include <stdint.h>

#include "core/model/model.h"
#include "tools/cli/convert.h"

typedef struct {
    const flm_fmodel_t *fm;
    int ctx;      /* positions the caches hold */
    int kv_int8;  /* > 0: round the KV cache to int8, one scale per kv_int8 values */
    int act_bits; /* matmul inputs: 0 float; 8: int8 in groups of 32 with
                   * amax/127 scales (llama2.c runq.c); 16: int16 with one
                   * power-of-two step per vector (the integer engine) */
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits, *key_cache, *value_cache;
} flm_ref_t;

/* Allocate the run state for ctx positions; 0 on success, -1 on error. */
int  flm_ref_init(flm_ref_t *r, const flm_fmodel_t *fm, int ctx);
void flm_ref_free(flm_ref_t *r);

/* run.c's forward(): the vocab_size logits, valid until the next call. */
float *flm_ref_forward(flm_ref_t *r, int token, int pos);

/* Overwrite fm's weights with m's dequantized ones: a float model with
 * exactly the integer engine's weights, to separate weight quantization
 * error from the error of the integer arithmetic. */
void flm_ref_apply_quant(flm_fmodel_t *fm, const flm_model_t *m);

#endif /* FLM_REF_H */
