#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "port/mbedtls/tls_pool.h"
#include "tests/harness/harness.h"

/* The pool is process-wide (mbedTLS has one allocator): every test leaves
 * it as empty as it found it. */

FLM_TEST(tls_pool_alloc_free_reuse)
{
    flm_tls_pool_stats_t s0, s;
    flm_tls_pool_stats(&s0);
    uint8_t *a = flm_tls_pool_calloc(3, 7);
    uint8_t *b = flm_tls_pool_calloc(1, 1000);
    uint8_t *c = flm_tls_pool_calloc(16, 16);
    FLM_CHECK(a && b && c && a != b && b != c);
    FLM_CHECK_EQ((uintptr_t)a % alignof(max_align_t), 0);
    FLM_CHECK_EQ((uintptr_t)b % alignof(max_align_t), 0);
    for (size_t i = 0; i < 1000; i++)
        FLM_CHECK_EQ(b[i], 0);
    memset(a, 0xAA, 21);
    memset(b, 0xBB, 1000);
    memset(c, 0xCC, 256);
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.live, s0.live + 3);
    FLM_CHECK(s.used >= s0.used + 21 + 1000 + 256);
    FLM_CHECK(s.high_water >= s.used);

    flm_tls_pool_free(b);
    uint8_t *d = flm_tls_pool_calloc(1, 900); /* first fit: b's old place */
    FLM_CHECK(d == b);
    for (size_t i = 0; i < 900; i++)
        FLM_CHECK_EQ(d[i], 0); /* zeroed again, nothing of b left */
    FLM_CHECK_EQ(a[20], 0xAA);
    FLM_CHECK_EQ(c[255], 0xCC);

    flm_tls_pool_free(a);
    flm_tls_pool_free(c);
    flm_tls_pool_free(d);
    flm_tls_pool_free(NULL);
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.used, s0.used);
    FLM_CHECK_EQ(s.live, s0.live);
}

FLM_TEST(tls_pool_exhaustion_and_coalescing)
{
    flm_tls_pool_stats_t s0, s;
    flm_tls_pool_reset_peak();
    flm_tls_pool_stats(&s0);
    FLM_CHECK(flm_tls_pool_calloc(1, s0.size) == NULL); /* header never fits */
    FLM_CHECK(flm_tls_pool_calloc(SIZE_MAX / 2, 4) == NULL); /* n * size overflows */
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.failures, 2);

    /* Fill the pool with small blocks until it refuses, free them in an
     * interleaved order, then one block of nearly the whole pool must fit:
     * the free space was merged back. */
    static void *blocks[8192];
    size_t n = 0, each = s0.size / 4096; /* about 4000 blocks, whatever the pool size */
    while (n < sizeof blocks / sizeof blocks[0] && (blocks[n] = flm_tls_pool_calloc(1, each)) != NULL)
        n++;
    FLM_CHECK(n > 100 && n < sizeof blocks / sizeof blocks[0]);
    flm_tls_pool_stats(&s);
    FLM_CHECK(s.size - s.high_water < each + 2 * alignof(max_align_t)); /* full */
    for (size_t i = 0; i < n; i += 2)
        flm_tls_pool_free(blocks[i]);
    FLM_CHECK(flm_tls_pool_calloc(1, 3 * each) == NULL); /* fragmented: only small holes */
    for (size_t i = 1; i < n; i += 2)
        flm_tls_pool_free(blocks[i]);
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.used, s0.used);
    void *big = flm_tls_pool_calloc(1, s.size - s.used - 4 * alignof(max_align_t));
    FLM_CHECK(big != NULL);
    flm_tls_pool_free(big);
}

FLM_TEST(tls_pool_ignores_foreign_and_double_free)
{
    flm_tls_pool_stats_t s0, s;
    flm_tls_pool_stats(&s0);
    uint8_t *a = flm_tls_pool_calloc(1, 64);
    FLM_CHECK(a != NULL);
    static uint8_t elsewhere[64];
    flm_tls_pool_free(elsewhere);   /* not ours */
    flm_tls_pool_free(a + 16);      /* inside a block, not its start */
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.live, s0.live + 1);
    flm_tls_pool_free(a);
    flm_tls_pool_free(a);           /* double free */
    flm_tls_pool_stats(&s);
    FLM_CHECK_EQ(s.live, s0.live);
    FLM_CHECK_EQ(s.used, s0.used);
}
