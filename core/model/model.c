/*
 * The model-image loader: validate a .flm image (core/model/FORMAT.md) once, then
 * hand out views into it. Everything is read through bounds-checked offsets;
 * header fields are decoded byte by byte, so a hostile image can make open
 * fail but never make it read outside [image, image + size).
 */
#include "core/model/model.h"

#include <stdarg.h>
#include <string.h>

#include "core/base/crc32.h"
#include "core/model/model_format.h"

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- m->detail: a tiny formatter, because core/ has no stdio ----------
 * %s string, %u uint32_t, %d int32_t, %U uint64_t, %x uint32_t in hex. */

static size_t put_str(char *d, size_t n, size_t cap, const char *s)
{
    while (*s && n < cap)
        d[n++] = *s++;
    return n;
}

static size_t put_num(char *d, size_t n, size_t cap, uint64_t v, unsigned base)
{
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (k && n < cap)
        d[n++] = tmp[--k];
    return n;
}

static flm_err_t fail(flm_model_t *m, flm_err_t err, const char *fmt, ...)
{
    char *d = m->detail;
    const size_t cap = sizeof m->detail - 1;
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f && n < cap; f++) {
        if (*f != '%' || !f[1]) {
            d[n++] = *f;
            continue;
        }
        switch (*++f) {
        case 's': n = put_str(d, n, cap, va_arg(ap, const char *)); break;
        case 'u': n = put_num(d, n, cap, va_arg(ap, uint32_t), 10); break;
        case 'U': n = put_num(d, n, cap, va_arg(ap, uint64_t), 10); break;
        case 'x': n = put_str(d, n, cap, "0x");
                  n = put_num(d, n, cap, va_arg(ap, uint32_t), 16); break;
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0)
                n = put_str(d, n, cap, "-");
            n = put_num(d, n, cap, v < 0 ? (uint64_t)-(int64_t)v : (uint64_t)v, 10);
            break;
        }
        default: d[n++] = *f; break;
        }
    }
    va_end(ap);
    d[n] = '\0';
    return err;
}

/* ---- names ------------------------------------------------------------ */

const char *flm_model_kind_name(uint32_t kind)
{
    switch (kind) {
    case FLM_TENSOR_TOK_EMBEDDING: return "tok_embedding";
    case FLM_TENSOR_CLASSIFIER:    return "classifier";
    case FLM_TENSOR_RMS_FINAL:     return "rms_final";
    case FLM_TENSOR_ROPE_FREQ:     return "rope_freq";
    case FLM_TENSOR_RMS_ATT:       return "rms_att";
    case FLM_TENSOR_WQ:            return "wq";
    case FLM_TENSOR_WK:            return "wk";
    case FLM_TENSOR_WV:            return "wv";
    case FLM_TENSOR_WO:            return "wo";
    case FLM_TENSOR_RMS_FFN:       return "rms_ffn";
    case FLM_TENSOR_W1:            return "w1";
    case FLM_TENSOR_W2:            return "w2";
    case FLM_TENSOR_W3:            return "w3";
    default:                       return "unknown";
    }
}

const char *flm_model_dtype_name(uint32_t dtype)
{
    switch (dtype) {
    case FLM_DTYPE_Q8:  return "q8";
    case FLM_DTYPE_Q4:  return "q4";
    case FLM_DTYPE_I32: return "i32";
    case FLM_DTYPE_U32: return "u32";
    default:            return "unknown";
    }
}

/* ---- checks ----------------------------------------------------------- */

/* [off, off + len) lies within [lo, hi); no overflow for any inputs. */
static bool in_range(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
    return off >= lo && off <= hi && len <= hi - off;
}

static uint32_t image_crc_over(const uint8_t *img, uint64_t end)
{
    uint32_t crc = flm_crc32_update(0, img, FLM_IMG_CRC_SKIP_BEGIN);
    return flm_crc32_update(crc, img + FLM_IMG_CRC_SKIP_END, (size_t)(end - FLM_IMG_CRC_SKIP_END));
}

static flm_err_t check_config(flm_model_t *m)
{
    const flm_model_config_t *c = &m->cfg;
    const struct { const char *name; uint32_t v; } dims[] = {
        { "dim", c->dim }, { "hidden_dim", c->hidden_dim }, { "n_layers", c->n_layers },
        { "n_heads", c->n_heads }, { "n_kv_heads", c->n_kv_heads }, { "head_dim", c->head_dim },
        { "vocab_size", c->vocab_size }, { "seq_len", c->seq_len },
    };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        if (dims[i].v == 0 || dims[i].v > FLM_IMG_DIM_MAX)
            return fail(m, FLM_ERR_MODEL_CONFIG, "%s = %u, must be 1..%u", dims[i].name,
                        dims[i].v, (uint32_t)FLM_IMG_DIM_MAX);
    }
    if (c->n_layers > FLM_MODEL_MAX_LAYERS)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_layers = %u exceeds FLM_MODEL_MAX_LAYERS = %u",
                    c->n_layers, (uint32_t)FLM_MODEL_MAX_LAYERS);
    if ((uint64_t)c->n_heads * c->head_dim != c->dim)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_heads %u * head_dim %u != dim %u", c->n_heads,
                    c->head_dim, c->dim);
    if (c->head_dim % 2 != 0)
        return fail(m, FLM_ERR_MODEL_CONFIG, "head_dim = %u is odd (RoPE rotates pairs)", c->head_dim);
    if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_heads %u is not a multiple of n_kv_heads %u",
                    c->n_heads, c->n_kv_heads);
    if (c->vocab_size < 3)
        return fail(m, FLM_ERR_MODEL_CONFIG, "vocab_size = %u, needs bos and eos", c->vocab_size);
    return FLM_OK;
}

/* Where a tensor of this kind goes in m, and the shape it must have. */
typedef struct {
    flm_qmat_t *q;
    flm_ivec_t *v;
    const uint32_t **u;
    uint32_t dtype, rows, cols;
} slot_t;

static bool find_slot(flm_model_t *m, uint32_t kind, uint32_t layer, slot_t *s)
{
    const flm_model_config_t *c = &m->cfg;
    flm_layer_t *l = &m->layers[layer < FLM_MODEL_MAX_LAYERS ? layer : 0]; /* range: caller */
    const uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    memset(s, 0, sizeof *s);
    s->dtype = FLM_DTYPE_Q8;
    switch (kind) {
    case FLM_TENSOR_TOK_EMBEDDING: s->q = &m->tok_embedding; s->rows = c->vocab_size; s->cols = c->dim; break;
    case FLM_TENSOR_CLASSIFIER:    s->q = &m->classifier; s->rows = c->vocab_size; s->cols = c->dim; break;
    case FLM_TENSOR_RMS_FINAL:     s->v = &m->rms_final; break;
    case FLM_TENSOR_ROPE_FREQ:     s->u = &m->rope_freq; s->dtype = FLM_DTYPE_U32;
                                   s->rows = 1; s->cols = c->head_dim / 2; break;
    case FLM_TENSOR_RMS_ATT:       s->v = &l->rms_att; break;
    case FLM_TENSOR_WQ:            s->q = &l->wq; s->rows = q_dim;  s->cols = c->dim; break;
    case FLM_TENSOR_WK:            s->q = &l->wk; s->rows = kv_dim; s->cols = c->dim; break;
    case FLM_TENSOR_WV:            s->q = &l->wv; s->rows = kv_dim; s->cols = c->dim; break;
    case FLM_TENSOR_WO:            s->q = &l->wo; s->rows = c->dim; s->cols = q_dim; break;
    case FLM_TENSOR_RMS_FFN:       s->v = &l->rms_ffn; break;
    case FLM_TENSOR_W1:            s->q = &l->w1; s->rows = c->hidden_dim; s->cols = c->dim; break;
    case FLM_TENSOR_W2:            s->q = &l->w2; s->rows = c->dim; s->cols = c->hidden_dim; break;
    case FLM_TENSOR_W3:            s->q = &l->w3; s->rows = c->hidden_dim; s->cols = c->dim; break;
    default: return false;
    }
    if (s->v) {
        s->dtype = FLM_DTYPE_I32;
        s->rows = 1;
        s->cols = c->dim;
    }
    return true;
}

static void read_entry(const flm_model_t *m, uint32_t i, flm_tensor_info_t *t)
{
    const uint8_t *img = m->image;
    const uint8_t *e = img + rd64(img + FLM_IMG_OFF_TABLE) +
                       (uint64_t)i * rd32(img + FLM_IMG_OFF_ENTRY_SIZE);
    t->kind = rd16(e + FLM_IMG_ENT_KIND);
    t->layer = rd16(e + FLM_IMG_ENT_LAYER);
    t->dtype = rd16(e + FLM_IMG_ENT_DTYPE);
    t->rows = rd32(e + FLM_IMG_ENT_ROWS);
    t->cols = rd32(e + FLM_IMG_ENT_COLS);
    t->gs = rd32(e + FLM_IMG_ENT_GROUP_SIZE);
    t->shift = (int32_t)rd32(e + FLM_IMG_ENT_SHIFT);
    t->offset = rd64(e + FLM_IMG_ENT_OFFSET);
    t->size = rd64(e + FLM_IMG_ENT_SIZE);
    t->scale_offset = rd64(e + FLM_IMG_ENT_SCALE_OFFSET);
    t->scale_size = rd64(e + FLM_IMG_ENT_SCALE_SIZE);
}

/* Validate one table entry against the image and the config, then point
 * its slot in m at the data. */
static flm_err_t load_tensor(flm_model_t *m, uint32_t i, uint64_t data_off, uint64_t end)
{
    flm_tensor_info_t t;
    read_entry(m, i, &t);
    const char *name = flm_model_kind_name(t.kind);

    if (t.dtype == FLM_DTYPE_Q4)
        return fail(m, FLM_ERR_MODEL_DTYPE, "tensor %u (%s): int4 weights need a newer loader", i, name);
    if (t.dtype != FLM_DTYPE_Q8 && t.dtype != FLM_DTYPE_I32 && t.dtype != FLM_DTYPE_U32)
        return fail(m, FLM_ERR_MODEL_DTYPE, "tensor %u (%s): unknown dtype %u", i, name, t.dtype);
    if (t.offset % FLM_IMG_ALIGN != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "tensor %u (%s): offset %U not %u-byte aligned", i, name,
                    t.offset, (uint32_t)FLM_IMG_ALIGN);
    if (!in_range(t.offset, t.size, data_off, end))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor %u (%s): bytes %U+%U outside data [%U,%U)", i,
                    name, t.offset, t.size, data_off, end);
    if (t.rows == 0 || t.cols == 0 || t.rows > FLM_IMG_DIM_MAX || t.cols > FLM_IMG_DIM_MAX)
        return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %u (%s): bad shape %ux%u", i, name, t.rows, t.cols);
    if (t.shift < 0 || t.shift > FLM_IMG_SHIFT_MAX)
        return fail(m, FLM_ERR_MODEL_VALUE, "tensor %u (%s): shift %d outside 0..%u", i, name, t.shift,
                    (uint32_t)FLM_IMG_SHIFT_MAX);

    uint32_t ngroups = 0;
    if (t.dtype == FLM_DTYPE_Q8) {
        if (t.gs == 0 || t.gs > t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %u (%s): group size %u for %u columns", i, name,
                        t.gs, t.cols);
        ngroups = (t.cols + t.gs - 1) / t.gs;
        if (t.size != (uint64_t)t.rows * t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %u (%s): %U bytes for %ux%u int8", i, name,
                        t.size, t.rows, t.cols);
        if (t.scale_size != (uint64_t)t.rows * ngroups * 4u)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %u (%s): %U scale bytes for %ux%u groups", i,
                        name, t.scale_size, t.rows, ngroups);
        if (t.scale_offset % FLM_IMG_ALIGN != 0)
            return fail(m, FLM_ERR_MODEL_ALIGN, "tensor %u (%s): scales at %U not %u-byte aligned", i,
                        name, t.scale_offset, (uint32_t)FLM_IMG_ALIGN);
        if (!in_range(t.scale_offset, t.scale_size, data_off, end))
            return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor %u (%s): scales %U+%U outside data [%U,%U)", i,
                        name, t.scale_offset, t.scale_size, data_off, end);
    } else {
        if (t.rows != 1 || t.gs != 0 || t.scale_offset != 0 || t.scale_size != 0 ||
            (t.dtype == FLM_DTYPE_U32 && t.shift != 0))
            return fail(m, FLM_ERR_MODEL_TENSOR, "tensor %u (%s): vector with matrix fields set", i, name);
        if (t.size != (uint64_t)t.cols * 4u)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %u (%s): %U bytes for %u values", i, name,
                        t.size, t.cols);
    }

    slot_t s;
    if (!find_slot(m, t.kind, t.layer, &s))
        return FLM_OK; /* a kind from a newer minor version: bounds-checked, ignored */
    bool per_layer = t.kind >= FLM_TENSOR_FIRST_LAYER_KIND;
    if (per_layer ? t.layer >= m->cfg.n_layers : t.layer != 0)
        return fail(m, FLM_ERR_MODEL_TENSOR, "tensor %u (%s): layer %u of %u", i, name, t.layer,
                    m->cfg.n_layers);
    if (t.dtype != s.dtype)
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %u %s: dtype %s, must be %s", t.layer, name,
                    flm_model_dtype_name(t.dtype), flm_model_dtype_name(s.dtype));
    if (t.rows != s.rows || t.cols != s.cols)
        return fail(m, FLM_ERR_MODEL_SHAPE, "layer %u %s: %ux%u, config needs %ux%u", t.layer, name,
                    t.rows, t.cols, s.rows, s.cols);
    if (t.kind == FLM_TENSOR_CLASSIFIER && m->cfg.shared_classifier)
        return fail(m, FLM_ERR_MODEL_TENSOR, "classifier present but the header says shared");
    if ((s.q && s.q->q) || (s.v && s.v->v) || (s.u && *s.u))
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %u %s: appears twice", t.layer, name);

    /* Casts through void: offsets are 32-aligned and the base 4-aligned. */
    const void *p = m->image + t.offset;
    if (s.q) {
        s.q->q = p;
        s.q->s = (const void *)(m->image + t.scale_offset);
        s.q->rows = t.rows;
        s.q->cols = t.cols;
        s.q->gs = t.gs;
        s.q->ngroups = ngroups;
        s.q->scale_shift = t.shift;
    } else if (s.v) {
        const int32_t *v = p;
        for (uint32_t k = 0; k < t.cols; k++) {
            if (v[k] <= -FLM_IMG_MANTISSA_LIMIT || v[k] >= FLM_IMG_MANTISSA_LIMIT)
                return fail(m, FLM_ERR_MODEL_VALUE, "layer %u %s: |value %u| >= 2^23", t.layer, name, k);
        }
        s.v->v = v;
        s.v->n = t.cols;
        s.v->shift = t.shift;
    } else {
        *s.u = p;
    }
    return FLM_OK;
}

typedef flm_err_t (*slot_fn_t)(flm_model_t *m, const slot_t *s, uint32_t kind, uint32_t layer);

/* Call fn on the slot of every tensor the config requires. */
static flm_err_t each_required(flm_model_t *m, slot_fn_t fn)
{
    flm_err_t err = FLM_OK;
    for (uint32_t kind = FLM_TENSOR_TOK_EMBEDDING; !err && kind <= FLM_TENSOR_W3; kind++) {
        uint32_t layers = kind >= FLM_TENSOR_FIRST_LAYER_KIND ? m->cfg.n_layers : 1;
        bool needed = kind != FLM_TENSOR_CLASSIFIER || !m->cfg.shared_classifier;
        slot_t s;
        for (uint32_t l = 0; !err && needed && l < layers; l++) {
            if (find_slot(m, kind, l, &s))
                err = fn(m, &s, kind, l);
        }
    }
    return err;
}

static flm_err_t require_present(flm_model_t *m, const slot_t *s, uint32_t kind, uint32_t layer)
{
    bool present = s->q ? s->q->q != NULL : s->v ? s->v->v != NULL : *s->u != NULL;
    if (!present)
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %u %s missing", layer, flm_model_kind_name(kind));
    return FLM_OK;
}

/* memcmp order of token bytes, shorter first on a common prefix, then id. */
static int token_cmp(const flm_vocab_t *v, uint32_t a, uint32_t b)
{
    uint32_t la = v->offsets[a + 1] - v->offsets[a], lb = v->offsets[b + 1] - v->offsets[b];
    int c = memcmp(v->bytes + v->offsets[a], v->bytes + v->offsets[b], la < lb ? la : lb);
    if (c != 0)
        return c;
    if (la != lb)
        return la < lb ? -1 : 1;
    return a < b ? -1 : a > b;
}

static flm_err_t load_tokenizer(flm_model_t *m, uint64_t off, uint64_t size)
{
    const uint8_t *t = m->image + off;
    if (size < FLM_IMG_TOK_HEADER_SIZE)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer section is %U bytes, header needs %u", size,
                    (uint32_t)FLM_IMG_TOK_HEADER_SIZE);
    flm_vocab_t *v = &m->vocab;
    v->vocab_size = rd32(t + FLM_IMG_TOK_VOCAB_SIZE);
    v->max_token_len = rd32(t + FLM_IMG_TOK_MAX_LEN);
    v->bos_id = rd32(t + FLM_IMG_TOK_BOS);
    v->eos_id = rd32(t + FLM_IMG_TOK_EOS);
    uint32_t nbytes = rd32(t + FLM_IMG_TOK_BYTES_SIZE);
    uint32_t n = v->vocab_size;
    if (n != m->cfg.vocab_size)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer has %u tokens, config says %u", n,
                    m->cfg.vocab_size);
    if (v->bos_id >= n || v->eos_id >= n)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "bos %u / eos %u outside the vocabulary", v->bos_id,
                    v->eos_id);
    uint64_t need = FLM_IMG_TOK_HEADER_SIZE + 4u * (3u * (uint64_t)n + 1u) + nbytes;
    if (need != size)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer section is %U bytes, its contents need %U",
                    size, need);
    if (v->max_token_len == 0 || v->max_token_len > nbytes)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "max_token_len %u for %u token bytes", v->max_token_len,
                    nbytes);

    v->offsets = (const void *)(t + FLM_IMG_TOK_HEADER_SIZE);
    v->scores = (const void *)(v->offsets + n + 1);
    v->sorted = (const void *)(v->scores + n);
    v->bytes = (const uint8_t *)(v->sorted + n);
    if (v->offsets[0] != 0 || v->offsets[n] != nbytes)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "token offsets span %u..%u, bytes are 0..%u",
                    v->offsets[0], v->offsets[n], nbytes);
    for (uint32_t i = 0; i < n; i++) {
        if (v->offsets[i + 1] < v->offsets[i] || v->offsets[i + 1] > nbytes)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %u runs from %u to %u, past its bytes", i,
                        v->offsets[i], v->offsets[i + 1]);
        if (v->offsets[i + 1] - v->offsets[i] > v->max_token_len)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %u is longer than max_token_len %u", i,
                        v->max_token_len);
    }
    /* Strictly increasing in (bytes, id) order and every id < n: together
     * that makes `sorted` a permutation, with no scratch memory. */
    for (uint32_t i = 0; i < n; i++) {
        if (v->sorted[i] >= n)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "sorted[%u] = %u is not a token id", i, v->sorted[i]);
        if (i > 0 && token_cmp(v, v->sorted[i - 1], v->sorted[i]) >= 0)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "sorted[%u] = %u is out of order", i, v->sorted[i]);
    }
    return FLM_OK;
}

static flm_err_t check_image_crc(flm_model_t *m)
{
    uint32_t want = rd32(m->image + FLM_IMG_OFF_IMAGE_CRC);
    uint32_t got = image_crc_over(m->image, m->image_size);
    if (got != want)
        return fail(m, FLM_ERR_MODEL_CRC, "image CRC-32 is %x, header says %x", got, want);
    return FLM_OK;
}

static flm_err_t check_scales(flm_model_t *m, const slot_t *s, uint32_t kind, uint32_t layer)
{
    const flm_qmat_t *q = s->q;
    for (size_t i = 0; q && i < (size_t)q->rows * q->ngroups; i++) {
        if (q->s[i] < 0 || q->s[i] >= FLM_IMG_MANTISSA_LIMIT)
            return fail(m, FLM_ERR_MODEL_VALUE, "layer %u %s: group scale %U outside [0, 2^23)", layer,
                        flm_model_kind_name(kind), (uint64_t)i);
    }
    return FLM_OK;
}

static flm_err_t open_image(flm_model_t *m, const uint8_t *img, size_t size, flm_model_verify_t verify)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return fail(m, FLM_ERR_UNSUPPORTED, "images are used in place: needs a little-endian CPU");
#endif
    if (verify != FLM_MODEL_VERIFY_FULL && verify != FLM_MODEL_VERIFY_HEADER)
        return fail(m, FLM_ERR_ARG, "unknown verify mode");
    if (!img)
        return fail(m, FLM_ERR_ARG, "no image");
    if ((uintptr_t)img % 4 != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "image base address is not 4-byte aligned");
    if (size < FLM_IMG_HEADER_SIZE)
        return fail(m, FLM_ERR_MODEL_TRUNCATED, "image is %U bytes, the header alone is %u",
                    (uint64_t)size, (uint32_t)FLM_IMG_HEADER_SIZE);
    if (rd32(img + FLM_IMG_OFF_MAGIC) != FLM_IMG_MAGIC)
        return fail(m, FLM_ERR_MODEL_MAGIC, "magic is %x, a .flm image starts with \"FLMI\"",
                    rd32(img + FLM_IMG_OFF_MAGIC));
    uint32_t major = rd16(img + FLM_IMG_OFF_VER_MAJOR), minor = rd16(img + FLM_IMG_OFF_VER_MINOR);
    if (major != FLM_IMG_VERSION_MAJOR)
        return fail(m, FLM_ERR_MODEL_VERSION, "format version %u.%u, this loader reads %u.x", major,
                    minor, (uint32_t)FLM_IMG_VERSION_MAJOR);

    uint32_t header_size = rd32(img + FLM_IMG_OFF_HEADER_SIZE);
    uint32_t flags = rd32(img + FLM_IMG_OFF_FLAGS);
    uint64_t image_size = rd64(img + FLM_IMG_OFF_IMAGE_SIZE);
    uint32_t n_tensors = rd32(img + FLM_IMG_OFF_N_TENSORS);
    uint32_t entry_size = rd32(img + FLM_IMG_OFF_ENTRY_SIZE);
    uint64_t table = rd64(img + FLM_IMG_OFF_TABLE);
    uint64_t tok = rd64(img + FLM_IMG_OFF_TOK), tok_size = rd64(img + FLM_IMG_OFF_TOK_SIZE);
    uint64_t data = rd64(img + FLM_IMG_OFF_DATA);

    if (image_size > size)
        return fail(m, FLM_ERR_MODEL_TRUNCATED, "header says %U bytes, only %U present", image_size,
                    (uint64_t)size);
    if (header_size < FLM_IMG_HEADER_SIZE || header_size % 4 != 0 || header_size > image_size)
        return fail(m, FLM_ERR_MODEL_HEADER, "header_size %u (image %U bytes)", header_size, image_size);
    if (data % FLM_IMG_ALIGN != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "data_offset %U not %u-byte aligned", data,
                    (uint32_t)FLM_IMG_ALIGN);
    if (data < header_size || data > image_size)
        return fail(m, FLM_ERR_MODEL_BOUNDS, "data_offset %U outside [%u, %U]", data, header_size,
                    image_size);
    m->image = img;
    m->image_size = (size_t)image_size;

    /* CRCs before structure: a flipped byte reads as corruption, not as
     * whichever field it happened to hit. */
    uint32_t hcrc = image_crc_over(img, data);
    if (hcrc != rd32(img + FLM_IMG_OFF_HEADER_CRC))
        return fail(m, FLM_ERR_MODEL_CRC, "header CRC-32 is %x, header says %x", hcrc,
                    rd32(img + FLM_IMG_OFF_HEADER_CRC));
    if (verify == FLM_MODEL_VERIFY_FULL) {
        flm_err_t err = check_image_crc(m);
        if (err)
            return err;
    }

    if (flags & ~FLM_IMG_FLAGS_KNOWN)
        return fail(m, FLM_ERR_MODEL_HEADER, "unknown header flags %x", flags);
    if (entry_size < FLM_IMG_ENTRY_SIZE || entry_size % 8 != 0 || entry_size > 4096)
        return fail(m, FLM_ERR_MODEL_HEADER, "tensor entry size %u", entry_size);
    if (table % 8 != 0 || tok % 4 != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "tensor table at %U / tokenizer at %U misaligned", table, tok);
    if (!in_range(table, (uint64_t)n_tensors * entry_size, header_size, data))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor table (%u entries at %U) outside [%u, %U)",
                    n_tensors, table, header_size, data);
    if (!in_range(tok, tok_size, header_size, data))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tokenizer (%U bytes at %U) outside [%u, %U)", tok_size,
                    tok, header_size, data);
    if (tok < table + (uint64_t)n_tensors * entry_size && table < tok + tok_size)
        return fail(m, FLM_ERR_MODEL_HEADER, "tensor table and tokenizer overlap");

    flm_model_config_t *c = &m->cfg;
    c->dim = rd32(img + FLM_IMG_OFF_DIM);
    c->hidden_dim = rd32(img + FLM_IMG_OFF_HIDDEN_DIM);
    c->n_layers = rd32(img + FLM_IMG_OFF_N_LAYERS);
    c->n_heads = rd32(img + FLM_IMG_OFF_N_HEADS);
    c->n_kv_heads = rd32(img + FLM_IMG_OFF_N_KV_HEADS);
    c->head_dim = rd32(img + FLM_IMG_OFF_HEAD_DIM);
    c->vocab_size = rd32(img + FLM_IMG_OFF_VOCAB_SIZE);
    c->seq_len = rd32(img + FLM_IMG_OFF_SEQ_LEN);
    c->norm_eps_q32 = rd32(img + FLM_IMG_OFF_NORM_EPS);
    c->rope_theta = rd32(img + FLM_IMG_OFF_ROPE_THETA);
    c->shared_classifier = (flags & FLM_IMG_FLAG_SHARED_CLASSIFIER) != 0;
    flm_err_t err = check_config(m);
    for (uint32_t i = 0; !err && i < n_tensors; i++)
        err = load_tensor(m, i, data, image_size);
    if (!err)
        err = each_required(m, require_present);
    if (!err && c->shared_classifier)
        m->classifier = m->tok_embedding;
    if (!err)
        err = load_tokenizer(m, tok, tok_size);
    if (!err && verify == FLM_MODEL_VERIFY_FULL)
        err = each_required(m, check_scales);
    return err;
}

flm_err_t flm_model_open(flm_model_t *m, const void *image, size_t size, flm_model_verify_t verify)
{
    if (!m)
        return FLM_ERR_ARG;
    memset(m, 0, sizeof *m);
    flm_err_t err = open_image(m, image, size, verify);
    if (err) {
        char detail[sizeof m->detail];
        memcpy(detail, m->detail, sizeof detail);
        memset(m, 0, sizeof *m);
        memcpy(m->detail, detail, sizeof detail);
    }
    return err;
}

flm_err_t flm_model_verify(flm_model_t *m)
{
    if (!m || !m->image)
        return FLM_ERR_STATE;
    flm_err_t err = check_image_crc(m);
    return err ? err : each_required(m, check_scales);
}

void flm_model_close(flm_model_t *m)
{
    if (m)
        memset(m, 0, sizeof *m);
}

uint32_t flm_model_tensor_count(const flm_model_t *m)
{
    return m && m->image ? rd32(m->image + FLM_IMG_OFF_N_TENSORS) : 0;
}

flm_err_t flm_model_tensor_info(const flm_model_t *m, uint32_t i, flm_tensor_info_t *t)
{
    if (!t || i >= flm_model_tensor_count(m))
        return FLM_ERR_ARG;
    read_entry(m, i, t);
    return FLM_OK;
}
