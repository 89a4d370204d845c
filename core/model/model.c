/*
 * The model-image loader: validate a .flm image (core/model/FORMAT.md) once, then
 * hand out views into it. Everything is read through bounds-checked offsets;
 * header fields are decoded byte by byte, so a hostile image can make open
 * fail but never make it read outside [image, image + size).
 */
#include "core/model/model.h"

#include <stdarg.h>
#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/base/fmt.h"
#include "core/model/model_format.h"

/* m->detail names the problem; the image's own bytes never reach it
 * except as numbers. */
static flm_err_t fail(flm_model_t *m, flm_err_t err, const char *fmt, ...) FLM_PRINTF_LIKE(3, 4);

static flm_err_t fail(flm_model_t *m, flm_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flm_vsnprintf(m->detail, sizeof m->detail, fmt, ap);
    va_end(ap);
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
            return fail(m, FLM_ERR_MODEL_CONFIG, "%s = %" PRIu32 ", must be 1..%" PRIu32, dims[i].name,
                        dims[i].v, (uint32_t)FLM_IMG_DIM_MAX);
    }
    if (c->n_layers > FLM_MODEL_MAX_LAYERS)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_layers = %" PRIu32 " exceeds FLM_MODEL_MAX_LAYERS = %" PRIu32,
                    c->n_layers, (uint32_t)FLM_MODEL_MAX_LAYERS);
    if ((uint64_t)c->n_heads * c->head_dim != c->dim)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_heads %" PRIu32 " * head_dim %" PRIu32 " != dim %" PRIu32, c->n_heads,
                    c->head_dim, c->dim);
    if (c->head_dim % 2 != 0)
        return fail(m, FLM_ERR_MODEL_CONFIG, "head_dim = %" PRIu32 " is odd (RoPE rotates pairs)", c->head_dim);
    if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
        return fail(m, FLM_ERR_MODEL_CONFIG, "n_heads %" PRIu32 " is not a multiple of n_kv_heads %" PRIu32,
                    c->n_heads, c->n_kv_heads);
    if (c->vocab_size < 3)
        return fail(m, FLM_ERR_MODEL_CONFIG, "vocab_size = %" PRIu32 ", needs bos and eos", c->vocab_size);
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
    const uint8_t *e = img + flm_rd64le(img + FLM_IMG_OFF_TABLE) +
                       (uint64_t)i * flm_rd32le(img + FLM_IMG_OFF_ENTRY_SIZE);
    t->kind = flm_rd16le(e + FLM_IMG_ENT_KIND);
    t->layer = flm_rd16le(e + FLM_IMG_ENT_LAYER);
    t->dtype = flm_rd16le(e + FLM_IMG_ENT_DTYPE);
    t->rows = flm_rd32le(e + FLM_IMG_ENT_ROWS);
    t->cols = flm_rd32le(e + FLM_IMG_ENT_COLS);
    t->gs = flm_rd32le(e + FLM_IMG_ENT_GROUP_SIZE);
    t->shift = (int32_t)flm_rd32le(e + FLM_IMG_ENT_SHIFT);
    t->offset = flm_rd64le(e + FLM_IMG_ENT_OFFSET);
    t->size = flm_rd64le(e + FLM_IMG_ENT_SIZE);
    t->scale_offset = flm_rd64le(e + FLM_IMG_ENT_SCALE_OFFSET);
    t->scale_size = flm_rd64le(e + FLM_IMG_ENT_SCALE_SIZE);
}

/* Validate one table entry against the image and the config, then point
 * its slot in m at the data. */
static flm_err_t load_tensor(flm_model_t *m, uint32_t i, uint64_t data_off, uint64_t end)
{
    flm_tensor_info_t t;
    read_entry(m, i, &t);
    const char *name = flm_model_kind_name(t.kind);

    if (t.dtype == FLM_DTYPE_Q4)
        return fail(m, FLM_ERR_MODEL_DTYPE, "tensor %" PRIu32 " (%s): int4 weights need a newer loader", i, name);
    if (t.dtype != FLM_DTYPE_Q8 && t.dtype != FLM_DTYPE_I32 && t.dtype != FLM_DTYPE_U32)
        return fail(m, FLM_ERR_MODEL_DTYPE, "tensor %" PRIu32 " (%s): unknown dtype %" PRIu32, i, name, t.dtype);
    if (t.offset % FLM_IMG_ALIGN != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "tensor %" PRIu32 " (%s): offset %" PRIu64 " not %" PRIu32 "-byte aligned", i, name,
                    t.offset, (uint32_t)FLM_IMG_ALIGN);
    if (!in_range(t.offset, t.size, data_off, end))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor %" PRIu32 " (%s): bytes %" PRIu64 "+%" PRIu64 " outside data [%" PRIu64 ",%" PRIu64 ")", i,
                    name, t.offset, t.size, data_off, end);
    if (t.rows == 0 || t.cols == 0 || t.rows > FLM_IMG_DIM_MAX || t.cols > FLM_IMG_DIM_MAX)
        return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): bad shape %" PRIu32 "x%" PRIu32, i, name, t.rows, t.cols);
    if (t.shift < 0 || t.shift > FLM_IMG_SHIFT_MAX)
        return fail(m, FLM_ERR_MODEL_VALUE, "tensor %" PRIu32 " (%s): shift %" PRId32 " outside 0..%" PRIu32, i, name, t.shift,
                    (uint32_t)FLM_IMG_SHIFT_MAX);

    uint32_t ngroups = 0;
    if (t.dtype == FLM_DTYPE_Q8) {
        if (t.gs == 0 || t.gs > t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): group size %" PRIu32 " for %" PRIu32 " columns", i, name,
                        t.gs, t.cols);
        ngroups = (t.cols + t.gs - 1) / t.gs;
        if (t.size != (uint64_t)t.rows * t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): %" PRIu64 " bytes for %" PRIu32 "x%" PRIu32 " int8", i, name,
                        t.size, t.rows, t.cols);
        if (t.scale_size != (uint64_t)t.rows * ngroups * 4u)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): %" PRIu64 " scale bytes for %" PRIu32 "x%" PRIu32 " groups", i,
                        name, t.scale_size, t.rows, ngroups);
        if (t.scale_offset % FLM_IMG_ALIGN != 0)
            return fail(m, FLM_ERR_MODEL_ALIGN, "tensor %" PRIu32 " (%s): scales at %" PRIu64 " not %" PRIu32 "-byte aligned", i,
                        name, t.scale_offset, (uint32_t)FLM_IMG_ALIGN);
        if (!in_range(t.scale_offset, t.scale_size, data_off, end))
            return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor %" PRIu32 " (%s): scales %" PRIu64 "+%" PRIu64 " outside data [%" PRIu64 ",%" PRIu64 ")", i,
                        name, t.scale_offset, t.scale_size, data_off, end);
    } else {
        if (t.rows != 1 || t.gs != 0 || t.scale_offset != 0 || t.scale_size != 0 ||
            (t.dtype == FLM_DTYPE_U32 && t.shift != 0))
            return fail(m, FLM_ERR_MODEL_TENSOR, "tensor %" PRIu32 " (%s): vector with matrix fields set", i, name);
        if (t.size != (uint64_t)t.cols * 4u)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): %" PRIu64 " bytes for %" PRIu32 " values", i, name,
                        t.size, t.cols);
    }

    slot_t s;
    if (!find_slot(m, t.kind, t.layer, &s))
        return FLM_OK; /* a kind from a newer minor version: bounds-checked, ignored */
    bool per_layer = t.kind >= FLM_TENSOR_FIRST_LAYER_KIND;
    if (per_layer ? t.layer >= m->cfg.n_layers : t.layer != 0)
        return fail(m, FLM_ERR_MODEL_TENSOR, "tensor %" PRIu32 " (%s): layer %" PRIu32 " of %" PRIu32, i, name, t.layer,
                    m->cfg.n_layers);
    if (t.dtype != s.dtype)
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %" PRIu32 " %s: dtype %s, must be %s", t.layer, name,
                    flm_model_dtype_name(t.dtype), flm_model_dtype_name(s.dtype));
    if (t.rows != s.rows || t.cols != s.cols)
        return fail(m, FLM_ERR_MODEL_SHAPE, "layer %" PRIu32 " %s: %" PRIu32 "x%" PRIu32 ", config needs %" PRIu32 "x%" PRIu32, t.layer, name,
                    t.rows, t.cols, s.rows, s.cols);
    if (t.kind == FLM_TENSOR_CLASSIFIER && m->cfg.shared_classifier)
        return fail(m, FLM_ERR_MODEL_TENSOR, "classifier present but the header says shared");
    if ((s.q && s.q->q) || (s.v && s.v->v) || (s.u && *s.u))
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %" PRIu32 " %s: appears twice", t.layer, name);

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
                return fail(m, FLM_ERR_MODEL_VALUE, "layer %" PRIu32 " %s: |value %" PRIu32 "| >= 2^23", t.layer, name, k);
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
        return fail(m, FLM_ERR_MODEL_TENSOR, "layer %" PRIu32 " %s missing", layer, flm_model_kind_name(kind));
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
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer section is %" PRIu64 " bytes, header needs %" PRIu32, size,
                    (uint32_t)FLM_IMG_TOK_HEADER_SIZE);
    flm_vocab_t *v = &m->vocab;
    v->vocab_size = flm_rd32le(t + FLM_IMG_TOK_VOCAB_SIZE);
    v->max_token_len = flm_rd32le(t + FLM_IMG_TOK_MAX_LEN);
    v->bos_id = flm_rd32le(t + FLM_IMG_TOK_BOS);
    v->eos_id = flm_rd32le(t + FLM_IMG_TOK_EOS);
    uint32_t nbytes = flm_rd32le(t + FLM_IMG_TOK_BYTES_SIZE);
    uint32_t n = v->vocab_size;
    if (n != m->cfg.vocab_size)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer has %" PRIu32 " tokens, config says %" PRIu32, n,
                    m->cfg.vocab_size);
    if (v->bos_id >= n || v->eos_id >= n)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "bos %" PRIu32 " / eos %" PRIu32 " outside the vocabulary", v->bos_id,
                    v->eos_id);
    uint64_t need = FLM_IMG_TOK_HEADER_SIZE + 4u * (3u * (uint64_t)n + 1u) + nbytes;
    if (need != size)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer section is %" PRIu64 " bytes, its contents need %" PRIu64,
                    size, need);
    if (v->max_token_len == 0 || v->max_token_len > nbytes)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "max_token_len %" PRIu32 " for %" PRIu32 " token bytes", v->max_token_len,
                    nbytes);

    v->offsets = (const void *)(t + FLM_IMG_TOK_HEADER_SIZE);
    v->scores = (const void *)(v->offsets + n + 1);
    v->sorted = (const void *)(v->scores + n);
    v->bytes = (const uint8_t *)(v->sorted + n);
    if (v->offsets[0] != 0 || v->offsets[n] != nbytes)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "token offsets span %" PRIu32 "..%" PRIu32 ", bytes are 0..%" PRIu32,
                    v->offsets[0], v->offsets[n], nbytes);
    for (uint32_t i = 0; i < n; i++) {
        if (v->offsets[i + 1] < v->offsets[i] || v->offsets[i + 1] > nbytes)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %" PRIu32 " runs from %" PRIu32 " to %" PRIu32 ", past its bytes", i,
                        v->offsets[i], v->offsets[i + 1]);
        if (v->offsets[i + 1] - v->offsets[i] > v->max_token_len)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %" PRIu32 " is longer than max_token_len %" PRIu32, i,
                        v->max_token_len);
    }
    /* Strictly increasing in (bytes, id) order and every id < n: together
     * that makes `sorted` a permutation, with no scratch memory. */
    for (uint32_t i = 0; i < n; i++) {
        if (v->sorted[i] >= n)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "sorted[%" PRIu32 "] = %" PRIu32 " is not a token id", i, v->sorted[i]);
        if (i > 0 && token_cmp(v, v->sorted[i - 1], v->sorted[i]) >= 0)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "sorted[%" PRIu32 "] = %" PRIu32 " is out of order", i, v->sorted[i]);
    }
    return FLM_OK;
}

static flm_err_t check_image_crc(flm_model_t *m)
{
    uint32_t want = flm_rd32le(m->image + FLM_IMG_OFF_IMAGE_CRC);
    uint32_t got = image_crc_over(m->image, m->image_size);
    if (got != want)
        return fail(m, FLM_ERR_MODEL_CRC, "image CRC-32 is 0x%" PRIx32 ", header says 0x%" PRIx32, got, want);
    return FLM_OK;
}

static flm_err_t check_scales(flm_model_t *m, const slot_t *s, uint32_t kind, uint32_t layer)
{
    const flm_qmat_t *q = s->q;
    for (size_t i = 0; q && i < (size_t)q->rows * q->ngroups; i++) {
        if (q->s[i] < 0 || q->s[i] >= FLM_IMG_MANTISSA_LIMIT)
            return fail(m, FLM_ERR_MODEL_VALUE, "layer %" PRIu32 " %s: group scale %" PRIu64 " outside [0, 2^23)", layer,
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
        return fail(m, FLM_ERR_MODEL_TRUNCATED, "image is %" PRIu64 " bytes, the header alone is %" PRIu32,
                    (uint64_t)size, (uint32_t)FLM_IMG_HEADER_SIZE);
    if (flm_rd32le(img + FLM_IMG_OFF_MAGIC) != FLM_IMG_MAGIC)
        return fail(m, FLM_ERR_MODEL_MAGIC, "magic is 0x%" PRIx32 ", a .flm image starts with \"FLMI\"",
                    flm_rd32le(img + FLM_IMG_OFF_MAGIC));
    uint32_t major = flm_rd16le(img + FLM_IMG_OFF_VER_MAJOR), minor = flm_rd16le(img + FLM_IMG_OFF_VER_MINOR);
    if (major != FLM_IMG_VERSION_MAJOR)
        return fail(m, FLM_ERR_MODEL_VERSION, "format version %" PRIu32 ".%" PRIu32 ", this loader reads %" PRIu32 ".x", major,
                    minor, (uint32_t)FLM_IMG_VERSION_MAJOR);

    uint32_t header_size = flm_rd32le(img + FLM_IMG_OFF_HEADER_SIZE);
    uint32_t flags = flm_rd32le(img + FLM_IMG_OFF_FLAGS);
    uint64_t image_size = flm_rd64le(img + FLM_IMG_OFF_IMAGE_SIZE);
    uint32_t n_tensors = flm_rd32le(img + FLM_IMG_OFF_N_TENSORS);
    uint32_t entry_size = flm_rd32le(img + FLM_IMG_OFF_ENTRY_SIZE);
    uint64_t table = flm_rd64le(img + FLM_IMG_OFF_TABLE);
    uint64_t tok = flm_rd64le(img + FLM_IMG_OFF_TOK), tok_size = flm_rd64le(img + FLM_IMG_OFF_TOK_SIZE);
    uint64_t data = flm_rd64le(img + FLM_IMG_OFF_DATA);

    if (image_size > size)
        return fail(m, FLM_ERR_MODEL_TRUNCATED, "header says %" PRIu64 " bytes, only %" PRIu64 " present", image_size,
                    (uint64_t)size);
    if (header_size < FLM_IMG_HEADER_SIZE || header_size % 4 != 0 || header_size > image_size)
        return fail(m, FLM_ERR_MODEL_HEADER, "header_size %" PRIu32 " (image %" PRIu64 " bytes)", header_size, image_size);
    if (data % FLM_IMG_ALIGN != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "data_offset %" PRIu64 " not %" PRIu32 "-byte aligned", data,
                    (uint32_t)FLM_IMG_ALIGN);
    if (data < header_size || data > image_size)
        return fail(m, FLM_ERR_MODEL_BOUNDS, "data_offset %" PRIu64 " outside [%" PRIu32 ", %" PRIu64 "]", data, header_size,
                    image_size);
    m->image = img;
    m->image_size = (size_t)image_size;

    /* CRCs before structure: a flipped byte reads as corruption, not as
     * whichever field it happened to hit. */
    uint32_t hcrc = image_crc_over(img, data);
    if (hcrc != flm_rd32le(img + FLM_IMG_OFF_HEADER_CRC))
        return fail(m, FLM_ERR_MODEL_CRC, "header CRC-32 is 0x%" PRIx32 ", header says 0x%" PRIx32, hcrc,
                    flm_rd32le(img + FLM_IMG_OFF_HEADER_CRC));
    if (verify == FLM_MODEL_VERIFY_FULL) {
        flm_err_t err = check_image_crc(m);
        if (err)
            return err;
    }

    if (flags & ~FLM_IMG_FLAGS_KNOWN)
        return fail(m, FLM_ERR_MODEL_HEADER, "unknown header flags 0x%" PRIx32, flags);
    if (entry_size < FLM_IMG_ENTRY_SIZE || entry_size % 8 != 0 || entry_size > 4096)
        return fail(m, FLM_ERR_MODEL_HEADER, "tensor entry size %" PRIu32, entry_size);
    if (table % 8 != 0 || tok % 4 != 0)
        return fail(m, FLM_ERR_MODEL_ALIGN, "tensor table at %" PRIu64 " / tokenizer at %" PRIu64 " misaligned", table, tok);
    if (!in_range(table, (uint64_t)n_tensors * entry_size, header_size, data))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tensor table (%" PRIu32 " entries at %" PRIu64 ") outside [%" PRIu32 ", %" PRIu64 ")",
                    n_tensors, table, header_size, data);
    if (!in_range(tok, tok_size, header_size, data))
        return fail(m, FLM_ERR_MODEL_BOUNDS, "tokenizer (%" PRIu64 " bytes at %" PRIu64 ") outside [%" PRIu32 ", %" PRIu64 ")", tok_size,
                    tok, header_size, data);
    if (tok < table + (uint64_t)n_tensors * entry_size && table < tok + tok_size)
        return fail(m, FLM_ERR_MODEL_HEADER, "tensor table and tokenizer overlap");

    flm_model_config_t *c = &m->cfg;
    c->dim = flm_rd32le(img + FLM_IMG_OFF_DIM);
    c->hidden_dim = flm_rd32le(img + FLM_IMG_OFF_HIDDEN_DIM);
    c->n_layers = flm_rd32le(img + FLM_IMG_OFF_N_LAYERS);
    c->n_heads = flm_rd32le(img + FLM_IMG_OFF_N_HEADS);
    c->n_kv_heads = flm_rd32le(img + FLM_IMG_OFF_N_KV_HEADS);
    c->head_dim = flm_rd32le(img + FLM_IMG_OFF_HEAD_DIM);
    c->vocab_size = flm_rd32le(img + FLM_IMG_OFF_VOCAB_SIZE);
    c->seq_len = flm_rd32le(img + FLM_IMG_OFF_SEQ_LEN);
    c->norm_eps_q32 = flm_rd32le(img + FLM_IMG_OFF_NORM_EPS);
    c->rope_theta = flm_rd32le(img + FLM_IMG_OFF_ROPE_THETA);
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
    return m && m->image ? flm_rd32le(m->image + FLM_IMG_OFF_N_TENSORS) : 0;
}

flm_err_t flm_model_tensor_info(const flm_model_t *m, uint32_t i, flm_tensor_info_t *t)
{
    if (!t || i >= flm_model_tensor_count(m))
        return FLM_ERR_ARG;
    read_entry(m, i, t);
    return FLM_OK;
}
