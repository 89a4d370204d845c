/* RMSNorm with an integer inverse square root. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

flm_err_t flm_rmsnorm_s32_ref(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                              int32_t *out)
{
    if (!x || !w || !w->v || !out || w->n == 0 || w->n > FLM_KERNEL_MAX_COLS ||
        w->shift < 0 || w->shift > 62)
        return FLM_ERR_ARG;
    const uint32_t n = w->n;
    uint32_t amax = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = flm_abs32(x[i]);
        if (a > amax)
            amax = a;
    }
    /* Drop k bits so each square <= 2^46 and the sum of n <= 2^16 < 2^63
     * (k <= 9: the rounding of an int32 in 32-bit arithmetic). */
    uint32_t bits = amax ? 32 - flm_clz32(amax) : 0;
    uint32_t k = bits > 23 ? bits - 23 : 0;
    uint64_t ss = 0;
    if (k == 0) {
        for (uint32_t i = 0; i < n; i++)
            ss += (uint64_t)((int64_t)x[i] * x[i]);
    } else {
        for (uint32_t i = 0; i < n; i++) { /* k = 1 means |x| < 2^24 */
            int32_t v = flm_round_shr32_nz(x[i], k);
            ss += (uint64_t)((int64_t)v * v);
        }
    }
    /* mean square + eps, in units of 2^(2k - 32) (x is Q16, x^2 Q32) */
    uint64_t ms = flm_udiv64_by32(ss, n) + (eps_q32 >> (2 * k)); /* ss / n without a 64-bit division */
    if (ms == 0)
        ms = 1;
    /* Normalise to [2^60, 2^62) by an even shift 2j (ms < 2^47, so 2j > 0)
     * so that its square root lands in [2^30, 2^31). */
    int32_t b = (int32_t)flm_bitlen64(ms);
    int32_t two_j = (61 - b) % 2 == 0 ? 61 - b : 62 - b;
    uint64_t v = ms << two_j;
    uint64_t root = flm_isqrt_u64(v);
    /* 1/rms = m * 2^-e, m = 2^60 / root in (2^29, 2^30], e = 44 + k - j (>= 14) */
    int64_t m = flm_udiv64_32(((uint64_t)1 << 60) + root / 2, (uint32_t)root); /* root >= 2^30 */
    uint32_t e = (uint32_t)(44 + (int32_t)k - two_j / 2);
    /* the two roundings of flm_round_shr64 / flm_rescale_sat32 (shift >= 0)
     * with their halves hoisted: |x m| < 2^61, |xn w| < 2^55 */
    const int32_t m32 = (int32_t)m; /* <= 2^30 */
    const uint32_t ws = (uint32_t)w->shift;
    const uint64_t half_e = (uint64_t)1 << (e - 1), half_w = (uint64_t)1 << ws >> 1;
    for (uint32_t i = 0; i < n; i++) {
        int32_t xn = (int32_t)flm_round_shr64_half((int64_t)x[i] * m32, half_e, e); /* Q16, |xn| <= 2^24 */
        out[i] = flm_sat32(flm_round_shr64_half((int64_t)xn * w->v[i], half_w, ws));
    }
    return FLM_OK;
}
