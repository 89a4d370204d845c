/*
 * The kernel variants of this build, for tests and benchmarks: every
 * variant of every op that has more than its plain C version, by name, with
 * its function and whether this CPU can run it. tests/unit/kernels/
 * test_kernels_variants.c checks each available one against the _ref.
 *
 * Adding a variant: its file in core/kernels/<isa>/ (compiled to nothing
 * off its target), its prototype and build-time choice in kernels_select.h,
 * its row in the table of variants.c. A new op with variants also gets an
 * flm_kernel_op_t, a member of the union below and a comparison in the test.
 */
#ifndef FLM_KERNELS_VARIANTS_H
#define FLM_KERNELS_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/kernels/kernels.h"

typedef flm_err_t (*flm_matvec_q8_s16_fn)(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                          int32_t *out, int32_t out_shift);
typedef flm_matvec_q8_s16_fn flm_matvec_q4_s16_fn; /* the same signature */
typedef flm_err_t (*flm_attention_head_q_fn)(const int32_t *q, uint32_t head_dim,
                                             const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                             int32_t *att, int32_t *out);

typedef flm_err_t (*flm_matmat_q8_s16_fn)(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                          size_t x_stride, const int32_t *x_shift, int32_t *out,
                                          size_t out_stride, int32_t out_shift);

typedef flm_err_t (*flm_softmax_q_fn)(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);
typedef flm_err_t (*flm_swiglu_s32_fn)(int32_t *h1, const int32_t *h3, uint32_t n);
typedef flm_err_t (*flm_rmsnorm_s32_fn)(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                                        int32_t *out);
typedef flm_err_t (*flm_quantize_s16_fn)(const int32_t *x, uint32_t n, int32_t x_shift,
                                         int16_t *q, int32_t *q_shift);
typedef flm_err_t (*flm_quantize_s8_fn)(const int32_t *x, uint32_t n, int8_t *q,
                                        uint16_t *scale);
typedef flm_err_t (*flm_rope_s32_fn)(int32_t *v, uint32_t n, uint32_t head_dim,
                                     const uint32_t *freq, uint32_t pos);

typedef enum {
    FLM_KOP_MATVEC_Q8_S16,
    FLM_KOP_ATTENTION_HEAD_Q,
    FLM_KOP_MATVEC_Q4_S16,
    FLM_KOP_MATMAT_Q8_S16,
    FLM_KOP_SOFTMAX_Q,
    FLM_KOP_SWIGLU_S32,
    FLM_KOP_RMSNORM_S32,
    FLM_KOP_QUANTIZE_S16,
    FLM_KOP_QUANTIZE_S8,
    FLM_KOP_ROPE_S32,
    FLM_KOP_COUNT
} flm_kernel_op_t;

typedef struct {
    const char *name;        /* "flm_matvec_q8_s16_avx2" */
    const char *isa;         /* "ref", "dsp", "avx2" */
    flm_kernel_op_t op;
    bool (*available)(void); /* NULL: always, once compiled in */
    union {
        flm_matvec_q8_s16_fn matvec_q8_s16;
        flm_attention_head_q_fn attention_head_q;
        flm_matvec_q4_s16_fn matvec_q4_s16;
        flm_matmat_q8_s16_fn matmat_q8_s16;
        flm_softmax_q_fn softmax_q;
        flm_swiglu_s32_fn swiglu_s32;
        flm_rmsnorm_s32_fn rmsnorm_s32;
        flm_quantize_s16_fn quantize_s16;
        flm_quantize_s8_fn quantize_s8;
        flm_rope_s32_fn rope_s32;
    } fn;                    /* the member named by op */
} flm_kernel_variant_t;

/* Every variant compiled into this build, best first within an op, the _ref
 * of each op last. *count gets the number of entries. */
const flm_kernel_variant_t *flm_kernel_variants(size_t *count);

/* Whether this CPU can run v. */
bool flm_kernel_variant_available(const flm_kernel_variant_t *v);

/* The variant the public name of op resolves to now (resolving it if needed). */
const flm_kernel_variant_t *flm_kernel_selected(flm_kernel_op_t op);

/* Resolve the choices made at run time (x86-64: the AVX2 matvecs if the CPU
 * has it), now rather than on the first call; a no-op where everything is
 * chosen at build time. Idempotent. Thread-safe: the choice is one atomic
 * function pointer per op, and every thread that resolves it stores the
 * same value. */
void flm_kernels_init(void);

/* Make the variant called `name` the one its op's public name calls, for
 * tests and benchmarks; NULL restores the CPU's best for every op. Works
 * for ops chosen at run time on this build (elsewhere only the build's own
 * choice is accepted): FLM_ERR_NOT_FOUND for an unknown name,
 * FLM_ERR_UNSUPPORTED if it cannot be chosen or this CPU cannot run it.
 * Not while another thread runs that kernel; flm_kernels_init() keeps it. */
flm_err_t flm_kernels_use(const char *name);

#endif /* FLM_KERNELS_VARIANTS_H */
