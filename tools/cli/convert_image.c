#define _POSIX_C_SOURCE 200809L
/*
 * The .flm writer: quantize a float model into the integer encodings of
 * core/model/model.h and lay it out as core/model/FORMAT.md describes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/model/arch.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tools/cli/cli.h"
#include "tools/cli/convert.h"

#define MANTISSA_MAX (FLM_QMAT_SCALE_LIMIT - 1)

/* A growing image; regions are handed out as offsets (the buffer moves). */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} img_t;

static size_t img_alloc(img_t *im, size_t n, size_t align)
{
    size_t off = (im->len + align - 1) / align * align;
    if (off + n > im->cap) {
        size_t cap = im->cap ? im->cap : 1u << 16;
        while (cap < off + n)
            cap *= 2;
        uint8_t *q = realloc(im->p, cap);
        if (!q) {
            im->oom = true;
            return 0;
        }
        memset(q + im->cap, 0, cap - im->cap);
        im->p = q;
        im->cap = cap;
    }
    im->len = off + n;
    return off;
}


typedef struct {
    img_t im;
    size_t table;     /* offset of the tensor table */
    uint32_t n;       /* entries written so far */
    FILE *report;
    char *err;
    size_t errlen;
} writer_t;

static uint8_t *entry(writer_t *w, uint32_t kind, uint32_t layer, uint32_t dtype, uint32_t rows,
                      uint32_t cols)
{
    uint8_t *e = w->im.p + w->table + (size_t)w->n++ * FLM_IMG_ENTRY_SIZE;
    flm_wr16le(e + FLM_IMG_ENT_KIND, kind);
    flm_wr16le(e + FLM_IMG_ENT_LAYER, layer);
    flm_wr16le(e + FLM_IMG_ENT_DTYPE, dtype);
    flm_wr32le(e + FLM_IMG_ENT_ROWS, rows);
    flm_wr32le(e + FLM_IMG_ENT_COLS, cols);
    return e;
}

/* Fractional bits that put `maxval` in [2^22, 2^23): a 23-bit mantissa. */
static int mantissa_shift(double maxval, int *shift, const char *name, char *err, size_t errlen)
{
    int e = 0;
    if (maxval <= 0) {
        *shift = 0; /* all-zero: any shift represents it */
        return 0;
    }
    frexp(maxval, &e); /* maxval = f * 2^e, f in [0.5, 1) */
    *shift = 23 - e;
    if (*shift < 0)
        return flm_convert_fail(err, errlen, "%s: values up to %g do not fit the fixed-point format", name, maxval);
    if (*shift > FLM_IMG_SHIFT_MAX)
        *shift = FLM_IMG_SHIFT_MAX; /* tiny values: fewer mantissa bits, still exact enough */
    return 0;
}

static void report_error(writer_t *w, const flm_arch_tensor_t *t, uint32_t layer, uint32_t rows,
                         uint32_t cols, uint32_t gs, int shift, double max_abs, double sum_sq,
                         uint32_t bits, const char *how)
{
    if (!w->report)
        return;
    char label[32];
    flm_arch_label(t, layer, label, sizeof label);
    char shape[32];
    snprintf(shape, sizeof shape, "%ux%u", rows, cols);
    fprintf(w->report, "  %-18s %-10s %s gs %-3u shift %-2d  max_abs %.3e  rms %.3e%s\n", label, shape,
            bits == 4 ? "q4" : bits == 8 ? "q8" : "  ", gs, shift, max_abs, sqrt(sum_sq / ((double)rows * cols)),
            how);
}

/* One group of floats as int4, symmetric (value = q * d, no zero point,
 * q in [-8, 7]): d = the largest-magnitude weight / -8, which maps it to
 * -8 exactly (llama.cpp's Q4_0 rule; a search for the scale of least
 * squared error measured no better perplexity). Returns d; q is written. */
static double q4_group(const float *x, uint32_t n, int8_t *q)
{
    double mx = 0;
    for (uint32_t i = 0; i < n; i++)
        if (fabs((double)x[i]) > fabs(mx))
            mx = x[i];
    double d = mx / -8;
    for (uint32_t i = 0; i < n; i++) {
        long v = d != 0 ? lround((double)x[i] / d) : 0;
        q[i] = (int8_t)(v > 7 ? 7 : v < -8 ? -8 : v);
    }
    return d;
}

/* A group-quantized matrix (core/model/model.h flm_qmat_t), int8 or int4.
 * Scales are int32 with one tensor-wide shift that puts the largest
 * |scale| in [2^22, 2^23). int8 groups from floats: scale = maxabs / 127,
 * q = round(x / scale) in [-127, 127]. int4 groups from floats: q4_group
 * (then quantized again against the scale as stored, like int8).
 * When the tensor came as llama.cpp blocks (src) whose size is the group
 * size, its integers are copied and its float16 scales taken exactly (a
 * scale 2^12 or more below the largest loses low bits; they are counted). */
static int put_qmat(writer_t *w, const flm_arch_tensor_t *t, uint32_t layer, const float *x,
                    const flm_fqsrc_t *src, uint32_t rows, uint32_t cols, uint32_t gs, uint32_t bits)
{
    const char *name = t->name;
    if (gs > cols)
        gs = cols;
    if (bits == 4 && gs % 2 != 0 && gs != cols)
        return flm_convert_fail(w->err, w->errlen, "%s: int4 groups must have an even size (not %u)", name, gs);
    uint32_t ng = (cols + gs - 1) / gs;
    size_t n = (size_t)rows * cols, ns = (size_t)rows * ng;
    size_t row_bytes = bits == 4 ? ((size_t)cols + 1) / 2 : cols;
    /* an exact copy: the source's blocks are our groups and its values fit */
    bool copy = src && src->bits && src->block == gs && cols % gs == 0 && src->bits <= bits;
    const size_t src_q = (size_t)layer * n, src_d = (size_t)layer * rows * (src && src->block ? cols / src->block : 0);
    /* int8 scales are >= 0: a block with a negative scale is copied negated,
     * which -128 (never written by llama.cpp) does not survive */
    for (size_t r = 0; copy && bits == 8 && r < rows; r++)
        for (uint32_t g = 0; copy && g < ng; g++)
            if (src->d[src_d + r * ng + g] < 0)
                for (uint32_t c = g * gs; copy && c < (g + 1) * gs; c++)
                    copy = src->q[src_q + r * cols + c] != -128;
    double *fs = malloc(ns * sizeof *fs);
    int8_t *qv = malloc(n ? n : 1); /* the values, before packing */
    if (!fs || !qv) {
        free(fs);
        free(qv);
        return flm_convert_fail(w->err, w->errlen, "out of memory");
    }
    double smax = 0;
    for (size_t r = 0; r < rows; r++) {
        for (uint32_t g = 0; g < ng; g++) {
            uint32_t c0 = g * gs, c1 = c0 + gs < cols ? c0 + gs : cols;
            double sc;
            if (copy) {
                sc = src->d[src_d + r * ng + g];
                memcpy(qv + r * cols + c0, src->q + src_q + r * cols + c0, c1 - c0);
                if (bits == 8 && sc < 0) {
                    sc = -sc;
                    for (uint32_t c = c0; c < c1; c++)
                        qv[r * cols + c] = (int8_t)-qv[r * cols + c];
                }
            } else if (bits == 4) {
                sc = q4_group(x + r * cols + c0, c1 - c0, qv + r * cols + c0);
            } else {
                double m = 0;
                for (uint32_t c = c0; c < c1; c++)
                    m = fmax(m, fabs((double)x[r * cols + c]));
                sc = m / 127.0;
            }
            fs[r * ng + g] = sc;
            smax = fmax(smax, fabs(sc));
        }
    }
    int shift;
    if (mantissa_shift(smax, &shift, name, w->err, w->errlen)) {
        free(fs);
        free(qv);
        return -1;
    }
    size_t qoff = img_alloc(&w->im, rows * row_bytes, FLM_IMG_ALIGN);
    size_t soff = img_alloc(&w->im, ns * 4, FLM_IMG_ALIGN);
    if (w->im.oom) {
        free(fs);
        free(qv);
        return flm_convert_fail(w->err, w->errlen, "out of memory");
    }
    double max_abs = 0, sum_sq = 0;
    size_t rounded = 0;
    for (size_t r = 0; r < rows; r++) {
        for (uint32_t g = 0; g < ng; g++) {
            double ideal = ldexp(fs[r * ng + g], shift);
            long s = lround(ideal);
            if (s > MANTISSA_MAX)
                s = MANTISSA_MAX; /* rounding pushed the largest scale to 2^23 */
            if (s < -MANTISSA_MAX)
                s = -MANTISSA_MAX;
            rounded += (double)s != ideal;
            flm_wr32le(w->im.p + soff + 4 * (r * ng + g), (uint32_t)(int32_t)s);
            /* Quantize against the scale actually stored, not the ideal one. */
            double scale = ldexp((double)s, -shift);
            uint32_t c0 = g * gs, c1 = c0 + gs < cols ? c0 + gs : cols;
            for (uint32_t c = c0; c < c1; c++) {
                double v = x[r * cols + c];
                long q;
                if (copy) {
                    q = qv[r * cols + c];
                } else if (bits == 4) {
                    q = scale != 0 ? lround(v / scale) : 0;
                    q = q > 7 ? 7 : q < -8 ? -8 : q;
                } else {
                    q = scale > 0 ? lround(v / scale) : 0;
                    q = q > 127 ? 127 : q < -127 ? -127 : q;
                }
                if (bits == 4) {
                    uint8_t *b = w->im.p + qoff + r * row_bytes + c / 2;
                    *b = (uint8_t)(*b | ((uint32_t)q & 15u) << (c % 2 ? 4 : 0));
                } else {
                    w->im.p[qoff + r * cols + c] = (uint8_t)(int8_t)q;
                }
                double e = fabs(v - (double)q * scale);
                max_abs = fmax(max_abs, e);
                sum_sq += e * e;
            }
        }
    }
    free(fs);
    free(qv);
    uint8_t *e = entry(w, t->kind, layer, bits == 4 ? FLM_DTYPE_Q4 : FLM_DTYPE_Q8, rows, cols);
    flm_wr32le(e + FLM_IMG_ENT_GROUP_SIZE, gs);
    flm_wr32le(e + FLM_IMG_ENT_SHIFT, (uint32_t)shift);
    flm_wr64le(e + FLM_IMG_ENT_OFFSET, qoff);
    flm_wr64le(e + FLM_IMG_ENT_SIZE, rows * row_bytes);
    flm_wr64le(e + FLM_IMG_ENT_SCALE_OFFSET, soff);
    flm_wr64le(e + FLM_IMG_ENT_SCALE_SIZE, ns * 4);
    char how[64] = "";
    if (copy)
        snprintf(how, sizeof how, "  (%s blocks copied%s)", src->bits == 4 ? "Q4_0" : "Q8_0",
                 rounded ? ", small scales rounded" : "");
    report_error(w, t, layer, rows, cols, gs, shift, max_abs, sum_sq, bits, how);
    return 0;
}

/* int32 vector with one shift putting the largest |value| in [2^22, 2^23). */
static int put_i32(writer_t *w, const flm_arch_tensor_t *t, uint32_t layer, const float *x, uint32_t n)
{
    const char *name = t->name;
    double vmax = 0;
    for (uint32_t i = 0; i < n; i++)
        vmax = fmax(vmax, fabs((double)x[i]));
    int shift;
    if (mantissa_shift(vmax, &shift, name, w->err, w->errlen))
        return -1;
    size_t off = img_alloc(&w->im, (size_t)n * 4, FLM_IMG_ALIGN);
    if (w->im.oom)
        return flm_convert_fail(w->err, w->errlen, "out of memory");
    double max_abs = 0, sum_sq = 0;
    for (uint32_t i = 0; i < n; i++) {
        long v = lround(ldexp((double)x[i], shift));
        v = v > MANTISSA_MAX ? MANTISSA_MAX : v < -MANTISSA_MAX ? -MANTISSA_MAX : v;
        flm_wr32le(w->im.p + off + 4 * (size_t)i, (uint32_t)(int32_t)v);
        double e = fabs((double)x[i] - ldexp((double)v, -shift));
        max_abs = fmax(max_abs, e);
        sum_sq += e * e;
    }
    uint8_t *e = entry(w, t->kind, layer, FLM_DTYPE_I32, 1, n);
    flm_wr32le(e + FLM_IMG_ENT_SHIFT, (uint32_t)shift);
    flm_wr64le(e + FLM_IMG_ENT_OFFSET, off);
    flm_wr64le(e + FLM_IMG_ENT_SIZE, (uint64_t)n * 4);
    report_error(w, t, layer, 1, n, 0, shift, max_abs, sum_sq, 0, "");
    return 0;
}

/* rope_freq[i] = theta^(-2i/head_dim) / (2 pi), in turns, unsigned Q0.32;
 * divided by fm's frequency factor i (GGUF rope_freqs) and its linear RoPE
 * scale when it has them. */
static int put_rope(writer_t *w, const flm_arch_tensor_t *t, const flm_fmodel_t *fm, uint32_t n,
                    uint32_t head_dim)
{
    double theta = fm->rope_theta > 0 ? fm->rope_theta : 10000.0;
    size_t off = img_alloc(&w->im, (size_t)n * 4, FLM_IMG_ALIGN);
    if (w->im.oom)
        return flm_convert_fail(w->err, w->errlen, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        double f = pow(theta, -2.0 * i / head_dim);
        if (fm->rope_factors)
            f /= fm->rope_factors[i];
        if (fm->rope_scale > 0)
            f /= fm->rope_scale;
        double turns = f / 6.283185307179586;
        if (!(turns >= 0 && turns < 1))
            return flm_convert_fail(w->err, w->errlen, "rope frequency %u is %g turns per position", i, turns);
        flm_wr32le(w->im.p + off + 4 * (size_t)i, (uint32_t)llround(ldexp(turns, 32)));
    }
    uint8_t *e = entry(w, t->kind, 0, FLM_DTYPE_U32, 1, n);
    flm_wr64le(e + FLM_IMG_ENT_OFFSET, off);
    flm_wr64le(e + FLM_IMG_ENT_SIZE, (uint64_t)n * 4);
    return 0;
}

/* llama2.c scores as order-preserving int32 keys (core/model/model.h). -0.0 is
 * stored as +0.0 (tok512 has both) so equal floats give equal keys. */
static int32_t score_key(float f)
{
    int32_t bits;
    if (f == 0.0f)
        f = 0.0f;
    memcpy(&bits, &f, sizeof bits);
    return bits >= 0 ? bits : -1 - (bits & 0x7FFFFFFF);
}

typedef struct {
    const uint8_t *p;
    uint32_t len, id;
} tokref_t;

static int tokref_cmp(const void *a, const void *b)
{
    const tokref_t *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int put_tokenizer(writer_t *w, const flm_ftok_t *tok, size_t *off, size_t *size)
{
    uint32_t n = tok->vocab_size, nbytes = tok->offsets[n];
    const bool bpe = tok->kind == FLM_TOK_KIND_BPE;
    *size = FLM_IMG_TOK_HEADER_SIZE + 4 * (3 * (size_t)n + 1) + nbytes;
    size_t merges_at = (*size + 3) & ~(size_t)3;
    if (bpe)
        *size = merges_at + 4 * (size_t)n;
    *off = img_alloc(&w->im, *size, 8);
    tokref_t *refs = malloc((size_t)n * sizeof *refs);
    if (w->im.oom || !refs) {
        free(refs);
        return flm_convert_fail(w->err, w->errlen, "out of memory");
    }
    uint8_t *t = w->im.p + *off;
    flm_wr32le(t + FLM_IMG_TOK_VOCAB_SIZE, n);
    flm_wr32le(t + FLM_IMG_TOK_MAX_LEN, tok->max_token_len);
    flm_wr32le(t + FLM_IMG_TOK_BOS, tok->bos_id);
    flm_wr32le(t + FLM_IMG_TOK_EOS, tok->eos_id);
    flm_wr32le(t + FLM_IMG_TOK_BYTES_SIZE, nbytes);
    flm_wr32le(t + FLM_IMG_TOK_KIND, bpe ? FLM_TOK_KIND_BPE | tok->pre << 8 : FLM_TOK_KIND_SPM);
    uint8_t *offsets = t + FLM_IMG_TOK_HEADER_SIZE, *scores = offsets + 4 * ((size_t)n + 1);
    uint8_t *sorted = scores + 4 * (size_t)n, *bytes = sorted + 4 * (size_t)n;
    for (uint32_t i = 0; i <= n; i++)
        flm_wr32le(offsets + 4 * (size_t)i, tok->offsets[i]);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t key = bpe ? (tok->merge_left[i] == FLM_TOK_NO_MERGE ? UINT32_MAX : tok->merge_rank[i])
                           : (uint32_t)score_key(tok->scores[i]);
        flm_wr32le(scores + 4 * (size_t)i, key);
        if (bpe)
            flm_wr32le(t + merges_at + 4 * (size_t)i, tok->merge_left[i]);
        refs[i] = (tokref_t){ tok->bytes + tok->offsets[i], tok->offsets[i + 1] - tok->offsets[i], i };
    }
    qsort(refs, n, sizeof *refs, tokref_cmp);
    for (uint32_t i = 0; i < n; i++)
        flm_wr32le(sorted + 4 * (size_t)i, refs[i].id);
    memcpy(bytes, tok->bytes, nbytes);
    free(refs);
    return 0;
}

/* One table entry (of one layer): quantize fm's floats for it, or compute
 * it from the config. */
static int put_tensor(writer_t *w, const flm_fmodel_t *fm, const flm_model_config_t *c,
                      const flm_arch_tensor_t *t, uint32_t layer, const flm_build_opts_t *o)
{
    if (!flm_arch_stored(t, c))
        return 0;
    uint32_t rows = (uint32_t)flm_arch_dim(c, t->rows), cols = (uint32_t)flm_arch_dim(c, t->cols);
    if (t->dtype == FLM_DTYPE_U32 && t->kind == FLM_TENSOR_ROPE_FREQ)
        return put_rope(w, t, fm, cols, c->head_dim);
    const float *x = flm_fmodel_tensor(fm, t->kind);
    if (!x)
        return flm_convert_fail(w->err, w->errlen, "the checkpoint has no %s", t->name);
    x += (size_t)layer * rows * cols;
    if (t->dtype == FLM_DTYPE_Q8) {
        bool embedding = t->kind == FLM_TENSOR_TOK_EMBEDDING || t->kind == FLM_TENSOR_CLASSIFIER;
        uint32_t bits = o->bits == 4 && !(embedding && o->embedding8) ? 4u : 8u;
        const flm_fqsrc_t *src = t->kind < FLM_FMODEL_KINDS ? &fm->qsrc[t->kind] : NULL;
        return put_qmat(w, t, layer, x, src, rows, cols, o->gs, bits);
    }
    if (t->dtype == FLM_DTYPE_I32)
        return put_i32(w, t, layer, x, cols);
    return flm_convert_fail(w->err, w->errlen, "%s: no writer for dtype %s", t->name, flm_model_dtype_name(t->dtype));
}

int flm_image_build(const flm_fmodel_t *fm, const flm_ftok_t *tok, uint32_t gs, FILE *report,
                    uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    flm_build_opts_t o = { gs, 8, false };
    return flm_image_build_with(fm, tok, &o, report, out, out_len, err, errlen);
}

int flm_image_build_with(const flm_fmodel_t *fm, const flm_ftok_t *tok, const flm_build_opts_t *o,
                         FILE *report, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    uint32_t gs = o->gs;
    if (tok->vocab_size != fm->vocab_size)
        return flm_convert_fail(err, errlen, "tokenizer has %u tokens, the model %u", tok->vocab_size, fm->vocab_size);
    if (gs == 0)
        return flm_convert_fail(err, errlen, "group size must be at least 1");
    if (o->bits != 8 && o->bits != 4)
        return flm_convert_fail(err, errlen, "%u-bit weights: 8 and 4 are supported", o->bits);
    if (o->bits == 4 && gs % 2 != 0)
        return flm_convert_fail(err, errlen, "int4 groups must have an even size (not %u)", gs);
    if (tok->vocab_size == 0 || tok->bos_id >= tok->vocab_size || tok->eos_id >= tok->vocab_size)
        return flm_convert_fail(err, errlen, "bos %u / eos %u outside the %u-token vocabulary", tok->bos_id,
                                tok->eos_id, tok->vocab_size);
    if (fm->n_layers > 65535)
        return flm_convert_fail(err, errlen, "%u layers do not fit the format", fm->n_layers);
    writer_t w = { .report = report, .err = err, .errlen = errlen };
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    flm_model_config_t c;
    flm_fmodel_config(fm, &c);
    uint32_t n_tensors = 0;
    for (uint32_t i = 0; i < a->n_tensors; i++)
        n_tensors += flm_arch_stored(&a->tensors[i], &c) ? flm_arch_copies(&a->tensors[i], &c) : 0;

    img_alloc(&w.im, FLM_IMG_HEADER_SIZE, 8);
    w.table = img_alloc(&w.im, (size_t)n_tensors * FLM_IMG_ENTRY_SIZE, 8);
    size_t tok_off = 0, tok_size = 0;
    int rc = put_tokenizer(&w, tok, &tok_off, &tok_size);
    size_t data = img_alloc(&w.im, 0, FLM_IMG_ALIGN);

    if (report)
        fprintf(report, "quantization error per tensor (vs the input's values, dequantized if integer):\n");
    /* Table order: a global entry where it stands, each run of per-layer
     * entries once per layer. */
    /* a progress line on a terminal stderr, unless the report lines go to that terminal */
    const bool progress = !report || !isatty(fileno(report));
    uint32_t done = 0;
    for (uint32_t i = 0; !rc && i < a->n_tensors;) {
        uint32_t end = i + 1;
        while (a->tensors[i].per_layer && end < a->n_tensors && a->tensors[end].per_layer)
            end++;
        for (uint32_t l = 0; !rc && l < flm_arch_copies(&a->tensors[i], &c); l++) {
            for (uint32_t k = i; !rc && k < end; k++) {
                rc = put_tensor(&w, fm, &c, &a->tensors[k], l, o);
                if (progress && flm_arch_stored(&a->tensors[k], &c))
                    flm_cli_progress("fieldlm convert: tensor %u of %u", ++done, n_tensors);
            }
        }
        i = end;
    }
    if (progress)
        flm_cli_progress_end();
    if (rc) {
        free(w.im.p);
        return rc;
    }

    uint8_t *p = w.im.p;
    flm_wr32le(p + FLM_IMG_OFF_MAGIC, FLM_IMG_MAGIC);
    flm_wr16le(p + FLM_IMG_OFF_VER_MAJOR, FLM_IMG_VERSION_MAJOR);
    flm_wr16le(p + FLM_IMG_OFF_VER_MINOR, FLM_IMG_VERSION_MINOR);
    flm_wr32le(p + FLM_IMG_OFF_HEADER_SIZE, FLM_IMG_HEADER_SIZE);
    flm_wr32le(p + FLM_IMG_OFF_FLAGS, fm->shared_classifier ? FLM_IMG_FLAG_SHARED_CLASSIFIER : 0);
    flm_wr64le(p + FLM_IMG_OFF_IMAGE_SIZE, w.im.len);
    flm_wr32le(p + FLM_IMG_OFF_DIM, c.dim);
    flm_wr32le(p + FLM_IMG_OFF_HIDDEN_DIM, c.hidden_dim);
    flm_wr32le(p + FLM_IMG_OFF_N_LAYERS, c.n_layers);
    flm_wr32le(p + FLM_IMG_OFF_N_HEADS, c.n_heads);
    flm_wr32le(p + FLM_IMG_OFF_N_KV_HEADS, c.n_kv_heads);
    flm_wr32le(p + FLM_IMG_OFF_HEAD_DIM, c.head_dim);
    flm_wr32le(p + FLM_IMG_OFF_VOCAB_SIZE, c.vocab_size);
    flm_wr32le(p + FLM_IMG_OFF_SEQ_LEN, c.seq_len);
    flm_wr32le(p + FLM_IMG_OFF_NORM_EPS, c.norm_eps_q32);
    flm_wr32le(p + FLM_IMG_OFF_ROPE_THETA, c.rope_theta);
    flm_wr32le(p + FLM_IMG_OFF_N_TENSORS, w.n);
    flm_wr32le(p + FLM_IMG_OFF_ENTRY_SIZE, FLM_IMG_ENTRY_SIZE);
    flm_wr64le(p + FLM_IMG_OFF_TABLE, w.table);
    flm_wr64le(p + FLM_IMG_OFF_TOK, tok_off);
    flm_wr64le(p + FLM_IMG_OFF_TOK_SIZE, tok_size);
    flm_wr64le(p + FLM_IMG_OFF_DATA, data);
    flm_wr32le(p + FLM_IMG_OFF_ARCH, a->id);
    uint32_t head = flm_crc32_update(0, p, FLM_IMG_CRC_SKIP_BEGIN);
    uint32_t hcrc = flm_crc32_update(head, p + FLM_IMG_CRC_SKIP_END, data - FLM_IMG_CRC_SKIP_END);
    uint32_t icrc = flm_crc32_update(head, p + FLM_IMG_CRC_SKIP_END, w.im.len - FLM_IMG_CRC_SKIP_END);
    flm_wr32le(p + FLM_IMG_OFF_HEADER_CRC, hcrc);
    flm_wr32le(p + FLM_IMG_OFF_IMAGE_CRC, icrc);
    *out = p;
    *out_len = w.im.len;
    return 0;
}
