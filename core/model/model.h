/*
 * The in-memory view of a loaded model image (.flm).
 *
 * flm_model_open() validates an image and fills an flm_model_t whose
 * pointers point straight into the image: weights are never copied (the
 * image may sit in memory-mapped flash). The image format itself, byte by
 * byte, is specified in core/model/FORMAT.md.
 *
 * Number encodings (no floating point anywhere):
 *  - flm_qmat_t: group-quantized int8 or int4 matrix, see below.
 *  - flm_ivec_t: int32 fixed-point vector, real = v[i] * 2^-shift.
 *  - rope_freq:  RoPE rotation per position, in turns (1.0 = 2*pi) as
 *                unsigned Q0.32; angle(pos, i) = pos * rope_freq[i] mod 2^32.
 *  - vocab scores: order-preserving int32 keys of llama2.c's float32 merge
 *                scores: key = bits if the sign bit is clear, else
 *                -1 - (bits & 0x7FFFFFFF), where bits is the IEEE-754
 *                pattern read as int32. Comparing keys compares the floats.
 */
#ifndef FLM_MODEL_H
#define FLM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"



/* The one fixed-point limit: every group scale of a flm_qmat_t lies in
 * [0, 2^23) (int4: (-2^23, 2^23)) and every |value| of a flm_ivec_t is
 * below 2^23 (a 23-bit
 * mantissa; FLM_IMG_MANTISSA_LIMIT of the format is the same number). The
 * loader checks the vectors on every open and the scales once, with
 * FLM_MODEL_VERIFY_FULL or flm_model_verify() (m->scales_checked), or else
 * flm_transformer_init does; the kernels rely on it and never re-check. */
#define FLM_QMAT_SCALE_LIMIT (INT32_C(1) << 23)

/* Group-quantized matrix [rows][cols], row-major, of int8 or int4 values.
 * Row r is split into ngroups = ceil(cols / gs) groups of gs columns; the
 * last group of a row is shorter when gs does not divide cols. Groups never
 * cross rows. The real value of element (r, c) is
 *     v(r, c) * s[r * ngroups + c / gs] * 2^-scale_shift
 * where v is q[r * cols + c] (int8, bits 8), or for bits 4 the nibble of
 * byte q[r * rowbytes + c / 2] (rowbytes = ceil(cols / 2)) holding element c:
 * the low nibble for even c, the high one for odd c, as a two's complement
 * value in [-8, 7]. An int4 matrix has an even gs, or gs = cols, so every
 * group starts on a byte. */
typedef struct {
    const int8_t  *q;
    const int32_t *s;
    uint32_t rows, cols;
    uint32_t gs;          /* group size (columns per group) */
    uint32_t ngroups;     /* groups per row = ceil(cols / gs) */
    int32_t  scale_shift; /* fractional bits of s */
    uint32_t bits;        /* 4: int4 pairs; 8 (or 0, as a zero-initialised view): int8 */
} flm_qmat_t;

/* Bytes of one row of w's values. */
static inline size_t flm_qmat_row_bytes(const flm_qmat_t *w)
{
    return w->bits == 4 ? ((size_t)w->cols + 1) / 2 : w->cols;
}

/* The view of rows [begin, end) of w (begin <= end <= w->rows): the same
 * groups and scales, so a kernel gives those rows the bits it gives them
 * in the whole matrix. */
static inline flm_qmat_t flm_qmat_rows(const flm_qmat_t *w, uint32_t begin, uint32_t end)
{
    flm_qmat_t v = *w;
    v.q = w->q + (size_t)begin * flm_qmat_row_bytes(w);
    v.s = w->s + (size_t)begin * w->ngroups;
    v.rows = end - begin;
    return v;
}

/* int32 fixed-point vector: real = v[i] * 2^-shift. */
typedef struct {
    const int32_t *v;
    uint32_t n;
    int32_t  shift;
} flm_ivec_t;

typedef struct {
    uint32_t dim;          /* residual stream width */
    uint32_t hidden_dim;   /* SwiGLU inner width */
    uint32_t n_layers;
    uint32_t n_heads;
    uint32_t n_kv_heads;   /* < n_heads: grouped-query attention */
    uint32_t head_dim;     /* attention head width: dim / n_heads in llama2.c's models, any
                            * even value from format 1.2 */
    uint32_t vocab_size;
    uint32_t seq_len;      /* longest context the model was trained for */
    uint32_t norm_eps_q32; /* RMSNorm epsilon as unsigned Q0.32 (1e-5 -> 42950) */
    uint32_t rope_theta;   /* RoPE base (informational; see rope_freq) */
    bool     shared_classifier; /* classifier == token embedding */
} flm_model_config_t;

/* One layer's views; their shapes are the architecture table's (llama:
 * core/model/arch.c). */
typedef struct {
    flm_ivec_t rms_att;    /* attention RMSNorm weight */
    flm_qmat_t wq, wk, wv; /* query, key, value projections */
    flm_qmat_t wo;         /* attention output projection */
    flm_ivec_t rms_ffn;    /* feed-forward RMSNorm weight */
    flm_qmat_t w1;         /* SwiGLU gate */
    flm_qmat_t w2;         /* down */
    flm_qmat_t w3;         /* up */
} flm_layer_t;

/* The tokenizer's vocabulary, read from the image. */
typedef struct {
    uint32_t vocab_size;
    uint32_t max_token_len;
    uint32_t bos_id, eos_id;   /* llama2.c: 1 and 2 */
    uint32_t kind;             /* FLM_TOK_KIND_* (core/model/model_format.h): SentencePiece-style
                                * scores or byte-level BPE ranks */
    uint32_t pre;              /* BPE: FLM_TOK_PRE_*, the pre-tokenizer; 0 otherwise */
    const uint32_t *offsets;   /* [vocab_size + 1]: token i is bytes[offsets[i] .. offsets[i+1]) */
    const uint8_t  *bytes;
    const int32_t  *scores;    /* [vocab_size] merge-score keys (see above); BPE: the rank of
                                * the merge that makes the token, -1 if none does */
    const uint32_t *merge_left; /* BPE: [vocab_size] the left token of that merge (its right
                                * is the rest of the bytes), FLM_TOK_NO_MERGE if none; else NULL */
    const uint32_t *sorted;    /* [vocab_size] token ids in memcmp order of their bytes
                                * (shorter first on a common prefix), for binary search */
} flm_vocab_t;

/* Where each tensor's view goes and which shape it has is the model's
 * architecture table (core/model/arch.h); the fields here are its views. */
typedef struct {
    flm_model_config_t cfg;
    uint32_t    arch;                     /* FLM_ARCH_* (core/model/arch.h); 0 = llama */
    bool        scales_checked;           /* every group scale is known to be in range (see above) */
    flm_qmat_t  tok_embedding;
    flm_layer_t layers[FLM_MODEL_MAX_LAYERS];
    flm_ivec_t  rms_final;
    flm_qmat_t  classifier;               /* a copy of tok_embedding's view when shared */
    const uint32_t *rope_freq;            /* turns per position, Q0.32 */
    flm_vocab_t vocab;
    const uint8_t *image;                 /* the validated image, used in place */
    size_t image_size;                    /* bytes of the image proper (header's image_size) */
    char detail[FLM_MODEL_DETAIL_MAX];    /* after a failed open/verify: names the problem */
} flm_model_t;

typedef enum {
    FLM_MODEL_VERIFY_FULL   = 0, /* CRC-32 of the whole image + every scale's range */
    FLM_MODEL_VERIFY_HEADER = 1, /* CRC-32 of header, tensor table and tokenizer only;
                                  * the scales are left to flm_model_verify() or
                                  * flm_transformer_init() */
} flm_model_verify_t;

/* Validate `image` (size bytes, 4-byte aligned, read-only, must outlive m)
 * and fill m with views into it. Checks magic, version, the architecture
 * (FLM_ERR_MODEL_ARCH for one this build does not know), every offset and
 * size against the image length, alignment, shapes against the config and
 * the architecture's table,
 * the tokenizer's bounds and order, and the CRC(s) chosen by `verify`;
 * nothing outside [image, image + size) is ever read. On failure returns a
 * FLM_ERR_MODEL_* code, m->detail names the problem and m holds no views.
 * size may exceed the image (a flash partition): the header's image_size
 * is what counts. */
flm_err_t flm_model_open(flm_model_t *m, const void *image, size_t size,
                         flm_model_verify_t verify);

/* The checks FLM_MODEL_VERIFY_FULL adds, on an image opened with
 * FLM_MODEL_VERIFY_HEADER (e.g. later, in the background); sets
 * m->scales_checked when they pass. Does not close m on failure; sets
 * m->detail. */
flm_err_t flm_model_verify(flm_model_t *m);

/* Walk every group scale of m's matrix views (each shared view once):
 * FLM_ERR_MODEL_VALUE, with the tensor and group written to detail (cap
 * bytes; detail may be NULL), if one lies outside [0, FLM_QMAT_SCALE_LIMIT)
 * (int4: outside (-FLM_QMAT_SCALE_LIMIT, FLM_QMAT_SCALE_LIMIT)).
 * Every view of m's architecture must be set. For callers that hold a model
 * with m->scales_checked false, like flm_transformer_init. */
flm_err_t flm_model_check_scales(const flm_model_t *m, char *detail, size_t cap);

void flm_model_close(flm_model_t *m);

/* One entry of the image's tensor table, decoded (for tools like `info`). */
typedef struct {
    uint32_t kind;        /* flm_tensor_kind_t (core/model/model_format.h) */
    uint32_t layer;
    uint32_t dtype;       /* flm_dtype_t */
    uint32_t rows, cols, gs;
    int32_t  shift;
    uint64_t offset, size;             /* values */
    uint64_t scale_offset, scale_size; /* Q8 group scales */
} flm_tensor_info_t;

uint32_t  flm_model_tensor_count(const flm_model_t *m);
flm_err_t flm_model_tensor_info(const flm_model_t *m, uint32_t i, flm_tensor_info_t *t);
/* "wq", "tok_embedding", ... (from the architecture tables); "unknown" for
 * kinds this build does not know. */
const char *flm_model_kind_name(uint32_t kind);
/* "llama"; "unknown" for an id this build does not know. */
const char *flm_model_arch_name(uint32_t arch);
const char *flm_model_dtype_name(uint32_t dtype);

#endif /* FLM_MODEL_H */
