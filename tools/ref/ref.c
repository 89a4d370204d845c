/* Float32 llama2.c forward pass (run.c), for tests and measurement. */
#include "tools/ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int flm_ref_init(flm_ref_t *r, const flm_fmodel_t *fm, int ctx)
{
    memset(r, 0, sizeof *r);
    r->fm = fm;
    r->ctx = ctx;
    size_t dim = fm->dim, hidden = fm->hidden_dim, L = fm->n_layers, c = (size_t)ctx;
    size_t hs = fm->head_dim ? fm->head_dim : dim / fm->n_heads;
    size_t kv_dim = hs * fm->n_kv_heads, q_dim = hs * fm->n_heads;
    size_t wide = dim > q_dim ? dim : q_dim;
    r->x = calloc(dim, sizeof(float));
    r->xb = calloc(wide, sizeof(float));
    r->xb2 = calloc(dim, sizeof(float));
    r->hb = calloc(hidden, sizeof(float));
    r->hb2 = calloc(hidden, sizeof(float));
    r->q = calloc(q_dim, sizeof(float));
    r->att = calloc(fm->n_heads * c, sizeof(float));
    r->logits = calloc(fm->vocab_size, sizeof(float));
    r->key_cache = calloc(L * c * kv_dim, sizeof(float));
    r->value_cache = calloc(L * c * kv_dim, sizeof(float));
    if (!r->x || !r->xb || !r->xb2 || !r->hb || !r->hb2 || !r->q || !r->att || !r->logits ||
        !r->key_cache || !r->value_cache) {
        flm_ref_free(r);
        return -1;
    }
    return 0;
}

void flm_ref_free(flm_ref_t *r)
{
    free(r->x);
    free(r->xb);
    free(r->xb2);
    free(r->hb);
    free(r->hb2);
    free(r->q);
    free(r->att);
    free(r->logits);
    free(r->key_cache);
    free(r->value_cache);
    memset(r, 0, sizeof *r);
}

static void rmsnorm(float *o, const float *x, const float *w, int n, float eps)
{
    float ss = 0.0f;
    for (int j = 0; j < n; j++)
        ss += x[j] * x[j];
    ss /= (float)n;
    ss += eps;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < n; j++)
        o[j] = w[j] * (ss * x[j]);
}

static void softmax(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int i = 0; i < n; i++)
        x[i] /= sum;
}

/* W (d,n) @ x (n,) -> o (d,) */
static void matmul(float *o, const float *x, const float *w, int n, int d)
{
    for (int i = 0; i < d; i++) {
        float val = 0.0f;
        for (int j = 0; j < n; j++)
            val += w[(size_t)i * (size_t)n + (size_t)j] * x[j];
        o[i] = val;
    }
}

/* round to int8 steps of max|x| / 127, the step itself rounded to 11
 * significant bits like the engine's 16-bit scale codes */
static void fake_quant8(float *x, int n)
{
    float amax = 0.0f;
    for (int i = 0; i < n; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    if (amax == 0.0f)
        return;
    int e;
    float m = frexpf(amax / 127.0f, &e); /* [0.5, 1) */
    float step = ldexpf(roundf(ldexpf(m, 11)), e - 11);
    for (int i = 0; i < n; i++)
        x[i] = fminf(127.0f, fmaxf(-127.0f, roundf(x[i] / step))) * step;
}

/* round a matmul input as r->act_bits says, in place */
static void quant_act(const flm_ref_t *r, float *x, int n)
{
    if (r->act_bits == 8) {
        for (int g = 0; g < n; g += 32)
            fake_quant8(x + g, n - g < 32 ? n - g : 32);
    } else if (r->act_bits == 16) {
        float amax = 0.0f;
        for (int i = 0; i < n; i++)
            amax = fmaxf(amax, fabsf(x[i]));
        int e;
        frexpf(amax, &e); /* amax < 2^e: 15 bits below it */
        float step = ldexpf(1.0f, e - 15);
        for (int i = 0; i < n; i++)
            x[i] = roundf(x[i] / step) * step;
    }
}

float *flm_ref_forward(flm_ref_t *r, int token, int pos)
{
    const flm_fmodel_t *w = r->fm;
    int dim = (int)w->dim, hidden = (int)w->hidden_dim;
    int hs = w->head_dim ? (int)w->head_dim : dim / (int)w->n_heads;
    int kv_dim = hs * (int)w->n_kv_heads, kv_mul = (int)(w->n_heads / w->n_kv_heads);
    int q_dim = hs * (int)w->n_heads;
    size_t D = (size_t)dim, H = (size_t)hidden, KV = (size_t)kv_dim, Q = (size_t)q_dim;
    float eps = w->norm_eps > 0 ? (float)w->norm_eps : 1e-5f;
    float theta = w->rope_theta > 0 ? (float)w->rope_theta : 10000.0f;
    float *x = r->x;
    memcpy(x, w->tok_embedding + (size_t)token * D, D * sizeof *x);

    for (size_t l = 0; l < w->n_layers; l++) {
        rmsnorm(r->xb, x, w->rms_att + l * D, dim, eps);
        size_t loff = l * (size_t)r->ctx * KV;
        float *k = r->key_cache + loff + (size_t)pos * KV;
        float *v = r->value_cache + loff + (size_t)pos * KV;
        quant_act(r, r->xb, dim);
        matmul(r->q, r->xb, w->wq + l * D * Q, dim, q_dim);
        matmul(k, r->xb, w->wk + l * D * KV, dim, kv_dim);
        matmul(v, r->xb, w->wv + l * D * KV, dim, kv_dim);

        /* RoPE (with GGUF's per-frequency factors and linear scaling) */
        for (int i = 0; i < q_dim; i += 2) {
            int head_dim = i % hs;
            float freq = 1.0f / powf(theta, (float)head_dim / (float)hs);
            if (w->rope_factors)
                freq /= w->rope_factors[head_dim / 2];
            if (w->rope_scale > 0)
                freq /= (float)w->rope_scale;
            float val = (float)pos * freq;
            float fcr = cosf(val), fci = sinf(val);
            int rotn = i < kv_dim ? 2 : 1;
            for (int vi = 0; vi < rotn; vi++) {
                float *vec = vi == 0 ? r->q : k;
                float v0 = vec[i], v1 = vec[i + 1];
                vec[i] = v0 * fcr - v1 * fci;
                vec[i + 1] = v0 * fci + v1 * fcr;
            }
        }
        if (r->kv_int8 > 0)
            for (int i = 0; i + r->kv_int8 <= kv_dim; i += r->kv_int8) {
                fake_quant8(k + i, r->kv_int8);
                fake_quant8(v + i, r->kv_int8);
            }

        for (int h = 0; h < (int)w->n_heads; h++) {
            float *q = r->q + h * hs;
            float *att = r->att + (size_t)h * (size_t)r->ctx;
            for (int t = 0; t <= pos; t++) {
                const float *kt = r->key_cache + loff + (size_t)t * KV + (size_t)(h / kv_mul * hs);
                float score = 0.0f;
                for (int i = 0; i < hs; i++)
                    score += q[i] * kt[i];
                att[t] = score / sqrtf((float)hs);
            }
            softmax(att, pos + 1);
            float *xb = r->xb + h * hs;
            memset(xb, 0, (size_t)hs * sizeof *xb);
            for (int t = 0; t <= pos; t++) {
                const float *vt = r->value_cache + loff + (size_t)t * KV + (size_t)(h / kv_mul * hs);
                for (int i = 0; i < hs; i++)
                    xb[i] += att[t] * vt[i];
            }
        }
        quant_act(r, r->xb, q_dim);
        matmul(r->xb2, r->xb, w->wo + l * D * Q, q_dim, dim);
        for (int i = 0; i < dim; i++)
            x[i] += r->xb2[i];

        rmsnorm(r->xb, x, w->rms_ffn + l * D, dim, eps);
        quant_act(r, r->xb, dim);
        matmul(r->hb, r->xb, w->w1 + l * D * H, dim, hidden);
        matmul(r->hb2, r->xb, w->w3 + l * D * H, dim, hidden);
        for (int i = 0; i < hidden; i++) {
            float val = r->hb[i];
            val *= 1.0f / (1.0f + expf(-val));
            r->hb[i] = val * r->hb2[i];
        }
        quant_act(r, r->hb, hidden);
        matmul(r->xb, r->hb, w->w2 + l * D * H, hidden, dim);
        for (int i = 0; i < dim; i++)
            x[i] += r->xb[i];
    }
    rmsnorm(x, x, w->rms_final, dim, eps);
    quant_act(r, x, dim);
    matmul(r->logits, x, w->shared_classifier ? w->tok_embedding : w->classifier, dim,
           (int)w->vocab_size);
    return r->logits;
}

/* One value of an int8 or int4 matrix. */
static int qmat_value(const flm_qmat_t *m, uint32_t r, uint32_t c)
{
    if (m->bits != 4)
        return m->q[(size_t)r * m->cols + c];
    uint8_t b = (uint8_t)m->q[(size_t)r * ((m->cols + 1) / 2) + c / 2];
    int u = c % 2 ? b >> 4 : b & 15;
    return (u ^ 8) - 8;
}

static void dequant_mat(float *w, const flm_qmat_t *m)
{
    for (uint32_t r = 0; r < m->rows; r++)
        for (uint32_t c = 0; c < m->cols; c++)
            w[(size_t)r * m->cols + c] = (float)ldexp(
                (double)qmat_value(m, r, c) * m->s[(size_t)r * m->ngroups + c / m->gs], -m->scale_shift);
}

static void dequant_vec(float *w, const flm_ivec_t *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        w[i] = (float)ldexp(v->v[i], -v->shift);
}

void flm_ref_apply_quant(flm_fmodel_t *fm, const flm_model_t *m)
{
    size_t dim = fm->dim, hidden = fm->hidden_dim;
    size_t hs = fm->head_dim ? fm->head_dim : dim / fm->n_heads;
    size_t kv_dim = hs * fm->n_kv_heads, q_dim = hs * fm->n_heads;
    dequant_mat(fm->tok_embedding, &m->tok_embedding);
    for (uint32_t l = 0; l < fm->n_layers; l++) {
        const flm_layer_t *ly = &m->layers[l];
        dequant_vec(fm->rms_att + l * dim, &ly->rms_att);
        dequant_mat(fm->wq + l * dim * q_dim, &ly->wq);
        dequant_mat(fm->wk + l * dim * kv_dim, &ly->wk);
        dequant_mat(fm->wv + l * dim * kv_dim, &ly->wv);
        dequant_mat(fm->wo + l * dim * q_dim, &ly->wo);
        dequant_vec(fm->rms_ffn + l * dim, &ly->rms_ffn);
        dequant_mat(fm->w1 + l * dim * hidden, &ly->w1);
        dequant_mat(fm->w2 + l * dim * hidden, &ly->w2);
        dequant_mat(fm->w3 + l * dim * hidden, &ly->w3);
    }
    dequant_vec(fm->rms_final, &m->rms_final);
    if (!fm->shared_classifier)
        dequant_mat(fm->classifier, &m->classifier);
}
