/*
 * Host-side model conversion: read llama2.c checkpoints and tokenizers into
 * float arrays, then quantize and lay them out as a .flm image
 * (core/model/FORMAT.md). Floating point and the heap are fine here.
 */
#ifndef FLM_CONVERT_H
#define FLM_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/model/model.h"

/* A model in float, llama2.c layout: per-layer tensors are stacked
 * [n_layers][rows][cols], matrices row-major [out][in]. */
typedef struct {
    uint32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    bool shared_classifier;
    const char *source;  /* "float32 (legacy)", "int8 ak42 v2", ... */
    float *tok_embedding; /* [vocab][dim] */
    float *rms_att, *rms_ffn; /* [n_layers][dim] */
    float *wq, *wk, *wv, *wo, *w1, *w2, *w3;
    float *rms_final;     /* [dim] */
    float *classifier;    /* [vocab][dim], NULL when shared */
    float *mem;           /* owns every array above */
} flm_fmodel_t;

/* fm's config as the image will carry it: llama (core/model/arch.h),
 * head_dim = dim / n_heads, llama2.c's RMSNorm epsilon 1e-5 and RoPE base
 * 10000. */
void flm_fmodel_config(const flm_fmodel_t *fm, flm_model_config_t *c);

/* fm's float array for a tensor kind, laid out as the architecture table
 * shapes it ([n_layers][rows][cols] for per-layer kinds), or NULL for a
 * kind a checkpoint does not hold (rope_freq, computed from the config; a
 * shared classifier). */
const float *flm_fmodel_tensor(const flm_fmodel_t *fm, uint32_t kind);

/* A llama2.c tokenizer file. */
typedef struct {
    uint32_t vocab_size, max_token_len;
    float *scores;      /* [vocab_size] */
    uint32_t *offsets;  /* [vocab_size + 1] into bytes */
    uint8_t *bytes;
} flm_ftok_t;

/* Each returns 0, or -1 after writing a message naming the problem to err. */
int  flm_fmodel_load(flm_fmodel_t *fm, const char *path, char *err, size_t errlen);
/* Parse a checkpoint held in memory (the loader above reads the file). */
int  flm_fmodel_parse(flm_fmodel_t *fm, const uint8_t *buf, size_t len, char *err, size_t errlen);
void flm_fmodel_free(flm_fmodel_t *fm);

int  flm_ftok_load(flm_ftok_t *tok, const char *path, uint32_t vocab_size, char *err, size_t errlen);
void flm_ftok_free(flm_ftok_t *tok);

/* Quantize fm (group size gs) and lay out fm + tok as a .flm image in a
 * malloc'd buffer. If report is non-NULL, print each tensor's quantization
 * error (max abs, RMS) against fm's floats to it. */
int flm_image_build(const flm_fmodel_t *fm, const flm_ftok_t *tok, uint32_t gs, FILE *report,
                    uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Format a message into err (vsnprintf) and return -1: the converter's
 * error convention. */
int flm_convert_fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* FLM_CONVERT_H */
