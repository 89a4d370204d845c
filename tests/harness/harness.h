/*
 * fieldlm unit-test harness: a few dozen lines, no dependencies.
 *
 *   FLM_TEST(arena_alignment) { ... FLM_CHECK(x == 3); ... }
 *
 * Every FLM_TEST in the files of tests/unit/ is found by the Makefile (grep) and run by
 * harness.c. A failed check records file:line and returns from the test.
 * FLM_SKIP("why") marks a test skipped (e.g. ../shared/ is absent).
 * Run one test or a prefix: build/host/tests/unit arena_
 */
#ifndef FLM_TEST_HARNESS_H
#define FLM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLM_TEST(name)                                                    \
    void flm_test_##name(void);                                           \
    void flm_test_##name(void)

void flm_test_fail(const char *file, int line, const char *fmt, ...);
void flm_test_skip(const char *why);

#define FLM_CHECK(cond)                                                   \
    do {                                                                  \
        if (!(cond)) {                                                    \
            flm_test_fail(__FILE__, __LINE__, "%s", #cond);               \
            return;                                                       \
        }                                                                 \
    } while (0)

#define FLM_CHECK_MSG(cond, ...)                                          \
    do {                                                                  \
        if (!(cond)) {                                                    \
            flm_test_fail(__FILE__, __LINE__, __VA_ARGS__);               \
            return;                                                       \
        }                                                                 \
    } while (0)

#define FLM_CHECK_EQ(a, b)                                                \
    do {                                                                  \
        long long flm_a_ = (long long)(a), flm_b_ = (long long)(b);       \
        if (flm_a_ != flm_b_) {                                           \
            flm_test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)",  \
                          #a, #b, flm_a_, flm_b_);                        \
            return;                                                       \
        }                                                                 \
    } while (0)

#define FLM_SKIP(why)                                                     \
    do {                                                                  \
        flm_test_skip(why);                                               \
        return;                                                           \
    } while (0)

/* Path of a file in the read-only reference folder ../shared/ (or
 * $FLM_SHARED), or NULL if it is not there: tests then FLM_SKIP. The
 * returned string is valid until the next call. */
const char *flm_test_shared(const char *relpath);

/* Marsaglia's xorshift32: the tests' deterministic random stream. Each
 * test file keeps its own state (any non-zero seed). */
static inline uint32_t flm_test_xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Does [hay, hay + n) hold the bytes of needle anywhere? (memmem is not C11;
 * the secret-leak checks search whole structs with it.) */
bool flm_test_contains(const void *hay, size_t n, const char *needle);

/* A scratch directory for this test run (created on first use). */
const char *flm_test_tmpdir(void);

#endif /* FLM_TEST_HARNESS_H */
