/*
 * fieldlm-bench: host speed of the integer kernels and of the forward pass.
 *
 *   fieldlm-bench MODEL.flm [--ctx N] [--float CHECKPOINT] [--vs OTHER.flm] [--forward-only]
 *   fieldlm-bench MODEL.flm --threads-vs N [--rounds R] [--ctx N]
 *   fieldlm-bench MODEL.flm --prefill [--threads N] [--ctx N]
 *   fieldlm-bench --bandwidth [BYTES]
 *
 * Times each kernel on the model's own shapes, then a whole context of
 * flm_transformer_forward calls, and prints ns per call and tokens/s.
 * With --float, the float32 reference (tools/ref) of the same checkpoint
 * runs the same tokens, alternating with the integer engine round by round,
 * and the ratio of the two is printed: on a shared, noisy machine a ratio
 * measured side by side means more than either absolute figure.
 * The matvec variants this CPU runs (core/kernels/variants.h) are timed
 * the same way, alternating round by round, and printed as a ratio to the
 * plain C _ref, on the model's shapes and on larger synthetic ones, and so
 * are the per-position ops' (softmax, SwiGLU, RMSNorm, the quantizers,
 * RoPE, one attention head) on the model's shapes and the 15M shape's. With
 * --vs, a second image (the same model in int4, say) runs the same tokens
 * alternating with the first, and the ratio of their times is printed.
 * --forward-only skips the kernel tables and prints the decode rate and the
 * weight bytes one token reads (tools/bench/peers.sh reads them);
 * --threads-vs N times decode with the HAL's thread pool at 1 and N
 * workers, R rounds (default 5) alternating, and prints medians and their
 * ratio; --prefill prints the batched prefill rate of one pass over the
 * context (blocks of 16, after a pass that warms the pages), for
 * tools/bench/peers.sh; --threads N runs it (and --forward-only) on N
 * workers;
 * --bandwidth measures this machine's single-thread read bandwidth (best
 * of several sweeps over a buffer of BYTES, default 512 MiB: far larger
 * than any cache; tools/bench/peers.sh passes a model's weight bytes).
 * Speed is measured here, never asserted in tests.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/kernels/variants.h"
#include "core/infer/transformer.h"
#include "core/hal/hal.h"
#include "tools/cli/cli.h"
#include "core/runtime/runtime.h"
#include "tools/ref/ref.h"

static double now_ns(void)
{
    return (double)flm_hal_time_us() * 1e3;
}

/* Run body until 0.2 s have passed; print the mean time per call. */
#define BENCH(name, body)                                                        \
    do {                                                                         \
        long n_ = 0;                                                             \
        double t0_ = now_ns(), t_;                                               \
        do {                                                                     \
            for (int i_ = 0; i_ < 16; i_++) { body; }                            \
            n_ += 16;                                                            \
        } while ((t_ = now_ns() - t0_) < 2e8);                                   \
        printf("  %-34s %10.0f ns\n", name, t_ / (double)n_);                    \
    } while (0)

/* Every available matvec variant on (m, x): calls per batch calibrated on
 * the _ref to about 5 ms, then ROUNDS rounds that run each variant's batch
 * in turn, so all see the same machine load; the best batch of each is
 * compared with the _ref's (many short rounds: on a loaded machine some of
 * them run undisturbed). */
/* The matvec for an int8 or int4 matrix, as the transformer calls it. */
static flm_err_t mv(const flm_qmat_t *w, const int16_t *x, int32_t *y)
{
    return w->bits == 4 ? flm_matvec_q4_s16(w, x, 16, y, 16) : flm_matvec_q8_s16(w, x, 16, y, 16);
}

static void bench_matvec_variants(const char *label, const flm_qmat_t *m, const int16_t *x)
{
    enum { ROUNDS = 25, MAXV = 8 };
    static int32_t y[65536];
    size_t nv;
    const flm_kernel_variant_t *all = flm_kernel_variants(&nv);
    const flm_kernel_variant_t *v[MAXV];
    const flm_kernel_op_t op = m->bits == 4 ? FLM_KOP_MATVEC_Q4_S16 : FLM_KOP_MATVEC_Q8_S16;
    int n = 0;
    for (size_t i = 0; i < nv; i++) /* the _ref first */
        if (all[i].op == op && strcmp(all[i].isa, "ref") == 0)
            v[n++] = &all[i];
    for (size_t i = 0; i < nv && n < MAXV; i++)
        if (all[i].op == op && strcmp(all[i].isa, "ref") != 0 &&
            flm_kernel_variant_available(&all[i]))
            v[n++] = &all[i];
    /* the int8 and int4 matvecs share one signature */
    flm_matvec_q8_s16_fn f[MAXV];
    for (int k = 0; k < n; k++)
        f[k] = op == FLM_KOP_MATVEC_Q4_S16 ? v[k]->fn.matvec_q4_s16 : v[k]->fn.matvec_q8_s16;
    long calls = 0;
    double t0 = now_ns();
    do {
        f[0](m, x, 16, y, 16);
        calls++;
    } while (now_ns() - t0 < 5e6);
    double best[MAXV] = { 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < n; k++) {
            double t = now_ns();
            for (long c = 0; c < calls; c++)
                f[k](m, x, 16, y, 16);
            t = now_ns() - t;
            if (r == 0 || t < best[k])
                best[k] = t;
        }
    char shape[48];
    snprintf(shape, sizeof shape, "%s %ux%u/%u%s", label, m->rows, m->cols, m->gs, m->bits == 4 ? " q4" : "");
    printf("    %-30s %9.0f", shape, best[0] / (double)calls);
    for (int k = 1; k < n; k++)
        printf("  %s %.3f", v[k]->isa, best[k] / best[0]);
    printf("\n");
}

/* A rows x cols matrix with groups of 32 and random weights, in static
 * storage (the larger shapes a bigger model would have). */
static flm_qmat_t synth_matrix(uint32_t rows, uint32_t cols)
{
    static int8_t q[768 * 768];
    static int32_t s[768 * 24];
    uint32_t st = 12345u, ng = (cols + 31) / 32;
    for (uint32_t i = 0; i < rows * cols; i++)
        q[i] = (int8_t)((st = st * 1103515245u + 12345u) >> 24);
    for (uint32_t i = 0; i < rows * ng; i++)
        s[i] = (int32_t)((st = st * 1103515245u + 12345u) >> 10) - (1 << 21);
    return (flm_qmat_t){ q, s, rows, cols, 32, ng, 30, 8 };
}

static void bench_variants(const flm_model_t *m, const int16_t *x)
{
    const flm_layer_t *l0 = &m->layers[0];
    const flm_kernel_variant_t *sel = flm_kernel_selected(FLM_KOP_MATVEC_Q8_S16);
    const flm_kernel_variant_t *sel4 = flm_kernel_selected(FLM_KOP_MATVEC_Q4_S16);
    printf("  matvec variants side by side (flm_matvec_q8_s16 is %s, flm_matvec_q4_s16 %s here):\n",
           sel ? sel->name : "?", sel4 ? sel4->name : "?");
    printf("    %-30s %9s  time / _ref, best of alternating rounds\n", "rows x cols/group",
           "_ref ns");
    bench_matvec_variants("wq", &l0->wq, x);
    bench_matvec_variants("w1", &l0->w1, x);
    bench_matvec_variants("w2", &l0->w2, x);
    bench_matvec_variants("classifier", &m->classifier, x);
    static const uint32_t big[][2] = { { 288, 288 }, { 768, 288 }, { 288, 768 } };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        flm_qmat_t w = synth_matrix(big[i][0], big[i][1]);
        bench_matvec_variants("synthetic", &w, x);
    }
}

/* One per-position op on fixed inputs, as the transformer calls it: n
 * elements (softmax, SwiGLU, RMSNorm, quantizers, RoPE over heads of hd),
 * or one attention head of hd columns over n cached positions. */
typedef struct {
    flm_kernel_op_t op;
    uint32_t n, hd;
} perpos_case_t;

static void perpos_call(const flm_kernel_variant_t *v, const perpos_case_t *pc)
{
    enum { N = 32768, KV = 256 * 256 };
    static int32_t x[N], h1[N], h3[N], y[N], w[N], att[N];
    static int16_t q16[N];
    static int8_t q8[N], kc[KV], vc[KV];
    static uint16_t ks[256], vs[256];
    static uint32_t freq[N];
    static bool ready;
    if (!ready) { /* activations of a few units in Q16, as in a forward pass */
        uint32_t st = 2463534242u;
        for (uint32_t i = 0; i < N; i++) {
            st ^= st << 13, st ^= st >> 17, st ^= st << 5;
            x[i] = (int32_t)(st >> 12) - (1 << 19);
            h3[i] = (int32_t)(st >> 14) - (1 << 17);
            w[i] = (int32_t)(st >> 20) + (1 << 11);
            freq[i] = st >> 8;
        }
        for (uint32_t i = 0; i < KV; i++) {
            st ^= st << 13, st ^= st >> 17, st ^= st << 5;
            kc[i] = (int8_t)(st >> 24);
            vc[i] = (int8_t)(st >> 16);
        }
        for (uint32_t i = 0; i < 256; i++)
            ks[i] = vs[i] = (uint16_t)(6u << 11 | (1000u + i));
        ready = true;
    }
    int32_t sh;
    uint16_t scale;
    switch (pc->op) {
    case FLM_KOP_SOFTMAX_Q:
        v->fn.softmax_q(x, pc->n, 16, (uint32_t *)y);
        break;
    case FLM_KOP_SWIGLU_S32: /* in place: from the same h1 every call */
        memcpy(h1, x, pc->n * sizeof *h1);
        v->fn.swiglu_s32(h1, h3, pc->n);
        break;
    case FLM_KOP_RMSNORM_S32: {
        flm_ivec_t wv = { w, pc->n, 12 };
        v->fn.rmsnorm_s32(x, &wv, 1u << 20, y);
        break;
    }
    case FLM_KOP_QUANTIZE_S16:
        v->fn.quantize_s16(x, pc->n, 16, q16, &sh);
        break;
    case FLM_KOP_QUANTIZE_S8:
        v->fn.quantize_s8(x, pc->n, q8, &scale);
        break;
    case FLM_KOP_ROPE_S32: /* in place: a rotation, the values stay in range */
        memcpy(h1, x, pc->n * sizeof *h1);
        v->fn.rope_s32(h1, pc->n, pc->hd, freq, 77);
        break;
    case FLM_KOP_ATTENTION_HEAD_Q: {
        flm_kv_view_t kv = { kc, vc, ks, vs, pc->hd, 1 };
        v->fn.attention_head_q(x, pc->hd, &kv, pc->n, q16, att, y);
        break;
    }
    default:
        break;
    }
}

/* Every available variant of pc->op beside its _ref, timed as the matvecs
 * are (bench_matvec_variants): calls per batch calibrated on the _ref to
 * about 2 ms, best batch of ROUNDS alternating rounds. */
static void bench_perpos_case(const char *label, const perpos_case_t *pc)
{
    enum { ROUNDS = 25, MAXV = 4 };
    size_t nv;
    const flm_kernel_variant_t *all = flm_kernel_variants(&nv);
    const flm_kernel_variant_t *v[MAXV];
    int n = 0;
    for (size_t i = 0; i < nv; i++) /* the _ref first */
        if (all[i].op == pc->op && strcmp(all[i].isa, "ref") == 0)
            v[n++] = &all[i];
    if (n == 0)
        return;
    for (size_t i = 0; i < nv && n < MAXV; i++)
        if (all[i].op == pc->op && strcmp(all[i].isa, "ref") != 0 &&
            flm_kernel_variant_available(&all[i]))
            v[n++] = &all[i];
    long calls = 0;
    double t0 = now_ns();
    do {
        perpos_call(v[0], pc);
        calls++;
    } while (now_ns() - t0 < 2e6);
    double best[MAXV] = { 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < n; k++) {
            double t = now_ns();
            for (long c = 0; c < calls; c++)
                perpos_call(v[k], pc);
            t = now_ns() - t;
            if (r == 0 || t < best[k])
                best[k] = t;
        }
    printf("    %-30s %9.0f", label, best[0] / (double)calls);
    for (int k = 1; k < n; k++)
        printf("  %s %.3f", v[k]->isa, best[k] / best[0]);
    printf("\n");
}

/* The per-position ops on the model's shapes and on the 15M shape's
 * (dim 288, hidden 768, heads of 48, 256 positions). */
static void bench_perpos_variants(const flm_model_config_t *c)
{
    printf("  per-position variants side by side:\n");
    printf("    %-30s %9s  time / _ref, best of alternating rounds\n", "op (elements)", "_ref ns");
    const uint32_t dims[][4] = { { c->dim, c->hidden_dim, c->head_dim, c->seq_len < 256 ? c->seq_len : 256 }, { 288, 768, 48, 256 } };
    for (int s = 0; s < 2; s++) {
        const uint32_t dim = dims[s][0], hidden = dims[s][1], hd = dims[s][2], ctx = dims[s][3];
        if (hidden > 32768 || hd > FLM_KERNEL_MAX_HEAD || hd > 256 || ctx > 256)
            continue;
        if (s == 1 && dim == dims[0][0] && hidden == dims[0][1] && hd == dims[0][2] && ctx == dims[0][3])
            break; /* the model has the 15M shape */
        char label[64];
        const struct {
            const char *name;
            perpos_case_t pc;
        } cases[] = {
            { "softmax", { FLM_KOP_SOFTMAX_Q, ctx, 0 } },
            { "swiglu", { FLM_KOP_SWIGLU_S32, hidden, 0 } },
            { "rmsnorm", { FLM_KOP_RMSNORM_S32, dim, 0 } },
            { "quantize_s16", { FLM_KOP_QUANTIZE_S16, dim, 0 } },
            { "quantize_s16", { FLM_KOP_QUANTIZE_S16, hidden, 0 } },
            { "quantize_s8", { FLM_KOP_QUANTIZE_S8, dim, 0 } },
            { "rope", { FLM_KOP_ROPE_S32, dim, hd } },
            { "attention head", { FLM_KOP_ATTENTION_HEAD_Q, ctx, hd } },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (cases[i].pc.op == FLM_KOP_ATTENTION_HEAD_Q)
                snprintf(label, sizeof label, "%s (%u x %u pos)", cases[i].name, hd, ctx);
            else
                snprintf(label, sizeof label, "%s (%u)", cases[i].name, cases[i].pc.n);
            bench_perpos_case(label, &cases[i].pc);
        }
    }
}

/* Bytes of weights one token reads: every layer matrix, the classifier
 * (int8 or int4 values and their int32 group scales) and one embedding row. */
static double weight_bytes(const flm_model_t *m)
{
    double b = 0;
    for (uint32_t l = 0; l <= m->cfg.n_layers; l++) {
        const flm_layer_t *ly = &m->layers[l < m->cfg.n_layers ? l : 0];
        const flm_qmat_t *cls[] = { &m->classifier };
        const flm_qmat_t *mats[] = { &ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->w1, &ly->w2, &ly->w3 };
        const flm_qmat_t *const *w = l < m->cfg.n_layers ? mats : cls;
        size_t n = l < m->cfg.n_layers ? 7 : 1;
        for (size_t i = 0; i < n; i++)
            b += (double)w[i]->rows * w[i]->cols * (w[i]->bits == 4 ? 0.5 : 1.0) +
                 (double)w[i]->rows * w[i]->ngroups * 4.0;
    }
    return b + (double)m->cfg.dim;
}

/* Single-thread read bandwidth over a buffer of `bytes` (default 512 MiB,
 * far beyond any cache): the best of several sweeps, more for small
 * buffers so each measurement lasts. A model's decode streams its weights
 * once a token, so the limit that means something is this rate over a
 * buffer the size of the weights: on a machine whose last-level cache
 * holds them (260 MiB L3 on some servers) that is the cache's bandwidth,
 * not DRAM's, and dividing by DRAM's would flatter the engine. */
static int bench_bandwidth(size_t bytes)
{
    const size_t n = bytes ? (bytes + 63u) & ~(size_t)63u : (size_t)512 << 20;
    const size_t words = n / sizeof(uint64_t);
    const int sweeps = n >= ((size_t)256 << 20) ? 7 : (int)(((size_t)2 << 30) / n) + 7;
    uint64_t *buf = aligned_alloc(64, n);
    if (!buf) {
        fprintf(stderr, "fieldlm-bench: no memory for the bandwidth buffer\n");
        return FLM_EXIT_FAIL;
    }
    for (size_t i = 0; i < words; i++)
        buf[i] = i;
    double best = 0;
    uint64_t sink = 0;
    for (int r = 0; r < sweeps; r++) {
        /* eight independent sums a 64-byte line and a prefetch 4 KiB
         * ahead: without them a plain loop reads 25-30% below what the
         * memory gives one core (18.5 against 26.7 GB/s on a 17 MB buffer
         * in L3, 7.2 against 9.7 from DRAM, on the 2026-12-02 Xeon) */
        uint64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0;
        double t = now_ns();
        for (size_t i = 0; i + 8 <= words; i += 8) {
            __builtin_prefetch(buf + i + 512);
            a += buf[i];
            b += buf[i + 1];
            c += buf[i + 2];
            d += buf[i + 3];
            e += buf[i + 4];
            f += buf[i + 5];
            g += buf[i + 6];
            h += buf[i + 7];
        }
        t = now_ns() - t;
        sink += a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
        if (r == 0 || t < best)
            best = t;
    }
    printf("read bandwidth: %.2f GB/s (single thread, best of %d sweeps over %.1f MiB; %llu)\n",
           (double)n / best, sweeps, (double)n / (1 << 20), (unsigned long long)(sink & 1u));
    free(buf);
    return FLM_EXIT_OK;
}

static uint32_t token_at(uint32_t pos, uint32_t vocab)
{
    return (pos * 37u + 1u) % vocab;
}

/* Batched prefill (blocks of 16, flm_transformer_forward_block) against one
 * position at a time over the same positions, rounds alternating. */
static int bench_prefill(flm_transformer_t *tf, int ctx)
{
    enum { ROUNDS = 5, BLOCK = 16 };
    const flm_model_config_t *c = &tf->model->cfg;
    size_t bytes = flm_transformer_block_bytes(c, BLOCK);
    void *scratch = bytes ? aligned_alloc(16, (bytes + 15u) & ~(size_t)15u) : NULL;
    if (!scratch)
        return -1;
    uint32_t toks[BLOCK];
    double best[2] = { 0, 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < 2; k++) {
            const int32_t *logits;
            double t0 = now_ns();
            for (uint32_t pos = 0; pos < (uint32_t)ctx;) {
                uint32_t n = (uint32_t)ctx - pos < BLOCK ? (uint32_t)ctx - pos : BLOCK;
                if (k == 0) {
                    for (uint32_t i = 0; i < n; i++)
                        flm_transformer_forward(tf, token_at(pos + i, c->vocab_size), pos + i, &logits);
                } else {
                    for (uint32_t i = 0; i < n; i++)
                        toks[i] = token_at(pos + i, c->vocab_size);
                    /* the classifier for the last block only, as the engine does */
                    if (flm_transformer_forward_block(tf, toks, n, pos, scratch, bytes,
                                                      pos + n == (uint32_t)ctx ? &logits : NULL) !=
                        FLM_OK) {
                        free(scratch);
                        return -1;
                    }
                }
                pos += n;
            }
            double dt = now_ns() - t0;
            if (r == 0 || dt < best[k])
                best[k] = dt;
        }
    printf("  prefill, positions 0..%d, best of %d rounds: one at a time %.0f tokens/s, blocks of %d "
           "%.0f tokens/s (%.2fx)\n", ctx - 1, ROUNDS, ctx * 1e9 / best[0], BLOCK, ctx * 1e9 / best[1],
           best[0] / best[1]);
    free(scratch);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Decode (one position at a time over the context) with the HAL's pool at
 * 1 and at `threads` workers, rounds alternating; medians (min-max) of the
 * tokens/s and the ratio of the medians. The KV cache is rewritten each
 * round, so every round does the same work. */
static void bench_threads(flm_transformer_t *tf, int ctx, uint32_t threads, int rounds)
{
    enum { MAXR = 64 };
    double rate[2][MAXR];
    const uint32_t counts[2] = { 1, threads };
    uint32_t got = threads;
    if (rounds > MAXR)
        rounds = MAXR;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            flm_hal_parallel_init(counts[k]);
            if (k)
                got = flm_hal_parallel_threads();
            const int32_t *logits;
            double t0 = now_ns();
            for (uint32_t pos = 0; pos < (uint32_t)ctx; pos++)
                flm_transformer_forward(tf, token_at(pos, tf->model->cfg.vocab_size), pos, &logits);
            rate[k][r] = ctx * 1e9 / (now_ns() - t0);
            flm_hal_parallel_deinit();
        }
    double med[2];
    for (int k = 0; k < 2; k++) {
        qsort(rate[k], (size_t)rounds, sizeof rate[k][0], cmp_double);
        med[k] = rounds % 2 ? rate[k][rounds / 2] : (rate[k][rounds / 2 - 1] + rate[k][rounds / 2]) / 2;
    }
    printf("  threads, decode positions 0..%d, %d alternating rounds: 1 thread %.1f (%.1f-%.1f) "
           "tokens/s, %u threads %.1f (%.1f-%.1f) tokens/s: %.2fx\n", ctx - 1, rounds, med[0],
           rate[0][0], rate[0][rounds - 1], got, med[1], rate[1][0], rate[1][rounds - 1],
           med[1] / med[0]);
}

/* One pass of batched prefill over the context, after one that warms the
 * weights' pages: "prefill tok/s: X". */
static int bench_prefill_rate(flm_transformer_t *tf, int ctx)
{
    enum { BLOCK = 16 };
    const flm_model_config_t *c = &tf->model->cfg;
    size_t bytes = flm_transformer_block_bytes(c, BLOCK);
    void *scratch = bytes ? aligned_alloc(16, (bytes + 15u) & ~(size_t)15u) : NULL;
    if (!scratch)
        return -1;
    double dt = 0;
    for (int k = 0; k < 2; k++) {
        double t0 = now_ns();
        for (uint32_t pos = 0, toks[BLOCK]; pos < (uint32_t)ctx;) {
            uint32_t n = (uint32_t)ctx - pos < BLOCK ? (uint32_t)ctx - pos : BLOCK;
            for (uint32_t i = 0; i < n; i++)
                toks[i] = token_at(pos + i, c->vocab_size);
            const int32_t *logits;
            if (flm_transformer_forward_block(tf, toks, n, pos, scratch, bytes,
                                              pos + n == (uint32_t)ctx ? &logits : NULL) != FLM_OK) {
                free(scratch);
                return -1;
            }
            pos += n;
        }
        dt = now_ns() - t0;
    }
    printf("prefill tok/s: %.1f (%d positions, blocks of %d, %u threads)\n", ctx * 1e9 / dt, ctx,
           BLOCK, (unsigned)flm_hal_parallel_threads());
    free(scratch);
    return 0;
}

/* This image against another of the same shape (int8 vs int4, say): the
 * same tokens, rounds alternating, the best round of each compared. */
static int bench_vs_image(flm_transformer_t *tf, const char *other_path, int ctx)
{
    enum { ROUNDS = 9 };
    static flm_runtime_t rt2;
    flm_runtime_config_t rc = { .model_path = other_path, .need_model = true };
    if (flm_runtime_init(&rt2, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: %s\n", rt2.detail);
        return -1;
    }
    flm_ram_usage_t ram;
    if (flm_transformer_ram(&rt2.model.cfg, (uint32_t)ctx, &ram) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: %s: the engine cannot run it at ctx %d\n", other_path, ctx);
        return -1;
    }
    void *mem = aligned_alloc(16, (ram.total + 15u) & ~(size_t)15u);
    flm_arena_t arena;
    flm_arena_init(&arena, mem, ram.total);
    flm_transformer_t tf2;
    if (!mem || flm_transformer_init(&tf2, &rt2.model, (uint32_t)ctx, &arena) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: %s: init failed\n", other_path);
        return -1;
    }
    uint32_t vocab = tf->model->cfg.vocab_size < rt2.model.cfg.vocab_size ? tf->model->cfg.vocab_size
                                                                           : rt2.model.cfg.vocab_size;
    double best[2] = { 0, 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < 2; k++) {
            flm_transformer_t *t = k ? &tf2 : tf;
            const int32_t *logits;
            double t0 = now_ns();
            for (int pos = 0; pos < ctx; pos++)
                flm_transformer_forward(t, token_at((uint32_t)pos, vocab), (uint32_t)pos, &logits);
            double dt = now_ns() - t0;
            if (r == 0 || dt < best[k])
                best[k] = dt;
        }
    printf("  side by side with %s, best of %d rounds of %d positions:\n", other_path, ROUNDS, ctx);
    printf("    this image %.1f us/token, the other %.1f us/token; other / this time: %.3f\n",
           best[0] / 1e3 / ctx, best[1] / 1e3 / ctx, best[1] / best[0]);
    flm_transformer_deinit(&tf2);
    free(mem);
    flm_runtime_deinit(&rt2);
    return 0;
}

/* Integer engine vs float32 reference on the same tokens: rounds alternate
 * so both see the same machine load; the best round of each is compared. */
static int bench_vs_float(flm_transformer_t *tf, const char *float_path, int ctx)
{
    enum { ROUNDS = 7 };
    flm_fmodel_t fm;
    flm_ref_t ref;
    char err[256];
    if (flm_fmodel_load(&fm, float_path, err, sizeof err) != 0) {
        fprintf(stderr, "fieldlm-bench: %s\n", err);
        return -1;
    }
    if (flm_ref_init(&ref, &fm, ctx) != 0) {
        fprintf(stderr, "fieldlm-bench: float reference does not fit ctx %d\n", ctx);
        flm_fmodel_free(&fm);
        return -1;
    }
    uint32_t vocab = tf->model->cfg.vocab_size;
    double best_int = 0, best_flt = 0;
    for (int r = 0; r < ROUNDS; r++) {
        const int32_t *logits;
        double t0 = now_ns();
        for (int pos = 0; pos < ctx; pos++)
            flm_transformer_forward(tf, token_at((uint32_t)pos, vocab), (uint32_t)pos, &logits);
        double t1 = now_ns();
        for (int pos = 0; pos < ctx; pos++)
            flm_ref_forward(&ref, (int)token_at((uint32_t)pos, vocab), pos);
        double t2 = now_ns();
        if (r == 0 || t1 - t0 < best_int)
            best_int = t1 - t0;
        if (r == 0 || t2 - t1 < best_flt)
            best_flt = t2 - t1;
    }
    printf("  side by side, best of %d rounds of %d positions:\n", ROUNDS, ctx);
    printf("    integer engine %.1f us/token, float32 reference %.1f us/token\n",
           best_int / 1e3 / ctx, best_flt / 1e3 / ctx);
    printf("    integer / float32 time: %.2f\n", best_int / best_flt);
    flm_ref_free(&ref);
    flm_fmodel_free(&fm);
    return 0;
}

int main(int argc, char **argv)
{
    long ctx = 256;
    const char *path = NULL, *float_path = NULL, *vs_path = NULL;
    bool forward_only = false;
    long threads = 1, threads_vs = 0, rounds = 5;
    bool prefill_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: fieldlm-bench MODEL.flm [--ctx N] [--float CHECKPOINT] [--vs OTHER.flm] "
                   "[--forward-only] [--threads N]\n"
                   "       fieldlm-bench MODEL.flm --threads-vs N [--rounds R] [--ctx N]\n"
                   "       fieldlm-bench MODEL.flm --prefill [--threads N] [--ctx N]\n"
                   "       fieldlm-bench --bandwidth [BYTES]\n");
            return FLM_EXIT_OK;
        } else if (strcmp(argv[i], "--bandwidth") == 0) {
            /* an optional size in bytes: the weights' */
            char *end = NULL;
            unsigned long long b = i + 1 < argc ? strtoull(argv[i + 1], &end, 10) : 0;
            return bench_bandwidth(end && *end == '\0' ? (size_t)b : 0);
        } else if (strcmp(argv[i], "--forward-only") == 0) {
            forward_only = true;
        } else if (strcmp(argv[i], "--ctx") == 0 && i + 1 < argc) {
            if (!flm_cli_parse_long(argv[++i], 1, 1 << 16, &ctx))
                return flm_cli_usage_error("bench", "--ctx needs a number, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!flm_cli_parse_long(argv[++i], 1, FLM_CFG_MAX_THREADS, &threads))
                return flm_cli_usage_error("bench", "--threads needs a number, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--threads-vs") == 0 && i + 1 < argc) {
            if (!flm_cli_parse_long(argv[++i], 2, FLM_CFG_MAX_THREADS, &threads_vs))
                return flm_cli_usage_error("bench", "--threads-vs needs a number, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--prefill") == 0) {
            prefill_only = true;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            if (!flm_cli_parse_long(argv[++i], 1, 64, &rounds))
                return flm_cli_usage_error("bench", "--rounds needs a number, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--float") == 0 && i + 1 < argc) {
            float_path = argv[++i];
        } else if (strcmp(argv[i], "--vs") == 0 && i + 1 < argc) {
            vs_path = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            return flm_cli_usage_error("bench", "unknown option '%s'", argv[i]);
        }
    }
    if (!path)
        return flm_cli_usage_error("bench", "no model file");
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .model_path = path, .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    const flm_model_t *m = &rt.model;
    const flm_model_config_t *c = &m->cfg;
    if ((uint32_t)ctx > c->seq_len)
        ctx = c->seq_len;

    flm_ram_usage_t ram;
    if (flm_transformer_ram(c, (uint32_t)ctx, &ram) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: the engine cannot run this model\n");
        return FLM_EXIT_FAIL;
    }
    void *mem = aligned_alloc(16, (ram.total + 15u) & ~(size_t)15u);
    flm_arena_t arena;
    flm_arena_init(&arena, mem, ram.total);
    flm_transformer_t tf;
    if (!mem || flm_transformer_init(&tf, m, (uint32_t)ctx, &arena) != FLM_OK) {
        fprintf(stderr, "fieldlm-bench: init failed\n");
        return FLM_EXIT_FAIL;
    }

    printf("%s: dim %u, hidden %u, layers %u, vocab %u, ctx %ld, arena %zu bytes\n", path,
           c->dim, c->hidden_dim, c->n_layers, c->vocab_size, ctx, ram.total);
    printf("  weight bytes per token: %.0f\n", weight_bytes(m));
    if (forward_only || prefill_only)
        goto forward;
    static int32_t x[65536], y[65536];
    static int16_t q[65536];
    int32_t sh, lse;
    for (uint32_t i = 0; i < 65536; i++)
        x[i] = (int32_t)((i * 2654435761u) >> 12) - (1 << 19);
    const flm_layer_t *l0 = &m->layers[0];
    BENCH("quantize_s16 (dim)", flm_quantize_s16(x, c->dim, 16, q, &sh));
    BENCH("matvec wq (dim x dim)", mv(&l0->wq, q, y));
    BENCH("matvec w1 (hidden x dim)", mv(&l0->w1, q, y));
    BENCH("matvec w2 (dim x hidden)", mv(&l0->w2, q, y));
    BENCH("matvec classifier (vocab x dim)", mv(&m->classifier, q, y));
    BENCH("rmsnorm (dim)", flm_rmsnorm_s32(x, &l0->rms_att, c->norm_eps_q32, y));
    BENCH("rope q (dim)", flm_rope_s32(y, c->n_heads * c->head_dim, c->head_dim, m->rope_freq, 77));
    memcpy(y, x, c->hidden_dim * sizeof *y);
    BENCH("swiglu (hidden)", flm_swiglu_s32(y, x, c->hidden_dim));
    BENCH("softmax (vocab)", flm_softmax_q(x, c->vocab_size, 16, (uint32_t *)y));
    BENCH("logsumexp (vocab)", flm_logsumexp_q(x, c->vocab_size, 16, &lse));
    bench_variants(m, q);
    bench_perpos_variants(c);

forward:;
    if (threads_vs > 1) {
        bench_threads(&tf, (int)ctx, (uint32_t)threads_vs, (int)rounds);
        goto done;
    }
    flm_hal_parallel_init((uint32_t)threads);
    if (prefill_only) {
        int prc = bench_prefill_rate(&tf, (int)ctx);
        flm_hal_parallel_deinit();
        if (prc != 0)
            return FLM_EXIT_FAIL;
        goto done;
    }
    /* a whole context, token by token */
    const int32_t *logits;
    double t0 = now_ns();
    for (uint32_t pos = 0; pos < (uint32_t)ctx; pos++)
        if (flm_transformer_forward(&tf, token_at(pos, c->vocab_size), pos, &logits) != FLM_OK)
            return FLM_EXIT_FAIL;
    double t = now_ns() - t0;
    printf("  forward, positions 0..%ld: %.1f us/token, %.0f tokens/s\n", ctx - 1,
           t / 1e3 / (double)ctx, (double)ctx * 1e9 / t);
    if (bench_prefill(&tf, (int)ctx) != 0)
        return FLM_EXIT_FAIL;
    if (float_path && bench_vs_float(&tf, float_path, (int)ctx) != 0)
        return FLM_EXIT_FAIL;
    if (vs_path && bench_vs_image(&tf, vs_path, (int)ctx) != 0)
        return FLM_EXIT_FAIL;
    flm_hal_parallel_deinit();
done:
    flm_transformer_deinit(&tf);
    free(mem);
    flm_runtime_deinit(&rt);
    return FLM_EXIT_OK;
}
