/* Elementary fixed-point functions against libm, with explicit error bounds. */
#include <math.h>
#include <stdint.h>

#define PI 3.14159265358979323846

#include "core/kernels/kernels.h"
#include "core/kernels/priv/attention_impl.h"
#include "core/kernels/priv/fixed.h"
#include "tests/harness/harness.h"

FLM_TEST(kernels_tables_match_libm)
{
    for (int i = 0; i < 256; i++)
        FLM_CHECK_EQ(flm_exp2_tab[i], llround(pow(2.0, i / 256.0) * 1073741824.0));
    for (int i = 0; i < 64; i++)
        FLM_CHECK_EQ(flm_ln1p_tab[i], llround(log(1.0 + i / 64.0) * 1073741824.0));
    for (int i = 0; i <= 64; i++)
        FLM_CHECK_EQ(flm_sin_tab[i], llround(sin(2 * PI * i / 256.0) * 1073741824.0));
    FLM_CHECK_EQ(FLM_LN2_Q30, llround(log(2.0) * 1073741824.0));
    FLM_CHECK_EQ(FLM_LOG2E_Q30, llround(1.0 / log(2.0) * 1073741824.0));
    FLM_CHECK_EQ(FLM_2PI_Q28, llround(2 * PI * 268435456.0));
}

FLM_TEST(kernels_shift_helpers_round_half_up)
{
    FLM_CHECK_EQ(flm_round_shr64(3, 1), 2);   /* 1.5 -> 2 */
    FLM_CHECK_EQ(flm_round_shr64(-3, 1), -1); /* -1.5 -> -1 */
    FLM_CHECK_EQ(flm_round_shr64(-5, 2), -1); /* -1.25 -> -1 */
    FLM_CHECK_EQ(flm_round_shr64(INT64_MAX, 1), INT64_C(1) << 62);
    FLM_CHECK_EQ(flm_round_shr64(INT64_MIN, 63), -1);
    FLM_CHECK_EQ(flm_floor_shr64(-1, 5), -1);
    FLM_CHECK_EQ(flm_rescale_sat32(INT64_MAX, 0), INT32_MAX);
    FLM_CHECK_EQ(flm_rescale_sat32(-3, -2), -12);
    FLM_CHECK_EQ(flm_rescale_sat32(1 << 29, -2), INT32_MAX);
    FLM_CHECK_EQ(flm_rescale_sat32(-(1 << 29), -2), INT32_MIN);
    FLM_CHECK_EQ(flm_rescale_sat32(-1, -40), INT32_MIN);
    uint32_t r = 12345;
    for (int i = 0; i < 100000; i++) {
        r = r * 1664525u + 1013904223u;
        int32_t v = (int32_t)r;
        uint32_t sh = (r >> 7) % 32u;
        FLM_CHECK_EQ(flm_round_shr32(v, sh), flm_round_shr64(v, sh));
    }
    r = 4242;
    for (int i = 0; i < 100000; i++) {
        int32_t v = (int32_t)flm_test_xorshift32(&r);
        uint32_t sh = flm_test_xorshift32(&r) % 31u + 1u;
        if (sh > 1 || v != INT32_MAX)
            FLM_CHECK_EQ(flm_round_shr32_nz(v, sh), flm_round_shr32(v, sh));
    }
    for (uint32_t sh = 1; sh < 32; sh++) {
        FLM_CHECK_EQ(flm_round_shr32_nz(INT32_MIN, sh), flm_round_shr32(INT32_MIN, sh));
        FLM_CHECK_EQ(flm_round_shr32_nz(INT32_MAX - 1, sh), flm_round_shr32(INT32_MAX - 1, sh));
        FLM_CHECK_EQ(flm_round_shr32_nz(-1, sh), flm_round_shr32(-1, sh));
    }
    FLM_CHECK_EQ(flm_round_shr32(INT32_MIN, 31), -1);
    FLM_CHECK_EQ(flm_round_shr32(INT32_MAX, 31), 1);
    FLM_CHECK_EQ(flm_bitlen64(0), 0);
    FLM_CHECK_EQ(flm_bitlen64(UINT64_MAX), 64);
    FLM_CHECK_EQ(flm_bitlen64(1u << 20), 21);
}

FLM_TEST(kernels_isqrt_exact)
{
    uint64_t v = 1;
    for (int i = 0; i < 2000; i++) {
        uint64_t r = flm_isqrt_u64(v);
        FLM_CHECK(r * r <= v);
        FLM_CHECK((r + 1) * (r + 1) > v || r == UINT32_MAX);
        v = v * 3 + (uint64_t)i;
        if (v >> 63)
            v >>= 7;
    }
    FLM_CHECK_EQ(flm_isqrt_u64(0), 0);
    FLM_CHECK_EQ(flm_isqrt_u64(UINT64_MAX), UINT32_MAX);
}

/* The 64-bit library calls' replacements give the C operators' bits. */
FLM_TEST(kernels_udiv64_and_round_half_match)
{
    uint32_t r = 777;
    for (int i = 0; i < 100000; i++) {
        uint32_t d = flm_test_xorshift32(&r) >> (flm_test_xorshift32(&r) % 32u);
        if (d == 0)
            d = 1;
        uint64_t n = (uint64_t)flm_test_xorshift32(&r) << 32 | flm_test_xorshift32(&r);
        n >>= flm_test_xorshift32(&r) % 64u;
        FLM_CHECK_EQ(flm_udiv64_by32(n, d), n / d);
        uint64_t n32 = (uint64_t)(uint32_t)(n >> 32) % d << 32 | (uint32_t)n; /* n >> 32 < d */
        FLM_CHECK_EQ(flm_udiv64_32(n32, d), n32 / d);
        int64_t v = (int64_t)(n >> 2) * (i % 2 ? -1 : 1); /* |v| < 2^62 */
        uint32_t s = flm_test_xorshift32(&r) % 64u;
        FLM_CHECK_EQ(flm_round_shr64_half(v, (uint64_t)1 << s >> 1, s), flm_round_shr64(v, s));
    }
    FLM_CHECK_EQ(flm_udiv64_32(UINT64_MAX >> 1, UINT32_MAX), (UINT64_MAX >> 1) / UINT32_MAX);
    FLM_CHECK_EQ(flm_udiv64_32(((uint64_t)1 << 60) + (1u << 29), 1u << 30), (1u << 30) + 0);
    FLM_CHECK_EQ(flm_udiv64_by32(UINT64_MAX, 1), UINT64_MAX);
    FLM_CHECK_EQ(flm_udiv64_by32(UINT64_MAX, 3), UINT64_MAX / 3);
}

/* The attention's 1 / sqrt(head_dim) shortcut for powers of two. */
FLM_TEST(kernels_attention_inv_sqrt)
{
    for (uint32_t hd = 1; hd <= FLM_KERNEL_MAX_HEAD; hd++)
        FLM_CHECK_EQ(flm_attention_inv_sqrt(hd), flm_isqrt_u64(((uint64_t)1 << 60) / hd));
    for (uint32_t b = 0; b < 32; b++)
        FLM_CHECK_EQ(flm_attention_inv_sqrt(1u << b), flm_isqrt_u64(((uint64_t)1 << 60) >> b));
}

FLM_TEST(kernels_exp_vs_libm)
{
    double worst = 0;
    for (int32_t x = 0; x > -30 * 65536; x -= 977) {
        double want = exp(x / 65536.0) * 1073741824.0;
        double err = fabs((double)flm_exp_q16(x) - want);
        double rel = err / (want > 1 ? want : 1);
        if (err > 1.0 && rel > worst)
            worst = rel;
    }
    FLM_CHECK_MSG(worst < 4e-9, "exp relative error %g", worst); /* < 2^-28 */
    FLM_CHECK_EQ(flm_exp_q16(0), 1u << 30);
    FLM_CHECK_EQ(flm_exp_q16(12345), 1u << 30); /* positive: clamped */
    FLM_CHECK_EQ(flm_exp_q16(INT32_MIN), 0);
    FLM_CHECK(flm_exp_q16(-1) <= 1u << 30);
}

FLM_TEST(kernels_ln_vs_libm)
{
    double worst = 0;
    uint64_t v = 1;
    for (int i = 0; i < 3000; i++) {
        for (int32_t f = -8; f <= 60; f += 17) {
            double want = log((double)v) - f * log(2.0);
            double err = fabs(flm_ln_q16(v, f) / 65536.0 - want);
            if (err > worst)
                worst = err;
        }
        v = v + v / 7 + 1;
        if (v >> 62)
            v >>= 40;
    }
    FLM_CHECK_MSG(worst <= 1.0 / 65536 + 1e-9, "ln abs error %g", worst);
    FLM_CHECK_EQ(flm_ln_q16(0, 0), INT32_MIN);
    FLM_CHECK_EQ(flm_ln_q16(1, 0), 0);
    FLM_CHECK_EQ(flm_ln_q16(1u << 30, 30), 0);
    FLM_CHECK_EQ(flm_ln_q16(1, INT32_MAX), INT32_MIN); /* saturates */
}

FLM_TEST(kernels_sincos_vs_libm)
{
    double worst = 0;
    for (uint64_t t = 0; t < (UINT64_C(1) << 32); t += 104729 * 13) {
        int32_t s, c;
        flm_sincos_q30((uint32_t)t, &s, &c);
        double a = 2 * PI * (double)t / 4294967296.0;
        double es = fabs(s / 1073741824.0 - sin(a)), ec = fabs(c / 1073741824.0 - cos(a));
        if (es > worst) worst = es;
        if (ec > worst) worst = ec;
    }
    FLM_CHECK_MSG(worst < 1.0 / (1 << 26), "sincos error %g", worst);
    int32_t s, c;
    flm_sincos_q30(0, &s, &c);
    FLM_CHECK_EQ(s, 0);
    FLM_CHECK_EQ(c, 1 << 30);
    flm_sincos_q30(1u << 30, &s, &c); /* quarter turn */
    FLM_CHECK_EQ(s, 1 << 30);
    FLM_CHECK_EQ(c, 0);
}
