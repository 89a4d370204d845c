/* Every kernel variant this build has, and this CPU can run, gives the same
 * bits as its plain C reference: random and ragged shapes (group size not
 * dividing the row, groups and rows longer than 256 columns, odd lengths,
 * one column), extreme values and several shifts. Each matvec case runs
 * twice: with its inputs at the very end of their buffers, so a variant
 * that reads one element too far trips AddressSanitizer (`make test
 * SAN=1`), and followed by random guard values, so one that sums too far
 * gets other bits. Runs on every board the unit tests run on (x86-64 AVX2,
 * armhf DSP under qemu-arm, aarch64). */
#include <stdint.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/kernels/variants.h"
#include "tests/harness/harness.h"

static uint32_t rng = 0x9E3779B9u;

static uint32_t next(void)
{
    return flm_test_xorshift32(&rng);
}

static uint32_t below(uint32_t n)
{
    return next() % n;
}

/* The _ref of op, and the other variants of op this CPU runs. */
static const flm_kernel_variant_t *ref_of(flm_kernel_op_t op)
{
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    for (size_t i = 0; i < n; i++)
        if (v[i].op == op && strcmp(v[i].isa, "ref") == 0)
            return &v[i];
    return NULL;
}

FLM_TEST(kernels_variants_registry)
{
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    FLM_CHECK(n >= FLM_KOP_COUNT);
    for (int op = 0; op < FLM_KOP_COUNT; op++) {
        /* one _ref per op, listed last, always available */
        const flm_kernel_variant_t *ref = ref_of((flm_kernel_op_t)op), *last = NULL, *best = NULL;
        FLM_CHECK(ref != NULL);
        for (size_t i = 0; i < n; i++)
            if (v[i].op == (flm_kernel_op_t)op) {
                last = &v[i];
                if (!best && flm_kernel_variant_available(&v[i]))
                    best = &v[i];
            }
        FLM_CHECK(last == ref && best != NULL);
        FLM_CHECK(flm_kernel_variant_available(ref));
        /* the public name resolves to the best variant this CPU runs */
        const flm_kernel_variant_t *sel = flm_kernel_selected((flm_kernel_op_t)op);
        FLM_CHECK_MSG(sel == best, "op %d selects %s, best is %s", op, sel ? sel->name : "none",
                      best->name);
        printf("    %s -> %s\n", ref->name, sel->name);
    }
    for (size_t i = 0; i < n; i++) {
        /* flm_<op>_<type>_<isa> */
        size_t ln = strlen(v[i].name), li = strlen(v[i].isa);
        FLM_CHECK(strncmp(v[i].name, "flm_", 4) == 0 && ln > li + 5);
        FLM_CHECK(v[i].name[ln - li - 1] == '_' && strcmp(v[i].name + ln - li, v[i].isa) == 0);
        for (size_t j = 0; j < i; j++)
            FLM_CHECK(strcmp(v[i].name, v[j].name) != 0);
    }
    /* pinning: the build's own choice is always accepted, NULL restores */
    FLM_CHECK_EQ(flm_kernels_use("flm_no_such_kernel"), FLM_ERR_NOT_FOUND);
    const flm_kernel_variant_t *sel = flm_kernel_selected(FLM_KOP_MATVEC_Q8_S16);
    FLM_CHECK_EQ(flm_kernels_use(sel->name), FLM_OK);
    if (FLM_KERNELS_RUNTIME_MATVEC_Q8_S16) {
        FLM_CHECK_EQ(flm_kernels_use("flm_matvec_q8_s16_ref"), FLM_OK);
        FLM_CHECK(flm_kernel_selected(FLM_KOP_MATVEC_Q8_S16) == ref_of(FLM_KOP_MATVEC_Q8_S16));
        flm_kernels_init(); /* keeps the pinned choice */
        FLM_CHECK(flm_kernel_selected(FLM_KOP_MATVEC_Q8_S16) == ref_of(FLM_KOP_MATVEC_Q8_S16));
    }
    FLM_CHECK_EQ(flm_kernels_use(NULL), FLM_OK);
    FLM_CHECK(flm_kernel_selected(FLM_KOP_MATVEC_Q8_S16) == sel);
}

/* ---- matvec -------------------------------------------------------------- */

/* Pools the test matrices are carved from, each ending at its pool's end. */
enum { POOL_Q = 160 * 1024, POOL_S = 4096, POOL_X = 70 * 1024, MAX_ROWS = 64 };
static int8_t pool_q[POOL_Q];
static int32_t pool_s[POOL_S];
static int16_t pool_x[POOL_X];

typedef enum { FILL_RANDOM, FILL_EXTREME, FILL_SMALL } fill_t;

static int8_t rand_q8(fill_t f)
{
    if (f == FILL_EXTREME)
        return next() & 1u ? -128 : 127;
    if (f == FILL_SMALL)
        return (int8_t)((int32_t)below(7) - 3);
    return (int8_t)(next() & 0xFFu);
}

static int16_t rand_s16(fill_t f)
{
    if (f == FILL_EXTREME)
        return next() & 1u ? -32768 : 32767;
    return (int16_t)(next() & 0xFFFFu);
}

static int32_t rand_scale(fill_t f)
{
    const int32_t max = FLM_QMAT_SCALE_LIMIT - 1; /* the contract's largest */
    if (f == FILL_EXTREME)
        return next() & 1u ? max : -max;
    return (int32_t)below(2u * (uint32_t)max + 1u) - max;
}

/* A rows x cols matrix with groups of gs, and an input vector, each
 * followed by `guard` random elements before the end of its pool. */
static bool make_matvec(flm_qmat_t *m, const int16_t **x, uint32_t rows, uint32_t cols,
                        uint32_t gs, int32_t scale_shift, fill_t f, uint32_t guard)
{
    uint32_t ng = (cols + gs - 1) / gs;
    if ((size_t)rows * cols + guard > POOL_Q || (size_t)rows * ng + guard > POOL_S ||
        cols + guard > POOL_X || rows > MAX_ROWS)
        return false;
    for (uint32_t i = 1; i <= guard; i++) {
        pool_q[POOL_Q - i] = (int8_t)(next() | 1u);
        pool_s[POOL_S - i] = (int32_t)(next() >> 9) + 1;
        pool_x[POOL_X - i] = (int16_t)(next() | 1u);
    }
    int8_t *q = pool_q + POOL_Q - guard - (size_t)rows * cols;
    int32_t *s = pool_s + POOL_S - guard - (size_t)rows * ng;
    int16_t *xv = pool_x + POOL_X - guard - cols;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        q[i] = rand_q8(f);
    for (size_t i = 0; i < (size_t)rows * ng; i++)
        s[i] = rand_scale(f);
    for (uint32_t i = 0; i < cols; i++)
        xv[i] = rand_s16(f);
    /* worst case for int32 group sums: every product +2^22 */
    if (f == FILL_EXTREME && (next() & 1u))
        for (uint32_t i = 0; i < cols; i++)
            xv[i] = q[i] < 0 ? -32768 : 32767;
    *m = (flm_qmat_t){ q, s, rows, cols, gs, ng, scale_shift, 8 };
    *x = xv;
    return true;
}

/* Runs every available variant on (m, x) at several shifts; false if one
 * differs from the _ref (and says where). */
static bool matvec_agrees(const flm_qmat_t *m, const int16_t *x, unsigned *compared)
{
    static const int32_t shifts[][2] = { { 16, 16 }, { 0, 0 }, { 15, 30 }, { -7, 20 },
                                         { 62, -20 }, { -62, 62 }, { 3, 40 }, { 30, -62 } };
    static int32_t want[MAX_ROWS + 1], got[MAX_ROWS + 1];
    const flm_kernel_variant_t *ref = ref_of(FLM_KOP_MATVEC_Q8_S16);
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
        memset(want, 0x55, sizeof want);
        flm_err_t e_want = ref->fn.matvec_q8_s16(m, x, shifts[k][0], want, shifts[k][1]);
        for (size_t i = 0; i < n; i++) {
            if (v[i].op != FLM_KOP_MATVEC_Q8_S16 || &v[i] == ref ||
                !flm_kernel_variant_available(&v[i]))
                continue;
            memset(got, 0x55, sizeof got);
            flm_err_t e_got = v[i].fn.matvec_q8_s16(m, x, shifts[k][0], got, shifts[k][1]);
            if (e_got != e_want || memcmp(got, want, sizeof got) != 0) {
                uint32_t r = 0;
                while (r < m->rows && got[r] == want[r])
                    r++;
                printf("    %s: %ux%u gs %u scale_shift %d shifts (%d, %d): err %d/%d, row %u: "
                       "%d, _ref %d\n", v[i].name, m->rows, m->cols, m->gs, m->scale_shift,
                       shifts[k][0], shifts[k][1], e_got, e_want, r, got[r], want[r]);
                return false;
            }
            (*compared)++;
        }
    }
    return true;
}

FLM_TEST(kernels_variants_matvec)
{
    /* rows, cols, group size: ragged, odd, tiny, one column, > 256 */
    static const uint32_t shapes[][3] = {
        { 1, 1, 1 }, { 3, 1, 32 }, { 2, 7, 3 }, { 3, 15, 16 }, { 5, 17, 16 }, { 4, 31, 8 },
        { 2, 33, 32 }, { 64, 64, 32 }, { 7, 172, 32 }, { 9, 65, 13 }, { 5, 48, 16 },
        { 5, 80, 16 }, { 5, 96, 16 }, { 5, 112, 16 }, { 3, 64, 1 }, { 3, 63, 2 },
        { 6, 255, 255 }, { 6, 256, 256 }, { 2, 257, 256 }, { 2, 300, 257 }, { 3, 600, 600 },
        { 2, 1000, 300 }, { 2, 513, 512 }, { 3, 768, 32 }, { 1, 4099, 4096 }, { 4, 777, 100 },
        { 1, 65536, 65536 }, { 2, 65536, 64 },
        /* one or two groups a row, odd row counts (rows share reductions) */
        { 9, 20, 32 }, { 9, 50, 50 }, { 4, 1, 1 }, { 8, 256, 256 }, { 9, 40, 20 },
        { 7, 45, 32 }, { 5, 63, 32 }, { 6, 512, 256 }, { 5, 300, 150 }, { 3, 257, 200 },
    };
    static const int32_t scale_shifts[] = { 30, 0, 13, 62 };
    unsigned compared = 0;
    rng = 0x9E3779B9u;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int f = FILL_RANDOM; f <= FILL_SMALL; f++)
            for (uint32_t guard = 0; guard <= 300; guard += 300) {
                flm_qmat_t m;
                const int16_t *x;
                FLM_CHECK(make_matvec(&m, &x, shapes[k][0], shapes[k][1], shapes[k][2],
                                      scale_shifts[(k + (size_t)f) % 4], (fill_t)f, guard));
                FLM_CHECK(matvec_agrees(&m, x, &compared));
            }
    for (int trial = 0; trial < 300; trial++) {
        uint32_t cols = 1 + below(trial < 200 ? 300 : 1500);
        uint32_t gs = 1 + below(trial % 3 ? 64 : cols + 40);
        flm_qmat_t m;
        const int16_t *x;
        FLM_CHECK(make_matvec(&m, &x, 1 + below(9), cols, gs, (int32_t)below(63),
                              (fill_t)below(3), trial % 2 ? 300 : 0));
        FLM_CHECK(matvec_agrees(&m, x, &compared));
    }
    /* bad arguments are refused alike */
    flm_qmat_t m;
    const int16_t *x;
    FLM_CHECK(make_matvec(&m, &x, 4, 40, 16, 30, FILL_RANDOM, 0));
    flm_qmat_t bad[4] = { m, m, m, m };
    bad[0].gs = 0;
    bad[1].ngroups = 2;
    bad[2].scale_shift = 63;
    bad[3].cols = FLM_KERNEL_MAX_COLS + 1;
    for (int b = 0; b < 4; b++)
        FLM_CHECK(matvec_agrees(&bad[b], x, &compared));
    FLM_CHECK(matvec_agrees(&m, NULL, &compared));
    printf("    %u matvec comparisons with the _ref\n", compared);
}

/* ---- matmat (n positions at once) ---------------------------------------- */

/* Every matmat variant, the _ref included, against n calls of the matvec
 * _ref: the batched prefill's contract. The n inputs are pool_x's last
 * n * cols elements (the last position at the pool's end). */
static bool matmat_agrees(const flm_qmat_t *m, uint32_t n, unsigned *compared)
{
    enum { MAXN = 5 };
    static int32_t want[MAXN * (MAX_ROWS + 1)], got[MAXN * (MAX_ROWS + 1)];
    int32_t shifts[MAXN];
    const size_t ostride = m->rows + 1u; /* one spare element between positions */
    const int16_t *x = pool_x + POOL_X - (size_t)n * m->cols;
    for (uint32_t b = 0; b < n; b++)
        shifts[b] = (int32_t)below(40) - 10;
    int32_t out_shift = (int32_t)below(50) - 10;
    memset(want, 0x55, sizeof want);
    for (uint32_t b = 0; b < n; b++)
        if (flm_matvec_q8_s16_ref(m, x + (size_t)b * m->cols, shifts[b], want + b * ostride,
                                  out_shift) != FLM_OK)
            return false;
    size_t nv;
    const flm_kernel_variant_t *v = flm_kernel_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        if (v[i].op != FLM_KOP_MATMAT_Q8_S16 || !flm_kernel_variant_available(&v[i]))
            continue;
        memset(got, 0x55, sizeof got);
        flm_err_t e = v[i].fn.matmat_q8_s16(m, n, x, m->cols, shifts, got, ostride, out_shift);
        if (e != FLM_OK || memcmp(got, want, sizeof got) != 0) {
            printf("    %s: %ux%u gs %u, %u positions: err %d\n", v[i].name, m->rows, m->cols,
                   m->gs, n, e);
            return false;
        }
        /* bad arguments: refused, nothing written */
        int32_t bad_shift[MAXN];
        memcpy(bad_shift, shifts, sizeof shifts);
        bad_shift[n - 1] = 63;
        memset(got, 0x55, sizeof got);
        if (v[i].fn.matmat_q8_s16(m, n, x, m->cols, bad_shift, got, ostride, out_shift) !=
                FLM_ERR_ARG ||
            v[i].fn.matmat_q8_s16(m, 0, x, m->cols, shifts, got, ostride, out_shift) !=
                FLM_ERR_ARG ||
            (n > 1 && v[i].fn.matmat_q8_s16(m, n, x, m->cols - 1, shifts, got, ostride,
                                            out_shift) != FLM_ERR_ARG) ||
            got[0] != 0x55555555) {
            printf("    %s: bad arguments not refused alike\n", v[i].name);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_variants_matmat)
{
    static const uint32_t shapes[][3] = {
        { 1, 1, 1 }, { 3, 15, 16 }, { 4, 31, 8 }, { 9, 65, 13 }, { 7, 172, 32 },
        { 64, 64, 32 }, { 8, 288, 32 }, { 13, 288, 32 }, { 6, 255, 255 }, { 2, 300, 257 },
        { 5, 768, 32 }, { 9, 50, 50 }, { 4, 777, 100 }, { 11, 160, 32 }, { 1, 4099, 4096 },
    };
    unsigned compared = 0;
    rng = 0x27D4EB2Fu;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (uint32_t n = 1; n <= 5; n += 2)
            for (int f = FILL_RANDOM; f <= FILL_SMALL; f++) {
                flm_qmat_t m;
                const int16_t *x;
                FLM_CHECK(make_matvec(&m, &x, shapes[k][0], shapes[k][1], shapes[k][2],
                                      (int32_t)below(31), (fill_t)f, 0));
                for (size_t i = 0; i < (size_t)n * m.cols; i++)
                    pool_x[POOL_X - 1 - i] = rand_s16((fill_t)f);
                FLM_CHECK(matmat_agrees(&m, n, &compared));
            }
    printf("    %u matmat comparisons with n matvec _ref calls\n", compared);
}

/* Groups of 32 (the converter's default) take their own path on x86-64
 * AVX-512 VNNI (16-row blocks, column chunks of 12288 / positions, passes of
 * 16 positions): row counts around multiples of 16, rows past a chunk and
 * past a span of blocks, 1 to 17 positions, extreme values, max scales. */
static bool g32_fits(uint32_t rows, uint32_t cols, uint32_t n)
{
    return (size_t)n * cols <= POOL_X && (size_t)rows * cols <= POOL_Q &&
           (size_t)rows * ((cols + 31) / 32) <= POOL_S;
}

static bool matmat_g32_agrees(uint32_t rows, uint32_t cols, uint32_t n, fill_t f,
                              unsigned *compared)
{
    enum { R = 80, N = 17 };
    static int32_t want[N * (R + 1)], got[N * (R + 1)];
    flm_qmat_t m;
    const int16_t *x0;
    if (rows > R || n > N || (size_t)n * cols > POOL_X ||
        !make_matvec(&m, &x0, 1, cols, 32, 0, f, 0))
        return false;
    /* make_matvec fills one row: this test's matrix is rows x cols */
    uint32_t ng = m.ngroups;
    if (!g32_fits(rows, cols, n))
        return false;
    int8_t *q = pool_q + POOL_Q - (size_t)rows * cols;
    int32_t *sc = pool_s + POOL_S - (size_t)rows * ng;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        q[i] = rand_q8(f);
    for (size_t i = 0; i < (size_t)rows * ng; i++)
        sc[i] = rand_scale(f);
    m = (flm_qmat_t){ q, sc, rows, cols, 32, ng, (int32_t)below(31), 8 };
    int16_t *x = pool_x + POOL_X - (size_t)n * cols;
    for (size_t i = 0; i < (size_t)n * cols; i++)
        x[i] = rand_s16(f);
    if (f == FILL_EXTREME && (next() & 1u)) /* every product +2^22 */
        for (uint32_t b = 0; b < n; b++)
            for (uint32_t i = 0; i < cols; i++)
                x[(size_t)b * cols + i] = q[i] < 0 ? -32768 : 32767;
    int32_t shifts[N];
    for (uint32_t b = 0; b < n; b++)
        shifts[b] = (int32_t)below(40) - 10;
    const int32_t out_shift = (int32_t)below(50) - 10;
    const size_t ostride = rows + 1u;
    memset(want, 0x55, sizeof want);
    for (uint32_t b = 0; b < n; b++)
        if (flm_matvec_q8_s16_ref(&m, x + (size_t)b * cols, shifts[b], want + b * ostride,
                                  out_shift) != FLM_OK)
            return false;
    size_t nv;
    const flm_kernel_variant_t *v = flm_kernel_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        if (!flm_kernel_variant_available(&v[i]))
            continue;
        if (v[i].op == FLM_KOP_MATMAT_Q8_S16) {
            memset(got, 0x55, sizeof got);
            if (v[i].fn.matmat_q8_s16(&m, n, x, cols, shifts, got, ostride, out_shift) != FLM_OK ||
                memcmp(got, want, sizeof got) != 0) {
                printf("    %s: %ux%u gs 32, %u positions\n", v[i].name, rows, cols, n);
                return false;
            }
            (*compared)++;
        } else if (v[i].op == FLM_KOP_MATVEC_Q8_S16) {
            for (uint32_t b = 0; b < n; b++) {
                memset(got, 0x55, sizeof got);
                if (v[i].fn.matvec_q8_s16(&m, x + (size_t)b * cols, shifts[b], got, out_shift) !=
                        FLM_OK ||
                    memcmp(got, want + b * ostride, rows * sizeof got[0]) != 0 ||
                    got[rows] != 0x55555555) {
                    printf("    %s: %ux%u gs 32, position %u\n", v[i].name, rows, cols, b);
                    return false;
                }
                (*compared)++;
            }
        }
    }
    return true;
}

FLM_TEST(kernels_variants_matmat_g32)
{
    /* rows, cols */
    static const uint32_t shapes[][2] = {
        { 1, 32 },  { 15, 288 }, { 16, 288 }, { 17, 288 }, { 31, 65 },   { 32, 31 },
        { 33, 96 }, { 47, 600 }, { 48, 768 }, { 70, 600 }, { 65, 1030 }, { 3, 8200 },
        { 18, 4100 }, { 80, 1 }, { 12, 8192 }, { 2, 9000 }, { 2, 12320 }, { 3, 12300 },
    };
    static const uint32_t ns[] = { 1, 2, 3, 4, 7, 16, 17 };
    unsigned compared = 0;
    rng = 0x85EBCA6Bu;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
            for (int f = FILL_RANDOM; f <= FILL_SMALL; f++) {
                if (!g32_fits(shapes[k][0], shapes[k][1], ns[j]))
                    continue;
                FLM_CHECK(matmat_g32_agrees(shapes[k][0], shapes[k][1], ns[j], (fill_t)f,
                                            &compared));
            }
    for (int trial = 0; trial < 60; trial++) {
        uint32_t rows = 1 + below(80), cols = 1 + below(trial % 4 ? 700 : 3000);
        uint32_t n = 1 + below(17);
        if (!g32_fits(rows, cols, n))
            continue;
        FLM_CHECK(matmat_g32_agrees(rows, cols, n, (fill_t)below(3), &compared));
    }
    printf("    %u gs-32 comparisons with the _ref\n", compared);
}

/* ---- int4 matvec ---------------------------------------------------------- */

/* A rows x cols int4 matrix (rows of ceil(cols / 2) bytes) and an input,
 * each followed by `guard` random elements before the end of its pool. */
static bool make_matvec4(flm_qmat_t *m, const int16_t **x, uint32_t rows, uint32_t cols, uint32_t gs,
                         int32_t scale_shift, fill_t f, uint32_t guard)
{
    uint32_t ng = (cols + gs - 1) / gs;
    size_t nq = (size_t)rows * ((cols + 1) / 2);
    if (nq + guard > POOL_Q || (size_t)rows * ng + guard > POOL_S || cols + guard > POOL_X || rows > MAX_ROWS)
        return false;
    for (uint32_t i = 1; i <= guard; i++) {
        pool_q[POOL_Q - i] = (int8_t)(next() | 1u);
        pool_s[POOL_S - i] = (int32_t)(next() >> 9) + 1;
        pool_x[POOL_X - i] = (int16_t)(next() | 1u);
    }
    int8_t *q = pool_q + POOL_Q - guard - nq;
    int32_t *s = pool_s + POOL_S - guard - (size_t)rows * ng;
    int16_t *xv = pool_x + POOL_X - guard - cols;
    for (size_t i = 0; i < nq; i++)
        q[i] = f == FILL_EXTREME ? (int8_t)(next() & 1u ? 0x88 : 0x77) : (int8_t)(next() & 0xFFu);
    if (cols % 2) /* the padding nibble of each row is zero */
        for (uint32_t r = 0; r < rows; r++)
            q[(size_t)r * ((cols + 1) / 2) + cols / 2] &= 0x0F;
    for (size_t i = 0; i < (size_t)rows * ng; i++)
        s[i] = rand_scale(f);
    for (uint32_t i = 0; i < cols; i++)
        xv[i] = rand_s16(f);
    *m = (flm_qmat_t){ q, s, rows, cols, gs, ng, scale_shift, 4 };
    *x = xv;
    return true;
}

static bool matvec4_agrees(const flm_qmat_t *m, const int16_t *x, unsigned *compared)
{
    static const int32_t shifts[][2] = { { 16, 16 }, { 0, 0 }, { 15, 30 }, { -7, 20 },
                                         { 62, -20 }, { -62, 62 }, { 3, 40 }, { 30, -62 } };
    static int32_t want[MAX_ROWS + 1], got[MAX_ROWS + 1];
    const flm_kernel_variant_t *ref = ref_of(FLM_KOP_MATVEC_Q4_S16);
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
        memset(want, 0x55, sizeof want);
        flm_err_t e_want = ref->fn.matvec_q4_s16(m, x, shifts[k][0], want, shifts[k][1]);
        for (size_t i = 0; i < n; i++) {
            if (v[i].op != FLM_KOP_MATVEC_Q4_S16 || &v[i] == ref || !flm_kernel_variant_available(&v[i]))
                continue;
            memset(got, 0x55, sizeof got);
            flm_err_t e_got = v[i].fn.matvec_q4_s16(m, x, shifts[k][0], got, shifts[k][1]);
            if (e_got != e_want || memcmp(got, want, sizeof got) != 0) {
                uint32_t r = 0;
                while (r < m->rows && got[r] == want[r])
                    r++;
                printf("    %s: %ux%u gs %u scale_shift %d shifts (%d, %d): err %d/%d, row %u: %d, _ref %d\n",
                       v[i].name, m->rows, m->cols, m->gs, m->scale_shift, shifts[k][0], shifts[k][1], e_got,
                       e_want, r, got[r], want[r]);
                return false;
            }
            (*compared)++;
        }
    }
    return true;
}

FLM_TEST(kernels_variants_matvec_q4)
{
    /* rows, cols, group size (even, or the whole row): ragged, odd, > 256 */
    static const uint32_t shapes[][3] = {
        { 1, 1, 1 }, { 3, 1, 32 }, { 2, 7, 7 }, { 3, 15, 16 }, { 5, 17, 16 }, { 4, 31, 8 }, { 2, 33, 32 },
        { 64, 64, 32 }, { 7, 172, 32 }, { 9, 65, 14 }, { 5, 48, 16 }, { 5, 80, 16 }, { 5, 96, 16 },
        { 3, 64, 2 }, { 3, 63, 2 }, { 6, 255, 255 }, { 6, 256, 256 }, { 2, 257, 256 }, { 2, 300, 258 },
        { 3, 600, 600 }, { 2, 1000, 300 }, { 2, 513, 512 }, { 3, 768, 32 }, { 1, 4099, 4096 },
        { 4, 777, 100 }, { 1, 65536, 65536 }, { 2, 65535, 64 }, { 9, 20, 32 }, { 9, 50, 50 },
        { 7, 45, 32 }, { 5, 63, 32 }, { 6, 512, 256 }, { 3, 257, 200 }, { 4, 40, 24 }, { 4, 56, 48 },
    };
    static const int32_t scale_shifts[] = { 30, 0, 13, 62 };
    unsigned compared = 0;
    rng = 0x5EED1234u;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int f = FILL_RANDOM; f <= FILL_SMALL; f++)
            for (uint32_t guard = 0; guard <= 300; guard += 300) {
                flm_qmat_t m;
                const int16_t *x;
                FLM_CHECK(make_matvec4(&m, &x, shapes[k][0], shapes[k][1], shapes[k][2],
                                       scale_shifts[(k + (size_t)f) % 4], (fill_t)f, guard));
                FLM_CHECK_MSG(matvec4_agrees(&m, x, &compared), "shape %zu", k);
            }
    for (int trial = 0; trial < 300; trial++) {
        uint32_t cols = 1 + below(trial < 200 ? 300 : 1500);
        uint32_t gs = trial % 5 == 0 ? cols : 2 * (1 + below(trial % 3 ? 32 : cols / 2 + 20));
        flm_qmat_t m;
        const int16_t *x;
        FLM_CHECK(make_matvec4(&m, &x, 1 + below(9), cols, gs, (int32_t)below(63), (fill_t)below(3),
                               trial % 2 ? 300 : 0));
        FLM_CHECK(matvec4_agrees(&m, x, &compared));
    }
    /* bad arguments are refused alike */
    flm_qmat_t m;
    const int16_t *x;
    FLM_CHECK(make_matvec4(&m, &x, 4, 40, 16, 30, FILL_RANDOM, 0));
    flm_qmat_t bad[5] = { m, m, m, m, m };
    bad[0].gs = 0;
    bad[1].ngroups = 2;
    bad[2].scale_shift = 63;
    bad[3].bits = 8;
    bad[4].gs = 5;
    bad[4].ngroups = 8;
    for (int b = 0; b < 5; b++)
        FLM_CHECK(matvec4_agrees(&bad[b], x, &compared));
    FLM_CHECK(matvec4_agrees(&m, NULL, &compared));
    printf("    %u int4 matvec comparisons with the _ref\n", compared);
}

/* ---- attention ----------------------------------------------------------- */

enum { KV_POOL = 128 * 1024, SC_POOL = 4096, MAX_POS = 400 };
static int8_t pool_k[KV_POOL], pool_v[KV_POOL];
static uint16_t pool_ks[SC_POOL], pool_vs[SC_POOL];
static int32_t pool_qv[FLM_KERNEL_MAX_HEAD];

static bool attention_agrees(const int32_t *q, uint32_t hd, const flm_kv_view_t *kv,
                             uint32_t npos, unsigned *compared)
{
    static int16_t qs[FLM_KERNEL_MAX_HEAD];
    static int32_t att[MAX_POS], want[FLM_KERNEL_MAX_HEAD], got[FLM_KERNEL_MAX_HEAD];
    const flm_kernel_variant_t *ref = ref_of(FLM_KOP_ATTENTION_HEAD_Q);
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    memset(want, 0x55, sizeof want);
    flm_err_t e_want = ref->fn.attention_head_q(q, hd, kv, npos, qs, att, want);
    for (size_t i = 0; i < n; i++) {
        if (v[i].op != FLM_KOP_ATTENTION_HEAD_Q || &v[i] == ref ||
            !flm_kernel_variant_available(&v[i]))
            continue;
        memset(got, 0x55, sizeof got);
        flm_err_t e_got = v[i].fn.attention_head_q(q, hd, kv, npos, qs, att, got);
        if (e_got != e_want || memcmp(got, want, sizeof got) != 0) {
            printf("    %s: head_dim %u, %u positions, stride %u: err %d/%d\n", v[i].name, hd,
                   npos, kv->stride, e_got, e_want);
            return false;
        }
        (*compared)++;
    }
    return true;
}

FLM_TEST(kernels_variants_attention)
{
    static const uint32_t dims[] = { 1, 2, 3, 7, 8, 16, 24, 33, 40, 48, 64, 255, 256 };
    static const uint32_t positions[] = { 1, 2, 5, 8, 9, 17, 100, 255, MAX_POS };
    unsigned compared = 0;
    rng = 0x85EBCA6Bu;
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            uint32_t hd = dims[d], npos = positions[p];
            uint32_t stride = hd + below(3), sstride = 1 + below(2);
            size_t nkv = (size_t)(npos - 1) * stride + hd, nsc = (size_t)(npos - 1) * sstride + 1;
            FLM_CHECK(nkv <= KV_POOL && nsc <= SC_POOL);
            fill_t f = (fill_t)((d + p) % 3);
            flm_kv_view_t kv = { pool_k + KV_POOL - nkv, pool_v + KV_POOL - nkv,
                                 pool_ks + SC_POOL - nsc, pool_vs + SC_POOL - nsc, stride,
                                 sstride };
            for (size_t i = 0; i < nkv; i++) {
                pool_k[KV_POOL - nkv + i] = rand_q8(f);
                pool_v[KV_POOL - nkv + i] = rand_q8(f);
            }
            for (size_t i = 0; i < nsc; i++) { /* any code decodes */
                pool_ks[SC_POOL - nsc + i] = (uint16_t)(f == FILL_EXTREME ? 0xFFFFu : next());
                pool_vs[SC_POOL - nsc + i] = (uint16_t)(next() % (21u << 11));
            }
            int32_t *q = pool_qv + FLM_KERNEL_MAX_HEAD - hd;
            for (uint32_t j = 0; j < hd; j++)
                q[j] = f == FILL_EXTREME ? (next() & 1u ? INT32_MAX : INT32_MIN)
                                         : (int32_t)next() >> below(24);
            FLM_CHECK(attention_agrees(q, hd, &kv, npos, &compared));
        }
    /* ragged: head_dim a multiple of 8 (the AVX2 eight-position path) or
     * not, 1..70 positions (whole groups of eight and a tail), any fill */
    for (int trial = 0; trial < 300; trial++) {
        uint32_t hd = trial % 4 ? 8 * (1 + below(32)) : 1 + below(FLM_KERNEL_MAX_HEAD);
        uint32_t npos = 1 + below(70), stride = hd + below(9), sstride = 1 + below(3);
        size_t nkv = (size_t)(npos - 1) * stride + hd, nsc = (size_t)(npos - 1) * sstride + 1;
        FLM_CHECK(nkv <= KV_POOL && nsc <= SC_POOL);
        fill_t f = (fill_t)below(3);
        flm_kv_view_t kv = { pool_k, pool_v, pool_ks, pool_vs, stride, sstride };
        for (size_t i = 0; i < nkv; i++) {
            pool_k[i] = rand_q8(f);
            pool_v[i] = rand_q8(f);
        }
        for (size_t i = 0; i < nsc; i++) {
            pool_ks[i] = (uint16_t)(f == FILL_EXTREME ? 0xFFFFu : next());
            pool_vs[i] = (uint16_t)(f == FILL_EXTREME ? 0xFFFFu : next());
        }
        int32_t *q = pool_qv;
        for (uint32_t j = 0; j < hd; j++)
            q[j] = trial % 7 == 0      ? 0 /* all scores 0: a uniform softmax */
                   : f == FILL_EXTREME ? (next() & 1u ? INT32_MAX : INT32_MIN)
                                       : (int32_t)next() >> below(31);
        FLM_CHECK(attention_agrees(q, hd, &kv, npos, &compared));
    }
    printf("    %u attention comparisons with the _ref\n", compared);
}
