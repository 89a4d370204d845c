/* flm_matvec_q8_s16 with the MVE (Helium) dot product (Cortex-M55): the
 * reference's body (matvec_q8_impl.h) over flm_dot_q8_s16_mve, so the same
 * exact group sums in a different order. Empty off MVE targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_MVE
#include "core/kernels/arm/dot_mve.h"
#include "core/kernels/priv/matvec_q8_impl.h"

flm_err_t flm_matvec_q8_s16_mve(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    return flm_matvec_q8_s16_with(flm_dot_q8_s16_mve, w, x, x_shift, out, out_shift);
}
#endif
