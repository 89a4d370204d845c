/* Kernels against float references on random inputs, with explicit error
 * bounds, plus edge cases (zeros, saturation, bad arguments). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "tests/harness/harness.h"

#define Q16 65536.0
#define Q30 1073741824.0

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* uniform in [-a, a] */
static double urand(double a)
{
    return a * (2.0 * rnd() / 4294967295.0 - 1.0);
}

static int32_t to_q16(double v)
{
    return (int32_t)llround(v * Q16);
}

FLM_TEST(kernels_softmax_vs_float)
{
    static int32_t x[300];
    static uint32_t p[300];
    static double fp[300];
    for (int trial = 0; trial < 20; trial++) {
        uint32_t n = 1 + rnd() % 300;
        int32_t shift = (int32_t)(rnd() % 25);
        double amp = trial < 10 ? 4.0 : 40.0, max = -1e30, sum = 0;
        for (uint32_t i = 0; i < n; i++) {
            x[i] = (int32_t)llround(urand(amp) * (double)(1 << shift));
            if (x[i] > max) max = x[i];
        }
        for (uint32_t i = 0; i < n; i++)
            sum += fp[i] = exp((x[i] - max) / (double)(1 << shift));
        FLM_CHECK_EQ(flm_softmax_q(x, n, shift, p), FLM_OK);
        double total = 0, worst = 0;
        for (uint32_t i = 0; i < n; i++) {
            double err = fabs(p[i] / Q30 - fp[i] / sum);
            if (err > worst) worst = err;
            total += p[i];
        }
        /* differences rounded to Q16 (2^-17 relative), then 2^-30 steps */
        FLM_CHECK_MSG(worst < 2e-5, "softmax error %g (n %u shift %d)", worst, n, shift);
        FLM_CHECK(fabs(total - Q30) <= n);

        int32_t lse, ent;
        FLM_CHECK_EQ(flm_entropy_q(x, n, shift, &ent, &lse), FLM_OK);
        double flse = max / (double)(1 << shift) + log(sum), fent = 0;
        for (uint32_t i = 0; i < n; i++)
            if (fp[i] > 0)
                fent -= fp[i] / sum * log(fp[i] / sum);
        FLM_CHECK_MSG(fabs(lse / Q16 - flse) < 1e-4, "lse %g vs %g", lse / Q16, flse);
        FLM_CHECK_MSG(fabs(ent / Q16 - fent) < 1e-4, "entropy %g vs %g", ent / Q16, fent);
        int32_t lse2;
        FLM_CHECK_EQ(flm_logsumexp_q(x, n, shift, &lse2), FLM_OK);
        FLM_CHECK_EQ(lse2, lse);
    }
}

FLM_TEST(kernels_softmax_edges)
{
    int32_t x[4] = { INT32_MIN, INT32_MAX, INT32_MAX, INT32_MIN };
    uint32_t p[4];
    FLM_CHECK_EQ(flm_softmax_q(x, 4, 0, p), FLM_OK);
    FLM_CHECK_EQ(p[0], 0);
    FLM_CHECK_EQ(p[1], 1u << 29);
    FLM_CHECK_EQ(p[2], 1u << 29);
    int32_t one = 5;
    FLM_CHECK_EQ(flm_softmax_q(&one, 1, 16, p), FLM_OK);
    FLM_CHECK_EQ(p[0], 1u << 30);
    int32_t ent = -1;
    FLM_CHECK_EQ(flm_entropy_q(&one, 1, 16, &ent, NULL), FLM_OK);
    FLM_CHECK_EQ(ent, 0);
    /* in place */
    int32_t y[3] = { 0, 0, 0 };
    FLM_CHECK_EQ(flm_softmax_q(y, 3, 16, (uint32_t *)y), FLM_OK);
    FLM_CHECK(((uint32_t *)y)[0] == 357913941u || ((uint32_t *)y)[0] == 357913942u);
    FLM_CHECK_EQ(flm_softmax_q(x, 0, 16, p), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_softmax_q(x, 4, 63, p), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_softmax_q(NULL, 4, 16, p), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_logsumexp_q(x, 4, -1, &ent), FLM_ERR_ARG);
}

FLM_TEST(kernels_quantize)
{
    static int32_t x[200];
    static int16_t q[200];
    static int8_t q8[200];
    for (int trial = 0; trial < 20; trial++) {
        double amp = pow(10.0, (int)(rnd() % 9) - 4.0);
        uint32_t n = 1 + rnd() % 200;
        double amax = 0;
        for (uint32_t i = 0; i < n; i++) {
            x[i] = to_q16(urand(amp));
            if (fabs(x[i] / Q16) > amax) amax = fabs(x[i] / Q16);
        }
        int32_t sh;
        FLM_CHECK_EQ(flm_quantize_s16(x, n, 16, q, &sh), FLM_OK);
        uint16_t code;
        FLM_CHECK_EQ(flm_quantize_s8(x, n, q8, &code), FLM_OK);
        double step = flm_kv_scale(code) / 16777216.0;
        for (uint32_t i = 0; i < n; i++) {
            double v = x[i] / Q16;
            double e16 = fabs(ldexp(q[i], -sh) - v);
            FLM_CHECK_MSG(e16 <= amax / 32767.0 + 1e-12, "s16 error %g of %g", e16, amax);
            double e8 = fabs(q8[i] * step - v);
            /* half a step, plus 127 times the step's own rounding: 2^-12
             * relative (11 significant bits) or 2^-25 absolute (Q24) */
            FLM_CHECK_MSG(e8 <= amax / 254.0 * (1 + 1.0 / 2048) + 127 / 33554432.0,
                          "s8 error %g of %g", e8, amax);
            FLM_CHECK(q[i] >= -32767 && q8[i] >= -127);
        }
    }
    int32_t big[3] = { INT32_MIN, INT32_MAX, 0 }, sh;
    FLM_CHECK_EQ(flm_quantize_s16(big, 3, 16, q, &sh), FLM_OK);
    FLM_CHECK_EQ(q[0], -16384); /* |INT32_MIN| needs k = 17 */
    FLM_CHECK_EQ(q[1], 16384);
    FLM_CHECK_EQ(sh, -1);
    uint16_t code;
    FLM_CHECK_EQ(flm_quantize_s8(big, 3, q8, &code), FLM_OK);
    FLM_CHECK_EQ(q8[0], -127);
    FLM_CHECK_EQ(q8[1], 127);
    FLM_CHECK_EQ(code, 20u << 11 | 2047u); /* capped */
    FLM_CHECK_EQ(flm_kv_scale(code), 2047 << 20);
    FLM_CHECK_EQ(flm_kv_scale(0xFFFF), 2047 << 20); /* any code decodes into an int32 */
    FLM_CHECK_EQ(flm_kv_scale(3u << 11 | 5u), 40);
    int32_t zero[4] = { 0 };
    FLM_CHECK_EQ(flm_quantize_s8(zero, 4, q8, &code), FLM_OK);
    FLM_CHECK_EQ(code, 0);
    FLM_CHECK_EQ(q8[3], 0);
    FLM_CHECK_EQ(flm_quantize_s16(zero, 4, 16, q, &sh), FLM_OK);
    FLM_CHECK_EQ(sh, 16);
}

/* A random group-quantized matrix in test-owned storage. */
typedef struct {
    int8_t q[96 * 200];
    int32_t s[96 * 200];
    double w[96 * 200];
    flm_qmat_t m;
} test_mat_t;

static void make_mat(test_mat_t *t, uint32_t rows, uint32_t cols, uint32_t gs)
{
    uint32_t ng = (cols + gs - 1) / gs;
    t->m = (flm_qmat_t){ t->q, t->s, rows, cols, gs, ng, 30, 8 };
    for (uint32_t i = 0; i < rows * ng; i++)
        t->s[i] = (int32_t)(rnd() % (1u << 23)) - (1 << 22);
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++) {
            int8_t q = (int8_t)(rnd() & 0xFF);
            t->q[r * cols + c] = q;
            t->w[r * cols + c] = q * (double)t->s[r * ng + c / gs] / Q30;
        }
}

FLM_TEST(kernels_matvec_vs_float)
{
    static test_mat_t t;
    static int32_t x[600], out[96];
    static int16_t xq[600];
    static const uint32_t shapes[][3] = { { 64, 64, 32 }, { 96, 172, 32 }, { 5, 200, 64 },
                                          { 7, 37, 8 }, { 3, 200, 200 }, { 1, 1, 1 },
                                          { 4, 600, 600 }, { 5, 600, 300 } }; /* long groups */
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        uint32_t rows = shapes[k][0], cols = shapes[k][1], gs = shapes[k][2];
        make_mat(&t, rows, cols, gs);
        FLM_CHECK_EQ(flm_qmat_check(&t.m, rows, cols), FLM_OK);
        for (uint32_t c = 0; c < cols; c++)
            x[c] = to_q16(urand(3.0));
        int32_t sh;
        FLM_CHECK_EQ(flm_quantize_s16(x, cols, 16, xq, &sh), FLM_OK);
        FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, sh, out, 16), FLM_OK);
        for (uint32_t r = 0; r < rows; r++) {
            double want = 0, exact = 0, mag = 0;
            for (uint32_t c = 0; c < cols; c++) {
                want += t.w[r * cols + c] * (x[c] / Q16);
                exact += t.w[r * cols + c] * ldexp(xq[c], -sh);
                mag += fabs(t.w[r * cols + c]);
            }
            /* the int path is exact up to one final rounding */
            FLM_CHECK_MSG(fabs(out[r] / Q16 - exact) <= 0.5 / Q16 + 1e-12, "row %u", r);
            /* input quantization: at most half an int16 step per column */
            FLM_CHECK(fabs(out[r] / Q16 - want) <= mag * 3.0 / 32767 + 1.0 / Q16);
        }
    }
    /* extremes: -128 weights, the largest scales the contract allows
     * (|s| < FLM_QMAT_SCALE_LIMIT), max inputs, one group of 600 (more than
     * int32 holds): exact, no overflow */
    make_mat(&t, 2, 600, 600);
    for (uint32_t c = 0; c < 1200; c++)
        t.q[c] = -128;
    t.s[0] = FLM_QMAT_SCALE_LIMIT - 1;
    t.s[1] = -(FLM_QMAT_SCALE_LIMIT - 1);
    FLM_CHECK_EQ(flm_qmat_check(&t.m, 2, 600), FLM_OK);
    for (uint32_t c = 0; c < 600; c++)
        xq[c] = -32768;
    FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, 0, out, 10), FLM_OK);
    FLM_CHECK_EQ(out[0], INT32_MAX);
    FLM_CHECK_EQ(out[1], INT32_MIN);
    /* 600 * 2^22 * (2^23 - 1) / 2^26 = +-314572762.5, rounded half up */
    FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, 0, out, 4), FLM_OK);
    FLM_CHECK_EQ(out[0], 314572763);
    FLM_CHECK_EQ(out[1], -314572762);
    make_mat(&t, 2, 200, 200);
    /* scales at the limit are refused once, by flm_qmat_check (the matvec
     * itself trusts its caller); bad shapes are errors everywhere */
    t.s[0] = FLM_QMAT_SCALE_LIMIT;
    FLM_CHECK_EQ(flm_qmat_check(&t.m, 2, 200), FLM_ERR_ARG);
    t.s[0] = -FLM_QMAT_SCALE_LIMIT;
    FLM_CHECK_EQ(flm_qmat_check(&t.m, 2, 200), FLM_ERR_ARG);
    t.s[0] = 1;
    FLM_CHECK_EQ(flm_qmat_check(&t.m, 2, 201), FLM_ERR_ARG);
    t.m.ngroups = 2;
    FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, 0, out, 0), FLM_ERR_ARG);
    t.m.gs = 0;
    FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, 0, out, 0), FLM_ERR_ARG);
}

FLM_TEST(kernels_dequant_row)
{
    static test_mat_t t;
    static int32_t out[37];
    make_mat(&t, 7, 37, 8);
    FLM_CHECK_EQ(flm_dequant_row_q8(&t.m, 6, out, 16), FLM_OK);
    for (uint32_t c = 0; c < 37; c++)
        FLM_CHECK(fabs(out[c] / Q16 - t.w[6 * 37 + c]) <= 0.5 / Q16);
    FLM_CHECK_EQ(flm_dequant_row_q8(&t.m, 7, out, 16), FLM_ERR_ARG);
}

/* An int4 matrix (two values a byte, element 2k in the low nibble) with
 * signed scales, and its real values. */
static void make_mat4(test_mat_t *t, uint32_t rows, uint32_t cols, uint32_t gs)
{
    uint32_t ng = (cols + gs - 1) / gs, rb = (cols + 1) / 2;
    t->m = (flm_qmat_t){ t->q, t->s, rows, cols, gs, ng, 30, 4 };
    memset(t->q, 0, (size_t)rows * rb);
    for (uint32_t i = 0; i < rows * ng; i++)
        t->s[i] = (int32_t)(rnd() % (1u << 23)) - (1 << 22);
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++) {
            int v = (int)(rnd() % 16) - 8;
            uint8_t *b = (uint8_t *)&t->q[r * rb + c / 2];
            *b = (uint8_t)(*b | ((unsigned)v & 15u) << (c % 2 ? 4 : 0));
            t->w[r * cols + c] = v * (double)t->s[r * ng + c / gs] / Q30;
        }
}

FLM_TEST(kernels_matvec_q4_vs_float)
{
    static test_mat_t t;
    static int32_t x[600], out[96], row[600];
    static int16_t xq[600];
    static const uint32_t shapes[][3] = { { 64, 64, 32 }, { 96, 172, 32 }, { 5, 200, 64 }, { 7, 37, 8 },
                                          { 3, 199, 199 }, { 1, 1, 1 }, { 4, 600, 600 }, { 5, 600, 300 },
                                          { 6, 33, 2 } };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        uint32_t rows = shapes[k][0], cols = shapes[k][1], gs = shapes[k][2];
        make_mat4(&t, rows, cols, gs);
        FLM_CHECK_EQ(flm_qmat_check(&t.m, rows, cols), FLM_OK);
        for (uint32_t c = 0; c < cols; c++)
            x[c] = to_q16(urand(3.0));
        int32_t sh;
        FLM_CHECK_EQ(flm_quantize_s16(x, cols, 16, xq, &sh), FLM_OK);
        FLM_CHECK_EQ(flm_matvec_q4_s16(&t.m, xq, sh, out, 16), FLM_OK);
        for (uint32_t r = 0; r < rows; r++) {
            double exact = 0;
            for (uint32_t c = 0; c < cols; c++)
                exact += t.w[r * cols + c] * ldexp(xq[c], -sh);
            FLM_CHECK_MSG(fabs(out[r] / Q16 - exact) <= 0.5 / Q16 + 1e-12, "shape %zu row %u", k, r);
        }
        FLM_CHECK_EQ(flm_dequant_row_q4(&t.m, rows - 1, row, 16), FLM_OK);
        for (uint32_t c = 0; c < cols; c++)
            FLM_CHECK(fabs(row[c] / Q16 - t.w[(rows - 1) * cols + c]) <= 0.5 / Q16);
        /* the int8 kernels refuse an int4 matrix, and the other way round */
        FLM_CHECK_EQ(flm_matvec_q8_s16(&t.m, xq, sh, out, 16), FLM_ERR_ARG);
        FLM_CHECK_EQ(flm_dequant_row_q8(&t.m, 0, row, 16), FLM_ERR_ARG);
    }
    /* extremes: -8 everywhere, the largest scales of both signs, a group of
     * 600: exact and saturating */
    make_mat4(&t, 2, 600, 600);
    memset(t.q, 0x88, 600);
    t.s[0] = FLM_QMAT_SCALE_LIMIT - 1;
    t.s[1] = -(FLM_QMAT_SCALE_LIMIT - 1);
    for (uint32_t c = 0; c < 600; c++)
        xq[c] = -32768;
    t.m.scale_shift = 0;
    FLM_CHECK_EQ(flm_matvec_q4_s16(&t.m, xq, 0, out, 0), FLM_OK);
    FLM_CHECK_EQ(out[0], INT32_MAX);
    FLM_CHECK_EQ(out[1], INT32_MIN);
    /* 600 * 2^18 * (2^23 - 1) / 2^22 = +-314572762.5, rounded half up */
    t.m.scale_shift = 22;
    FLM_CHECK_EQ(flm_matvec_q4_s16(&t.m, xq, 0, out, 0), FLM_OK);
    FLM_CHECK_EQ(out[0], 314572763);
    FLM_CHECK_EQ(out[1], -314572762);
    /* odd groups only as the whole row; bad shapes refused */
    make_mat4(&t, 2, 40, 8);
    t.m.gs = 5;
    t.m.ngroups = 8;
    FLM_CHECK_EQ(flm_matvec_q4_s16(&t.m, xq, 0, out, 0), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_qmat_check(&t.m, 2, 40), FLM_ERR_ARG);
    t.m.gs = 8;
    t.m.ngroups = 5;
    t.m.bits = 8;
    FLM_CHECK_EQ(flm_matvec_q4_s16(&t.m, xq, 0, out, 0), FLM_ERR_ARG);
}

FLM_TEST(kernels_rmsnorm_vs_float)
{
    static int32_t x[300], y[300], w[300];
    for (int trial = 0; trial < 30; trial++) {
        uint32_t n = 1 + rnd() % 300;
        double amp = pow(10.0, (int)(rnd() % 7) - 3.0);
        for (uint32_t i = 0; i < n; i++) {
            x[i] = to_q16(urand(amp));
            w[i] = (int32_t)(rnd() % (1u << 24)) - (1 << 23);
        }
        if (trial == 0)
            memset(x, 0, sizeof x);
        if (trial == 1)
            for (uint32_t i = 0; i < n; i++)
                x[i] = i % 2 ? INT32_MIN : INT32_MAX;
        flm_ivec_t wv = { w, n, 22 };
        uint32_t eps = 42950; /* 1e-5 */
        FLM_CHECK_EQ(flm_rmsnorm_s32(x, &wv, eps, y), FLM_OK);
        double ss = 0;
        for (uint32_t i = 0; i < n; i++)
            ss += (x[i] / Q16) * (x[i] / Q16);
        double inv = 1.0 / sqrt(ss / n + eps / 4294967296.0);
        for (uint32_t i = 0; i < n; i++) {
            double want = x[i] / Q16 * inv * (w[i] / 4194304.0);
            double err = fabs(y[i] / Q16 - want);
            FLM_CHECK_MSG(err <= 1e-6 * fabs(want) + 2.0 / Q16, "rmsnorm err %g want %g", err, want);
        }
        /* in place gives the same bits */
        static int32_t z[300];
        memcpy(z, x, n * sizeof *x);
        FLM_CHECK_EQ(flm_rmsnorm_s32(z, &wv, eps, z), FLM_OK);
        FLM_CHECK(memcmp(z, y, n * sizeof *y) == 0);
    }
    flm_ivec_t bad = { w, 0, 22 };
    FLM_CHECK_EQ(flm_rmsnorm_s32(x, &bad, 1, y), FLM_ERR_ARG);
}

FLM_TEST(kernels_rope_vs_float)
{
    static int32_t v[64];
    static double f[64];
    uint32_t freq[4];
    for (int i = 0; i < 4; i++)
        freq[i] = (uint32_t)llround(pow(10000.0, -2.0 * i / 8) / (2 * 3.14159265358979323846) *
                                    4294967296.0);
    for (uint32_t pos = 0; pos < 600; pos += 37) {
        for (int i = 0; i < 64; i++)
            f[i] = (v[i] = to_q16(urand(8.0))) / Q16;
        FLM_CHECK_EQ(flm_rope_s32(v, 64, 8, freq, pos), FLM_OK);
        for (int i = 0; i < 64; i += 2) {
            double a = 2 * 3.14159265358979323846 * (double)(uint32_t)(pos * freq[(i % 8) / 2]) /
                       4294967296.0;
            double w0 = f[i] * cos(a) - f[i + 1] * sin(a), w1 = f[i] * sin(a) + f[i + 1] * cos(a);
            FLM_CHECK(fabs(v[i] / Q16 - w0) <= 1.0 / Q16 && fabs(v[i + 1] / Q16 - w1) <= 1.0 / Q16);
        }
    }
    FLM_CHECK_EQ(flm_rope_s32(v, 63, 8, freq, 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_rope_s32(v, 64, 7, freq, 1), FLM_ERR_ARG);
}

FLM_TEST(kernels_swiglu_vs_float)
{
    static int32_t h1[500], h3[500];
    static double f1[500], f3[500];
    for (int i = 0; i < 500; i++) {
        f1[i] = (h1[i] = to_q16(urand(i < 250 ? 4.0 : 40.0))) / Q16;
        f3[i] = (h3[i] = to_q16(urand(4.0))) / Q16;
    }
    h1[0] = INT32_MIN;
    f1[0] = INT32_MIN / Q16;
    FLM_CHECK_EQ(flm_swiglu_s32(h1, h3, 500), FLM_OK);
    for (int i = 0; i < 500; i++) {
        double want = f1[i] / (1 + exp(-f1[i])) * f3[i];
        /* silu is rounded to Q16 before the product: half an ulp times |h3| */
        FLM_CHECK_MSG(fabs(h1[i] / Q16 - want) <= (1 + 0.5 * fabs(f3[i])) / Q16 + 1e-8 * fabs(want),
                      "swiglu %d: %g vs %g (%g, %g)", i, h1[i] / Q16, want, f1[i], f3[i]);
    }
    FLM_CHECK_EQ(flm_silu_q16(0), 0);
    FLM_CHECK_EQ(flm_silu_q16(INT32_MAX), INT32_MAX);
    FLM_CHECK_EQ(flm_silu_q16(INT32_MIN), 0);
}

FLM_TEST(kernels_attention_vs_float)
{
    enum { HD = 8, KVH = 2, T = 40 };
    static int32_t kf[T][KVH * HD], vf[T][KVH * HD], q[HD], att[T], out[HD];
    static int8_t k8[T][KVH * HD], v8[T][KVH * HD];
    static uint16_t ks[T][KVH], vs[T][KVH];
    static int16_t qs[HD];
    for (int trial = 0; trial < 10; trial++) {
        double amp = trial < 5 ? 1.0 : 6.0;
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < KVH * HD; j++) {
                kf[t][j] = to_q16(urand(amp));
                vf[t][j] = to_q16(urand(amp));
            }
            for (int h = 0; h < KVH; h++) {
                FLM_CHECK_EQ(flm_quantize_s8(&kf[t][h * HD], HD, &k8[t][h * HD], &ks[t][h]), FLM_OK);
                FLM_CHECK_EQ(flm_quantize_s8(&vf[t][h * HD], HD, &v8[t][h * HD], &vs[t][h]), FLM_OK);
            }
        }
        for (int j = 0; j < HD; j++)
            q[j] = to_q16(urand(amp));
        int h = trial % KVH;
        uint32_t npos = 1 + rnd() % T;
        flm_kv_view_t kv = { &k8[0][h * HD], &v8[0][h * HD], &ks[0][h], &vs[0][h], KVH * HD, KVH };
        FLM_CHECK_EQ(flm_attention_head_q(q, HD, &kv, npos, qs, att, out), FLM_OK);
        /* float attention over the original vectors (orig) and over the
         * dequantized cache (deq): the kernel's own arithmetic must match deq
         * tightly; orig differs by the int8 cache error, bounded loosely for
         * moderate scores (sharp scores amplify the key error, see NUMERICS) */
        for (int pass = 0; pass < 2; pass++) {
            double s[T], max = -1e30, sum = 0, want[HD] = { 0 }, vmax = 0;
            for (uint32_t t = 0; t < npos; t++) {
                s[t] = 0;
                for (int j = 0; j < HD; j++) {
                    double kj = pass ? k8[t][h * HD + j] * (double)flm_kv_scale(ks[t][h]) / 16777216.0
                                     : kf[t][h * HD + j] / Q16;
                    s[t] += q[j] / Q16 * kj;
                    vmax = fmax(vmax, fabs(vf[t][h * HD + j] / Q16));
                }
                s[t] /= sqrt(HD);
                max = fmax(max, s[t]);
            }
            for (uint32_t t = 0; t < npos; t++)
                sum += s[t] = exp(s[t] - max);
            for (uint32_t t = 0; t < npos; t++)
                for (int j = 0; j < HD; j++)
                    want[j] += s[t] / sum * (pass ? v8[t][h * HD + j] * (double)flm_kv_scale(vs[t][h]) / 16777216.0
                                                  : vf[t][h * HD + j] / Q16);
            double bound = pass ? vmax * 2e-4 + 2 / Q16 : vmax * 0.03;
            for (int j = 0; j < HD; j++)
                FLM_CHECK_MSG(pass == 0 && amp > 1 ? 1 : fabs(out[j] / Q16 - want[j]) <= bound,
                              "attn pass %d %d: %g vs %g (amp %g)", pass, j, out[j] / Q16, want[j], amp);
        }
    }
    flm_kv_view_t kv = { &k8[0][0], &v8[0][0], &ks[0][0], &vs[0][0], KVH * HD, KVH };
    FLM_CHECK_EQ(flm_attention_head_q(q, HD, &kv, 0, qs, att, out), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_attention_head_q(q, 0, &kv, 1, qs, att, out), FLM_ERR_ARG);
}
