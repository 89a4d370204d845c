/* Softmax, log-sum-exp and entropy over int32 scores, in fixed point.
 * Each computes exp once per element. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

static flm_err_t check(const int32_t *x, uint32_t n, int32_t shift)
{
    /* n <= 2^18 keeps the entropy's int64 sum exact */
    if (!x || n == 0 || n > (1u << 18) || shift < 0 || shift > 62)
        return FLM_ERR_ARG;
    return FLM_OK;
}

static int32_t max_of(const int32_t *x, uint32_t n)
{
    int32_t m = x[0];
    for (uint32_t i = 1; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

/* x - max as Q15.16 (<= 0, saturated): the argument of flm_exp_q16. */
static int32_t diff_q16(int32_t x, int32_t max, int32_t shift)
{
    /* scores already in Q16 (attention's): only the saturation, no 64-bit
     * shifts (x - max is in [-(2^32 - 1), 0]) */
    if (shift == FLM_LOG_SHIFT) {
        int64_t d = (int64_t)x - max;
        return d < INT32_MIN ? INT32_MIN : (int32_t)d;
    }
    return flm_rescale_sat32((int64_t)x - max, shift - FLM_LOG_SHIFT);
}

flm_err_t flm_softmax_q_ref(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p)
{
    flm_err_t err = check(x, n, shift);
    if (err || !p)
        return err ? err : FLM_ERR_ARG;
    int32_t max = max_of(x, n);
    uint64_t sum = 0;
    if (shift == FLM_LOG_SHIFT) {
        /* diff_q16 of Q16 scores in 32 bits: max - x is in [0, 2^32 - 1]
         * exactly as an unsigned difference, saturated at 2^31 */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t ud = (uint32_t)max - (uint32_t)x[i];
            uint32_t e = flm_exp_q16(ud >= 0x80000000u ? INT32_MIN : -(int32_t)ud);
            p[i] = e;
            sum += e;
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t e = flm_exp_q16(diff_q16(x[i], max, shift)); /* reads x[i] before p[i] */
            p[i] = e;
            sum += e;
        }
    }
    /* One reciprocal, 2^62 / sum in (2^32 / n, 2^32]; p = e * inv / 2^32.
     * sum > 0: check() refused n == 0, and the maximum's own term is
     * exp(0) = 2^16 (cppcheck assumes the loop may not run). */
    // cppcheck-suppress zerodiv
    uint64_t inv = (((uint64_t)1 << 62) + sum / 2) / sum;
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint32_t)(((uint64_t)p[i] * inv + ((uint64_t)1 << 31)) >> 32);
    return FLM_OK;
}

flm_err_t flm_logsumexp_q_ref(const int32_t *x, uint32_t n, int32_t shift, int32_t *lse)
{
    return flm_entropy_q_ref(x, n, shift, NULL, lse);
}

flm_err_t flm_entropy_q_ref(const int32_t *x, uint32_t n, int32_t shift, int32_t *entropy,
                            int32_t *lse)
{
    flm_err_t err = check(x, n, shift);
    if (err)
        return err;
    int32_t max = max_of(x, n);
    /* One pass: sum e_i = exp(d_i) (Q30) with d_i = x_i - max <= 0 (Q16),
     * and, for the entropy, e_i * d_i (Q46) reduced by 2^16 into an int64. */
    uint64_t sum = 0;
    int64_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t d = diff_q16(x[i], max, shift);
        uint32_t e = flm_exp_q16(d);
        sum += e;
        if (entropy)
            acc += flm_round_shr64((int64_t)e * d, 16);
    }
    /* ln sum_j exp(x[j]) = max + ln(sum_j exp(x[j] - max)) */
    int32_t ln_sum = flm_ln_q16(sum, 30);
    if (lse)
        *lse = flm_sat32((int64_t)flm_rescale_sat32(max, shift - FLM_LOG_SHIFT) + ln_sum);
    if (entropy) {
        /* H = ln(sum) - sum_i p_i d_i; acc / sum is the mean of d (Q30 / Q30,
         * to Q16 via 2^16) */
        int64_t mean = -(int64_t)(((uint64_t)(-acc) * 65536u + sum / 2) / sum);
        *entropy = flm_sat32((int64_t)ln_sum - mean);
    }
    return FLM_OK;
}
