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

/* Where a tensor's values came from when they were already integers:
 * llama.cpp's Q8_0 or Q4_0 blocks of 32 along each row, kept beside the
 * dequantized floats so the image writer can copy the integers (and the
 * float16 block scales, exactly) instead of quantizing the floats again
 * when its groups are those blocks. */
typedef struct {
    uint32_t bits;        /* 8 (Q8_0) or 4 (Q4_0); 0: the tensor came as floats */
    uint32_t block;       /* values per block along a row (32) */
    int8_t  *q;           /* every value, laid out like the floats: [-128, 127] or [-8, 7] */
    float   *d;           /* one scale per block, in row order (exact float16 values) */
} flm_fqsrc_t;

#define FLM_FMODEL_KINDS 32 /* tensor kind ids below this (core/model/model_format.h) */

/* A model in float, llama2.c layout: per-layer tensors are stacked
 * [n_layers][rows][cols], matrices row-major [out][in]. */
typedef struct {
    uint32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    uint32_t head_dim;    /* 0: dim / n_heads (llama2.c) */
    double   rope_theta;  /* RoPE base; 0: 10000 (llama2.c) */
    double   norm_eps;    /* RMSNorm epsilon; 0: 1e-5 (llama2.c) */
    double   rope_scale;  /* linear RoPE scaling: positions divided by it; 0: 1 */
    float   *rope_factors; /* [head_dim / 2] frequency divisors (GGUF rope_freqs), or NULL */
    bool shared_classifier;
    const char *source;  /* "float32 (legacy)", "int8 ak42 v2", ... */
    float *tok_embedding; /* [vocab][dim] */
    float *rms_att, *rms_ffn; /* [n_layers][dim] */
    float *wq, *wk, *wv, *wo, *w1, *w2, *w3;
    float *rms_final;     /* [dim] */
    float *classifier;    /* [vocab][dim], NULL when shared */
    float *mem;           /* owns every array above */
    flm_fqsrc_t qsrc[FLM_FMODEL_KINDS]; /* by tensor kind: integer sources (GGUF Q8_0/Q4_0) */
    void *qmem;           /* owns the qsrc arrays and rope_factors */
} flm_fmodel_t;

/* fm's config as the image will carry it: llama (core/model/arch.h),
 * head_dim, RMSNorm epsilon and RoPE base from fm, llama2.c's (dim /
 * n_heads, 1e-5, 10000) where fm leaves them 0. */
void flm_fmodel_config(const flm_fmodel_t *fm, flm_model_config_t *c);

/* Where fm keeps a kind's floats (NULL for a kind a float model does not
 * hold), and the allocation of every array the architecture table lists
 * for fm's config (0, or -1 with err if it needs more than `limit`
 * weights: a file's own size bounds what it can describe). */
float **flm_fmodel_slot(flm_fmodel_t *fm, uint32_t kind);
int     flm_fmodel_alloc(flm_fmodel_t *fm, uint64_t limit, char *err, size_t errlen);

/* fm's float array for a tensor kind, laid out as the architecture table
 * shapes it ([n_layers][rows][cols] for per-layer kinds), or NULL for a
 * kind a checkpoint does not hold (rope_freq, computed from the config; a
 * shared classifier). */
const float *flm_fmodel_tensor(const flm_fmodel_t *fm, uint32_t kind);

/* A tokenizer: a llama2.c tokenizer file, or a GGUF file's vocabulary. */
typedef struct {
    uint32_t vocab_size, max_token_len;
    uint32_t kind;      /* FLM_TOK_KIND_* (core/model/model_format.h): llama2.c / SentencePiece
                         * scores, or byte-level BPE merges */
    uint32_t bos_id, eos_id; /* 0 and 0 mean llama2.c's 1 and 2 */
    float *scores;      /* [vocab_size] merge scores (SentencePiece) */
    uint32_t *offsets;  /* [vocab_size + 1] into bytes */
    uint8_t *bytes;
    uint32_t *merge_rank; /* BPE: [vocab_size] rank of the merge that makes the token, or UINT32_MAX */
    uint32_t *merge_left; /* BPE: [vocab_size] that merge's left token, or UINT32_MAX */
    uint32_t pre;       /* BPE: FLM_TOK_PRE_* pre-tokenizer */
} flm_ftok_t;

/* Each returns 0, or -1 after writing a message naming the problem to err. */
int  flm_fmodel_load(flm_fmodel_t *fm, const char *path, char *err, size_t errlen);
/* Parse a checkpoint held in memory (the loader above reads the file). */
int  flm_fmodel_parse(flm_fmodel_t *fm, const uint8_t *buf, size_t len, char *err, size_t errlen);
void flm_fmodel_free(flm_fmodel_t *fm);

int  flm_ftok_load(flm_ftok_t *tok, const char *path, uint32_t vocab_size, char *err, size_t errlen);
void flm_ftok_free(flm_ftok_t *tok);

/* How flm_image_build_with() encodes the weights. */
typedef struct {
    uint32_t gs;         /* weights per group along a row (32) */
    uint32_t bits;       /* 8 or 4: the matrices' integer width */
    bool embedding8;     /* with bits 4: keep tok_embedding and classifier 8-bit */
} flm_build_opts_t;

/* Quantize fm and lay out fm + tok as a .flm image in a malloc'd buffer.
 * If report is non-NULL, print each tensor's quantization error (max abs,
 * RMS) against fm's floats to it. Integer sources (fm->qsrc) are copied
 * where their blocks are the image's groups. */
int flm_image_build_with(const flm_fmodel_t *fm, const flm_ftok_t *tok, const flm_build_opts_t *o,
                         FILE *report, uint8_t **out, size_t *out_len, char *err, size_t errlen);
/* The same with 8-bit weights in groups of gs. */
int flm_image_build(const flm_fmodel_t *fm, const flm_ftok_t *tok, uint32_t gs, FILE *report,
                    uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* A GGUF file (tools/cli/gguf.h) of the llama architecture as a float
 * model and its tokenizer. notes (if non-NULL) gets what the conversion
 * decided (a tied classifier stored once, keys ignored). Refuses what
 * fieldlm cannot run, naming the key, tensor or type. */
int flm_gguf_load(flm_fmodel_t *fm, flm_ftok_t *tok, const char *path, FILE *notes, char *err,
                  size_t errlen);
int flm_gguf_read(flm_fmodel_t *fm, flm_ftok_t *tok, const uint8_t *buf, size_t len, FILE *notes,
                  char *err, size_t errlen);

/* Read a whole file into a malloc'd buffer. */
int flm_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);

/* Format a message into err (vsnprintf) and return -1: the converter's
 * error convention. */
int flm_convert_fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* FLM_CONVERT_H */
