/*
 * Which variant each public kernel name is: the one place that chooses.
 * Included by core/kernels/kernels.h; do not include it alone.
 *
 * Chosen at build time from the compiler's feature macros, or at run time
 * where the build cannot assume what the CPU has:
 *  - ARMv8.1-M with MVE (Helium: Cortex-M55, __ARM_FEATURE_MVE): the
 *    VMLADAV dot products under the int8 and int4 matvecs and the attention
 *    head, and the head's value sum in int32 lanes (core/kernels/arm/, the
 *    _mve files);
 *  - AArch64 (core/kernels/arm/): the dot-product (SDOT) int8 matvecs and
 *    attention head if the CPU has the extension, else the plain NEON ones:
 *    chosen at run time from flm_hal_cpu_features() (Linux: HWCAP_ASIMDDP),
 *    or directly when built with -march=armv8.2-a+dotprod;
 *  - ARMv7-A with a VFP ABI (armhf): the NEON ones if the CPU has NEON
 *    (HWCAP_NEON; directly when built with -mfpu=neon), else the DSP ones;
 *    on both, the int4 matvec is the NEON one (AArch64 has no SDOT one);
 *  - other ARM with the DSP extension, little-endian (Cortex-M4/M7:
 *    __ARM_FEATURE_DSP): the SXTB16/SMLAxy dot products under the int8 and
 *    int4 matvecs and the attention head;
 *  - x86-64 compiled with -mavx2 (__AVX2__): the AVX2 int4 matvec,
 *    attention head and per-position ops (softmax, SwiGLU, RMSNorm, the
 *    quantizers, RoPE) directly, the int8 matvecs at run time (AVX-512 VNNI
 *    if the CPU has it, else AVX2); with -mavx512vnni -mavx512bw, VNNI
 *    directly;
 *  - other x86-64 builds: each of them is resolved once at run time, the
 *    best the CPU (and OS) has, else the _ref;
 *  - anything else: the plain C references.
 * A run-time choice is made on the first call or by flm_kernels_init()
 * (core/kernels/variants.c: one atomic function pointer per op, no heap,
 * safe from any thread), so one binary runs on CPUs with and without the
 * extension. FLM_KERNELS_ARM_MVE=0, FLM_KERNELS_ARM_DSP=0, FLM_KERNELS_ARM_NEON=0,
 * FLM_KERNELS_ARM_DOTPROD=0 or FLM_KERNELS_X86=0 (core/base/config.h)
 * builds without that ISA's variants (their files then compile to nothing,
 * as they do on the wrong target). Every variant is bit-exact with its
 * _ref: the choice changes the speed, never a result.
 */
#ifndef FLM_KERNELS_SELECT_H
#define FLM_KERNELS_SELECT_H

#include "core/base/config.h" /* FLM_KERNELS_ARM_MVE, _ARM_DSP, _ARM_NEON, _ARM_DOTPROD, _X86 */

/* ---- the variants this build has (same signatures as the _refs) -------- */
#if FLM_KERNELS_ARM_MVE
flm_err_t flm_matvec_q8_s16_mve(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);
flm_err_t flm_matvec_q4_s16_mve(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);
flm_err_t flm_attention_head_q_mve(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out);
#endif
#if FLM_KERNELS_ARM_DSP
flm_err_t flm_matvec_q8_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);
flm_err_t flm_matvec_q4_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift);
flm_err_t flm_attention_head_q_dsp(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out);
#endif
#if FLM_KERNELS_ARM_NEON
/* ARMv7-A: needs NEON, call them only where flm_kernel_variant_available()
 * says so (AArch64 always has it). */
flm_err_t flm_matvec_q8_s16_neon(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift);
flm_err_t flm_matmat_q8_s16_neon(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                 size_t x_stride, const int32_t *x_shift, int32_t *out,
                                 size_t out_stride, int32_t out_shift);
flm_err_t flm_attention_head_q_neon(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                    uint32_t npos, int16_t *qs, int32_t *att, int32_t *out);
flm_err_t flm_matvec_q4_s16_neon(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift);
#endif
#if FLM_KERNELS_ARM_DOTPROD
/* Need the dot-product extension: only where flm_kernel_variant_available()
 * says so. */
flm_err_t flm_matvec_q8_s16_dotprod(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                    int32_t *out, int32_t out_shift);
flm_err_t flm_matmat_q8_s16_dotprod(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                    size_t x_stride, const int32_t *x_shift, int32_t *out,
                                    size_t out_stride, int32_t out_shift);
flm_err_t flm_attention_head_q_dotprod(const int32_t *q, uint32_t head_dim,
                                       const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                       int32_t *att, int32_t *out);
#endif
#if FLM_KERNELS_X86
/* Need AVX2 (AVX-512 F/BW/VNNI for the last): call them only where
 * flm_kernel_variant_available() says so. */
flm_err_t flm_matvec_q8_s16_avx2(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift);
flm_err_t flm_matvec_q4_s16_avx2(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift);
flm_err_t flm_attention_head_q_avx2(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                    uint32_t npos, int16_t *qs, int32_t *att, int32_t *out);
flm_err_t flm_matmat_q8_s16_avx2(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                 size_t x_stride, const int32_t *x_shift, int32_t *out,
                                 size_t out_stride, int32_t out_shift);
flm_err_t flm_matvec_q8_s16_avx512vnni(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                       int32_t *out, int32_t out_shift);
flm_err_t flm_matmat_q8_s16_avx512vnni(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                       size_t x_stride, const int32_t *x_shift, int32_t *out,
                                       size_t out_stride, int32_t out_shift);
/* the per-position ops (AVX2), and flm_exp_q16 over a vector (for tests) */
flm_err_t flm_softmax_q_avx2(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);
flm_err_t flm_swiglu_s32_avx2(int32_t *h1, const int32_t *h3, uint32_t n);
flm_err_t flm_rmsnorm_s32_avx2(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                               int32_t *out);
flm_err_t flm_quantize_s16_avx2(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                                int32_t *q_shift);
flm_err_t flm_quantize_s8_avx2(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale);
flm_err_t flm_rope_s32_avx2(int32_t *v, uint32_t n, uint32_t head_dim, const uint32_t *freq,
                            uint32_t pos);
void flm_exp_q16_avx2(const int32_t *x, uint32_t n, uint32_t *e);
/* AVX-512F: the exp-heavy ones */
flm_err_t flm_softmax_q_avx512(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);
flm_err_t flm_swiglu_s32_avx512(int32_t *h1, const int32_t *h3, uint32_t n);
void flm_exp_q16_avx512(const int32_t *x, uint32_t n, uint32_t *e);
#endif

/* ---- public name -> variant --------------------------------------------- */
/* The int8 ops (matvec, matmat, attention head) first, then the int4
 * matvec; FLM_KERNELS_RUNTIME_<OP> 1 marks an op chosen at run time. */
#if FLM_KERNELS_ARM_MVE
#define flm_matvec_q8_s16    flm_matvec_q8_s16_mve
#define flm_attention_head_q flm_attention_head_q_mve
#elif FLM_KERNELS_ARM_DOTPROD && defined(__ARM_FEATURE_DOTPROD)
/* AArch64 built for the dot product (-march=armv8.2-a+dotprod): assumed */
#define flm_matvec_q8_s16    flm_matvec_q8_s16_dotprod
#define flm_matmat_q8_s16    flm_matmat_q8_s16_dotprod
#define flm_attention_head_q flm_attention_head_q_dotprod
#elif FLM_KERNELS_ARM_DOTPROD
/* AArch64: the dot product if the CPU has it (HWCAP_ASIMDDP), else NEON */
#define FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 1
#define FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 1
#define FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q 1
#elif FLM_KERNELS_ARM_NEON && (defined(__aarch64__) || defined(__ARM_NEON))
/* NEON assumed (AArch64; ARMv7-A built with -mfpu=neon) */
#define flm_matvec_q8_s16    flm_matvec_q8_s16_neon
#define flm_matmat_q8_s16    flm_matmat_q8_s16_neon
#define flm_attention_head_q flm_attention_head_q_neon
#elif FLM_KERNELS_ARM_NEON
/* ARMv7-A (armhf): NEON if the CPU has it (HWCAP_NEON), else the DSP ones */
#define FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 1
#define FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 1
#define FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q 1
#elif FLM_KERNELS_ARM_DSP
#define flm_matvec_q8_s16    flm_matvec_q8_s16_dsp
#define flm_attention_head_q flm_attention_head_q_dsp
#elif FLM_KERNELS_X86 && defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define flm_matvec_q8_s16    flm_matvec_q8_s16_avx512vnni
#define flm_matmat_q8_s16    flm_matmat_q8_s16_avx512vnni
#define flm_attention_head_q flm_attention_head_q_avx2
#elif FLM_KERNELS_X86 && defined(__AVX2__)
/* AVX2 assumed; AVX-512 VNNI for the int8 matvecs if the CPU has it */
#define FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 1
#define FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 1
#define flm_attention_head_q flm_attention_head_q_avx2
#elif FLM_KERNELS_X86
/* each resolved at run time: the best the CPU (and OS) has */
#define FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 1
#define FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 1
#define FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q 1
#endif

#if FLM_KERNELS_ARM_MVE
#define flm_matvec_q4_s16    flm_matvec_q4_s16_mve
#elif FLM_KERNELS_ARM_NEON && (defined(__aarch64__) || defined(__ARM_NEON))
#define flm_matvec_q4_s16    flm_matvec_q4_s16_neon
#elif FLM_KERNELS_ARM_NEON
#define FLM_KERNELS_RUNTIME_MATVEC_Q4_S16 1
#elif FLM_KERNELS_ARM_DSP
#define flm_matvec_q4_s16    flm_matvec_q4_s16_dsp
#elif FLM_KERNELS_X86 && defined(__AVX2__)
#define flm_matvec_q4_s16    flm_matvec_q4_s16_avx2
#elif FLM_KERNELS_X86
#define FLM_KERNELS_RUNTIME_MATVEC_Q4_S16 1
#endif

/* the ops chosen at run time call through their dispatcher
 * (core/kernels/variants.c) */
#if defined(FLM_KERNELS_RUNTIME_MATVEC_Q8_S16)
flm_err_t flm_matvec_q8_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift);
#define flm_matvec_q8_s16    flm_matvec_q8_s16_dispatch
#endif
#if defined(FLM_KERNELS_RUNTIME_MATVEC_Q4_S16)
flm_err_t flm_matvec_q4_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift);
#define flm_matvec_q4_s16    flm_matvec_q4_s16_dispatch
#endif
#if defined(FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q)
flm_err_t flm_attention_head_q_dispatch(const int32_t *q, uint32_t head_dim,
                                        const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                        int32_t *att, int32_t *out);
#define flm_attention_head_q flm_attention_head_q_dispatch
#endif
#if defined(FLM_KERNELS_RUNTIME_MATMAT_Q8_S16)
flm_err_t flm_matmat_q8_s16_dispatch(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                     size_t x_stride, const int32_t *x_shift, int32_t *out,
                                     size_t out_stride, int32_t out_shift);
#define flm_matmat_q8_s16    flm_matmat_q8_s16_dispatch
#endif

#ifndef flm_matvec_q8_s16
#define flm_matvec_q8_s16    flm_matvec_q8_s16_ref
#endif
#ifndef flm_matvec_q4_s16
#define flm_matvec_q4_s16    flm_matvec_q4_s16_ref
#endif
#ifndef flm_attention_head_q
#define flm_attention_head_q flm_attention_head_q_ref
#endif
#ifndef FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
#define FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 0
#endif
#ifndef FLM_KERNELS_RUNTIME_MATVEC_Q4_S16
#define FLM_KERNELS_RUNTIME_MATVEC_Q4_S16 0
#endif
#ifndef flm_matmat_q8_s16
#define flm_matmat_q8_s16    flm_matmat_q8_s16_ref
#endif
#ifndef FLM_KERNELS_RUNTIME_MATMAT_Q8_S16
#define FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 0
#endif
#ifndef FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q
#define FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q 0
#endif

/* The per-position ops (softmax, SwiGLU, RMSNorm, the two quantizers,
 * RoPE): AVX2 on x86-64, directly with -mavx2, else at run time; softmax
 * and SwiGLU (mostly exp) AVX-512F if the CPU has it, directly with
 * -mavx512f. FLM_KERNELS_RUNTIME_PERPOS marks the four, _EXPOPS the two,
 * chosen at run time. */
#if FLM_KERNELS_X86 && defined(__AVX512F__)
#define flm_softmax_q    flm_softmax_q_avx512
#define flm_swiglu_s32   flm_swiglu_s32_avx512
#elif FLM_KERNELS_X86
#define FLM_KERNELS_RUNTIME_EXPOPS 1
flm_err_t flm_softmax_q_dispatch(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);
flm_err_t flm_swiglu_s32_dispatch(int32_t *h1, const int32_t *h3, uint32_t n);
#define flm_softmax_q    flm_softmax_q_dispatch
#define flm_swiglu_s32   flm_swiglu_s32_dispatch
#else
#define flm_softmax_q    flm_softmax_q_ref
#define flm_swiglu_s32   flm_swiglu_s32_ref
#endif
#if FLM_KERNELS_X86 && defined(__AVX2__)
#define flm_rmsnorm_s32  flm_rmsnorm_s32_avx2
#define flm_quantize_s16 flm_quantize_s16_avx2
#define flm_quantize_s8  flm_quantize_s8_avx2
#define flm_rope_s32     flm_rope_s32_avx2
#elif FLM_KERNELS_X86
#define FLM_KERNELS_RUNTIME_PERPOS 1
flm_err_t flm_rmsnorm_s32_dispatch(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                                   int32_t *out);
flm_err_t flm_quantize_s16_dispatch(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                                    int32_t *q_shift);
flm_err_t flm_quantize_s8_dispatch(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale);
flm_err_t flm_rope_s32_dispatch(int32_t *v, uint32_t n, uint32_t head_dim, const uint32_t *freq,
                                uint32_t pos);
#define flm_rmsnorm_s32  flm_rmsnorm_s32_dispatch
#define flm_quantize_s16 flm_quantize_s16_dispatch
#define flm_quantize_s8  flm_quantize_s8_dispatch
#define flm_rope_s32     flm_rope_s32_dispatch
#else
#define flm_rmsnorm_s32  flm_rmsnorm_s32_ref
#define flm_quantize_s16 flm_quantize_s16_ref
#define flm_quantize_s8  flm_quantize_s8_ref
#define flm_rope_s32     flm_rope_s32_ref
#endif
#ifndef FLM_KERNELS_RUNTIME_PERPOS
#define FLM_KERNELS_RUNTIME_PERPOS 0
#endif
#ifndef FLM_KERNELS_RUNTIME_EXPOPS
#define FLM_KERNELS_RUNTIME_EXPOPS 0
#endif

/* ops that have only their plain C version so far */
#define flm_logsumexp_q    flm_logsumexp_q_ref
#define flm_entropy_q      flm_entropy_q_ref
#define flm_dequant_row_q8 flm_dequant_row_q8_ref
#define flm_dequant_row_q4 flm_dequant_row_q4_ref

#endif /* FLM_KERNELS_SELECT_H */
