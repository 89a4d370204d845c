/* flm_matvec_q8_s16 with the ARM DSP extension (Cortex-M4/M7/M33, ARMv7-A).
 *
 * Two rows a pass over the same activations. Per 4 columns the activations
 * are loaded once and paired as (x0, x2) and (x1, x3) with PKHBT/PKHTB, the
 * order SXTB16 leaves a word of weights in ((w0, w2), and (w1, w3) rotated),
 * so each row's 4 multiply-accumulates are 2 SMLADs after one word load and
 * 2 SXTB16s: about 1.6 instructions a MAC for two rows, against 3.5 for the
 * one-row dot product. A group's sum is exact in int32 whatever the order
 * (|product| <= 2^22, gs <= 256), so the bits are the reference's.
 * Shapes this layout does not fit (a group longer than 256 columns or not a
 * multiple of 4) go through the reference body over the DSP dot product.
 * Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/matvec_q8_impl.h"

static FLM_ALWAYS_INLINE int32_t mac4(const int8_t *q, int32_t x02, int32_t x13, int32_t sum)
{
    uint32_t w;
    memcpy(&w, q, 4); /* unaligned word loads are fine on these cores */
    sum = __smlad(__sxtb16((int32_t)w), x02, sum);
    return __smlad(flm_sxtb16_ror8(w), x13, sum);
}

/* Rows r and r + 1 (q1 = q0 + cols), every group gs columns but the last.
 * Not inlined: on its own GCC keeps more of the loop in registers. */
static __attribute__((noinline)) void two_rows(const int8_t *q0, const int32_t *s0,
                                               uint32_t cols, uint32_t gs, uint32_t ng,
                                               const int16_t *x, int64_t acc[2])
{
    const int8_t *q1 = q0 + cols;
    const int32_t *s1 = s0 + ng;
    int64_t a0 = 0, a1 = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t len = g + 1 < ng ? gs : cols - g * gs;
        const int16_t *x4 = x + (len & ~3u), *xe = x + len;
        int32_t d0 = 0, d1 = 0;
        for (; x < x4; x += 4, q0 += 4, q1 += 4) {
            int32_t x02, x13;
            flm_pair_x_dsp(x, &x02, &x13);
            d0 = mac4(q0, x02, x13, d0);
            d1 = mac4(q1, x02, x13, d1);
        }
        for (; x < xe; x++) {
            d0 += *q0++ * *x;
            d1 += *q1++ * *x;
        }
        a0 += (int64_t)d0 * s0[g];
        a1 += (int64_t)d1 * s1[g];
    }
    acc[0] = a0;
    acc[1] = a1;
}

static __attribute__((noinline)) int64_t one_row(const int8_t *q, const int32_t *s,
                                                 uint32_t cols, uint32_t gs, uint32_t ng,
                                                 const int16_t *x)
{
    int64_t a = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t len = g + 1 < ng ? gs : cols - g * gs;
        const int16_t *x4 = x + (len & ~3u), *xe = x + len;
        int32_t d = 0;
        for (; x < x4; x += 4, q += 4) {
            int32_t x02, x13;
            flm_pair_x_dsp(x, &x02, &x13);
            d = mac4(q, x02, x13, d);
        }
        for (; x < xe; x++)
            d += *q++ * *x;
        a += (int64_t)d * s[g];
    }
    return a;
}

/* ---- the common shape in assembly ----------------------------------------
 * Groups of a multiple of 8 columns (<= 256), rows of a multiple of 4
 * (<= FAST_COLS), word-aligned weights and a shift in [0, 31] (every
 * matrix of the reference models): x is paired once per call into a stack
 * buffer, so per 8 columns each row costs one LDRD of weights, 4 SXTB16
 * and 4 SMLAD, and the two rows share one LDM of activations. The int64
 * accumulators live in the frame while the 13 registers of the column loop
 * are busy (one LDM/STM pair per group), and the rounding and saturation
 * of flm_rescale_sat32 end each row in registers: the accumulators start
 * at 2^(shift-1), so round-half-up is an arithmetic shift, and the result
 * fits int32 exactly when the high word is the low word's sign. GCC keeps
 * none of this in registers across the group loop (its two_rows above
 * spends ~50 instructions a group on spills), hence the assembly. It is
 * written for both instruction sets (ARM: even LDRD pairs; IT is checked
 * there and emits nothing). */
#define FAST_COLS 512u

/* The frame the assembly reads; words 1.. are copied onto its stack. */
typedef struct {
    const int8_t *q;         /*  0: the first row of the first pair */
    const int32_t *s;        /*  4: its scales */
    const uint32_t *xp;      /*  8: paired activations, 2 words per 4 columns */
    const uint32_t *xp_end;  /* 12 */
    const uint32_t *xp_last; /* 16: where the last group starts */
    uint32_t gs_bytes;       /* 20: 2 gs, the bytes of xp a group */
    uint32_t ng_bytes_m4;    /* 24: 4 ng - 4: row 1's scale from past row 0's */
    uint32_t cols;           /* 28 */
    int32_t *out;            /* 32 */
    uint32_t pairs;          /* 36: rows / 2, >= 1 */
    uint32_t shift;          /* 40 */
    uint32_t bias;           /* 44: 2^(shift - 1), 0 for shift 0 */
} fast_args_t;

/* stack frame: a0 lo/hi, a1 lo/hi at 0..15, then fast_args_t words 1..11 at
 * 16..59 (xp 20, xp_end 24, xp_last 28, gs_bytes 32, ng_bytes_m4 36, cols 40,
 * out 44, pairs 48, shift 52, bias 56) */
__attribute__((naked, noinline)) static void fast_rows(const fast_args_t *a __attribute__((unused)))
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #60\n\t"
        "ldm    r0, {r1-r12}\n\t"          /* r1 = q0, r2 = s, ... */
        "mov    lr, r2\n\t"                /* lr: row 0's scale of the group */
        "add    r0, sp, #16\n\t"
        "stm    r0, {r2-r12}\n\t"
        /* 8 columns of both rows; first=1 starts the sums (SMUAD) */
        ".macro flm_mac8 first=0\n\t"
        "ldm    r0!, {r6-r9}\n\t"
        "ldrd   r10, r11, [r1], #8\n\t"
        "sxtb16 r12, r10\n\t"
        ".if \\first\n\t"
        "smuad  r4, r12, r6\n\t"
        ".else\n\t"
        "smlad  r4, r12, r6, r4\n\t"
        ".endif\n\t"
        "sxtb16 r10, r10, ror #8\n\t"
        "smlad  r4, r10, r7, r4\n\t"
        "sxtb16 r12, r11\n\t"
        "smlad  r4, r12, r8, r4\n\t"
        "sxtb16 r11, r11, ror #8\n\t"
        "smlad  r4, r11, r9, r4\n\t"
        "ldrd   r10, r11, [r2], #8\n\t"
        "sxtb16 r12, r10\n\t"
        ".if \\first\n\t"
        "smuad  r5, r12, r6\n\t"
        ".else\n\t"
        "smlad  r5, r12, r6, r5\n\t"
        ".endif\n\t"
        "sxtb16 r10, r10, ror #8\n\t"
        "smlad  r5, r10, r7, r5\n\t"
        "sxtb16 r12, r11\n\t"
        "smlad  r5, r12, r8, r5\n\t"
        "sxtb16 r11, r11, ror #8\n\t"
        "smlad  r5, r11, r9, r5\n\t"
        ".endm\n\t"
        /* a += d * s for both rows; leaves the sums in r6-r9 */
        ".macro flm_group_end\n\t"
        "ldr    r10, [lr], #4\n\t"
        "ldr    r12, [sp, #36]\n\t"
        "ldr    r11, [lr, r12]\n\t"
        "ldm    sp, {r6-r9}\n\t"
        "smlal  r6, r7, r4, r10\n\t"
        "smlal  r8, r9, r5, r11\n\t"
        ".endm\n\t"
        /* r6 (lo), r7 (hi) -> r6: shift right by r10 (r11 = 32 - r10), saturate */
        ".macro flm_finish lo, hi\n\t"
        "lsr    \\lo, \\lo, r10\n\t"
        "lsl    r12, \\hi, r11\n\t"
        "orr    \\lo, \\lo, r12\n\t"
        "asr    \\hi, \\hi, r10\n\t"
        "cmp    \\hi, \\lo, asr #31\n\t"
        "itt    ne\n\t"
        "mvnne  \\lo, #0x80000000\n\t"
        "eorne  \\lo, \\lo, \\hi, asr #31\n\t"
        ".endm\n\t"
        "1:\n\t" /* a row pair: q1 = q0 + cols, accumulators = bias */
        "ldr    r2, [sp, #40]\n\t"
        "add    r2, r1, r2\n\t"
        "ldr    r0, [sp, #20]\n\t"
        "ldr    r4, [sp, #56]\n\t"
        "movs   r5, #0\n\t"
        "strd   r4, r5, [sp, #0]\n\t"
        "strd   r4, r5, [sp, #8]\n\t"
        "ldr    r12, [sp, #28]\n\t"
        "cmp    r0, r12\n\t"
        "bhs    5f\n\t"
        "ldr    r3, [sp, #32]\n\t"
        "cmp    r3, #64\n\t"
        "bne    4f\n\t"
        "9:\n\t" /* full groups of 32 columns (the converter's), unrolled */
        "flm_mac8 1\n\t"
        "flm_mac8\n\t"
        "flm_mac8\n\t"
        "flm_mac8\n\t"
        "flm_group_end\n\t"
        "stm    sp, {r6-r9}\n\t"
        "ldr    r12, [sp, #28]\n\t"
        "cmp    r0, r12\n\t"
        "blo    9b\n\t"
        "b      5f\n\t"
        "4:\n\t" /* a full group: a multiple of 8 columns */
        "ldr    r3, [sp, #32]\n\t"
        "add    r3, r3, r0\n\t"
        "movs   r4, #0\n\t"
        "movs   r5, #0\n\t"
        "6:\n\t"
        "flm_mac8\n\t"
        "cmp    r0, r3\n\t"
        "blo    6b\n\t"
        "flm_group_end\n\t"
        "stm    sp, {r6-r9}\n\t"
        "ldr    r12, [sp, #28]\n\t"
        "cmp    r0, r12\n\t"
        "blo    4b\n\t"
        "5:\n\t" /* the last group: 4 columns first if its length is 4 mod 8 */
        "ldr    r3, [sp, #24]\n\t"
        "sub    r12, r3, r0\n\t"
        "cmp    r12, #64\n\t"
        "bne    10f\n\t"
        "flm_mac8 1\n\t" /* 32 columns, unrolled */
        "flm_mac8\n\t"
        "flm_mac8\n\t"
        "flm_mac8\n\t"
        "b      8f\n\t"
        "10:\n\t"
        "movs   r4, #0\n\t"
        "movs   r5, #0\n\t"
        "tst    r12, #8\n\t"
        "beq    7f\n\t"
        "ldm    r0!, {r6, r7}\n\t"
        "ldr    r10, [r1], #4\n\t"
        "ldr    r11, [r2], #4\n\t"
        "sxtb16 r12, r10\n\t"
        "smlad  r4, r12, r6, r4\n\t"
        "sxtb16 r10, r10, ror #8\n\t"
        "smlad  r4, r10, r7, r4\n\t"
        "sxtb16 r12, r11\n\t"
        "smlad  r5, r12, r6, r5\n\t"
        "sxtb16 r11, r11, ror #8\n\t"
        "smlad  r5, r11, r7, r5\n\t"
        "cmp    r0, r3\n\t"
        "bhs    8f\n\t"
        "7:\n\t"
        "flm_mac8\n\t"
        "cmp    r0, r3\n\t"
        "blo    7b\n\t"
        "8:\n\t"
        "flm_group_end\n\t"
        "ldr    r10, [sp, #52]\n\t"
        "rsb    r11, r10, #32\n\t"
        "flm_finish r6, r7\n\t"
        "flm_finish r8, r9\n\t"
        "ldr    r12, [sp, #44]\n\t"
        "stm    r12!, {r6, r8}\n\t"
        "str    r12, [sp, #44]\n\t"
        /* the next pair: its rows follow row 1, its scales row 1's */
        "ldr    r12, [sp, #36]\n\t"
        "add    lr, lr, r12\n\t"
        "add    lr, lr, #4\n\t"
        "mov    r1, r2\n\t"
        "ldr    r12, [sp, #48]\n\t"
        "subs   r12, r12, #1\n\t"
        "str    r12, [sp, #48]\n\t"
        "bne    1b\n\t"
        ".purgem flm_mac8\n\t"
        ".purgem flm_group_end\n\t"
        ".purgem flm_finish\n\t"
        "add    sp, sp, #60\n\t"
        "pop    {r4-r11, pc}\n\t");
}

flm_err_t flm_matvec_q8_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    if (gs > 256u || gs % 4u != 0)
        return flm_matvec_q8_s16_with(flm_dot_q8_s16_dsp, w, x, x_shift, out, out_shift);
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    uint32_t r = 0;
    if (gs % 8u == 0 && cols % 4u == 0 && cols <= FAST_COLS && w->rows >= 2 &&
        ((uintptr_t)w->q & 3u) == 0 && shift >= 0 && shift <= 31) {
        uint32_t xp[FAST_COLS / 2];
        for (uint32_t c = 0; c < cols; c += 4)
            flm_pair_x_dsp(x + c, (int32_t *)&xp[c / 2], (int32_t *)&xp[c / 2 + 1]);
        const uint32_t s = (uint32_t)shift;
        const fast_args_t a = { w->q, w->s, xp, xp + cols / 2, xp + (ng - 1) * gs / 2, 2 * gs,
                                4 * ng - 4, cols, out, w->rows / 2, s,
                                s ? (uint32_t)1 << (s - 1) : 0 };
        fast_rows(&a);
        r = w->rows & ~1u;
    }
    for (; r + 2 <= w->rows; r += 2) {
        int64_t acc[2];
        two_rows(w->q + (size_t)r * cols, w->s + (size_t)r * ng, cols, gs, ng, x, acc);
        out[r] = flm_rescale_sat32(acc[0], shift);
        out[r + 1] = flm_rescale_sat32(acc[1], shift);
    }
    if (r < w->rows)
        out[r] = flm_rescale_sat32(
            one_row(w->q + (size_t)r * cols, w->s + (size_t)r * ng, cols, gs, ng, x), shift);
    return FLM_OK;
}
#endif
