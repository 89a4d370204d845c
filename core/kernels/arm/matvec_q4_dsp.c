/* flm_matvec_q4_s16 with the ARM DSP extension (Cortex-M4/M7/M33, ARMv7-A).
 *
 * Two rows a pass over the same activations, as the int8 variant does. A
 * word of weights holds 8 nibbles, v0 in the low one of byte 0 ... v7 in
 * the high one of byte 3. Masking the high nibbles (odd columns) and the
 * low ones shifted up (even columns) leaves 16 v in every byte, and SXTB16
 * (with a rotate for bytes 1 and 3) spreads them into halfwords:
 * (16 v0, 16 v4), (16 v2, 16 v6), (16 v1, 16 v5), (16 v3, 16 v7). The
 * activations are paired once per call into that order, (x0, x4), (x1,
 * x5), (x2, x6), (x3, x7), so that each pair is one SMLAD (groups2 below,
 * in assembly). A group sums 16 v x (|term| <= 2^22, so <= 256 columns
 * stay exact in int32 whatever the order) and the exact multiple of 16 is
 * divided out, so the bits are the reference's. Shapes this layout does
 * not fit (a group longer than 256 columns or not a multiple of 8, more
 * than FAST_COLS columns, cols neither 0 nor 4 mod 8) go through the
 * reference body over the DSP dot product, as does an odd last row.
 * Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/matvec_q4_impl.h"

#define FAST_COLS 512u

/* x in the order SXTB16 leaves the nibbles of a word in: 4 words per 8
 * columns, the last ones padded with 0 (for the 4 of cols 4 mod 8). */
static void pair_x(const int16_t *x, uint32_t cols, uint32_t *xp)
{
    for (uint32_t c = 0; c < cols; c += 8, xp += 4)
        for (uint32_t k = 0; k < 4; k++) {
            uint32_t lo = c + k < cols ? (uint16_t)x[c + k] : 0;
            uint32_t hi = c + k + 4 < cols ? (uint16_t)x[c + k + 4] : 0;
            xp[k] = lo | hi << 16;
        }
}

/* ---- two rows in assembly ---------------------------------------------------
 * The group sums of rows q0 and q1 into d[2g], d[2g + 1]: `whole` groups of
 * gs8 eights of columns, then (when cols is not a multiple of gs) the
 * shorter last group, last8 eights and, when cols is 4 mod 8, a last half
 * word of 4 nibbles (LDRH: its upper bytes are 0, so the padding in xp
 * multiplies nothing). Per 8 columns each row costs one LDR, 3 mask
 * operations, 4 SXTB16 and 4 SMLAD, and the two rows share one LDM of the
 * paired activations: 27 instructions for 16 multiply-accumulates, with
 * every value in a register (GCC's C spills inside that loop). The sums
 * are 16 times the dot products; ASR #4 divides exactly. The mask lives in
 * lr so that the code is the same for both instruction sets (ARM cannot
 * encode 0xF0F0F0F0 as an immediate). The int64 scaling stays in C: a
 * short loop over ng sums a row pair. */
typedef struct {
    const uint8_t  *q0;    /*  0 */
    const uint8_t  *q1;    /*  4 */
    const uint32_t *xp;    /*  8 */
    int32_t        *d;     /* 12 */
    uint32_t        whole; /* 16: groups of gs columns */
    uint32_t        gs8;   /* 20: eights a group, >= 1 */
    uint32_t        last8; /* 24: eights of the shorter last group */
    uint32_t        last4; /* 28: 1 when cols is 4 mod 8 */
} groups_args_t;

/* stack frame: whole (0), gs8 (4), last8 (8), last4 (12), d (16) */
__attribute__((naked, noinline)) static void groups2(const groups_args_t *a __attribute__((unused)))
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #24\n\t"
        "ldr    r1, [r0, #0]\n\t"
        "ldr    r2, [r0, #4]\n\t"
        "ldr    r3, [r0, #12]\n\t"
        "str    r3, [sp, #16]\n\t"
        "ldr    r3, [r0, #16]\n\t"
        "str    r3, [sp, #0]\n\t"
        "ldr    r3, [r0, #20]\n\t"
        "str    r3, [sp, #4]\n\t"
        "ldr    r3, [r0, #24]\n\t"
        "str    r3, [sp, #8]\n\t"
        "ldr    r3, [r0, #28]\n\t"
        "str    r3, [sp, #12]\n\t"
        "ldr    r0, [r0, #8]\n\t"
        "mov    lr, #0xF0000000\n\t"
        "orr    lr, lr, #0x00F00000\n\t"
        "orr    lr, lr, #0x0000F000\n\t"
        "orr    lr, lr, #0x000000F0\n\t"
        /* 8 columns (4 with ld=ldrh, step=2) of both rows into r4, r5 */
        ".macro flm_q4mac8 ld=ldr, step=4\n\t"
        "ldm    r0!, {r6-r9}\n\t"
        "\\ld    r10, [r1], #\\step\n\t"
        "and    r11, r10, lr\n\t"
        "and    r10, lr, r10, lsl #4\n\t"
        "sxtb16 r12, r10\n\t"
        "smlad  r4, r12, r6, r4\n\t"
        "sxtb16 r12, r11\n\t"
        "smlad  r4, r12, r7, r4\n\t"
        "sxtb16 r10, r10, ror #8\n\t"
        "smlad  r4, r10, r8, r4\n\t"
        "sxtb16 r11, r11, ror #8\n\t"
        "smlad  r4, r11, r9, r4\n\t"
        "\\ld    r10, [r2], #\\step\n\t"
        "and    r11, r10, lr\n\t"
        "and    r10, lr, r10, lsl #4\n\t"
        "sxtb16 r12, r10\n\t"
        "smlad  r5, r12, r6, r5\n\t"
        "sxtb16 r12, r11\n\t"
        "smlad  r5, r12, r7, r5\n\t"
        "sxtb16 r10, r10, ror #8\n\t"
        "smlad  r5, r10, r8, r5\n\t"
        "sxtb16 r11, r11, ror #8\n\t"
        "smlad  r5, r11, r9, r5\n\t"
        ".endm\n\t"
        /* the two sums (exact multiples of 16) / 16 into d, next d */
        ".macro flm_q4store\n\t"
        "asr    r4, r4, #4\n\t"
        "asr    r5, r5, #4\n\t"
        "ldr    r12, [sp, #16]\n\t"
        "stm    r12!, {r4, r5}\n\t"
        "str    r12, [sp, #16]\n\t"
        ".endm\n\t"
        "ldr    r3, [sp, #0]\n\t"
        "cmp    r3, #0\n\t"
        "beq    3f\n\t"
        "1:\n\t" /* a whole group */
        "movs   r4, #0\n\t"
        "movs   r5, #0\n\t"
        "ldr    r3, [sp, #4]\n\t"
        "cmp    r3, #4\n\t"
        "bne    2f\n\t"
        "flm_q4mac8\n\t" /* gs 32, the converter's: unrolled */
        "flm_q4mac8\n\t"
        "flm_q4mac8\n\t"
        "flm_q4mac8\n\t"
        "b      25f\n\t"
        "2:\n\t"
        "flm_q4mac8\n\t"
        "subs   r3, r3, #1\n\t"
        "bne    2b\n\t"
        "25:\n\t"
        "flm_q4store\n\t"
        "ldr    r3, [sp, #0]\n\t"
        "subs   r3, r3, #1\n\t"
        "str    r3, [sp, #0]\n\t"
        "bne    1b\n\t"
        "3:\n\t" /* the shorter last group, if any */
        "ldr    r3, [sp, #8]\n\t"
        "ldr    r12, [sp, #12]\n\t"
        "orrs   r12, r12, r3\n\t"
        "beq    9f\n\t"
        "movs   r4, #0\n\t"
        "movs   r5, #0\n\t"
        "cmp    r3, #0\n\t"
        "beq    5f\n\t"
        "4:\n\t"
        "flm_q4mac8\n\t"
        "subs   r3, r3, #1\n\t"
        "bne    4b\n\t"
        "5:\n\t"
        "ldr    r3, [sp, #12]\n\t"
        "cmp    r3, #0\n\t"
        "beq    6f\n\t"
        "flm_q4mac8 ldrh, 2\n\t"
        "6:\n\t"
        "flm_q4store\n\t"
        "9:\n\t"
        ".purgem flm_q4mac8\n\t"
        ".purgem flm_q4store\n\t"
        "add    sp, sp, #24\n\t"
        "pop    {r4-r11, pc}\n\t");
}

/* The reference body over the DSP dot product, for what the assembly
 * does not take. */
static __attribute__((noinline)) flm_err_t by_dot(const flm_qmat_t *w, const int16_t *x,
                                                  int32_t x_shift, int32_t *out, int32_t out_shift)
{
    return flm_matvec_q4_s16_with(flm_dot_q4_s16_dsp, w, x, x_shift, out, out_shift);
}

flm_err_t flm_matvec_q4_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    if (gs > 256u || gs % 8u != 0 || cols > FAST_COLS || (cols % 8u != 0 && cols % 8u != 4))
        return by_dot(w, x, x_shift, out, out_shift);
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    const size_t row_bytes = cols / 2; /* cols is even */
    const uint8_t *q = (const uint8_t *)w->q;
    uint32_t xp[FAST_COLS / 2];
    pair_x(x, cols, xp);
    const uint32_t whole = cols / gs, len = cols - whole * gs;
    int32_t d[2 * (FAST_COLS / 8)];
    groups_args_t a = { q, q + row_bytes, xp, d, whole, gs / 8, len / 8, len % 8u != 0 };
    const int32_t *s = w->s;
    uint32_t r = 0;
    for (; r + 2 <= w->rows; r += 2, s += 2 * ng) {
        groups2(&a);
        int64_t a0 = 0, a1 = 0;
        for (uint32_t g = 0; g < ng; g++) {
            a0 += (int64_t)d[2 * g] * s[g];
            a1 += (int64_t)d[2 * g + 1] * s[ng + g];
        }
        out[r] = flm_rescale_sat32_dsp(a0, shift);
        out[r + 1] = flm_rescale_sat32_dsp(a1, shift);
        a.q0 += 2 * row_bytes;
        a.q1 += 2 * row_bytes;
    }
    if (r == w->rows)
        return FLM_OK;
    /* an odd last row: the reference body over the DSP dot product */
    flm_qmat_t last = *w;
    last.q = w->q + (size_t)r * row_bytes;
    last.s = s;
    last.rows = 1;
    return by_dot(&last, x, x_shift, out + r, out_shift);
}
#endif
