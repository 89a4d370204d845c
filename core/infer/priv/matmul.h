/*
 * The forward pass's matrix products (transformer.c, transformer_block.c):
 * the int8 or int4 kernel as the matrix says, and on a platform with
 * threads (FLM_HAL_HAS_THREADS) its rows split across the HAL's pool
 * (core/hal/hal_parallel.h). Each row is computed by one worker with the
 * kernel the one-thread path calls, on a view of the matrix's rows
 * (flm_qmat_rows), so the results are the same bits however many workers
 * there are. Without threads these are the plain kernel calls, inline.
 */
#ifndef FLM_INFER_MATMUL_H
#define FLM_INFER_MATMUL_H

#include "core/hal/hal.h"
#include "core/kernels/kernels.h"

/* Rows per piece of a split: a multiple of the 4-row kernels' step, and of
 * a 64-byte line of int32 outputs, so no two workers write one line. */
#define FLM_MATMUL_GRAIN 16u
/* Split a product only when it has at least this many multiply-adds (about
 * 10 us on one x86-64 core): below, handing it out and waiting for the
 * others costs more than it saves. The shipped model's and stories260K's
 * products all stay on one thread; the 15M shape's FFN and classifier and
 * all of the 110M shape's are split. */
#define FLM_MATMUL_MIN_SPLIT 131072u

/* W x for an int8 or int4 matrix (the loader sets bits; one compare a call). */
static inline flm_err_t flm_infer_matvec1(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                          int32_t *out, int32_t out_shift)
{
    if (w->bits == 4u)
        return flm_matvec_q4_s16(w, x, x_shift, out, out_shift);
    return flm_matvec_q8_s16(w, x, x_shift, out, out_shift);
}

/* out[b] = W x[b] for n positions (int4 matrices a matvec each). */
static inline flm_err_t flm_infer_matmat1(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                          size_t xs, const int32_t *sh, int32_t *out, size_t os,
                                          int32_t out_shift)
{
    if (w->bits != 4u)
        return flm_matmat_q8_s16(w, n, x, xs, sh, out, os, out_shift);
    flm_err_t err = FLM_OK;
    for (uint32_t b = 0; b < n && !err; b++)
        err = flm_matvec_q4_s16(w, x + b * xs, sh[b], out + b * os, out_shift);
    return err;
}

#if FLM_HAL_HAS_THREADS
/* The same, rows across the pool (core/infer/matmul.c). */
flm_err_t flm_infer_matvec(const flm_qmat_t *w, const int16_t *x, int32_t x_shift, int32_t *out,
                           int32_t out_shift);
flm_err_t flm_infer_matmat(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t xs,
                           const int32_t *sh, int32_t *out, size_t os, int32_t out_shift);
#else
#define flm_infer_matvec flm_infer_matvec1
#define flm_infer_matmat flm_infer_matmat1
#endif

#endif /* FLM_INFER_MATMUL_H */
