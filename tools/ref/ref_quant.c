/* Build an flm_model_t from float weights: the converter's quantization,
 * re-done on the host so the integer engine can run on a legacy checkpoint
 * in tests. Scales: per group amax / 127, one shift per tensor that puts the
 * largest scale in [2^22, 2^23) (core/model.h). */
#include "tools/ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *base;
    size_t used;
} bump_t;

/* With base == NULL only counts. */
static void *take(bump_t *b, size_t n)
{
    b->used = (b->used + 7u) & ~(size_t)7u;
    void *p = b->base ? b->base + b->used : NULL;
    b->used += n;
    return p;
}

static void quant_mat(bump_t *b, flm_qmat_t *m, const float *w, uint32_t rows, uint32_t cols,
                      uint32_t gs)
{
    uint32_t ng = (cols + gs - 1) / gs;
    int8_t *q = take(b, (size_t)rows * cols);
    int32_t *s = take(b, (size_t)rows * ng * sizeof *s);
    *m = (flm_qmat_t){ q, s, rows, cols, gs, ng, 0 };
    if (!b->base)
        return;
    double smax = 0;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++)
            smax = fmax(smax, fabs(w[(size_t)r * cols + c]) / 127.0);
    int e;
    frexp(smax > 0 ? smax : 1.0, &e); /* smax in [2^(e-1), 2^e) */
    m->scale_shift = 23 - e;
    for (uint32_t r = 0; r < rows; r++) {
        for (uint32_t g = 0; g < ng; g++) {
            uint32_t c0 = g * gs, c1 = c0 + gs < cols ? c0 + gs : cols;
            double amax = 0;
            for (uint32_t c = c0; c < c1; c++)
                amax = fmax(amax, fabs(w[(size_t)r * cols + c]));
            int32_t si = (int32_t)llround(ldexp(amax / 127.0, m->scale_shift));
            s[(size_t)r * ng + g] = si;
            double step = ldexp(si, -m->scale_shift);
            for (uint32_t c = c0; c < c1; c++) {
                double v = step > 0 ? round(w[(size_t)r * cols + c] / step) : 0;
                q[(size_t)r * cols + c] = (int8_t)fmax(-127, fmin(127, v));
            }
        }
    }
}

static void quant_vec(bump_t *b, flm_ivec_t *v, const float *w, uint32_t n)
{
    int32_t *q = take(b, (size_t)n * sizeof *q);
    *v = (flm_ivec_t){ q, n, 0 };
    if (!b->base)
        return;
    double amax = 0;
    for (uint32_t i = 0; i < n; i++)
        amax = fmax(amax, fabs(w[i]));
    int e;
    frexp(amax > 0 ? amax : 1.0, &e);
    v->shift = 30 - e; /* largest |v| in [2^29, 2^30] */
    for (uint32_t i = 0; i < n; i++)
        q[i] = (int32_t)llround(ldexp(w[i], v->shift));
}

static void build(const flm_ref_t *r, uint32_t gs, bump_t *b, flm_model_t *m)
{
    uint32_t dim = (uint32_t)r->dim, hidden = (uint32_t)r->hidden_dim;
    uint32_t hd = dim / (uint32_t)r->n_heads, kv_dim = hd * (uint32_t)r->n_kv_heads;
    uint32_t vocab = (uint32_t)r->vocab_size;
    memset(m, 0, sizeof *m);
    m->cfg = (flm_model_config_t){ dim, hidden, (uint32_t)r->n_layers, (uint32_t)r->n_heads,
                                   (uint32_t)r->n_kv_heads, hd, vocab, (uint32_t)r->seq_len,
                                   42950, 10000, r->shared != 0 };
    quant_mat(b, &m->tok_embedding, r->tok_emb, vocab, dim, gs);
    for (uint32_t l = 0; l < m->cfg.n_layers; l++) {
        flm_layer_t *ly = &m->layers[l];
        quant_vec(b, &ly->rms_att, r->rms_att + (size_t)l * dim, dim);
        quant_mat(b, &ly->wq, r->wq + (size_t)l * dim * dim, dim, dim, gs);
        quant_mat(b, &ly->wk, r->wk + (size_t)l * dim * kv_dim, kv_dim, dim, gs);
        quant_mat(b, &ly->wv, r->wv + (size_t)l * dim * kv_dim, kv_dim, dim, gs);
        quant_mat(b, &ly->wo, r->wo + (size_t)l * dim * dim, dim, dim, gs);
        quant_vec(b, &ly->rms_ffn, r->rms_ffn + (size_t)l * dim, dim);
        quant_mat(b, &ly->w1, r->w1 + (size_t)l * dim * hidden, hidden, dim, gs);
        quant_mat(b, &ly->w2, r->w2 + (size_t)l * dim * hidden, dim, hidden, gs);
        quant_mat(b, &ly->w3, r->w3 + (size_t)l * dim * hidden, hidden, dim, gs);
    }
    quant_vec(b, &m->rms_final, r->rms_final, dim);
    if (r->shared)
        m->classifier = m->tok_embedding;
    else
        quant_mat(b, &m->classifier, r->wcls, vocab, dim, gs);
    uint32_t *freq = take(b, hd / 2 * sizeof *freq);
    m->rope_freq = freq;
    if (b->base)
        for (uint32_t i = 0; i < hd / 2; i++) /* turns per position, as run.c's float freq */
            freq[i] = (uint32_t)llround(
                (double)(1.0f / powf(10000.0f, (float)(2 * i) / (float)hd)) /
                (2 * 3.14159265358979323846) * 4294967296.0);
}

int flm_ref_quantize(const flm_ref_t *r, uint32_t gs, flm_ref_quant_t *out)
{
    if (gs == 0 || r->n_layers > FLM_MODEL_MAX_LAYERS)
        return -1;
    bump_t b = { NULL, 0 };
    build(r, gs, &b, &out->model);
    out->mem = calloc(1, b.used);
    if (!out->mem)
        return -1;
    b = (bump_t){ out->mem, 0 };
    build(r, gs, &b, &out->model);
    return 0;
}

void flm_ref_quant_free(flm_ref_quant_t *q)
{
    free(q->mem);
    memset(q, 0, sizeof *q);
}

static void dequant_mat(float *w, const flm_qmat_t *m)
{
    for (uint32_t r = 0; r < m->rows; r++)
        for (uint32_t c = 0; c < m->cols; c++)
            w[(size_t)r * m->cols + c] =
                (float)ldexp((double)m->q[(size_t)r * m->cols + c] * m->s[(size_t)r * m->ngroups + c / m->gs],
                             -m->scale_shift);
}

static void dequant_vec(float *w, const flm_ivec_t *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        w[i] = (float)ldexp(v->v[i], -v->shift);
}

void flm_ref_apply_quant(flm_ref_t *r, const flm_ref_quant_t *q)
{
    const flm_model_t *m = &q->model;
    size_t dim = m->cfg.dim, hidden = m->cfg.hidden_dim, kv_dim = (size_t)m->cfg.n_kv_heads * m->cfg.head_dim;
    /* the tensors point into r->data, which r owns */
    dequant_mat((float *)(uintptr_t)r->tok_emb, &m->tok_embedding);
    for (uint32_t l = 0; l < m->cfg.n_layers; l++) {
        const flm_layer_t *ly = &m->layers[l];
        dequant_vec((float *)(uintptr_t)(r->rms_att + l * dim), &ly->rms_att);
        dequant_mat((float *)(uintptr_t)(r->wq + l * dim * dim), &ly->wq);
        dequant_mat((float *)(uintptr_t)(r->wk + l * dim * kv_dim), &ly->wk);
        dequant_mat((float *)(uintptr_t)(r->wv + l * dim * kv_dim), &ly->wv);
        dequant_mat((float *)(uintptr_t)(r->wo + l * dim * dim), &ly->wo);
        dequant_vec((float *)(uintptr_t)(r->rms_ffn + l * dim), &ly->rms_ffn);
        dequant_mat((float *)(uintptr_t)(r->w1 + l * dim * hidden), &ly->w1);
        dequant_mat((float *)(uintptr_t)(r->w2 + l * dim * hidden), &ly->w2);
        dequant_mat((float *)(uintptr_t)(r->w3 + l * dim * hidden), &ly->w3);
    }
    dequant_vec((float *)(uintptr_t)r->rms_final, &m->rms_final);
    if (!r->shared)
        dequant_mat((float *)(uintptr_t)r->wcls, &m->classifier);
}
