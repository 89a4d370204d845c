/*
 * Static memory arena: a bump allocator over a caller-provided buffer.
 *
 * The runtime never touches the heap. Every buffer it needs comes from an
 * arena whose backing store is a static array (or a linker-placed region on a
 * board), sized at build time. The arena tracks a high-water mark so a build
 * can report exactly how much RAM a workload used, and exhaustion is an
 * error (FLM_ERR_NOMEM) that names the shortfall, never an overflow.
 *
 *   static uint8_t mem[64 * 1024];
 *   flm_arena_t a;
 *   flm_arena_init(&a, mem, sizeof mem);
 *   int32_t *x;
 *   err = flm_arena_alloc(&a, n * sizeof *x, _Alignof(int32_t), (void **)&x);
 */
#ifndef FLM_ARENA_H
#define FLM_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

/* Default alignment of flm_arena_alloc when align is 0: enough for any
 * scalar and for 16-byte SIMD loads. */
#define FLM_ARENA_DEFAULT_ALIGN 16u

typedef struct {
    uint8_t *base;      /* start of the backing buffer */
    size_t   size;      /* bytes in the backing buffer */
    size_t   used;      /* bytes handed out (including alignment padding) */
    size_t   high_water;/* largest value `used` has reached */
    size_t   shortfall; /* bytes missing on the last failed request, else 0 */
} flm_arena_t;

/* Use `buf` (size bytes) as backing store. buf may be NULL only if size is 0. */
void flm_arena_init(flm_arena_t *a, void *buf, size_t size);

/* Forget the buffer; the arena must be re-initialised before use. */
void flm_arena_deinit(flm_arena_t *a);

/* Reserve n bytes aligned to `align` (a power of two, or 0 for the default).
 * On success *out points to zeroed memory. On exhaustion returns
 * FLM_ERR_NOMEM, leaves the arena unchanged and records a->shortfall. */
flm_err_t flm_arena_alloc(flm_arena_t *a, size_t n, size_t align, void **out);

/* Scoped use: remember the fill level, then roll back to it. */
size_t flm_arena_mark(const flm_arena_t *a);
void   flm_arena_reset(flm_arena_t *a, size_t mark);

size_t flm_arena_used(const flm_arena_t *a);
size_t flm_arena_high_water(const flm_arena_t *a);
size_t flm_arena_remaining(const flm_arena_t *a);

#endif /* FLM_ARENA_H */
