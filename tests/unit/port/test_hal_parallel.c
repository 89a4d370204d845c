/* The POSIX port's thread pool (port/posix/hal_posix_parallel.c): every
 * row of a range exactly once, in pieces that are multiples of the grain,
 * the workers really taking part, errors passed on, the pool's size and its
 * shared reference. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hal/hal.h"
#include "tests/harness/harness.h"

typedef struct {
    _Atomic uint8_t hits[5000];
    uint32_t grain, n;
    _Atomic int bad_piece;
} cover_t;

static flm_err_t cover(void *ctx, uint32_t b, uint32_t e)
{
    cover_t *c = ctx;
    if (b >= e || e > c->n || b % c->grain != 0 || (e != c->n && (e - b) % c->grain != 0))
        atomic_store(&c->bad_piece, 1);
    for (uint32_t i = b; i < e && i < c->n; i++)
        atomic_fetch_add(&c->hits[i], 1);
    return FLM_OK;
}

static bool covers_once(uint32_t n, uint32_t grain)
{
    static cover_t c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.grain = grain ? grain : 1;
    if (flm_hal_parallel_for(n, grain, cover, &c) != FLM_OK || atomic_load(&c.bad_piece))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (atomic_load(&c.hits[i]) != 1)
            return false;
    return true;
}

FLM_TEST(hal_parallel_covers_every_row_once)
{
    static const uint32_t ns[] = { 0, 1, 15, 16, 17, 100, 333, 1000, 4999 };
    static const uint32_t grains[] = { 0, 1, 4, 16, 64 };
    static const uint32_t threads[] = { 1, 2, 3, 4 };
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        FLM_CHECK_EQ(flm_hal_parallel_init(threads[t]), FLM_OK);
        FLM_CHECK_EQ(flm_hal_parallel_threads(), threads[t]);
        for (int round = 0; round < 20; round++)
            for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
                for (size_t g = 0; g < sizeof grains / sizeof grains[0]; g++)
                    FLM_CHECK_MSG(covers_once(ns[i], grains[g]), "%u threads, n %u, grain %u",
                                  threads[t], ns[i], grains[g]);
        flm_hal_parallel_deinit();
    }
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 1u);
    FLM_CHECK_EQ(flm_hal_parallel_for(10, 1, NULL, NULL), FLM_ERR_ARG);
}

/* The caller's piece waits (up to 10 s) until another thread has run one:
 * only a worker can. */
typedef struct {
    pthread_t caller;
    _Atomic int other_ran;
} meet_t;

static flm_err_t meet(void *ctx, uint32_t b, uint32_t e)
{
    (void)e;
    meet_t *m = ctx;
    if (!pthread_equal(pthread_self(), m->caller)) {
        atomic_store(&m->other_ran, 1);
        return FLM_OK;
    }
    if (b != 0)
        return FLM_OK;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while (!atomic_load(&m->other_ran) && t.tv_sec - t0.tv_sec < 10);
    return FLM_OK;
}

FLM_TEST(hal_parallel_workers_take_part)
{
    FLM_CHECK_EQ(flm_hal_parallel_init(2), FLM_OK);
    static meet_t m;
    m.caller = pthread_self();
    atomic_store(&m.other_ran, 0);
    FLM_CHECK_EQ(flm_hal_parallel_for(64, 1, meet, &m), FLM_OK);
    FLM_CHECK(atomic_load(&m.other_ran));
    /* and after the workers have gone to sleep */
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    nanosleep(&nap, NULL);
    atomic_store(&m.other_ran, 0);
    FLM_CHECK_EQ(flm_hal_parallel_for(64, 1, meet, &m), FLM_OK);
    FLM_CHECK(atomic_load(&m.other_ran));
    flm_hal_parallel_deinit();
}

static flm_err_t fail_at_300(void *ctx, uint32_t b, uint32_t e)
{
    (void)ctx;
    return b <= 300 && 300 < e ? FLM_ERR_OVERFLOW : FLM_OK;
}

FLM_TEST(hal_parallel_passes_errors_on)
{
    FLM_CHECK_EQ(flm_hal_parallel_init(3), FLM_OK);
    FLM_CHECK_EQ(flm_hal_parallel_for(1000, 16, fail_at_300, NULL), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_hal_parallel_for(200, 16, fail_at_300, NULL), FLM_OK);
    /* the next job starts clean */
    FLM_CHECK(covers_once(1000, 16));
    flm_hal_parallel_deinit();
}

FLM_TEST(hal_parallel_pool_size_and_sharing)
{
    /* 0: one per CPU; above the build's maximum: cut to it */
    FLM_CHECK_EQ(flm_hal_parallel_init(0), FLM_OK);
    FLM_CHECK(flm_hal_parallel_threads() >= 1 && flm_hal_parallel_threads() <= FLM_CFG_MAX_THREADS);
    flm_hal_parallel_deinit();
    FLM_CHECK_EQ(flm_hal_parallel_init(FLM_CFG_MAX_THREADS + 5), FLM_OK);
    FLM_CHECK_EQ(flm_hal_parallel_threads(), (uint32_t)FLM_CFG_MAX_THREADS);
    flm_hal_parallel_deinit();
    /* a second init shares the running pool; the last deinit stops it */
    FLM_CHECK_EQ(flm_hal_parallel_init(2), FLM_OK);
    FLM_CHECK_EQ(flm_hal_parallel_init(3), FLM_OK);
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 2u);
    flm_hal_parallel_deinit();
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 2u);
    FLM_CHECK(covers_once(500, 16));
    flm_hal_parallel_deinit();
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 1u);
    flm_hal_parallel_deinit(); /* one too many: nothing */
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 1u);
}

/* The workers block signals: a process-directed SIGUSR1 reaches the
 * caller's thread (SIGINT and SIGTERM must, for Ctrl-C and serve's stop). */
static pthread_t handled_on;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled_on = pthread_self();
    handled = 1;
}

FLM_TEST(hal_parallel_signals_reach_the_caller)
{
    FLM_CHECK_EQ(flm_hal_parallel_init(3), FLM_OK);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    FLM_CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    for (int i = 0; i < 20; i++) {
        handled = 0;
        FLM_CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        for (int k = 0; k < 1000 && !handled; k++) {
            struct timespec nap = { 0, 1000 * 1000 };
            nanosleep(&nap, NULL);
        }
        FLM_CHECK(handled && pthread_equal(handled_on, pthread_self()));
    }
    sigaction(SIGUSR1, &old, NULL);
    flm_hal_parallel_deinit();
}
