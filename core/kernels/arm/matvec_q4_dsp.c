/* flm_matvec_q4_s16 with the ARM DSP int4 dot product (Cortex-M4/M7,
 * ARMv7-A): the reference's body (matvec_q4_impl.h) over
 * flm_dot_q4_s16_dsp, so the same exact group sums in a different order.
 * Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/matvec_q4_impl.h"

flm_err_t flm_matvec_q4_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    return flm_matvec_q4_s16_with(flm_dot_q4_s16_dsp, w, x, x_shift, out, out_shift);
}
#endif
