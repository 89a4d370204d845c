/* The forward pass's matrix products split by rows across the HAL's
 * thread pool (core/infer/priv/matmul.h). */
#include "core/infer/priv/matmul.h"

#if FLM_HAL_HAS_THREADS
typedef struct {
    const flm_qmat_t *w;
    const int16_t *x;
    const int32_t *sh; /* matmat: a shift per position */
    int32_t x_shift, out_shift;
    uint32_t n;        /* matmat: positions */
    size_t xs, os;
    int32_t *out;
} job_t;

static flm_err_t matvec_rows(void *ctx, uint32_t begin, uint32_t end)
{
    const job_t *j = ctx;
    flm_qmat_t sub = flm_qmat_rows(j->w, begin, end);
    return flm_infer_matvec1(&sub, j->x, j->x_shift, j->out + begin, j->out_shift);
}

static flm_err_t matmat_rows(void *ctx, uint32_t begin, uint32_t end)
{
    const job_t *j = ctx;
    flm_qmat_t sub = flm_qmat_rows(j->w, begin, end);
    return flm_infer_matmat1(&sub, j->n, j->x, j->xs, j->sh, j->out + begin, j->os, j->out_shift);
}

static bool worth_splitting(const flm_qmat_t *w, uint32_t n)
{
    return w && w->q && w->s && w->rows >= 2 * FLM_MATMUL_GRAIN &&
           (uint64_t)w->rows * w->cols * n >= FLM_MATMUL_MIN_SPLIT && flm_hal_parallel_threads() > 1;
}

flm_err_t flm_infer_matvec(const flm_qmat_t *w, const int16_t *x, int32_t x_shift, int32_t *out,
                           int32_t out_shift)
{
    if (!worth_splitting(w, 1) || !x || !out)
        return flm_infer_matvec1(w, x, x_shift, out, out_shift);
    job_t j = { .w = w, .x = x, .x_shift = x_shift, .out = out, .out_shift = out_shift };
    return flm_hal_parallel_for(w->rows, FLM_MATMUL_GRAIN, matvec_rows, &j);
}

flm_err_t flm_infer_matmat(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t xs,
                           const int32_t *sh, int32_t *out, size_t os, int32_t out_shift)
{
    /* a block's arguments are checked whole first, as the kernel does, so
     * a bad one fails before any piece writes */
    if (n < 2 || !worth_splitting(w, n) || !x || !sh || !out || xs < w->cols || os < w->rows)
        return flm_infer_matmat1(w, n, x, xs, sh, out, os, out_shift);
    for (uint32_t b = 0; b < n; b++)
        if (sh[b] < -62 || sh[b] > 62)
            return flm_infer_matmat1(w, n, x, xs, sh, out, os, out_shift);
    job_t j = { .w = w, .x = x, .sh = sh, .n = n, .xs = xs, .os = os, .out = out,
                .out_shift = out_shift };
    return flm_hal_parallel_for(w->rows, FLM_MATMUL_GRAIN, matmat_rows, &j);
}
#endif /* FLM_HAL_HAS_THREADS */
