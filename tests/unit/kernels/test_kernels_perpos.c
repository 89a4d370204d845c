/* Every variant of the per-position ops (softmax, SwiGLU, RMSNorm, the two
 * quantizers, RoPE) this build has and this CPU runs gives the same bits
 * and the same error as the op's _ref: ragged lengths (1..70, odd, not
 * multiples of 8), extreme values (INT32_MIN/MAX, zeros, saturation),
 * every softmax shift, RoPE positions up to UINT32_MAX. Inputs sit at the
 * end of their buffers, so a variant that reads one element too far trips
 * AddressSanitizer (`make test SAN=1`). On x86-64 the vector exp and SiLU
 * (core/kernels/x86/) are also compared with flm_exp_q16 and flm_silu_q16
 * over every argument whose exp is not 0, and densely over the rest. */
#include <stdint.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/kernels/variants.h"
#include "tests/harness/harness.h"

static uint32_t rng = 0x2545F491u;

static uint32_t next(void)
{
    return flm_test_xorshift32(&rng);
}

static uint32_t below(uint32_t n)
{
    return next() % n;
}

enum { POOL = 4096 };
static int32_t pool_in[POOL], pool_in2[POOL], pool_want[POOL], pool_got[POOL];

/* An int32 of one of several kinds: any, extreme, small, zero, a random
 * magnitude 2^0..2^31. */
static int32_t rand_val(uint32_t kind)
{
    switch (kind % 5) {
    case 0: return (int32_t)next();
    case 1: {
        static const int32_t ext[] = { INT32_MIN, INT32_MAX, 0, -1, 1, INT32_MIN + 1 };
        return ext[below(6)];
    }
    case 2: return (int32_t)below(201) - 100;
    case 3: return next() & 3u ? (int32_t)next() >> below(32) : 0;
    default: return (int32_t)(next() >> below(32)) * (next() & 1u ? 1 : -1);
    }
}

/* n values at the end of buf, returned */
static int32_t *fill(int32_t *buf, uint32_t n, uint32_t kind)
{
    int32_t *x = buf + POOL - n;
    for (uint32_t i = 0; i < n; i++)
        x[i] = rand_val(kind == 5 ? below(5) : kind);
    return x;
}

/* the variants of op other than its _ref that this CPU runs, and the _ref */
static const flm_kernel_variant_t *variant_at(flm_kernel_op_t op, size_t k,
                                              const flm_kernel_variant_t **ref)
{
    size_t n, seen = 0;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    *ref = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i].op == op && strcmp(v[i].isa, "ref") == 0)
            *ref = &v[i];
    for (size_t i = 0; i < n; i++) {
        if (v[i].op != op || strcmp(v[i].isa, "ref") == 0 || !flm_kernel_variant_available(&v[i]))
            continue;
        if (seen++ == k)
            return &v[i];
    }
    return NULL;
}

#define EACH_VARIANT(op, var, ref)                                                                \
    for (size_t k_ = 0; (var = variant_at(op, k_, &ref)) != NULL; k_++)

/* ---- softmax ------------------------------------------------------------- */

static bool softmax_agrees(const int32_t *x, uint32_t n, int32_t shift, unsigned *compared)
{
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_SOFTMAX_Q, v, ref) {
        /* in place, as the attention head calls it: x copied to the end of both */
        uint32_t *want = (uint32_t *)(void *)(pool_want + POOL - n);
        uint32_t *got = (uint32_t *)(void *)(pool_got + POOL - n);
        memcpy(want, x, (size_t)n * 4);
        memcpy(got, x, (size_t)n * 4);
        flm_err_t ew = ref->fn.softmax_q((const int32_t *)want, n, shift, want);
        flm_err_t eg = v->fn.softmax_q((const int32_t *)got, n, shift, got);
        if (ew != eg || memcmp(want, got, (size_t)n * 4) != 0) {
            uint32_t i = 0;
            while (i < n && want[i] == got[i])
                i++;
            printf("    %s: n %u shift %d: err %d/%d, p[%u] %u, _ref %u\n", v->name, n, shift, eg,
                   ew, i, i < n ? got[i] : 0, i < n ? want[i] : 0);
            return false;
        }
        /* not in place */
        uint32_t *o1 = (uint32_t *)(void *)(pool_want + POOL - n);
        uint32_t *o2 = (uint32_t *)(void *)(pool_got + POOL - n);
        ew = ref->fn.softmax_q(x, n, shift, o1);
        eg = v->fn.softmax_q(x, n, shift, o2);
        if (ew != eg || memcmp(o1, o2, (size_t)n * 4) != 0) {
            printf("    %s: n %u shift %d (out of place) differs\n", v->name, n, shift);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_perpos_softmax)
{
    unsigned compared = 0;
    rng = 0x1B873593u;
    for (uint32_t n = 1; n <= 70; n++)
        for (int32_t shift = 0; shift <= 62; shift++) {
            const int32_t *x = fill(pool_in, n, (uint32_t)(shift + (int32_t)n) % 6);
            FLM_CHECK(softmax_agrees(x, n, shift, &compared));
        }
    /* scores spread within exp's reach at each shift, and long vectors */
    static const uint32_t lens[] = { 100, 255, 256, 257, 1000, 4095, 4096 };
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
        for (int32_t shift = 0; shift <= 62; shift += 1 + (int32_t)below(5)) {
            int32_t *x = pool_in + POOL - lens[l];
            int32_t span = (int32_t)(1u << (shift < 20 ? shift + 4 : 24));
            for (uint32_t i = 0; i < lens[l]; i++)
                x[i] = (int32_t)(next() % (uint32_t)span) - span / 2;
            FLM_CHECK(softmax_agrees(x, lens[l], shift, &compared));
            FLM_CHECK(softmax_agrees(fill(pool_in, lens[l], 5), lens[l], shift, &compared));
        }
    /* one dominant score (sum = 2^30: the reciprocal is 2^32), all equal */
    int32_t *x = pool_in + POOL - 40;
    for (uint32_t i = 0; i < 40; i++)
        x[i] = INT32_MIN;
    x[17] = INT32_MAX;
    FLM_CHECK(softmax_agrees(x, 40, 16, &compared));
    FLM_CHECK(softmax_agrees(x, 40, 0, &compared));
    for (uint32_t i = 0; i < 40; i++)
        x[i] = 12345;
    FLM_CHECK(softmax_agrees(x, 40, 16, &compared));
    /* bad arguments refused alike */
    FLM_CHECK(softmax_agrees(x, 40, -1, &compared));
    FLM_CHECK(softmax_agrees(x, 40, 63, &compared));
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_SOFTMAX_Q, v, ref) {
        uint32_t p[4];
        FLM_CHECK_EQ(v->fn.softmax_q(x, 0, 16, p), ref->fn.softmax_q(x, 0, 16, p));
        FLM_CHECK_EQ(v->fn.softmax_q(NULL, 4, 16, p), ref->fn.softmax_q(NULL, 4, 16, p));
        FLM_CHECK_EQ(v->fn.softmax_q(x, 4, 16, NULL), ref->fn.softmax_q(x, 4, 16, NULL));
    }
    printf("    %u softmax comparisons with the _ref\n", compared);
}

/* ---- SwiGLU -------------------------------------------------------------- */

static bool swiglu_agrees(const int32_t *h1, const int32_t *h3, uint32_t n, unsigned *compared)
{
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_SWIGLU_S32, v, ref) {
        int32_t *want = pool_want + POOL - n, *got = pool_got + POOL - n;
        memcpy(want, h1, (size_t)n * 4);
        memcpy(got, h1, (size_t)n * 4);
        flm_err_t ew = ref->fn.swiglu_s32(want, h3, n), eg = v->fn.swiglu_s32(got, h3, n);
        if (ew != eg || memcmp(want, got, (size_t)n * 4) != 0) {
            uint32_t i = 0;
            while (i < n && want[i] == got[i])
                i++;
            printf("    %s: n %u: h1[%u] = %d, h3 %d: %d, _ref %d\n", v->name, n, i, h1[i], h3[i],
                   got[i], want[i]);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_perpos_swiglu)
{
    unsigned compared = 0;
    rng = 0xCC9E2D51u;
    for (int round = 0; round < 20; round++)
        for (uint32_t n = 1; n <= 70; n++)
            FLM_CHECK(swiglu_agrees(fill(pool_in, n, (uint32_t)round % 6),
                                    fill(pool_in2, n, (uint32_t)(round / 6) % 6), n, &compared));
    /* SiLU itself (h3 = 1.0) at every argument with exp(-|x|) != 0 and
     * beyond, 4000 at a time; then strided over all of int32 */
    int32_t *one = pool_in2 + POOL - 4000;
    for (uint32_t i = 0; i < 4000; i++)
        one[i] = 1 << FLM_ACT_SHIFT;
    int32_t *x = pool_in + POOL - 4000;
    for (int64_t base = -(INT64_C(1) << 22); base < (INT64_C(1) << 22); base += 4000) {
        for (uint32_t i = 0; i < 4000; i++)
            x[i] = (int32_t)(base + i);
        FLM_CHECK(swiglu_agrees(x, one, 4000, &compared));
    }
    for (int64_t base = INT32_MIN; base <= INT32_MAX; base += 4000 * INT64_C(3989)) {
        for (uint32_t i = 0; i < 4000; i++) {
            int64_t t = base + (int64_t)i * 3989;
            x[i] = t > INT32_MAX ? INT32_MAX : (int32_t)t;
        }
        FLM_CHECK(swiglu_agrees(x, one, 4000, &compared));
    }
    /* saturation: large silu times large h3 */
    for (uint32_t i = 0; i < 4000; i++) {
        x[i] = rand_val(1 + 3 * (i % 2));
        one[i] = rand_val(1 + 3 * (i % 3 == 0));
    }
    FLM_CHECK(swiglu_agrees(x, one, 4000, &compared));
    printf("    %u SwiGLU comparisons with the _ref\n", compared);
}

/* ---- RMSNorm ------------------------------------------------------------- */

static bool rmsnorm_agrees(const int32_t *x, const flm_ivec_t *w, uint32_t eps,
                           unsigned *compared)
{
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_RMSNORM_S32, v, ref) {
        uint32_t n = w->v ? w->n : 0;
        int32_t *want = pool_want + POOL - n, *got = pool_got + POOL - n;
        memset(pool_want, 0x55, sizeof pool_want);
        memset(pool_got, 0x55, sizeof pool_got);
        flm_err_t ew = ref->fn.rmsnorm_s32(x, w, eps, want), eg = v->fn.rmsnorm_s32(x, w, eps, got);
        if (ew != eg || memcmp(pool_want, pool_got, sizeof pool_want) != 0) {
            printf("    %s: n %u shift %d eps %u: err %d/%d\n", v->name, w->n, w->shift, eps, eg, ew);
            return false;
        }
        if (ew == FLM_OK) { /* in place */
            memcpy(got, x, (size_t)n * 4);
            eg = v->fn.rmsnorm_s32(got, w, eps, got);
            if (eg != ew || memcmp(want, got, (size_t)n * 4) != 0) {
                printf("    %s: n %u in place differs\n", v->name, n);
                return false;
            }
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_perpos_rmsnorm)
{
    unsigned compared = 0;
    rng = 0xE6546B64u;
    static const uint32_t eps[] = { 0, 1, 42950, UINT32_MAX };
    for (int round = 0; round < 8; round++)
        for (uint32_t n = 1; n <= 70; n++) {
            const int32_t *x = fill(pool_in, n, (uint32_t)(round + (int)n) % 6);
            int32_t *wv = pool_in2 + POOL - n;
            for (uint32_t i = 0; i < n; i++)
                wv[i] = round % 3 == 0 ? rand_val(1) : (int32_t)next() >> below(16);
            flm_ivec_t w = { wv, n, (int32_t)below(63) };
            FLM_CHECK(rmsnorm_agrees(x, &w, eps[below(4)], &compared));
        }
    static const uint32_t lens[] = { 288, 768, 1000, 4096 };
    for (size_t l = 0; l < 4; l++)
        for (int32_t shift = 0; shift <= 62; shift += 7) {
            const int32_t *x = fill(pool_in, lens[l], 5);
            int32_t *wv = pool_in2 + POOL - lens[l];
            for (uint32_t i = 0; i < lens[l]; i++)
                wv[i] = rand_val(5);
            flm_ivec_t w = { wv, lens[l], shift };
            FLM_CHECK(rmsnorm_agrees(x, &w, eps[l], &compared));
        }
    /* zeros, bad arguments */
    int32_t *x = pool_in + POOL - 20, *wv = pool_in2 + POOL - 20;
    for (uint32_t i = 0; i < 20; i++)
        x[i] = 0, wv[i] = 1 << 16;
    flm_ivec_t w = { wv, 20, 16 };
    FLM_CHECK(rmsnorm_agrees(x, &w, 0, &compared));
    FLM_CHECK(rmsnorm_agrees(x, &w, 7, &compared));
    w.shift = 63;
    FLM_CHECK(rmsnorm_agrees(x, &w, 7, &compared));
    w.shift = -1;
    FLM_CHECK(rmsnorm_agrees(x, &w, 7, &compared));
    printf("    %u RMSNorm comparisons with the _ref\n", compared);
}

/* ---- quantizers ---------------------------------------------------------- */

static bool quantize_agrees(const int32_t *x, uint32_t n, int32_t x_shift, unsigned *compared)
{
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_QUANTIZE_S16, v, ref) {
        int16_t *want = (int16_t *)(void *)pool_want, *got = (int16_t *)(void *)pool_got;
        memset(pool_want, 0x55, sizeof pool_want);
        memset(pool_got, 0x55, sizeof pool_got);
        int32_t sw = 7, sg = 7;
        flm_err_t ew = ref->fn.quantize_s16(x, n, x_shift, want + 2 * POOL - n, &sw);
        flm_err_t eg = v->fn.quantize_s16(x, n, x_shift, got + 2 * POOL - n, &sg);
        if (ew != eg || sw != sg || memcmp(pool_want, pool_got, sizeof pool_want) != 0) {
            printf("    %s: n %u x_shift %d: err %d/%d shift %d/%d\n", v->name, n, x_shift, eg, ew,
                   sg, sw);
            return false;
        }
        (*compared)++;
    }
    EACH_VARIANT(FLM_KOP_QUANTIZE_S8, v, ref) {
        int8_t *want = (int8_t *)(void *)pool_want, *got = (int8_t *)(void *)pool_got;
        memset(pool_want, 0x55, sizeof pool_want);
        memset(pool_got, 0x55, sizeof pool_got);
        uint16_t cw = 7, cg = 7;
        flm_err_t ew = ref->fn.quantize_s8(x, n, want + 4 * POOL - n, &cw);
        flm_err_t eg = v->fn.quantize_s8(x, n, got + 4 * POOL - n, &cg);
        if (ew != eg || cw != cg || memcmp(pool_want, pool_got, sizeof pool_want) != 0) {
            printf("    %s: n %u: err %d/%d scale %u/%u\n", v->name, n, eg, ew, cg, cw);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_perpos_quantize)
{
    unsigned compared = 0;
    rng = 0x85EBCA77u;
    for (int round = 0; round < 30; round++)
        for (uint32_t n = 0; n <= 70; n++)
            FLM_CHECK(quantize_agrees(fill(pool_in, n, (uint32_t)(round + (int)n) % 6), n,
                                      (int32_t)below(125) - 62, &compared));
    /* every magnitude 2^0..2^31 as the largest one (every scale exponent),
     * with values at and near the rounding and clamping edges */
    for (uint32_t b = 0; b <= 31; b++)
        for (int round = 0; round < 6; round++) {
            uint32_t n = 8 + below(60);
            int32_t *x = pool_in + POOL - n;
            uint32_t top = b == 31 ? 0x80000000u : (1u << b) + below(1u << b);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t a = round % 2 ? below(top + 1u) : top - below(top < 50 ? top + 1 : 50);
                x[i] = (int32_t)(next() & 1u ? 0u - a : a);
            }
            x[below(n)] = (int32_t)(round % 3 ? top : 0u - top);
            FLM_CHECK(quantize_agrees(x, n, 16, &compared));
        }
    FLM_CHECK(quantize_agrees(fill(pool_in, 4096, 5), 4096, 16, &compared));
    FLM_CHECK(quantize_agrees(pool_in, 4, 63, &compared));
    FLM_CHECK(quantize_agrees(pool_in, 4, -63, &compared));
    FLM_CHECK(quantize_agrees(NULL, 4, 0, &compared));
    printf("    %u quantizer comparisons with the _refs\n", compared);
}

/* ---- RoPE ---------------------------------------------------------------- */

static bool rope_agrees(const int32_t *v0, uint32_t n, uint32_t hd, const uint32_t *freq,
                        uint32_t pos, unsigned *compared)
{
    const flm_kernel_variant_t *v, *ref;
    EACH_VARIANT(FLM_KOP_ROPE_S32, v, ref) {
        int32_t *want = pool_want + POOL - n, *got = pool_got + POOL - n;
        memcpy(want, v0, (size_t)n * 4);
        memcpy(got, v0, (size_t)n * 4);
        flm_err_t ew = ref->fn.rope_s32(want, n, hd, freq, pos);
        flm_err_t eg = v->fn.rope_s32(got, n, hd, freq, pos);
        if (ew != eg || memcmp(want, got, (size_t)n * 4) != 0) {
            printf("    %s: n %u head_dim %u pos %u: err %d/%d\n", v->name, n, hd, pos, eg, ew);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_perpos_rope)
{
    unsigned compared = 0;
    rng = 0xC2B2AE35u;
    static uint32_t freq[POOL / 2];
    static const uint32_t positions[] = { 0, 1, 2, 77, 255, 4095, 65535, 1u << 20, 0x7FFFFFFFu,
                                          0x80000000u, UINT32_MAX };
    for (uint32_t hd = 2; hd <= 70; hd += 2)
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            uint32_t heads = 1 + below(5), n = hd * heads;
            uint32_t *f = freq + POOL / 2 - hd / 2;
            for (uint32_t i = 0; i < hd / 2; i++)
                f[i] = p % 3 ? next() : (uint32_t)(UINT64_C(0x100000000) >> (i % 32));
            FLM_CHECK(rope_agrees(fill(pool_in, n, (uint32_t)(p + hd) % 6), n, hd, f,
                                  positions[p], &compared));
            FLM_CHECK(rope_agrees(fill(pool_in, n, 5), n, hd, f, next(), &compared));
        }
    /* the model's shapes; one beyond the variants' table; bad arguments */
    for (int round = 0; round < 20; round++) {
        uint32_t hd = round % 2 ? 48 : 64, n = round % 4 < 2 ? 288 : 256;
        if (n % hd)
            n = hd * 4;
        uint32_t *f = freq + POOL / 2 - hd / 2;
        for (uint32_t i = 0; i < hd / 2; i++)
            f[i] = next() >> below(32);
        FLM_CHECK(rope_agrees(fill(pool_in, n, 5), n, hd, f, below(4096), &compared));
    }
    /* sin and cos themselves: (2^30, 0) rotated by freq turns at pos 1 is
     * (cos, sin) exactly; 2^20 turn values, dense near the table steps */
    for (uint32_t c = 0; c < 8192; c++) {
        uint32_t *ft = freq + POOL / 2 - 128;
        int32_t *x = pool_in + POOL - 256;
        for (uint32_t i = 0; i < 128; i++) {
            uint32_t t = (c * 128u + i) << 12;
            ft[i] = c % 2 ? t + (next() & 0xFFFu) : t + (uint32_t)(((int32_t)(i % 9) - 4) * (1 << 20));
            x[2 * i] = 1 << 30, x[2 * i + 1] = c % 3 ? 0 : (int32_t)next();
        }
        FLM_CHECK(rope_agrees(x, 256, 256, ft, 1, &compared));
    }
    uint32_t *f = freq + POOL / 2 - 150;
    FLM_CHECK(rope_agrees(fill(pool_in, 600, 5), 600, 300, f, 99, &compared));
    FLM_CHECK(rope_agrees(fill(pool_in, 48, 5), 48, 7, f, 1, &compared));
    FLM_CHECK(rope_agrees(fill(pool_in, 48, 5), 47, 48, f, 1, &compared));
    printf("    %u RoPE comparisons with the _ref\n", compared);
}

/* ---- the vector exp itself, and SiLU's table (x86-64) -------------------- */

#if FLM_KERNELS_X86
extern const uint64_t flm_recip61_tab[257];

/* Whether the CPU runs the softmax variant of this isa (the exp's own). */
static bool have_isa(const char *isa)
{
    const flm_kernel_variant_t *ref, *v;
    for (size_t k = 0; (v = variant_at(FLM_KOP_SOFTMAX_Q, k, &ref)) != NULL; k++)
        if (strcmp(v->isa, isa) == 0)
            return true;
    return false;
}

/* every argument in [-2^23, 2^23) (exp is 0 below -1.42 * 2^20), then
 * every 997th of all of int32 and both ends */
static unsigned long exp_sweep(void (*fn)(const int32_t *, uint32_t, uint32_t *), const char *name)
{
    enum { CHUNK = 4096 };
    static int32_t x[CHUNK];
    static uint32_t got[CHUNK];
    unsigned long checked = 0;
    for (int64_t base = -(INT64_C(1) << 23); base < (INT64_C(1) << 23); base += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++)
            x[i] = (int32_t)(base + i);
        fn(x, CHUNK, got);
        for (uint32_t i = 0; i < CHUNK; i++)
            if (got[i] != flm_exp_q16(x[i])) {
                printf("    %s(%d): %u, flm_exp_q16 %u\n", name, x[i], got[i], flm_exp_q16(x[i]));
                return 0;
            }
        checked += CHUNK;
    }
    for (int64_t base = INT32_MIN; base <= INT32_MAX; base += (int64_t)CHUNK * 997) {
        uint32_t n = 0;
        for (; n < CHUNK && base + (int64_t)n * 997 <= INT32_MAX; n++)
            x[n] = (int32_t)(base + (int64_t)n * 997);
        if (n < CHUNK)
            x[n++] = INT32_MAX;
        fn(x, n, got);
        for (uint32_t i = 0; i < n; i++)
            if (got[i] != flm_exp_q16(x[i])) {
                printf("    %s(%d): %u, flm_exp_q16 %u\n", name, x[i], got[i], flm_exp_q16(x[i]));
                return 0;
            }
        checked += n;
    }
    return checked;
}
#endif

FLM_TEST(kernels_perpos_exp)
{
#if FLM_KERNELS_X86
    for (uint32_t i = 0; i <= 256; i++) {
        uint64_t t = (UINT64_C(1) << 39) / (256 + i), t1 = (UINT64_C(1) << 39) / (257 + i);
        FLM_CHECK_EQ(flm_recip61_tab[i], (i < 256 ? (t - t1) << 32 : 0) | t);
    }
    if (have_isa("avx2")) {
        unsigned long n = exp_sweep(flm_exp_q16_avx2, "flm_exp_q16_avx2");
        FLM_CHECK(n > 0);
        printf("    avx2: %lu arguments\n", n);
    }
    if (have_isa("avx512")) {
        unsigned long n = exp_sweep(flm_exp_q16_avx512, "flm_exp_q16_avx512");
        FLM_CHECK(n > 0);
        printf("    avx512: %lu arguments\n", n);
    }
#endif
}
