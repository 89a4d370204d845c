/*
 * Integer kernels of the transformer: the contract of each op and its plain
 * C reference.
 *
 * Every number format, rounding and saturation rule used here is written
 * down in core/kernels/NUMERICS.md. In short:
 *  - activations are int32 with FLM_ACT_SHIFT fractional bits (Q15.16);
 *  - a matrix-vector input is an int16 vector with its own shift
 *    (flm_quantize_s16 picks the shift from the vector's largest magnitude);
 *  - probabilities are uint32 with FLM_PROB_SHIFT fractional bits (Q2.30,
 *    1.0 = 2^30); logs are int32 Q15.16;
 *  - the KV cache is int8 with one 16-bit scale code per vector, real value
 *    q * flm_kv_scale(code) * 2^-FLM_KV_SCALE_SHIFT.
 * Rounding is round-half-up unless a function says otherwise; results that
 * do not fit saturate. No kernel allocates: buffers and scratch come from
 * the caller.
 *
 * Names (CMSIS-NN / ggml style): each op flm_<op>_<type> is declared here as
 * its plain C reference flm_<op>_<type>_ref, always compiled and callable.
 * Optimised variants have the same signature, live in per-ISA folders
 * (core/kernels/arm/, core/kernels/x86/) as flm_<op>_<type>_<isa>, and must
 * be bit-exact with the _ref. The public name flm_<op>_<type> is what callers
 * use; core/kernels/kernels_select.h (included at the end) makes it the
 * variant chosen for the build, or on x86-64 for the CPU at run time.
 * core/kernels/variants.h lists the variants for tests and benchmarks.
 *
 * Scalar helpers without variants keep one definition under their plain
 * name: flm_isqrt_u64, flm_exp_q16, flm_ln_q16, flm_sincos_q30,
 * flm_silu_q16, flm_kv_scale; and flm_qmat_check, a one-time validation.
 */
#ifndef FLM_KERNELS_H
#define FLM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/model/model.h"

#define FLM_ACT_SHIFT       16 /* activations: real = v * 2^-16 */
#define FLM_PROB_SHIFT      30 /* probabilities: real = p * 2^-30 */
#define FLM_LOG_SHIFT       16 /* logs (ln): real = v * 2^-16 */
#define FLM_KV_SCALE_SHIFT  24 /* KV cache scales: real = q * s * 2^-24 */

/* Limits the kernels check (beyond them intermediate sums could overflow).
 * Group scales are bounded by FLM_QMAT_SCALE_LIMIT (core/model/model.h),
 * which the kernels do not check: see flm_matvec_q8_s16_ref. */
#define FLM_KERNEL_MAX_COLS 65536u /* matrix columns, vector lengths */
#define FLM_KERNEL_MAX_HEAD 256u   /* attention head size */

/* ---- elementary functions ------------------------------------------------ */

/* floor(sqrt(v)). */
uint32_t flm_isqrt_u64(uint64_t v);

/* exp(x * 2^-16) for x <= 0 as Q2.30 (1.0 = 2^30); x > 0 is taken as 0.
 * Relative error below 4e-9, or one ulp for tiny results (tested). */
uint32_t flm_exp_q16(int32_t x);

/* ln(v * 2^-frac_bits) as Q15.16, saturated; v == 0 gives INT32_MIN (-inf).
 * Absolute error at most 2^-16 (tested). */
int32_t flm_ln_q16(uint64_t v, int32_t frac_bits);

/* sin and cos of an angle in turns (unsigned Q0.32, 2^32 = one turn), Q2.30.
 * Table of 256 steps per turn plus a Taylor correction; error < 2^-26. */
void flm_sincos_q30(uint32_t turns, int32_t *sin_q30, int32_t *cos_q30);

/* ---- softmax family over int32 scores with `shift` fractional bits -------
 * Differences to the maximum are taken in Q15.16 (saturated), so scores may
 * use any shift in [0, 62]. n must be in [1, 2^18]. */

/* p[i] = exp(x[i]) / sum_j exp(x[j]) as Q2.30 (sum within n ulps of 2^30).
 * p may alias x (in-place: int32 in, uint32 out). */
flm_err_t flm_softmax_q_ref(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);

/* *lse = ln(sum_j exp(x[j])) as Q15.16, so ln p[i] = x[i] (as Q15.16) - *lse. */
flm_err_t flm_logsumexp_q_ref(const int32_t *x, uint32_t n, int32_t shift, int32_t *lse);

/* *entropy = -sum_i p[i] ln p[i] in nats, Q15.16, with *lse as above (either
 * out pointer may be NULL). Costs two passes over x; no scratch. */
flm_err_t flm_entropy_q_ref(const int32_t *x, uint32_t n, int32_t shift, int32_t *entropy,
                            int32_t *lse);

/* ---- activations -------------------------------------------------------- */

/* Quantize an int32 vector (real x * 2^-x_shift) to int16 with a power-of-two
 * step: q[i] = round(x[i] / 2^k) with the smallest k >= 0 that keeps every
 * |q| <= 32767; real q * 2^-*q_shift with *q_shift = x_shift - k. */
flm_err_t flm_quantize_s16_ref(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                               int32_t *q_shift);

/* A KV scale code: 11-bit mantissa m and 5-bit exponent e, code = e << 11 | m,
 * scale = m << min(e, 20) (Q24, so at most 2047 << 20 for any code). */
static inline int32_t flm_kv_scale(uint16_t code)
{
    uint32_t e = (uint32_t)code >> 11;
    return (int32_t)((code & 0x7FFu) << (e > 20u ? 20u : e));
}

/* Quantize a Q15.16 vector to int8 with one scale: the step amax / 127
 * (amax = max |x|) as Q24 rounded to a scale code (11 significant bits,
 * capped), then q[i] = round(x[i] / step) (half away from zero, |q| <= 127),
 * so real x ~ q * flm_kv_scale(*scale) * 2^-24. All zeros give code 0. */
flm_err_t flm_quantize_s8_ref(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale);

/* ---- matrices ----------------------------------------------------------- */

/* out[r] = sum_c W[r][c] * x[c] for a group-quantized int8 matrix (any group
 * size) and an int16 vector of w->cols elements (real x * 2^-x_shift). Each
 * group's products are summed exactly (in int32 for <= 256 columns, longer
 * groups as int32 pieces of 256 added in int64), multiplied by the group
 * scale into an int64 row sum (exact), which is rounded once to out_shift
 * fractional bits and saturated; any summation order gives these bits.
 * Contract: every |group scale| < FLM_QMAT_SCALE_LIMIT (2^23), so the row
 * sum stays below 2^61. The caller guarantees it (the model loader checks
 * each scale once, flm_qmat_check does too); the kernel does not re-check
 * per call, and a larger scale may overflow the int64 sum. */
flm_err_t flm_matvec_q8_s16_ref(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);

/* n positions at once (batched prefill): out + b * out_stride gets what
 * flm_matvec_q8_s16_ref(w, x + b * x_stride, x_shift[b], ..., out_shift)
 * gives, bit for bit, for each b < n; the strides are at least cols and
 * rows when n > 1. Every position's arguments are checked before any output
 * is written. A variant reads each weight once for the n positions. */
flm_err_t flm_matmat_q8_s16_ref(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                size_t x_stride, const int32_t *x_shift, int32_t *out,
                                size_t out_stride, int32_t out_shift);

/* The same for an int4 matrix (w->bits 4: two values a byte, core/model/model.h),
 * with the same contract and rounding: each group's products (|product| <=
 * 2^18) summed exactly in int32, times the scale into an exact int64 row
 * sum, rounded once. The group size is even or the whole row, so every
 * group starts on a byte. */
flm_err_t flm_matvec_q4_s16_ref(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);

/* Dequantize row `row` of w into out (w->cols values, out_shift fractional
 * bits): the token-embedding lookup. _q4 for an int4 matrix. */
flm_err_t flm_dequant_row_q8_ref(const flm_qmat_t *w, uint32_t row, int32_t *out,
                                 int32_t out_shift);
flm_err_t flm_dequant_row_q4_ref(const flm_qmat_t *w, uint32_t row, int32_t *out,
                                 int32_t out_shift);

/* Check the shape invariants flm_matvec_q8_s16 (or, for w->bits 4,
 * flm_matvec_q4_s16) relies on, that the matrix is rows x cols, and that
 * every |scale| < FLM_QMAT_SCALE_LIMIT (walks each scale once: call it at
 * load or init, never per token). */
flm_err_t flm_qmat_check(const flm_qmat_t *w, uint32_t rows, uint32_t cols);

/* ---- transformer blocks (Q15.16 in and out) ----------------------------- */

/* out = x / sqrt(mean(x^2) + eps) * w, over w->n elements; eps as unsigned
 * Q0.32. The inverse square root is integer (flm_isqrt_u64). out may be x. */
flm_err_t flm_rmsnorm_s32_ref(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                              int32_t *out);

/* Rotate the pairs (v[2i], v[2i+1]) of each head of head_dim elements by
 * pos * freq[(2i mod head_dim) / 2] turns (llama2.c's RoPE layout). */
flm_err_t flm_rope_s32_ref(int32_t *v, uint32_t n, uint32_t head_dim, const uint32_t *freq,
                           uint32_t pos);

/* silu(x) = x * sigmoid(x), Q15.16 in and out. */
int32_t flm_silu_q16(int32_t x);

/* SwiGLU in place: h1[i] = silu(h1[i]) * h3[i]. */
flm_err_t flm_swiglu_s32_ref(int32_t *h1, const int32_t *h3, uint32_t n);

/* One attention head over the cached positions 0..npos-1. The cache holds
 * int8 vectors with one scale code each; vector t of this head starts at
 * k + t * stride (resp. v) and its scale is ks[t * scale_stride] (resp. vs). */
typedef struct {
    const int8_t   *k, *v;
    const uint16_t *ks, *vs; /* scale codes (flm_kv_scale) */
    uint32_t stride;       /* int8 elements between consecutive positions */
    uint32_t scale_stride; /* scales between consecutive positions */
} flm_kv_view_t;

/* out = sum_t softmax_t(q . k_t / sqrt(head_dim)) * v_t (Q15.16); out must
 * not overlap q. Scratch: qs[head_dim], att[npos]. */
flm_err_t flm_attention_head_q_ref(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out);

/* The public names: flm_matvec_q8_s16, flm_matvec_q4_s16, flm_attention_head_q, ... */
#include "core/kernels/kernels_select.h"

#endif /* FLM_KERNELS_H */
