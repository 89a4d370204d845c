#include "core/base/arena.h"
#include "tests/harness/harness.h"

FLM_TEST(arena_alignment_and_high_water)
{
    static uint8_t mem[256];
    flm_arena_t a;
    flm_arena_init(&a, mem + 1, sizeof mem - 1); /* deliberately misaligned base */
    void *p = NULL, *q = NULL;
    FLM_CHECK_EQ(flm_arena_alloc(&a, 3, 1, &p), FLM_OK);
    FLM_CHECK_EQ(flm_arena_alloc(&a, 8, 8, &q), FLM_OK);
    FLM_CHECK_EQ((uintptr_t)q % 8, 0);
    FLM_CHECK((uint8_t *)q >= (uint8_t *)p + 3);
    void *r = NULL;
    FLM_CHECK_EQ(flm_arena_alloc(&a, 10, 0, &r), FLM_OK);
    FLM_CHECK_EQ((uintptr_t)r % FLM_ARENA_DEFAULT_ALIGN, 0);
    size_t hw = flm_arena_high_water(&a);
    FLM_CHECK(hw >= 21 && hw == flm_arena_used(&a));

    size_t mark = flm_arena_mark(&a);
    FLM_CHECK_EQ(flm_arena_alloc(&a, 100, 4, &r), FLM_OK);
    flm_arena_reset(&a, mark);
    FLM_CHECK_EQ(flm_arena_used(&a), mark);
    FLM_CHECK(flm_arena_high_water(&a) >= mark + 100); /* high water remembers */
}

FLM_TEST(arena_exhaustion_is_an_error)
{
    static uint8_t mem[64];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    void *p = (void *)&a;
    FLM_CHECK_EQ(flm_arena_alloc(&a, 48, 1, &p), FLM_OK);
    size_t used = flm_arena_used(&a);
    FLM_CHECK_EQ(flm_arena_alloc(&a, 20, 1, &p), FLM_ERR_NOMEM);
    FLM_CHECK(p == NULL);
    FLM_CHECK_EQ(a.shortfall, 4);
    FLM_CHECK_EQ(flm_arena_used(&a), used); /* unchanged on failure */
    FLM_CHECK_EQ(flm_arena_alloc(&a, SIZE_MAX, 1, &p), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(flm_arena_alloc(&a, SIZE_MAX - 3, 64, &p), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(flm_arena_alloc(&a, 16, 1, &p), FLM_OK); /* exactly fills */
    FLM_CHECK_EQ(flm_arena_remaining(&a), 0);
}

FLM_TEST(arena_rejects_bad_alignment)
{
    static uint8_t mem[64];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    void *p;
    FLM_CHECK_EQ(flm_arena_alloc(&a, 4, 3, &p), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_arena_alloc(NULL, 4, 4, &p), FLM_ERR_ARG);
}

FLM_TEST(arena_returns_zeroed_memory)
{
    static uint8_t mem[64];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    uint8_t *p;
    FLM_CHECK_EQ(flm_arena_alloc(&a, 32, 1, (void **)&p), FLM_OK);
    p[5] = 9;
    flm_arena_reset(&a, 0);
    FLM_CHECK_EQ(flm_arena_alloc(&a, 32, 1, (void **)&p), FLM_OK);
    FLM_CHECK_EQ(p[5], 0);
}
