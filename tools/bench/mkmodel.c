/*
 * fieldlm-mkmodel: a seeded random-weight llama in llama2.c's formats, so
 * anyone can reproduce the benchmark shapes without downloading a model.
 *
 *   fieldlm-mkmodel --shape 15M|110M|DIM,HIDDEN,LAYERS,HEADS,VOCAB,SEQ
 *                   [--seed N] [--out model.bin] [--q80 model_q80.bin]
 *
 * --out writes the legacy float32 checkpoint (run.c's, what `fieldlm
 * convert` reads); --q80 writes the same weights as export.py's version-2
 * int8 "ak42" file (groups of 64 halved until they divide dim, as
 * export.py does), which llama2.c's runq.c runs. Weights are uniform with
 * the standard deviation 0.02 of llama's initialisation, norm weights 1;
 * the classifier is shared with the embedding, as in the stories models.
 * The same seed and shape give the same bytes on every machine (a 32-bit
 * xorshift, no libm in the weights).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t dim, hidden, layers, heads, kv_heads, vocab, seq;
} shape_t;

static uint32_t rng;

static float uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    /* [-1, 1) in steps of 2^-23, times sqrt(3) * 0.02 */
    return (float)((int32_t)(rng >> 8) - (1 << 23)) * (0.0346410162f / 8388608.0f);
}

/* tensor order of the float32 checkpoint */
enum { T_EMB, T_RMS_ATT, T_WQ, T_WK, T_WV, T_WO, T_RMS_FFN, T_W1, T_W2, T_W3, T_RMS_FINAL, T_N };

static size_t tensor_elems(const shape_t *s, int t)
{
    size_t d = (size_t)s->dim, h = (size_t)s->hidden, l = (size_t)s->layers;
    size_t kv = d * (size_t)s->kv_heads / (size_t)s->heads;
    switch (t) {
    case T_EMB: return (size_t)s->vocab * d;
    case T_RMS_ATT: case T_RMS_FFN: return l * d;
    case T_WQ: case T_WO: return l * d * d;
    case T_WK: case T_WV: return l * d * kv;
    case T_W1: case T_W2: case T_W3: return l * d * h;
    default: return d;
    }
}

static int write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* export.py's version-2 quantization of n values, groups of gs: int8 then
 * one float scale per group (max |w| / 127). */
static int write_q80(FILE *f, const float *w, size_t n, int gs)
{
    size_t ng = n / (size_t)gs;
    int8_t *q = malloc(n);
    float *s = malloc(ng * sizeof *s);
    if (!q || !s) {
        free(q);
        free(s);
        return -1;
    }
    for (size_t g = 0; g < ng; g++) {
        float m = 0;
        for (int i = 0; i < gs; i++)
            m = fmaxf(m, fabsf(w[g * (size_t)gs + (size_t)i]));
        s[g] = m / 127.0f;
        for (int i = 0; i < gs; i++) {
            float v = s[g] > 0 ? w[g * (size_t)gs + (size_t)i] / s[g] : 0.0f;
            q[g * (size_t)gs + (size_t)i] = (int8_t)lroundf(v);
        }
    }
    int rc = write_all(f, q, n) || write_all(f, s, ng * sizeof *s) ? -1 : 0;
    free(q);
    free(s);
    return rc;
}

static int parse_shape(const char *a, shape_t *s)
{
    if (strcmp(a, "15M") == 0) {
        *s = (shape_t){ 288, 768, 6, 6, 6, 32000, 256 };
        return 0;
    }
    if (strcmp(a, "110M") == 0) {
        *s = (shape_t){ 768, 2048, 12, 12, 12, 32000, 1024 };
        return 0;
    }
    if (sscanf(a, "%d,%d,%d,%d,%d,%d", &s->dim, &s->hidden, &s->layers, &s->heads, &s->vocab,
               &s->seq) != 6)
        return -1;
    s->kv_heads = s->heads;
    return s->dim > 0 && s->hidden > 0 && s->layers > 0 && s->heads > 0 && s->vocab > 0 &&
                   s->seq > 0 && s->dim % s->heads == 0 && (s->dim / s->heads) % 2 == 0
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    shape_t s;
    int have_shape = 0;
    unsigned long seed = 1;
    const char *out = NULL, *q80 = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
            if (parse_shape(argv[++i], &s) != 0) {
                fprintf(stderr, "fieldlm-mkmodel: bad --shape '%s' (15M, 110M or "
                                "DIM,HIDDEN,LAYERS,HEADS,VOCAB,SEQ)\n", argv[i]);
                return 2;
            }
            have_shape = 1;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--q80") == 0 && i + 1 < argc) {
            q80 = argv[++i];
        } else {
            fprintf(stderr, "usage: fieldlm-mkmodel --shape 15M|110M|D,H,L,NH,V,SEQ [--seed N] "
                            "[--out model.bin] [--q80 model_q80.bin]\n");
            return 2;
        }
    }
    if (!have_shape || (!out && !q80)) {
        fprintf(stderr, "fieldlm-mkmodel: needs --shape and --out or --q80\n");
        return 2;
    }
    /* every tensor in memory once: 440 MB for the 110M shape */
    float *t[T_N];
    for (int k = 0; k < T_N; k++) {
        size_t n = tensor_elems(&s, k);
        t[k] = malloc(n * sizeof(float));
        if (!t[k]) {
            fprintf(stderr, "fieldlm-mkmodel: out of memory\n");
            return 1;
        }
        rng = (uint32_t)(seed * 2654435761u) ^ (uint32_t)(k + 1) * 0x9E3779B9u;
        if (!rng)
            rng = 1;
        for (size_t i = 0; i < n; i++)
            t[k][i] = (k == T_RMS_ATT || k == T_RMS_FFN || k == T_RMS_FINAL) ? 1.0f : uniform();
    }
    const int head = s.dim / s.heads;
    if (out) {
        FILE *f = fopen(out, "wb");
        int rc = !f || write_all(f, &s, sizeof s);
        for (int k = 0; k < T_N && !rc; k++)
            rc = write_all(f, t[k], tensor_elems(&s, k) * sizeof(float));
        /* freq_cis_real and _imag, as llama2.c's export wrote them */
        for (int part = 0; part < 2 && !rc; part++)
            for (int p = 0; p < s.seq && !rc; p++)
                for (int i = 0; i < head / 2 && !rc; i++) {
                    double fr = 1.0 / pow(10000.0, 2.0 * i / head), a = p * fr;
                    float v = (float)(part ? sin(a) : cos(a));
                    rc = write_all(f, &v, sizeof v);
                }
        if (f && fclose(f) != 0)
            rc = 1;
        if (rc) {
            fprintf(stderr, "fieldlm-mkmodel: cannot write %s\n", out);
            return 1;
        }
    }
    if (q80) {
        int gs = 64;
        while (s.dim % gs != 0)
            gs /= 2;
        FILE *f = fopen(q80, "wb");
        uint8_t hdr[256] = { 0 };
        uint32_t magic = 0x616b3432u;
        int32_t version = 2;
        memcpy(hdr, &magic, 4);
        memcpy(hdr + 4, &version, 4);
        memcpy(hdr + 8, &s, sizeof s);
        hdr[8 + sizeof s] = 1; /* shared classifier */
        memcpy(hdr + 9 + sizeof s, &gs, 4);
        int rc = !f || write_all(f, hdr, sizeof hdr);
        static const int fp32[] = { T_RMS_ATT, T_RMS_FFN, T_RMS_FINAL };
        static const int q8[] = { T_EMB, T_WQ, T_WK, T_WV, T_WO, T_W1, T_W2, T_W3 };
        for (size_t k = 0; k < 3 && !rc; k++)
            rc = write_all(f, t[fp32[k]], tensor_elems(&s, fp32[k]) * sizeof(float));
        for (size_t k = 0; k < 8 && !rc; k++) {
            /* each layer's int8 values then its scales (runq.c's
             * init_quantized_tensors); the embedding is one piece */
            size_t nl = q8[k] == T_EMB ? 1u : (size_t)s.layers, n = tensor_elems(&s, q8[k]) / nl;
            for (size_t l = 0; l < nl && !rc; l++)
                rc = write_q80(f, t[q8[k]] + l * n, n, gs);
        }
        if (f && fclose(f) != 0)
            rc = 1;
        if (rc) {
            fprintf(stderr, "fieldlm-mkmodel: cannot write %s\n", q80);
            return 1;
        }
    }
    for (int k = 0; k < T_N; k++)
        free(t[k]);
    return 0;
}
