/* flm_matvec_q8_s16 (and the n-position flm_matmat_q8_s16) with plain NEON
 * (AArch64, ARMv7-A): int8 weights widened to int16 and 16 x 16 -> 32-bit
 * MACs (smlal), four rows at a time, each x loaded once for the four
 * (arm/neon_q8.h says why the bits are the _ref's). On ARMv7-A the file is
 * built for fpu=neon and runs only where the CPU has NEON
 * (kernels_select.h, variants.c). Empty elsewhere. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_NEON
#if !defined(__aarch64__) && !defined(__ARM_NEON)
#pragma GCC target("fpu=neon")
#endif
#include "core/kernels/arm/neon_q8.h"

flm_err_t flm_matvec_q8_s16_neon(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift)
{
    return flm_neon_matvec_q8_with(flm_sums4_q8_s16_neon, flm_dot_q8_s16_neon, w, x, x_shift,
                                   out, out_shift);
}

flm_err_t flm_matmat_q8_s16_neon(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                 size_t x_stride, const int32_t *x_shift, int32_t *out,
                                 size_t out_stride, int32_t out_shift)
{
    return flm_neon_matmat_q8_with(flm_sums4_q8_s16_neon, flm_dot_q8_s16_neon, w, n, x, x_stride,
                                   x_shift, out, out_stride, out_shift);
}
#endif
