/* The table of kernel variants, and the run-time choice on x86-64. */
#include "core/kernels/variants.h"

#include <string.h>

#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
#include <stdatomic.h>
#endif

#if FLM_KERNELS_X86
/* libgcc's CPU model checks CPUID and that the OS saves the YMM registers
 * (XGETBV), so "avx2" means usable, not only present. */
static bool x86_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

/* Best first within an op: the run-time choice takes the first available. */
static const flm_kernel_variant_t variants[] = {
#if FLM_KERNELS_X86
    { "flm_matvec_q8_s16_avx2", "avx2", FLM_KOP_MATVEC_Q8_S16, x86_avx2,
      { .matvec_q8_s16 = flm_matvec_q8_s16_avx2 } },
#endif
#if FLM_KERNELS_ARM_DSP
    { "flm_matvec_q8_s16_dsp", "dsp", FLM_KOP_MATVEC_Q8_S16, NULL,
      { .matvec_q8_s16 = flm_matvec_q8_s16_dsp } },
#endif
    { "flm_matvec_q8_s16_ref", "ref", FLM_KOP_MATVEC_Q8_S16, NULL,
      { .matvec_q8_s16 = flm_matvec_q8_s16_ref } },
#if FLM_KERNELS_ARM_DSP
    { "flm_attention_head_q_dsp", "dsp", FLM_KOP_ATTENTION_HEAD_Q, NULL,
      { .attention_head_q = flm_attention_head_q_dsp } },
#endif
    { "flm_attention_head_q_ref", "ref", FLM_KOP_ATTENTION_HEAD_Q, NULL,
      { .attention_head_q = flm_attention_head_q_ref } },
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

#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
/* The first available variant of op: its _ref at worst. */
static const flm_kernel_variant_t *best_of(flm_kernel_op_t op)
{
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i].op == op && flm_kernel_variant_available(&variants[i]))
            return &variants[i];
    return NULL;
}

/* NULL until resolved. Relaxed order suffices: the pointer publishes no
 * data, only code, and racing resolvers store the same value. */
static _Atomic(flm_matvec_q8_s16_fn) matvec_q8_s16_sel;

void flm_kernels_init(void)
{
    flm_matvec_q8_s16_fn none = NULL;
    atomic_compare_exchange_strong_explicit(&matvec_q8_s16_sel, &none,
                                            best_of(FLM_KOP_MATVEC_Q8_S16)->fn.matvec_q8_s16,
                                            memory_order_relaxed, memory_order_relaxed);
}

flm_err_t flm_matvec_q8_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift)
{
    flm_matvec_q8_s16_fn f = atomic_load_explicit(&matvec_q8_s16_sel, memory_order_relaxed);
    if (!f) {
        flm_kernels_init();
        f = atomic_load_explicit(&matvec_q8_s16_sel, memory_order_relaxed);
    }
    return f(w, x, x_shift, out, out_shift);
}
#else
void flm_kernels_init(void)
{
}
#endif

const flm_kernel_variant_t *flm_kernel_selected(flm_kernel_op_t op)
{
    flm_kernels_init();
    flm_matvec_q8_s16_fn mv = flm_matvec_q8_s16;
#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
    mv = atomic_load_explicit(&matvec_q8_s16_sel, memory_order_relaxed);
#endif
    flm_attention_head_q_fn at = flm_attention_head_q;
    for (size_t i = 0; i < NVARIANTS; i++) {
        const flm_kernel_variant_t *v = &variants[i];
        if (v->op == op && ((op == FLM_KOP_MATVEC_Q8_S16 && v->fn.matvec_q8_s16 == mv) ||
                            (op == FLM_KOP_ATTENTION_HEAD_Q && v->fn.attention_head_q == at)))
            return v;
    }
    return NULL;
}

flm_err_t flm_kernels_use(const char *name)
{
    if (!name) {
#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
        atomic_store_explicit(&matvec_q8_s16_sel, best_of(FLM_KOP_MATVEC_Q8_S16)->fn.matvec_q8_s16,
                              memory_order_relaxed);
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
#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16
    if (v->op == FLM_KOP_MATVEC_Q8_S16) {
        atomic_store_explicit(&matvec_q8_s16_sel, v->fn.matvec_q8_s16, memory_order_relaxed);
        return FLM_OK;
    }
#endif
    return flm_kernel_selected(v->op) == v ? FLM_OK : FLM_ERR_UNSUPPORTED;
}
