#include "core/base/arena.h"

#include <string.h>

void flm_arena_init(flm_arena_t *a, void *buf, size_t size)
{
    a->base = buf;
    a->size = buf ? size : 0;
    a->used = 0;
    a->high_water = 0;
    a->shortfall = 0;
}

void flm_arena_deinit(flm_arena_t *a)
{
    memset(a, 0, sizeof *a);
}

flm_err_t flm_arena_alloc(flm_arena_t *a, size_t n, size_t align, void **out)
{
    if (!a || !out)
        return FLM_ERR_ARG;
    *out = NULL;
    if (align == 0)
        align = FLM_ARENA_DEFAULT_ALIGN;
    if ((align & (align - 1)) != 0)
        return FLM_ERR_ARG;

    /* Align the address, not the offset: the base need not be aligned. */
    uintptr_t start = (uintptr_t)a->base + a->used;
    size_t pad = (size_t)((align - (start & (align - 1))) & (align - 1));
    size_t avail = a->size - a->used;
    if (pad > avail || n > avail - pad) {
        size_t need = pad + n;
        a->shortfall = need < pad ? SIZE_MAX : need - avail; /* saturate on wrap */
        return FLM_ERR_NOMEM;
    }
    uint8_t *p = a->base + a->used + pad;
    a->used += pad + n;
    if (a->used > a->high_water)
        a->high_water = a->used;
    a->shortfall = 0;
    if (n)
        memset(p, 0, n);
    *out = p;
    return FLM_OK;
}

size_t flm_arena_mark(const flm_arena_t *a)
{
    return a->used;
}

void flm_arena_reset(flm_arena_t *a, size_t mark)
{
    if (mark <= a->used)
        a->used = mark;
}

size_t flm_arena_used(const flm_arena_t *a)
{
    return a->used;
}

size_t flm_arena_high_water(const flm_arena_t *a)
{
    return a->high_water;
}

size_t flm_arena_remaining(const flm_arena_t *a)
{
    return a->size - a->used;
}
