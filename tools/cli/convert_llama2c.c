#define _POSIX_C_SOURCE 200809L
/*
 * Readers for llama2.c files (github.com/karpathy/llama2.c):
 *  - legacy float32 checkpoints (run.c): 7 x int32 config, then the weights;
 *    a negative vocab_size means a separate classifier at the end;
 *  - export.py "ak42" version 1 (float32) and version 2 (Q8_0) files: a
 *    256-byte header, then the norms in float32, then the matrices;
 *  - tokenizer.bin: int32 max_token_length, then per token (float score,
 *    int32 length, bytes).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/bytes.h"
#include "core/model/arch.h"
#include "tools/cli/cli.h"
#include "tools/cli/convert.h"

#define AK42_MAGIC       0x616b3432u
#define AK42_HEADER_SIZE 256u

int flm_convert_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}


static float lef32(const uint8_t *p)
{
    uint32_t u = flm_rd32le(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int flm_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        f = NULL;
        errno = EISDIR;
    }
    if (!f)
        return flm_convert_fail(err, errlen, "%s: %s", path, flm_cli_errno_text(errno));
    uint8_t *p = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1u << 16;
            uint8_t *q = realloc(p, cap);
            if (!q) {
                free(p);
                fclose(f);
                return flm_convert_fail(err, errlen, "%s: out of memory", path);
            }
            p = q;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        flm_cli_progress("fieldlm convert: reading %s: %zu MB", path, n >> 20);
        if (got == 0)
            break;
    }
    flm_cli_progress_end();
    int bad = ferror(f) ? errno : 0;
    fclose(f);
    if (bad) {
        free(p);
        return flm_convert_fail(err, errlen, "%s: %s", path, flm_cli_errno_text(bad));
    }
    *buf = p;
    *len = n;
    return 0;
}

/* Walks the checkpoint, reading float32 or Q8_0 tensors in file order. */
typedef struct {
    const uint8_t *buf;
    size_t len, pos;
    uint32_t gs; /* Q8_0 group size (v2) */
    char *err;
    size_t errlen;
} reader_t;

static int take_f32(reader_t *r, float *dst, size_t n, const char *what)
{
    if (n > (r->len - r->pos) / 4)
        return flm_convert_fail(r->err, r->errlen, "checkpoint truncated in %s (at byte %zu of %zu)", what, r->pos,
                     r->len);
    for (size_t i = 0; i < n; i++)
        dst[i] = lef32(r->buf + r->pos + 4 * i);
    r->pos += 4 * n;
    return 0;
}

/* export.py's Q8_0: int8 q[n] then float scale[n / gs], groups taken over
 * the flattened tensor (so they may cross rows). */
static int take_q80(reader_t *r, float *dst, size_t n, const char *what)
{
    if (n % r->gs != 0)
        return flm_convert_fail(r->err, r->errlen, "%s: %zu values not a multiple of group size %u", what, n, r->gs);
    size_t ns = n / r->gs;
    if (n > r->len - r->pos || ns > (r->len - r->pos - n) / 4)
        return flm_convert_fail(r->err, r->errlen, "checkpoint truncated in %s (at byte %zu of %zu)", what, r->pos,
                     r->len);
    const int8_t *q = (const int8_t *)(r->buf + r->pos);
    const uint8_t *s = r->buf + r->pos + n;
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)q[i] * lef32(s + 4 * (i / r->gs));
    r->pos += n + 4 * ns;
    return 0;
}

static int take(reader_t *r, bool q80, float *dst, size_t n, const char *what)
{
    return q80 ? take_q80(r, dst, n, what) : take_f32(r, dst, n, what);
}

void flm_fmodel_config(const flm_fmodel_t *fm, flm_model_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->dim = fm->dim;
    c->hidden_dim = fm->hidden_dim;
    c->n_layers = fm->n_layers;
    c->n_heads = fm->n_heads;
    c->n_kv_heads = fm->n_kv_heads;
    c->head_dim = fm->head_dim ? fm->head_dim : fm->n_heads ? fm->dim / fm->n_heads : 0;
    c->vocab_size = fm->vocab_size;
    c->seq_len = fm->seq_len;
    double eps = fm->norm_eps > 0 ? fm->norm_eps : 1e-5;
    c->norm_eps_q32 = eps * 4294967296.0 < 4294967295.0 ? (uint32_t)llround(ldexp(eps, 32)) : UINT32_MAX;
    double theta = fm->rope_theta > 0 ? fm->rope_theta : 10000;
    c->rope_theta = theta < 4294967295.0 ? (uint32_t)llround(theta) : UINT32_MAX;
    c->shared_classifier = fm->shared_classifier;
}

/* Which of fm's arrays holds a tensor kind: the one place the llama2.c
 * layout meets the architecture table. */
float **flm_fmodel_slot(flm_fmodel_t *fm, uint32_t kind)
{
    switch (kind) {
    case FLM_TENSOR_TOK_EMBEDDING: return &fm->tok_embedding;
    case FLM_TENSOR_CLASSIFIER:    return &fm->classifier;
    case FLM_TENSOR_RMS_FINAL:     return &fm->rms_final;
    case FLM_TENSOR_RMS_ATT:       return &fm->rms_att;
    case FLM_TENSOR_WQ:            return &fm->wq;
    case FLM_TENSOR_WK:            return &fm->wk;
    case FLM_TENSOR_WV:            return &fm->wv;
    case FLM_TENSOR_WO:            return &fm->wo;
    case FLM_TENSOR_RMS_FFN:       return &fm->rms_ffn;
    case FLM_TENSOR_W1:            return &fm->w1;
    case FLM_TENSOR_W2:            return &fm->w2;
    case FLM_TENSOR_W3:            return &fm->w3;
    default:                       return NULL; /* rope_freq: computed, not read */
    }
}

const float *flm_fmodel_tensor(const flm_fmodel_t *fm, uint32_t kind)
{
    float **p = flm_fmodel_slot((flm_fmodel_t *)fm, kind); /* read only */
    return p ? *p : NULL;
}

static int check_config(const flm_fmodel_t *fm, char *err, size_t errlen)
{
    const uint32_t lim = 1u << 20;
    if (!fm->dim || !fm->hidden_dim || !fm->n_layers || !fm->n_heads || !fm->n_kv_heads ||
        !fm->vocab_size || !fm->seq_len || fm->dim > lim || fm->hidden_dim > lim ||
        fm->n_layers > 1024 || fm->vocab_size > lim || fm->seq_len > lim || fm->n_heads > fm->dim)
        return flm_convert_fail(err, errlen, "implausible config (dim %u hidden %u layers %u heads %u kv %u vocab %u seq %u)",
                     fm->dim, fm->hidden_dim, fm->n_layers, fm->n_heads, fm->n_kv_heads, fm->vocab_size,
                     fm->seq_len);
    if (fm->dim % fm->n_heads)
        return flm_convert_fail(err, errlen, "dim %u is not a multiple of n_heads %u (llama2.c's head_dim is their quotient)",
                                fm->dim, fm->n_heads);
    flm_model_config_t c;
    char why[128];
    flm_fmodel_config(fm, &c);
    if (flm_arch_check_config(flm_arch_find(FLM_ARCH_LLAMA), &c, why, sizeof why))
        return flm_convert_fail(err, errlen, "not a llama config: %s", why);
    return 0;
}

/* Carve every array the architecture table lists out of one allocation.
 * Sizes are computed in 64 bits and must fit the file (every weight takes
 * at least a byte there), so a lying header cannot overflow them on a
 * 32-bit host. */
int flm_fmodel_alloc(flm_fmodel_t *fm, uint64_t limit, char *err, size_t errlen)
{
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    flm_model_config_t c;
    flm_fmodel_config(fm, &c);
    uint64_t total = 0;
    for (uint32_t i = 0; i < a->n_tensors; i++) {
        const flm_arch_tensor_t *t = &a->tensors[i];
        if (flm_fmodel_slot(fm, t->kind) && flm_arch_stored(t, &c))
            total += flm_arch_copies(t, &c) * flm_arch_dim(&c, t->rows) * flm_arch_dim(&c, t->cols);
    }
    if (total > limit || total > SIZE_MAX / sizeof(float))
        return flm_convert_fail(err, errlen, "the config needs %llu weights, the file holds at most %llu",
                                (unsigned long long)total, (unsigned long long)limit);
    fm->mem = malloc(total ? (size_t)total * sizeof(float) : 1);
    if (!fm->mem)
        return flm_convert_fail(err, errlen, "out of memory for %llu weights", (unsigned long long)total);
    float *p = fm->mem;
    for (uint32_t i = 0; i < a->n_tensors; i++) {
        const flm_arch_tensor_t *t = &a->tensors[i];
        float **dst = flm_fmodel_slot(fm, t->kind);
        if (!dst || !flm_arch_stored(t, &c))
            continue;
        *dst = p;
        p += (size_t)(flm_arch_copies(t, &c) * flm_arch_dim(&c, t->rows) * flm_arch_dim(&c, t->cols));
    }
    return 0;
}

static size_t kv_dim(const flm_fmodel_t *fm)
{
    return (size_t)fm->dim / fm->n_heads * fm->n_kv_heads;
}

/* run.c order: tok, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final,
 * freq_cis (skipped), classifier. */
static int parse_legacy(flm_fmodel_t *fm, reader_t *r)
{
    size_t d = fm->dim, h = fm->hidden_dim, l = fm->n_layers, v = fm->vocab_size, kv = kv_dim(fm);
    size_t head = d / fm->n_heads;
    int rc = take_f32(r, fm->tok_embedding, v * d, "tok_embedding");
    if (!rc) rc = take_f32(r, fm->rms_att, l * d, "rms_att");
    if (!rc) rc = take_f32(r, fm->wq, l * d * d, "wq");
    if (!rc) rc = take_f32(r, fm->wk, l * kv * d, "wk");
    if (!rc) rc = take_f32(r, fm->wv, l * kv * d, "wv");
    if (!rc) rc = take_f32(r, fm->wo, l * d * d, "wo");
    if (!rc) rc = take_f32(r, fm->rms_ffn, l * d, "rms_ffn");
    if (!rc) rc = take_f32(r, fm->w1, l * h * d, "w1");
    if (!rc) rc = take_f32(r, fm->w2, l * d * h, "w2");
    if (!rc) rc = take_f32(r, fm->w3, l * h * d, "w3");
    if (!rc) rc = take_f32(r, fm->rms_final, d, "rms_final");
    if (rc)
        return rc;
    size_t freq = (size_t)fm->seq_len * head; /* freq_cis_real + freq_cis_imag */
    if (freq > (r->len - r->pos) / 4)
        return flm_convert_fail(r->err, r->errlen, "checkpoint truncated in freq_cis");
    r->pos += 4 * freq;
    if (!fm->shared_classifier)
        return take_f32(r, fm->classifier, v * d, "classifier");
    return 0;
}

/* export.py order: rms_att, rms_ffn, rms_final (float32), then tok, wq, wk,
 * wv, wo, w1, w2, w3, classifier (float32 in v1, Q8_0 in v2). */
static int parse_ak42(flm_fmodel_t *fm, reader_t *r, bool q80)
{
    size_t d = fm->dim, h = fm->hidden_dim, l = fm->n_layers, v = fm->vocab_size, kv = kv_dim(fm);
    int rc = take_f32(r, fm->rms_att, l * d, "rms_att");
    if (!rc) rc = take_f32(r, fm->rms_ffn, l * d, "rms_ffn");
    if (!rc) rc = take_f32(r, fm->rms_final, d, "rms_final");
    if (!rc) rc = take(r, q80, fm->tok_embedding, v * d, "tok_embedding");
    /* Each layer's tensor is quantized on its own (own groups). */
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->wq + i * d * d, d * d, "wq");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->wk + i * kv * d, kv * d, "wk");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->wv + i * kv * d, kv * d, "wv");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->wo + i * d * d, d * d, "wo");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->w1 + i * h * d, h * d, "w1");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->w2 + i * d * h, d * h, "w2");
    for (size_t i = 0; !rc && i < l; i++) rc = take(r, q80, fm->w3 + i * h * d, h * d, "w3");
    if (!rc && !fm->shared_classifier)
        rc = take(r, q80, fm->classifier, v * d, "classifier");
    return rc;
}

int flm_fmodel_parse(flm_fmodel_t *fm, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(fm, 0, sizeof *fm);
    reader_t r = { buf, len, 0, 0, err, errlen };
    bool ak42 = len >= 4 && flm_rd32le(buf) == AK42_MAGIC;
    uint32_t version = 0;
    size_t cfg_at = 0;
    if (ak42) {
        if (len < AK42_HEADER_SIZE)
            return flm_convert_fail(err, errlen, "ak42 header truncated (%zu bytes)", len);
        version = flm_rd32le(buf + 4);
        if (version != 1 && version != 2)
            return flm_convert_fail(err, errlen, "llama2.c export version %u not supported (1 and 2 are)", version);
        cfg_at = 8;
    } else if (len < 28) {
        return flm_convert_fail(err, errlen, "checkpoint truncated: %zu bytes, the header alone is 28", len);
    }
    int32_t c[7];
    for (int i = 0; i < 7; i++)
        c[i] = (int32_t)flm_rd32le(buf + cfg_at + 4 * (size_t)i);
    for (int i = 0; i < 7; i++) {
        if (c[i] == 0 || (c[i] < 0 && i != 5) || c[i] == INT32_MIN)
            return flm_convert_fail(err, errlen, "not a llama2.c checkpoint: config field %d is %d", i, (int)c[i]);
    }
    fm->dim = (uint32_t)c[0];
    fm->hidden_dim = (uint32_t)c[1];
    fm->n_layers = (uint32_t)c[2];
    fm->n_heads = (uint32_t)c[3];
    fm->n_kv_heads = (uint32_t)c[4];
    fm->vocab_size = (uint32_t)(c[5] < 0 ? -c[5] : c[5]);
    fm->seq_len = (uint32_t)c[6];
    if (ak42) {
        fm->shared_classifier = buf[36] != 0;
        r.gs = flm_rd32le(buf + 37);
        r.pos = AK42_HEADER_SIZE;
        if (version == 2 && (r.gs == 0 || r.gs > 1u << 20))
            return flm_convert_fail(err, errlen, "ak42 group size %u", r.gs);
        fm->source = version == 2 ? "llama2.c int8 Q8_0 export (ak42 v2)" : "llama2.c float32 export (ak42 v1)";
    } else {
        fm->shared_classifier = c[5] > 0;
        r.pos = 28;
        fm->source = "llama2.c float32 checkpoint (legacy)";
    }
    if (check_config(fm, err, errlen) || flm_fmodel_alloc(fm, len, err, errlen))
        return -1;
    int rc = ak42 ? parse_ak42(fm, &r, version == 2) : parse_legacy(fm, &r);
    if (!rc && r.pos != len)
        rc = flm_convert_fail(err, errlen, "%zu unexpected bytes after the weights (wrong config?)", len - r.pos);
    if (rc)
        flm_fmodel_free(fm);
    return rc;
}

int flm_fmodel_load(flm_fmodel_t *fm, const char *path, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    memset(fm, 0, sizeof *fm);
    if (flm_read_file(path, &buf, &len, err, errlen))
        return -1;
    int rc = flm_fmodel_parse(fm, buf, len, err, errlen);
    free(buf);
    return rc;
}

void flm_fmodel_free(flm_fmodel_t *fm)
{
    free(fm->mem);
    free(fm->qmem);
    memset(fm, 0, sizeof *fm);
}

int flm_ftok_load(flm_ftok_t *tok, const char *path, uint32_t vocab_size, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    memset(tok, 0, sizeof *tok);
    if (flm_read_file(path, &buf, &len, err, errlen))
        return -1;
    tok->vocab_size = vocab_size;
    tok->kind = FLM_TOK_KIND_SPM;
    tok->bos_id = 1; /* llama2.c's */
    tok->eos_id = 2;
    tok->scores = malloc((size_t)vocab_size * sizeof *tok->scores);
    tok->offsets = malloc(((size_t)vocab_size + 1) * sizeof *tok->offsets);
    tok->bytes = malloc(len ? len : 1); /* token bytes never exceed the file */
    int rc = 0;
    if (!tok->scores || !tok->offsets || !tok->bytes)
        rc = flm_convert_fail(err, errlen, "out of memory");
    size_t pos = 4, nbytes = 0;
    if (!rc && len < 4)
        rc = flm_convert_fail(err, errlen, "%s: truncated tokenizer header", path);
    if (!rc) {
        int32_t max_len = (int32_t)flm_rd32le(buf);
        if (max_len <= 0 || max_len > 65536)
            rc = flm_convert_fail(err, errlen, "%s: max_token_length %d is not plausible", path, (int)max_len);
        tok->max_token_len = 1; /* the real longest token, below: tighter buffers */
    }
    for (uint32_t i = 0; !rc && i < vocab_size; i++) {
        if (len - pos < 8) {
            rc = flm_convert_fail(err, errlen, "%s: ends at token %u, the model has %u", path, i, vocab_size);
            break;
        }
        tok->scores[i] = lef32(buf + pos);
        int32_t n = (int32_t)flm_rd32le(buf + pos + 4);
        pos += 8;
        if (n < 0 || (size_t)n > len - pos) {
            rc = flm_convert_fail(err, errlen, "%s: token %u has length %d, past the end of the file", path, i, (int)n);
            break;
        }
        tok->offsets[i] = (uint32_t)nbytes;
        memcpy(tok->bytes + nbytes, buf + pos, (size_t)n);
        nbytes += (size_t)n;
        pos += (size_t)n;
        if ((uint32_t)n > tok->max_token_len)
            tok->max_token_len = (uint32_t)n;
    }
    if (!rc) {
        tok->offsets[vocab_size] = (uint32_t)nbytes;
        if (pos != len)
            rc = flm_convert_fail(err, errlen, "%s: %zu bytes left after %u tokens (vocabulary size mismatch?)", path,
                       len - pos, vocab_size);
    }
    free(buf);
    if (rc)
        flm_ftok_free(tok);
    return rc;
}

void flm_ftok_free(flm_ftok_t *tok)
{
    free(tok->scores);
    free(tok->offsets);
    free(tok->bytes);
    free(tok->merge_rank);
    free(tok->merge_left);
    memset(tok, 0, sizeof *tok);
}
