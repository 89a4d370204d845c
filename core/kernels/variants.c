/* The table of kernel variants, and the run-time choice (x86-64, ARM
 * A-profile). */
#include "core/kernels/variants.h"

#include <string.h>

#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 || FLM_KERNELS_RUNTIME_MATVEC_Q4_S16 || \
    FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q || FLM_KERNELS_RUNTIME_MATMAT_Q8_S16 || \
    FLM_KERNELS_RUNTIME_PERPOS || FLM_KERNELS_RUNTIME_EXPOPS
#include <stdatomic.h>
#define RUNTIME_CHOICE 1
#else
#define RUNTIME_CHOICE 0
#endif

#if FLM_KERNELS_X86
/* libgcc's CPU model checks CPUID and that the OS saves the YMM (and, for
 * AVX-512, the ZMM and mask) registers (XGETBV), so "avx2" means usable,
 * not only present. */
static bool x86_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

static bool x86_avx512f(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

static bool x86_avx512vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}
#endif

#if FLM_KERNELS_ARM_NEON || FLM_KERNELS_ARM_DOTPROD
#include "core/hal/hal_system.h" /* flm_hal_cpu_features: the OS knows, core does not */
#endif
#if FLM_KERNELS_ARM_NEON && (defined(__aarch64__) || defined(__ARM_NEON))
#define arm_neon NULL /* assumed by the build (AArch64 always has it) */
#elif FLM_KERNELS_ARM_NEON
static bool arm_neon(void)
{
    return (flm_hal_cpu_features() & FLM_HAL_CPU_ARM_NEON) != 0;
}
#endif
#if FLM_KERNELS_ARM_DOTPROD && defined(__ARM_FEATURE_DOTPROD)
#define arm_dotprod NULL
#elif FLM_KERNELS_ARM_DOTPROD
static bool arm_dotprod(void)
{
    return (flm_hal_cpu_features() & FLM_HAL_CPU_ARM_DOTPROD) != 0;
}
#endif

/* Best first within an op: the run-time choice takes the first available. */
static const flm_kernel_variant_t variants[] = {
#if FLM_KERNELS_X86
    { "flm_matvec_q8_s16_avx512vnni", "avx512vnni", FLM_KOP_MATVEC_Q8_S16, x86_avx512vnni,
      { .matvec_q8_s16 = flm_matvec_q8_s16_avx512vnni } },
    { "flm_matvec_q8_s16_avx2", "avx2", FLM_KOP_MATVEC_Q8_S16, x86_avx2,
      { .matvec_q8_s16 = flm_matvec_q8_s16_avx2 } },
#endif
#if FLM_KERNELS_ARM_DOTPROD
    { "flm_matvec_q8_s16_dotprod", "dotprod", FLM_KOP_MATVEC_Q8_S16, arm_dotprod,
      { .matvec_q8_s16 = flm_matvec_q8_s16_dotprod } },
#endif
#if FLM_KERNELS_ARM_NEON
    { "flm_matvec_q8_s16_neon", "neon", FLM_KOP_MATVEC_Q8_S16, arm_neon,
      { .matvec_q8_s16 = flm_matvec_q8_s16_neon } },
#endif
#if FLM_KERNELS_ARM_MVE
    { "flm_matvec_q8_s16_mve", "mve", FLM_KOP_MATVEC_Q8_S16, NULL,
      { .matvec_q8_s16 = flm_matvec_q8_s16_mve } },
#endif
#if FLM_KERNELS_ARM_DSP
    { "flm_matvec_q8_s16_dsp", "dsp", FLM_KOP_MATVEC_Q8_S16, NULL,
      { .matvec_q8_s16 = flm_matvec_q8_s16_dsp } },
#endif
    { "flm_matvec_q8_s16_ref", "ref", FLM_KOP_MATVEC_Q8_S16, NULL,
      { .matvec_q8_s16 = flm_matvec_q8_s16_ref } },
#if FLM_KERNELS_ARM_DOTPROD
    { "flm_attention_head_q_dotprod", "dotprod", FLM_KOP_ATTENTION_HEAD_Q, arm_dotprod,
      { .attention_head_q = flm_attention_head_q_dotprod } },
#endif
#if FLM_KERNELS_ARM_NEON
    { "flm_attention_head_q_neon", "neon", FLM_KOP_ATTENTION_HEAD_Q, arm_neon,
      { .attention_head_q = flm_attention_head_q_neon } },
#endif
#if FLM_KERNELS_ARM_MVE
    { "flm_attention_head_q_mve", "mve", FLM_KOP_ATTENTION_HEAD_Q, NULL,
      { .attention_head_q = flm_attention_head_q_mve } },
#endif
#if FLM_KERNELS_ARM_DSP
    { "flm_attention_head_q_dsp", "dsp", FLM_KOP_ATTENTION_HEAD_Q, NULL,
      { .attention_head_q = flm_attention_head_q_dsp } },
#endif
#if FLM_KERNELS_X86
    { "flm_attention_head_q_avx2", "avx2", FLM_KOP_ATTENTION_HEAD_Q, x86_avx2,
      { .attention_head_q = flm_attention_head_q_avx2 } },
#endif
    { "flm_attention_head_q_ref", "ref", FLM_KOP_ATTENTION_HEAD_Q, NULL,
      { .attention_head_q = flm_attention_head_q_ref } },
#if FLM_KERNELS_X86
    { "flm_matvec_q4_s16_avx2", "avx2", FLM_KOP_MATVEC_Q4_S16, x86_avx2,
      { .matvec_q4_s16 = flm_matvec_q4_s16_avx2 } },
#endif
#if FLM_KERNELS_ARM_NEON
    { "flm_matvec_q4_s16_neon", "neon", FLM_KOP_MATVEC_Q4_S16, arm_neon,
      { .matvec_q4_s16 = flm_matvec_q4_s16_neon } },
#endif
#if FLM_KERNELS_ARM_MVE
    { "flm_matvec_q4_s16_mve", "mve", FLM_KOP_MATVEC_Q4_S16, NULL,
      { .matvec_q4_s16 = flm_matvec_q4_s16_mve } },
#endif
#if FLM_KERNELS_ARM_DSP
    { "flm_matvec_q4_s16_dsp", "dsp", FLM_KOP_MATVEC_Q4_S16, NULL,
      { .matvec_q4_s16 = flm_matvec_q4_s16_dsp } },
#endif
    { "flm_matvec_q4_s16_ref", "ref", FLM_KOP_MATVEC_Q4_S16, NULL,
      { .matvec_q4_s16 = flm_matvec_q4_s16_ref } },
#if FLM_KERNELS_X86
    { "flm_matmat_q8_s16_avx512vnni", "avx512vnni", FLM_KOP_MATMAT_Q8_S16, x86_avx512vnni,
      { .matmat_q8_s16 = flm_matmat_q8_s16_avx512vnni } },
    { "flm_matmat_q8_s16_avx2", "avx2", FLM_KOP_MATMAT_Q8_S16, x86_avx2,
      { .matmat_q8_s16 = flm_matmat_q8_s16_avx2 } },
#endif
#if FLM_KERNELS_ARM_DOTPROD
    { "flm_matmat_q8_s16_dotprod", "dotprod", FLM_KOP_MATMAT_Q8_S16, arm_dotprod,
      { .matmat_q8_s16 = flm_matmat_q8_s16_dotprod } },
#endif
#if FLM_KERNELS_ARM_NEON
    { "flm_matmat_q8_s16_neon", "neon", FLM_KOP_MATMAT_Q8_S16, arm_neon,
      { .matmat_q8_s16 = flm_matmat_q8_s16_neon } },
#endif
    { "flm_matmat_q8_s16_ref", "ref", FLM_KOP_MATMAT_Q8_S16, NULL,
      { .matmat_q8_s16 = flm_matmat_q8_s16_ref } },
#if FLM_KERNELS_X86
    { "flm_softmax_q_avx512", "avx512", FLM_KOP_SOFTMAX_Q, x86_avx512f, { .softmax_q = flm_softmax_q_avx512 } },
    { "flm_softmax_q_avx2", "avx2", FLM_KOP_SOFTMAX_Q, x86_avx2, { .softmax_q = flm_softmax_q_avx2 } },
#endif
    { "flm_softmax_q_ref", "ref", FLM_KOP_SOFTMAX_Q, NULL, { .softmax_q = flm_softmax_q_ref } },
#if FLM_KERNELS_X86
    { "flm_swiglu_s32_avx512", "avx512", FLM_KOP_SWIGLU_S32, x86_avx512f, { .swiglu_s32 = flm_swiglu_s32_avx512 } },
    { "flm_swiglu_s32_avx2", "avx2", FLM_KOP_SWIGLU_S32, x86_avx2, { .swiglu_s32 = flm_swiglu_s32_avx2 } },
#endif
    { "flm_swiglu_s32_ref", "ref", FLM_KOP_SWIGLU_S32, NULL, { .swiglu_s32 = flm_swiglu_s32_ref } },
#if FLM_KERNELS_X86
    { "flm_rmsnorm_s32_avx2", "avx2", FLM_KOP_RMSNORM_S32, x86_avx2, { .rmsnorm_s32 = flm_rmsnorm_s32_avx2 } },
#endif
    { "flm_rmsnorm_s32_ref", "ref", FLM_KOP_RMSNORM_S32, NULL, { .rmsnorm_s32 = flm_rmsnorm_s32_ref } },
#if FLM_KERNELS_X86
    { "flm_quantize_s16_avx2", "avx2", FLM_KOP_QUANTIZE_S16, x86_avx2, { .quantize_s16 = flm_quantize_s16_avx2 } },
#endif
    { "flm_quantize_s16_ref", "ref", FLM_KOP_QUANTIZE_S16, NULL, { .quantize_s16 = flm_quantize_s16_ref } },
#if FLM_KERNELS_X86
    { "flm_quantize_s8_avx2", "avx2", FLM_KOP_QUANTIZE_S8, x86_avx2, { .quantize_s8 = flm_quantize_s8_avx2 } },
#endif
    { "flm_quantize_s8_ref", "ref", FLM_KOP_QUANTIZE_S8, NULL, { .quantize_s8 = flm_quantize_s8_ref } },
#if FLM_KERNELS_X86
    { "flm_rope_s32_avx2", "avx2", FLM_KOP_ROPE_S32, x86_avx2, { .rope_s32 = flm_rope_s32_avx2 } },
#endif
    { "flm_rope_s32_ref", "ref", FLM_KOP_ROPE_S32, NULL, { .rope_s32 = flm_rope_s32_ref } },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

const flm_kernel_variant_t *flm_kernel_variants(size_t *count)
{
    if (count)
        *count = NVARIANTS;
    return variants;
}

bool flm_kernel_variant_available(const flm_kernel_variant_t *v)
{
    return v && (!v->available || v->available());
}

/* A variant's function as one generic pointer type (converted back to its
 * own type before any call: C allows the round trip). */
typedef void (*any_fn)(void);

static any_fn fn_of(const flm_kernel_variant_t *v)
{
    switch (v->op) {
    case FLM_KOP_MATVEC_Q4_S16: return (any_fn)v->fn.matvec_q4_s16;
    case FLM_KOP_ATTENTION_HEAD_Q: return (any_fn)v->fn.attention_head_q;
    case FLM_KOP_MATMAT_Q8_S16: return (any_fn)v->fn.matmat_q8_s16;
    case FLM_KOP_SOFTMAX_Q: return (any_fn)v->fn.softmax_q;
    case FLM_KOP_SWIGLU_S32: return (any_fn)v->fn.swiglu_s32;
    case FLM_KOP_RMSNORM_S32: return (any_fn)v->fn.rmsnorm_s32;
    case FLM_KOP_QUANTIZE_S16: return (any_fn)v->fn.quantize_s16;
    case FLM_KOP_QUANTIZE_S8: return (any_fn)v->fn.quantize_s8;
    case FLM_KOP_ROPE_S32: return (any_fn)v->fn.rope_s32;
    default: return (any_fn)v->fn.matvec_q8_s16;
    }
}

#if RUNTIME_CHOICE
/* The first available variant of op: its _ref at worst. */
static const flm_kernel_variant_t *best_of(flm_kernel_op_t op)
{
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i].op == op && flm_kernel_variant_available(&variants[i]))
            return &variants[i];
    return NULL;
}

/* One choice per op chosen at run time, NULL until resolved. Relaxed order
 * suffices: the pointer publishes no data, only code, and racing resolvers
 * store the same value. */
static _Atomic(any_fn) sel[FLM_KOP_COUNT];

static _Atomic(any_fn) *slot_of(flm_kernel_op_t op)
{
    if ((op == FLM_KOP_MATVEC_Q8_S16 && FLM_KERNELS_RUNTIME_MATVEC_Q8_S16) ||
        (op == FLM_KOP_MATVEC_Q4_S16 && FLM_KERNELS_RUNTIME_MATVEC_Q4_S16) ||
        (op == FLM_KOP_ATTENTION_HEAD_Q && FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q) ||
        (op == FLM_KOP_MATMAT_Q8_S16 && FLM_KERNELS_RUNTIME_MATMAT_Q8_S16) ||
        ((op == FLM_KOP_SOFTMAX_Q || op == FLM_KOP_SWIGLU_S32) && FLM_KERNELS_RUNTIME_EXPOPS) ||
        (op >= FLM_KOP_RMSNORM_S32 && op <= FLM_KOP_ROPE_S32 && FLM_KERNELS_RUNTIME_PERPOS))
        return &sel[op];
    return NULL;
}

static void resolve(flm_kernel_op_t op)
{
    any_fn none = NULL;
    atomic_compare_exchange_strong_explicit(slot_of(op), &none, fn_of(best_of(op)),
                                            memory_order_relaxed, memory_order_relaxed);
}

void flm_kernels_init(void)
{
    for (int op = 0; op < FLM_KOP_COUNT; op++)
        if (slot_of((flm_kernel_op_t)op))
            resolve((flm_kernel_op_t)op);
}

static any_fn chosen(flm_kernel_op_t op)
{
    any_fn f = atomic_load_explicit(slot_of(op), memory_order_relaxed);
    if (!f) {
        resolve(op);
        f = atomic_load_explicit(slot_of(op), memory_order_relaxed);
    }
    return f;
}
#else
void flm_kernels_init(void)
{
}
#endif

#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
flm_err_t flm_matvec_q8_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift)
{
    return ((flm_matvec_q8_s16_fn)chosen(FLM_KOP_MATVEC_Q8_S16))(w, x, x_shift, out, out_shift);
}
#endif

#if FLM_KERNELS_RUNTIME_MATVEC_Q4_S16
flm_err_t flm_matvec_q4_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift)
{
    return ((flm_matvec_q4_s16_fn)chosen(FLM_KOP_MATVEC_Q4_S16))(w, x, x_shift, out, out_shift);
}
#endif

#if FLM_KERNELS_RUNTIME_ATTENTION_HEAD_Q
flm_err_t flm_attention_head_q_dispatch(const int32_t *q, uint32_t head_dim,
                                        const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                        int32_t *att, int32_t *out)
{
    return ((flm_attention_head_q_fn)chosen(FLM_KOP_ATTENTION_HEAD_Q))(q, head_dim, kv, npos, qs,
                                                                       att, out);
}
#endif

#if FLM_KERNELS_RUNTIME_MATMAT_Q8_S16
flm_err_t flm_matmat_q8_s16_dispatch(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                     size_t x_stride, const int32_t *x_shift, int32_t *out,
                                     size_t out_stride, int32_t out_shift)
{
    return ((flm_matmat_q8_s16_fn)chosen(FLM_KOP_MATMAT_Q8_S16))(w, n, x, x_stride, x_shift, out,
                                                                 out_stride, out_shift);
}
#endif

#if FLM_KERNELS_RUNTIME_EXPOPS
flm_err_t flm_softmax_q_dispatch(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p)
{
    return ((flm_softmax_q_fn)chosen(FLM_KOP_SOFTMAX_Q))(x, n, shift, p);
}

flm_err_t flm_swiglu_s32_dispatch(int32_t *h1, const int32_t *h3, uint32_t n)
{
    return ((flm_swiglu_s32_fn)chosen(FLM_KOP_SWIGLU_S32))(h1, h3, n);
}
#endif

#if FLM_KERNELS_RUNTIME_PERPOS

flm_err_t flm_rmsnorm_s32_dispatch(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                                   int32_t *out)
{
    return ((flm_rmsnorm_s32_fn)chosen(FLM_KOP_RMSNORM_S32))(x, w, eps_q32, out);
}

flm_err_t flm_quantize_s16_dispatch(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                                    int32_t *q_shift)
{
    return ((flm_quantize_s16_fn)chosen(FLM_KOP_QUANTIZE_S16))(x, n, x_shift, q, q_shift);
}

flm_err_t flm_quantize_s8_dispatch(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale)
{
    return ((flm_quantize_s8_fn)chosen(FLM_KOP_QUANTIZE_S8))(x, n, q, scale);
}

flm_err_t flm_rope_s32_dispatch(int32_t *v, uint32_t n, uint32_t head_dim, const uint32_t *freq,
                                uint32_t pos)
{
    return ((flm_rope_s32_fn)chosen(FLM_KOP_ROPE_S32))(v, n, head_dim, freq, pos);
}
#endif

/* What the public name of op calls now. */
static any_fn public_fn(flm_kernel_op_t op)
{
#if RUNTIME_CHOICE
    if (slot_of(op))
        return chosen(op);
#endif
    switch (op) {
    case FLM_KOP_MATVEC_Q4_S16: return (any_fn)flm_matvec_q4_s16;
    case FLM_KOP_ATTENTION_HEAD_Q: return (any_fn)flm_attention_head_q;
    case FLM_KOP_MATMAT_Q8_S16: return (any_fn)flm_matmat_q8_s16;
    case FLM_KOP_SOFTMAX_Q: return (any_fn)flm_softmax_q;
    case FLM_KOP_SWIGLU_S32: return (any_fn)flm_swiglu_s32;
    case FLM_KOP_RMSNORM_S32: return (any_fn)flm_rmsnorm_s32;
    case FLM_KOP_QUANTIZE_S16: return (any_fn)flm_quantize_s16;
    case FLM_KOP_QUANTIZE_S8: return (any_fn)flm_quantize_s8;
    case FLM_KOP_ROPE_S32: return (any_fn)flm_rope_s32;
    default: return (any_fn)flm_matvec_q8_s16;
    }
}

const flm_kernel_variant_t *flm_kernel_selected(flm_kernel_op_t op)
{
    flm_kernels_init();
    for (size_t i = 0; i < NVARIANTS; i++) {
        const flm_kernel_variant_t *v = &variants[i];
        if (v->op != op)
            continue;
        if (fn_of(v) == public_fn(op))
            return v;
    }
    return NULL;
}

flm_err_t flm_kernels_use(const char *name)
{
    if (!name) {
#if RUNTIME_CHOICE
        for (int op = 0; op < FLM_KOP_COUNT; op++) {
            _Atomic(any_fn) *s = slot_of((flm_kernel_op_t)op);
            if (s)
                atomic_store_explicit(s, fn_of(best_of((flm_kernel_op_t)op)), memory_order_relaxed);
        }
#endif
        return FLM_OK;
    }
    const flm_kernel_variant_t *v = NULL;
    for (size_t i = 0; i < NVARIANTS && !v; i++)
        if (strcmp(variants[i].name, name) == 0)
            v = &variants[i];
    if (!v)
        return FLM_ERR_NOT_FOUND;
    if (!flm_kernel_variant_available(v))
        return FLM_ERR_UNSUPPORTED;
#if RUNTIME_CHOICE
    _Atomic(any_fn) *s = slot_of(v->op);
    if (s) {
        atomic_store_explicit(s, fn_of(v), memory_order_relaxed);
        return FLM_OK;
    }
#endif
    return flm_kernel_selected(v->op) == v ? FLM_OK : FLM_ERR_UNSUPPORTED;
}
