/*
 * HAL, parallel part: one parallel-for over a range of rows, on a pool of
 * workers the platform starts once (port/posix: pthreads). core/ splits the
 * rows of its matrix products with it; each row is computed by exactly one
 * worker with the same kernel, so the results are the one-thread bits.
 *
 *   flm_hal_parallel_init(0);                 (one worker per CPU; once)
 *   flm_hal_parallel_for(rows, 16, fn, &ctx); (fn(&ctx, begin, end) over [0, rows))
 *   flm_hal_parallel_deinit();
 *
 * A platform without threads (FLM_HAL_HAS_THREADS 0,
 * port/common/hal_parallel_none.c) has one worker: flm_hal_parallel_for
 * calls fn once over the whole range on the caller's thread.
 *
 * The pool is the process's one: init sizes it when it is not running and
 * counts a reference otherwise (a second runtime shares the first's pool);
 * each init is paired with one deinit, the last one stops the workers.
 * flm_hal_parallel_for is called from one thread at a time (the one that
 * runs the engine); nothing is allocated per call.
 */
#ifndef FLM_HAL_PARALLEL_H
#define FLM_HAL_PARALLEL_H

#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

/* The work on rows [begin, end): FLM_OK, or an error that
 * flm_hal_parallel_for passes on (one of them, if several fail). */
typedef flm_err_t (*flm_hal_parallel_fn)(void *ctx, uint32_t begin, uint32_t end);

/* Start the pool with `threads` workers, the caller's thread included: 0 is
 * one per CPU this process may run on, anything above FLM_CFG_MAX_THREADS
 * is cut to it (flm_hal_parallel_threads() says what it got). A port
 * without threads always has 1. FLM_ERR_IO if the platform refuses a
 * thread (the pool then runs with the ones it has). */
flm_err_t flm_hal_parallel_init(uint32_t threads);
void      flm_hal_parallel_deinit(void);

/* Workers of the running pool, the caller included: 1 without one. */
uint32_t flm_hal_parallel_threads(void);

/* fn(ctx, begin, end) over pieces covering [0, n) exactly once, each piece
 * a multiple of `grain` rows (but the last), run by the pool's workers and
 * the caller; returns when every piece is done. Without a pool, or for n
 * <= grain, one call fn(ctx, 0, n). */
flm_err_t flm_hal_parallel_for(uint32_t n, uint32_t grain, flm_hal_parallel_fn fn, void *ctx);

#endif /* FLM_HAL_PARALLEL_H */
