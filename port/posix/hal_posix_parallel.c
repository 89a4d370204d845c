/*
 * The parallel-for of the POSIX port (core/hal/hal_parallel.h): a fixed
 * pool of pthreads started once by flm_hal_parallel_init, the caller's
 * thread one of the workers. Everything is static, sized by
 * FLM_CFG_MAX_THREADS; a call allocates nothing and creates no thread.
 *
 * One job at a time. The caller writes the job (function, context, pieces),
 * then publishes it by making the sequence number in `state` odd; a worker
 * that sees a new odd sequence joins it by raising the count of active
 * workers in the same word (a compare-and-swap, so it cannot join a job
 * already closed), takes pieces from a shared counter until none is left
 * and leaves. The caller takes pieces too, then closes the job (even
 * sequence: nobody joins any more) and waits only for the workers still
 * inside it. A worker that was asleep or descheduled and comes late finds
 * the job closed and goes back to waiting: the caller never waits for a
 * worker to wake up, so a busy machine costs speed, never a stall.
 *
 * Workers spin (with the CPU's pause hint) for a short while after each
 * job, since the next one follows within microseconds during a forward
 * pass, then sleep on a condition variable until the next job or the end.
 *
 * pthread_create is the one call here that allocates behind our back
 * (glibc's thread descriptor and stack): once per worker, at init, never
 * per token (tests/sh/noheap.sh allows it in this file only).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/hal/hal.h"

#if !FLM_HAL_HAS_THREADS
#error "port/posix/hal_posix_parallel.c is the threads capability: build it with FLM_HAL_HAS_THREADS=1"
#endif

/* How long a worker spins for the next job before it sleeps. */
#define SPIN_NS 100000

/* state: sequence << 32 | active workers; an odd sequence is an open job */
static _Atomic uint64_t state;
static _Atomic uint32_t next_piece;   /* the next piece to take */
static _Atomic int32_t  job_err;      /* FLM_OK, or a piece's error */
static _Atomic uint32_t sleepers;     /* workers in (or going into) cond_wait */
static _Atomic bool     quit;
static flm_hal_parallel_fn job_fn;
static void *job_ctx;
static uint32_t job_n, job_piece, job_pieces;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t workers[FLM_CFG_MAX_THREADS > 1 ? FLM_CFG_MAX_THREADS - 1 : 1];
static uint32_t n_workers; /* started threads (the caller not counted) */
static uint32_t refs;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Take pieces of the current job until there are none. */
static void run_pieces(void)
{
    for (;;) {
        uint32_t p = atomic_fetch_add_explicit(&next_piece, 1, memory_order_relaxed);
        if (p >= job_pieces)
            return;
        uint32_t b = p * job_piece, e = job_n - b < job_piece ? job_n : b + job_piece;
        flm_err_t err = job_fn(job_ctx, b, e);
        if (err) {
            int32_t ok = FLM_OK;
            atomic_compare_exchange_strong(&job_err, &ok, (int32_t)err);
        }
    }
}

/* Wait for a job newer than `seen` (an odd sequence); false: quit. */
static bool wait_job(uint64_t seen, uint64_t *s)
{
    uint64_t t0 = 0;
    for (uint32_t i = 0;; i++) {
        *s = atomic_load(&state);
        if (((*s >> 32) & 1u) && (*s >> 32) != seen)
            return true;
        if (atomic_load_explicit(&quit, memory_order_relaxed))
            return false;
        cpu_relax();
        if ((i & 255u) == 255u) {
            uint64_t t = now_ns();
            if (!t0)
                t0 = t;
            else if (t - t0 > SPIN_NS)
                break;
        }
    }
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&sleepers, 1);
    for (;;) {
        *s = atomic_load(&state);
        if ((((*s >> 32) & 1u) && (*s >> 32) != seen) || atomic_load(&quit))
            break;
        pthread_cond_wait(&wake, &lock);
    }
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&lock);
    return !atomic_load(&quit);
}

static void *worker(void *arg)
{
    (void)arg;
    uint64_t seen = 0, s;
    while (wait_job(seen, &s)) {
        seen = s >> 32;
        /* join, unless the job has been closed meanwhile */
        while ((s >> 32) == seen && !atomic_compare_exchange_weak(&state, &s, s + 1))
            ;
        if ((s >> 32) != seen)
            continue;
        run_pieces();
        atomic_fetch_sub_explicit(&state, 1, memory_order_release);
    }
    return NULL;
}

static uint32_t online_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    return 1;
}

flm_err_t flm_hal_parallel_init(uint32_t threads)
{
    if (refs++)
        return FLM_OK; /* the running pool, shared */
    if (threads == 0)
        threads = online_cpus();
    if (threads > FLM_CFG_MAX_THREADS)
        threads = FLM_CFG_MAX_THREADS;
    atomic_store(&quit, false);
    atomic_store(&state, 0);
    n_workers = 0;
    /* the workers block every signal (they inherit the mask), so SIGINT
     * and SIGTERM reach the caller's thread: its handlers and the EINTR
     * its blocking calls wait for (serve's loop, run's Ctrl-C) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    flm_err_t err = FLM_OK;
    while (n_workers + 1 < threads) {
        if (pthread_create(&workers[n_workers], NULL, worker, NULL) != 0) {
            err = FLM_ERR_IO;
            break;
        }
        n_workers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

void flm_hal_parallel_deinit(void)
{
    if (refs == 0 || --refs > 0)
        return;
    pthread_mutex_lock(&lock);
    atomic_store(&quit, true);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (uint32_t i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    n_workers = 0;
}

uint32_t flm_hal_parallel_threads(void)
{
    return n_workers + 1;
}

flm_err_t flm_hal_parallel_for(uint32_t n, uint32_t grain, flm_hal_parallel_fn fn, void *ctx)
{
    if (!fn)
        return FLM_ERR_ARG;
    if (grain == 0)
        grain = 1;
    if (n_workers == 0 || n <= grain)
        return n ? fn(ctx, 0, n) : FLM_OK;
    /* about four pieces per worker, so a worker that is late or slow
     * leaves its share to the others; each a multiple of grain */
    uint32_t units = (n + grain - 1) / grain, want = 4 * (n_workers + 1);
    uint32_t per = (units + want - 1) / want;
    job_fn = fn;
    job_ctx = ctx;
    job_n = n;
    job_piece = per * grain;
    job_pieces = (n + job_piece - 1) / job_piece;
    atomic_store_explicit(&next_piece, 0, memory_order_relaxed);
    atomic_store_explicit(&job_err, FLM_OK, memory_order_relaxed);
    /* publish: the next (odd) sequence, no worker inside */
    uint64_t seq = (atomic_load(&state) >> 32) + 1;
    atomic_store(&state, seq << 32);
    if (atomic_load(&sleepers)) {
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&lock);
    }
    run_pieces();
    /* close (even sequence), then wait for the workers inside */
    uint64_t s = atomic_load(&state);
    while (!atomic_compare_exchange_weak(&state, &s, (s & 0xFFFFFFFFu) | (seq + 1) << 32))
        ;
    for (uint32_t i = 0; atomic_load_explicit(&state, memory_order_acquire) & 0xFFFFFFFFu; i++) {
        if (i < 4096)
            cpu_relax();
        else
            sched_yield(); /* a worker inside was descheduled: let it run */
    }
    return (flm_err_t)atomic_load_explicit(&job_err, memory_order_relaxed);
}
