/*
 * What every fuzz harness shares. A harness is one file, tests/fuzz/fuzz_<name>.c,
 * defining libFuzzer's entry point
 *
 *     int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 *
 * with a seed corpus in tests/fuzz/corpus/<name>/ and any inputs that once
 * failed in tests/fuzz/regressions/<name>/. The same file is built twice
 * (tests/fuzz/rules.mk): with clang and libFuzzer for `make fuzz`, and with
 * the normal compiler and tests/fuzz/replay.c for `make test`, which runs
 * every corpus and regression input through it (tests/sh/fuzz_replay.sh).
 * Nothing else changes to add one.
 *
 * Inputs reach streaming parsers in pieces whose sizes the input chooses
 * (flm_fuzz_split_*), so every split of a line, an escape or a chunk header
 * gets tried. A violated invariant aborts with FUZZ_CHECK. With FUZZ_VERBOSE
 * set in the environment, some harnesses say what each input did (replay
 * one input to see why it fails).
 */
#ifndef FLM_FUZZ_H
#define FLM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The split plan: the input's first byte b says how many of the bytes after
 * it (b & 7) are piece sizes, used in turn (0 = the rest of the input); the
 * data proper follows them. No sizes: one piece. */
typedef struct {
    const uint8_t *sizes;
    size_t n, i;
} flm_fuzz_split_t;

static inline void flm_fuzz_split_init(flm_fuzz_split_t *s, const uint8_t **data, size_t *size)
{
    s->sizes = NULL;
    s->n = s->i = 0;
    if (*size == 0)
        return;
    size_t k = (*data)[0] & 7u;
    if (k > *size - 1)
        k = *size - 1;
    s->sizes = *data + 1;
    s->n = k;
    *data += 1 + k;
    *size -= 1 + k;
}

/* The next piece's size, 1..left (0 only when nothing is left). */
static inline size_t flm_fuzz_split_next(flm_fuzz_split_t *s, size_t left)
{
    size_t c = s->n ? s->sizes[s->i++ % s->n] : 0;
    if (c == 0 || c > left)
        c = left;
    return c;
}

/* A byte of options taken off the front of the input (0 if there is none). */
static inline uint8_t flm_fuzz_take_byte(const uint8_t **data, size_t *size)
{
    if (*size == 0)
        return 0;
    uint8_t b = (*data)[0];
    *data += 1;
    *size -= 1;
    return b;
}

/* A heap copy of exactly n bytes (so a sanitizer sees any overread), NUL
 * after them for parsers of text; free() it. */
static inline uint8_t *flm_fuzz_copy(const uint8_t *data, size_t n)
{
    uint8_t *p = malloc(n + 1);
    FUZZ_CHECK(p != NULL);
    if (n)
        memcpy(p, data, n);
    p[n] = 0;
    return p;
}

/* Text that quotes a peer must be safe to print: no C0 control byte, no
 * DEL, no C1 control, and no FLM_OPENAI_MASK_MIN-byte run of the secret. */
static inline bool flm_fuzz_printable(const char *s)
{
    for (const uint8_t *u = (const uint8_t *)s; *u; u++) {
        if (*u < 0x20 || *u == 0x7F)
            return false;
        if (u[0] == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F)
            return false;
    }
    return true;
}

static inline bool flm_fuzz_holds_run_of(const char *s, const char *secret, size_t min)
{
    for (; *s; s++) {
        size_t m = 0;
        while (secret[m] && s[m] == secret[m])
            m++;
        if (m >= min || (secret[m] == '\0' && m > 0))
            return true;
    }
    return false;
}

#endif /* FLM_FUZZ_H */
