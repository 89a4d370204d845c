/* The table of kernel variants, and the run-time choice on x86-64. */
#include "core/kernels/variants.h"

#include <string.h>

#if FLM_KERNELS_RUNTIME_MATVEC_Q8_S16 || FLM_KERNELS_RUNTIME_MATVEC_Q4_S16
#include <stdatomic.h>
#define RUNTIME_CHOICE 1
#else
#define RUNTIME_CHOICE 0
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
#if FLM_KERNELS_X86
    { "flm_matvec_q4_s16_avx2", "avx2", FLM_KOP_MATVEC_Q4_S16, x86_avx2,
      { .matvec_q4_s16 = flm_matvec_q4_s16_avx2 } },
#endif
#if FLM_KERNELS_ARM_DSP
    { "flm_matvec_q4_s16_dsp", "dsp", FLM_KOP_MATVEC_Q4_S16, NULL,
      { .matvec_q4_s16 = flm_matvec_q4_s16_dsp } },
#endif
    { "flm_matvec_q4_s16_ref", "ref", FLM_KOP_MATVEC_Q4_S16, NULL,
      { .matvec_q4_s16 = flm_matvec_q4_s16_ref } },
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

/* A matvec variant's function (the int8 and int4 matvecs share one type). */
static flm_matvec_q8_s16_fn matvec_fn(const flm_kernel_variant_t *v)
{
    return v->op == FLM_KOP_MATVEC_Q4_S16 ? v->fn.matvec_q4_s16 : v->fn.matvec_q8_s16;
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

/* One choice per matvec op, NULL until resolved. Relaxed order suffices:
 * the pointer publishes no data, only code, and racing resolvers store the
 * same value. */
static _Atomic(flm_matvec_q8_s16_fn) matvec_sel[2]; /* [0] int8, [1] int4 */

static _Atomic(flm_matvec_q8_s16_fn) *slot_of(flm_kernel_op_t op)
{
    if (op == FLM_KOP_MATVEC_Q8_S16 && FLM_KERNELS_RUNTIME_MATVEC_Q8_S16)
        return &matvec_sel[0];
    if (op == FLM_KOP_MATVEC_Q4_S16 && FLM_KERNELS_RUNTIME_MATVEC_Q4_S16)
        return &matvec_sel[1];
    return NULL;
}

static void resolve(flm_kernel_op_t op)
{
    flm_matvec_q8_s16_fn none = NULL;
    atomic_compare_exchange_strong_explicit(slot_of(op), &none, matvec_fn(best_of(op)), memory_order_relaxed,
                                            memory_order_relaxed);
}

void flm_kernels_init(void)
{
    if (slot_of(FLM_KOP_MATVEC_Q8_S16))
        resolve(FLM_KOP_MATVEC_Q8_S16);
    if (slot_of(FLM_KOP_MATVEC_Q4_S16))
        resolve(FLM_KOP_MATVEC_Q4_S16);
}

static flm_matvec_q8_s16_fn chosen(flm_kernel_op_t op)
{
    flm_matvec_q8_s16_fn f = atomic_load_explicit(slot_of(op), memory_order_relaxed);
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
    return chosen(FLM_KOP_MATVEC_Q8_S16)(w, x, x_shift, out, out_shift);
}
#endif

#if FLM_KERNELS_RUNTIME_MATVEC_Q4_S16
flm_err_t flm_matvec_q4_s16_dispatch(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                     int32_t *out, int32_t out_shift)
{
    return chosen(FLM_KOP_MATVEC_Q4_S16)(w, x, x_shift, out, out_shift);
}
#endif

/* What the public name of a matvec op calls now. */
static flm_matvec_q8_s16_fn public_matvec(flm_kernel_op_t op)
{
#if RUNTIME_CHOICE
    if (slot_of(op))
        return chosen(op);
#endif
    return op == FLM_KOP_MATVEC_Q4_S16 ? flm_matvec_q4_s16 : flm_matvec_q8_s16;
}

const flm_kernel_variant_t *flm_kernel_selected(flm_kernel_op_t op)
{
    flm_kernels_init();
    for (size_t i = 0; i < NVARIANTS; i++) {
        const flm_kernel_variant_t *v = &variants[i];
        if (v->op != op)
            continue;
        if (op == FLM_KOP_ATTENTION_HEAD_Q ? v->fn.attention_head_q == flm_attention_head_q
                                           : matvec_fn(v) == public_matvec(op))
            return v;
    }
    return NULL;
}

flm_err_t flm_kernels_use(const char *name)
{
    if (!name) {
#if RUNTIME_CHOICE
        for (int op = 0; op < FLM_KOP_COUNT; op++) {
            _Atomic(flm_matvec_q8_s16_fn) *s = slot_of((flm_kernel_op_t)op);
            if (s)
                atomic_store_explicit(s, matvec_fn(best_of((flm_kernel_op_t)op)), memory_order_relaxed);
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
    _Atomic(flm_matvec_q8_s16_fn) *s = slot_of(v->op);
    if (s) {
        atomic_store_explicit(s, matvec_fn(v), memory_order_relaxed);
        return FLM_OK;
    }
#endif
    return flm_kernel_selected(v->op) == v ? FLM_OK : FLM_ERR_UNSUPPORTED;
}
