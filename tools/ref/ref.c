/* Float32 llama2.c forward pass (run.c), for tests and measurement. */
#include "tools/ref/ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flm_ref_load(flm_ref_t *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    int32_t hdr[7];
    if (size < (long)sizeof hdr || fread(hdr, sizeof hdr, 1, f) != 1) {
        fclose(f);
        return -1;
    }
    r->dim = hdr[0];
    r->hidden_dim = hdr[1];
    r->n_layers = hdr[2];
    r->n_heads = hdr[3];
    r->n_kv_heads = hdr[4];
    r->shared = hdr[5] > 0;
    r->vocab_size = abs(hdr[5]);
    r->seq_len = hdr[6];
    size_t nfloats = (size_t)(size - (long)sizeof hdr) / sizeof(float);
    r->data = malloc(nfloats * sizeof(float));
    if (!r->data || fread(r->data, sizeof(float), nfloats, f) != nfloats) {
        fclose(f);
        flm_ref_free(r);
        return -1;
    }
    fclose(f);

    size_t dim = (size_t)r->dim, hd = dim / (size_t)r->n_heads, L = (size_t)r->n_layers;
    size_t kv_dim = hd * (size_t)r->n_kv_heads, hidden = (size_t)r->hidden_dim;
    const float *p = r->data;
    r->tok_emb = p;    p += (size_t)r->vocab_size * dim;
    r->rms_att = p;    p += L * dim;
    r->wq = p;         p += L * dim * dim;
    r->wk = p;         p += L * dim * kv_dim;
    r->wv = p;         p += L * dim * kv_dim;
    r->wo = p;         p += L * dim * dim;
    r->rms_ffn = p;    p += L * dim;
    r->w1 = p;         p += L * dim * hidden;
    r->w2 = p;         p += L * hidden * dim;
    r->w3 = p;         p += L * dim * hidden;
    r->rms_final = p;  p += dim;
    p += (size_t)r->seq_len * hd; /* legacy freq_cis_real and _imag */
    r->wcls = r->shared ? r->tok_emb : p;
    if (!r->shared)
        p += (size_t)r->vocab_size * dim;
    if ((size_t)(p - r->data) > nfloats) {
        flm_ref_free(r);
        return -1;
    }

    size_t ctx = (size_t)r->seq_len;
    r->x = calloc(dim, sizeof(float));
    r->xb = calloc(dim, sizeof(float));
    r->xb2 = calloc(dim, sizeof(float));
    r->hb = calloc(hidden, sizeof(float));
    r->hb2 = calloc(hidden, sizeof(float));
    r->q = calloc(dim, sizeof(float));
    r->att = calloc((size_t)r->n_heads * ctx, sizeof(float));
    r->logits = calloc((size_t)r->vocab_size, sizeof(float));
    r->key_cache = calloc(L * ctx * kv_dim, sizeof(float));
    r->value_cache = calloc(L * ctx * kv_dim, sizeof(float));
    if (!r->x || !r->xb || !r->xb2 || !r->hb || !r->hb2 || !r->q || !r->att || !r->logits ||
        !r->key_cache || !r->value_cache) {
        flm_ref_free(r);
        return -1;
    }
    return 0;
}

void flm_ref_free(flm_ref_t *r)
{
    free(r->data);
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

void flm_ref_rmsnorm(float *o, const float *x, const float *w, int n)
{
    float ss = 0.0f;
    for (int j = 0; j < n; j++)
        ss += x[j] * x[j];
    ss /= (float)n;
    ss += 1e-5f;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < n; j++)
        o[j] = w[j] * (ss * x[j]);
}

void flm_ref_softmax(float *x, int n)
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
void flm_ref_matmul(float *o, const float *x, const float *w, int n, int d)
{
    for (int i = 0; i < d; i++) {
        float val = 0.0f;
        for (int j = 0; j < n; j++)
            val += w[(size_t)i * (size_t)n + (size_t)j] * x[j];
        o[i] = val;
    }
}

/* round to int8 steps of max|x| / 127 */
static void fake_quant8(float *x, int n)
{
    float amax = 0.0f;
    for (int i = 0; i < n; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    if (amax > 0.0f)
        for (int i = 0; i < n; i++)
            x[i] = roundf(x[i] / amax * 127.0f) * amax / 127.0f;
}

float *flm_ref_forward(flm_ref_t *r, int token, int pos)
{
    int dim = r->dim, hidden = r->hidden_dim, hs = dim / r->n_heads;
    int kv_dim = hs * r->n_kv_heads, kv_mul = r->n_heads / r->n_kv_heads;
    float *x = r->x;
    memcpy(x, r->tok_emb + (size_t)token * (size_t)dim, (size_t)dim * sizeof *x);

    for (int l = 0; l < r->n_layers; l++) {
        size_t L = (size_t)l;
        flm_ref_rmsnorm(r->xb, x, r->rms_att + L * (size_t)dim, dim);
        size_t loff = L * (size_t)r->seq_len * (size_t)kv_dim;
        float *k = r->key_cache + loff + (size_t)pos * (size_t)kv_dim;
        float *v = r->value_cache + loff + (size_t)pos * (size_t)kv_dim;
        flm_ref_matmul(r->q, r->xb, r->wq + L * (size_t)dim * (size_t)dim, dim, dim);
        flm_ref_matmul(k, r->xb, r->wk + L * (size_t)dim * (size_t)kv_dim, dim, kv_dim);
        flm_ref_matmul(v, r->xb, r->wv + L * (size_t)dim * (size_t)kv_dim, dim, kv_dim);

        /* RoPE */
        for (int i = 0; i < dim; i += 2) {
            int head_dim = i % hs;
            float freq = 1.0f / powf(10000.0f, (float)head_dim / (float)hs);
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

        if (r->kv_int8)
            for (int i = 0; i < kv_dim; i += r->kv_int8) {
                fake_quant8(k + i, r->kv_int8);
                fake_quant8(v + i, r->kv_int8);
            }
        for (int h = 0; h < r->n_heads; h++) {
            float *q = r->q + h * hs;
            float *att = r->att + (size_t)h * (size_t)r->seq_len;
            for (int t = 0; t <= pos; t++) {
                const float *kt = r->key_cache + loff + (size_t)t * (size_t)kv_dim +
                                  (size_t)(h / kv_mul * hs);
                float score = 0.0f;
                for (int i = 0; i < hs; i++)
                    score += q[i] * kt[i];
                att[t] = score / sqrtf((float)hs);
            }
            flm_ref_softmax(att, pos + 1);
            float *xb = r->xb + h * hs;
            memset(xb, 0, (size_t)hs * sizeof *xb);
            for (int t = 0; t <= pos; t++) {
                const float *vt = r->value_cache + loff + (size_t)t * (size_t)kv_dim +
                                  (size_t)(h / kv_mul * hs);
                for (int i = 0; i < hs; i++)
                    xb[i] += att[t] * vt[i];
            }
        }
        flm_ref_matmul(r->xb2, r->xb, r->wo + L * (size_t)dim * (size_t)dim, dim, dim);
        for (int i = 0; i < dim; i++)
            x[i] += r->xb2[i];

        flm_ref_rmsnorm(r->xb, x, r->rms_ffn + L * (size_t)dim, dim);
        flm_ref_matmul(r->hb, r->xb, r->w1 + L * (size_t)dim * (size_t)hidden, dim, hidden);
        flm_ref_matmul(r->hb2, r->xb, r->w3 + L * (size_t)dim * (size_t)hidden, dim, hidden);
        for (int i = 0; i < hidden; i++) {
            float val = r->hb[i];
            val *= 1.0f / (1.0f + expf(-val));
            r->hb[i] = val * r->hb2[i];
        }
        flm_ref_matmul(r->xb, r->hb, r->w2 + L * (size_t)dim * (size_t)hidden, hidden, dim);
        for (int i = 0; i < dim; i++)
            x[i] += r->xb[i];
    }
    flm_ref_rmsnorm(x, x, r->rms_final, dim);
    flm_ref_matmul(r->logits, x, r->wcls, dim, r->vocab_size);
    return r->logits;
}
