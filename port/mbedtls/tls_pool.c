#include "port/mbedtls/tls_pool.h"

#include <stdalign.h>
#include <stdbool.h>
#include <string.h>

#include "core/base/wipe.h"

/* Under AddressSanitizer, free space and the padding after each block are
 * poisoned, so an overrun inside the pool is caught like one on the heap. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN    alignof(max_align_t)
#define HDR      ALIGN                    /* header rounded up to one unit */
#define POOL_LEN (FLM_TLS_POOL_SIZE / ALIGN * ALIGN)

/* Every block starts with this header; blocks tile the pool exactly. */
typedef struct {
    size_t size; /* whole block, header included, a multiple of ALIGN */
    size_t used;
} block_t;

_Static_assert(sizeof(block_t) <= HDR, "block header larger than one unit");
_Static_assert(POOL_LEN >= 4 * HDR, "FLM_TLS_POOL_SIZE too small");

static alignas(max_align_t) uint8_t pool_mem[POOL_LEN];
static bool   pool_ready;
static size_t pool_used, pool_peak, pool_live, pool_failures;

static block_t *block_at(size_t off)
{
    return (block_t *)(void *)(pool_mem + off);
}

static void pool_setup(void)
{
    block_t *b = block_at(0);
    b->size = POOL_LEN;
    b->used = 0;
    POISON(pool_mem + HDR, POOL_LEN - HDR);
    pool_ready = true;
}

/* Absorb the free blocks that follow the free block at off. */
static void coalesce(size_t off)
{
    block_t *b = block_at(off);
    while (off + b->size < POOL_LEN) {
        block_t *next = block_at(off + b->size);
        if (next->used)
            break;
        size_t absorbed = next->size; /* read before the header is poisoned */
        POISON(next, HDR);
        b->size += absorbed;
    }
}

void *flm_tls_pool_calloc(size_t n, size_t size)
{
    if (!pool_ready)
        pool_setup();
    size_t bytes = n * size;
    if (bytes == 0)
        bytes = 1; /* a unique pointer, as a zero-size allocation may be */
    if ((size != 0 && n > SIZE_MAX / size) || bytes > POOL_LEN - HDR) {
        pool_failures++;
        return NULL;
    }
    size_t need = HDR + (bytes + ALIGN - 1) / ALIGN * ALIGN;

    for (size_t off = 0; off < POOL_LEN; off += block_at(off)->size) {
        block_t *b = block_at(off);
        if (b->used)
            continue;
        coalesce(off);
        if (b->size < need)
            continue;
        if (b->size - need >= 2 * HDR) { /* split: the rest stays free */
            UNPOISON(pool_mem + off + need, HDR);
            block_t *rest = block_at(off + need);
            rest->size = b->size - need;
            rest->used = 0;
            b->size = need;
        }
        b->used = 1;
        pool_used += b->size;
        pool_live++;
        if (pool_used > pool_peak)
            pool_peak = pool_used;
        uint8_t *p = pool_mem + off + HDR;
        UNPOISON(p, bytes);
        memset(p, 0, bytes);
        return p;
    }
    pool_failures++;
    return NULL;
}

void flm_tls_pool_free(void *ptr)
{
    if (!ptr || !pool_ready)
        return;
    /* Only pointers this pool handed out are accepted; anything else (a
     * stray or double free) is ignored rather than corrupting the pool. The
     * walk costs little next to a handshake. */
    size_t off = 0;
    while (off < POOL_LEN && pool_mem + off + HDR != (uint8_t *)ptr)
        off += block_at(off)->size;
    if (off >= POOL_LEN || !block_at(off)->used)
        return;
    block_t *b = block_at(off);
    uint8_t *p = ptr;
    size_t payload = b->size - HDR;
    /* Wipe: TLS buffers held plaintext (request headers, the API key). */
    UNPOISON(p, payload);
    flm_wipe(p, payload);
    POISON(p, payload);
    b->used = 0;
    pool_used -= b->size;
    pool_live--;
    coalesce(off);
}

void flm_tls_pool_stats(flm_tls_pool_stats_t *out)
{
    out->size = POOL_LEN;
    out->used = pool_used;
    out->high_water = pool_peak;
    out->live = pool_live;
    out->failures = pool_failures;
}

void flm_tls_pool_reset_peak(void)
{
    pool_peak = pool_used;
    pool_failures = 0;
}
