/*
 * The run-time half of "no heap in the runtime": this program replaces the
 * C library's allocator (glibc lets a program define malloc, free, calloc,
 * realloc and their kin, and then calls them from inside itself too: from
 * fopen, strdup, tzset, getaddrinfo, ...) with one that only counts while
 * armed. Armed from before flm_runtime_init() to after flm_runtime_deinit(),
 * it makes real requests (whole and streamed) through the runtime over TLS
 * to the server in CONFIG, and fails if anything allocated meanwhile.
 *
 *   alloc_probe CONFIG PROMPT    exit 0: answered, no allocation while armed
 *   alloc_probe --selftest       exit 0: the trap sees glibc's gmtime_r
 *                                allocate (tzset) when armed
 *
 * tests/sh/noheap_runtime.sh runs both against cloudsim. Not for SAN=1
 * builds: the sanitizers bring their own allocator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/runtime/runtime.h"
#include "port/mbedtls/tls_pool.h"
#if FLM_HAL_HAS_TLS
#include "port/mbedtls/tls_libc.h"
#endif

/* ---- the allocator ------------------------------------------------------- */

/* A bump allocator over a static arena: what the C library and the dynamic
 * loader need before and after the armed span (a few KiB). Each block has
 * its size in front, for realloc; free returns nothing. */
#define ARENA_BYTES (16u << 20)
#define HDR 16u
static alignas(16) unsigned char arena[ARENA_BYTES];
static size_t top;
static volatile int armed;
static volatile unsigned long armed_calls;
static const char *first_fn;
static void *first_caller;

static void note(const char *fn, void *caller)
{
    if (armed && armed_calls++ == 0) {
        first_fn = fn;
        first_caller = caller;
    }
}

static void *bump(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    if (n > ARENA_BYTES || align > 4096) {
        errno = ENOMEM;
        return NULL;
    }
    size_t at = (top + HDR + align - 1) & ~(align - 1);
    if (at + n > ARENA_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    top = at + n;
    memcpy(arena + at - sizeof(size_t), &n, sizeof n);
    return arena + at; /* fresh BSS: already zero */
}

static size_t block_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - sizeof(size_t), sizeof n);
    return n;
}

void *malloc(size_t n)
{
    note("malloc", __builtin_return_address(0));
    return bump(n, 16);
}

void free(void *p)
{
    if (p)
        note("free", __builtin_return_address(0));
}

void *calloc(size_t a, size_t b)
{
    note("calloc", __builtin_return_address(0));
    if (b && a > SIZE_MAX / b) {
        errno = ENOMEM;
        return NULL;
    }
    return bump(a * b, 16);
}

void *realloc(void *p, size_t n)
{
    note("realloc", __builtin_return_address(0));
    void *q = bump(n, 16);
    if (q && p) {
        size_t old = block_size(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

void *aligned_alloc(size_t align, size_t n)
{
    note("aligned_alloc", __builtin_return_address(0));
    return bump(n, align);
}

void *memalign(size_t align, size_t n)
{
    note("memalign", __builtin_return_address(0));
    return bump(n, align);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    note("posix_memalign", __builtin_return_address(0));
    *out = bump(n, align);
    return *out ? 0 : ENOMEM;
}

void *valloc(size_t n)
{
    note("valloc", __builtin_return_address(0));
    return bump(n, 4096);
}

void *pvalloc(size_t n)
{
    note("pvalloc", __builtin_return_address(0));
    return bump((n + 4095) & ~(size_t)4095, 4096);
}

size_t malloc_usable_size(void *p)
{
    return p ? block_size(p) : 0;
}

/* ---- the probe ----------------------------------------------------------- */

static void say(const char *s)
{
    (void)!write(STDOUT_FILENO, s, strlen(s));
}

static int report_trap(const char *what)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %lu allocator call(s) while armed; the first: %s from %p\n",
             what, (unsigned long)armed_calls, first_fn ? first_fn : "?", first_caller);
    say(line);
    return armed_calls != 0;
}

static int selftest(void)
{
    /* glibc's first gmtime_r runs tzset, which allocates: the trap must see
     * it, or it proves nothing about the runtime. */
    unsetenv("TZ");
    time_t t = 1700000000;
    struct tm tm;
    armed = 1;
    struct tm *r = gmtime_r(&t, &tm);
    armed = 0;
    if (!r) {
        say("selftest: gmtime_r failed\n");
        return 1;
    }
    if (!report_trap("selftest (glibc gmtime_r)")) {
        say("selftest: the trap missed tzset's allocations\n");
        return 1;
    }
    return 0;
}

typedef struct {
    char   text[256];
    size_t len;
} sink_t;

static flm_err_t on_delta(void *user, const char *t, size_t n)
{
    sink_t *s = user;
    if (n > sizeof s->text - 1 - s->len)
        return FLM_ERR_OVERFLOW;
    memcpy(s->text + s->len, t, n);
    s->len += n;
    s->text[s->len] = '\0';
    return FLM_OK;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--selftest") == 0)
        return selftest();
    if (argc != 3) {
        say("usage: alloc_probe CONFIG PROMPT | --selftest\n");
        return 2;
    }
    static flm_runtime_t rt;
    static sink_t streamed;
    char want[300];
    snprintf(want, sizeof want, "Echo: %s", argv[2]);
    flm_runtime_config_t rc = {
        .config_path = argv[1], .config_default_section = "cloud", .need_cloud = true,
    };
    flm_err_t errs[2] = { FLM_OK, FLM_OK };
    bool same[2] = { false, false };

    armed = 1; /* from here to deinit, no allocator call may happen */
    flm_err_t err = flm_runtime_init(&rt, &rc);
    for (int i = 0; !err && i < 2; i++) {
        flm_cloud_request_t rq = { .prompt = argv[2], .temperature_milli = -1, .stream = i == 1,
                                   .on_delta = i == 1 ? on_delta : NULL, .user = &streamed };
        flm_cloud_result_t res;
        errs[i] = flm_cloud_complete(&rt.cloud, &rq, &res);
        same[i] = !errs[i] && strcmp(i == 1 ? streamed.text : res.reply->text, want) == 0;
    }
    flm_runtime_deinit(&rt);
    armed = 0;

    char line[512];
    if (err) {
        snprintf(line, sizeof line, "runtime: %s\n", rt.detail);
        say(line);
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        snprintf(line, sizeof line, "%s request: %s%s\n", i ? "streamed" : "whole",
                 flm_strerror(errs[i]), errs[i] || same[i] ? "" : " (but a wrong answer)");
        say(line);
    }
    int status = 0;
#if FLM_HAL_HAS_TLS
    if (flm_tls_libc_refusals()) {
        snprintf(line, sizeof line, "mbedTLS made %lu refused libc call(s)\n", flm_tls_libc_refusals());
        say(line);
        status = 1;
    }
#endif
    if (report_trap("runtime init, two TLS requests, deinit"))
        status = 1;
    if (!same[0] || !same[1])
        status = 1;
    return status;
}
