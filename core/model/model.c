/*
 * The model-image loader: validate a .flm image (core/model/FORMAT.md) once, then
 * hand out views into it. Everything is read through bounds-checked offsets;
 * header fields are decoded byte by byte, so a hostile image can make open
 * fail but never make it read outside [image, image + size).
 */
#include "core/model/model.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/base/fmt.h"
#include "core/model/arch.h"
#include "core/model/model_format.h"

_Static_assert(FLM_IMG_MANTISSA_LIMIT == FLM_QMAT_SCALE_LIMIT, "one fixed-point limit");

/* m->detail names the problem; the image's own bytes never reach it
 * except as numbers. */
#define fail(m, err, ...) flm_err_detail((m)->detail, sizeof (m)->detail, err, __VA_ARGS__)

/* ---- names ------------------------------------------------------------ */

const char *flm_model_kind_name(uint32_t kind)
{
    const flm_arch_t *a;
    for (uint32_t i = 0; (a = flm_arch_at(i)) != NULL; i++) {
        const flm_arch_tensor_t *t = flm_arch_tensor(a, kind);
        if (t)
            return t->name;
    }
    return "unknown";
}

const char *flm_model_arch_name(uint32_t arch)
{
    const flm_arch_t *a = flm_arch_find(arch);
    return a ? a->name : "unknown";
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
    if (c->vocab_size < 3)
        return fail(m, FLM_ERR_MODEL_CONFIG, "vocab_size = %" PRIu32 ", needs bos and eos", c->vocab_size);
    return flm_arch_check_config(flm_arch_find(m->arch), c, m->detail, sizeof m->detail);
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

/* Whether the view of t (layer l) in m has been set. */
static bool view_set(const flm_model_t *m, const flm_arch_tensor_t *t, uint32_t layer)
{
    const void *v = flm_arch_view_const(m, t, layer);
    switch (t->dtype) {
    case FLM_DTYPE_Q8:  return ((const flm_qmat_t *)v)->q != NULL;
    case FLM_DTYPE_I32: return ((const flm_ivec_t *)v)->v != NULL;
    default:            return *(const uint32_t *const *)v != NULL;
    }
}

/* Validate one table entry against the image, the config and the
 * architecture's table, then point its view in m at the data. */
static flm_err_t load_tensor(flm_model_t *m, const flm_arch_t *arch, uint32_t i, uint64_t data_off,
                             uint64_t end)
{
    flm_tensor_info_t t;
    read_entry(m, i, &t);
    const flm_arch_tensor_t *at = flm_arch_tensor(arch, t.kind);
    const char *name = at ? at->name : flm_model_kind_name(t.kind);

    const bool qmat = t.dtype == FLM_DTYPE_Q8 || t.dtype == FLM_DTYPE_Q4;
    if (!qmat && t.dtype != FLM_DTYPE_I32 && t.dtype != FLM_DTYPE_U32)
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
    if (qmat) {
        const bool q4 = t.dtype == FLM_DTYPE_Q4;
        if (t.gs == 0 || t.gs > t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): group size %" PRIu32 " for %" PRIu32 " columns", i, name,
                        t.gs, t.cols);
        if (q4 && t.gs % 2 != 0 && t.gs != t.cols)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): int4 group size %" PRIu32 " is odd (groups start on a byte)",
                        i, name, t.gs);
        ngroups = (t.cols + t.gs - 1) / t.gs;
        uint64_t row_bytes = q4 ? ((uint64_t)t.cols + 1) / 2 : t.cols;
        if (t.size != (uint64_t)t.rows * row_bytes)
            return fail(m, FLM_ERR_MODEL_SHAPE, "tensor %" PRIu32 " (%s): %" PRIu64 " bytes for %" PRIu32 "x%" PRIu32 " %s", i, name,
                        t.size, t.rows, t.cols, q4 ? "int4" : "int8");
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

    if (!at)
        return FLM_OK; /* a kind this architecture does not have (a newer minor version): bounds-checked, ignored */
    const flm_model_config_t *c = &m->cfg;
    if (at->per_layer ? t.layer >= c->n_layers : t.layer != 0)
        return fail(m, FLM_ERR_MODEL_TENSOR, "tensor %" PRIu32 " (%s): layer %" PRIu32 " of %" PRIu32, i, name, t.layer,
                    c->n_layers);
    char label[32];
    flm_arch_label(at, t.layer, label, sizeof label);
    if (!flm_arch_dtype_ok(at, t.dtype))
        return fail(m, FLM_ERR_MODEL_TENSOR, "%s: dtype %s, must be %s", label, flm_model_dtype_name(t.dtype),
                    at->dtype == FLM_DTYPE_Q8 ? "q8 or q4" : flm_model_dtype_name(at->dtype));
    uint64_t rows = flm_arch_dim(c, at->rows), cols = flm_arch_dim(c, at->cols);
    if (t.rows != rows || t.cols != cols)
        return fail(m, FLM_ERR_MODEL_SHAPE, "%s: %" PRIu32 "x%" PRIu32 ", config needs %s x %s = %" PRIu64 "x%" PRIu64,
                    label, t.rows, t.cols, flm_arch_dim_name(at->rows), flm_arch_dim_name(at->cols), rows, cols);
    if (!flm_arch_stored(at, c))
        return fail(m, FLM_ERR_MODEL_TENSOR, "%s present but the header says it is shared with %s", label,
                    flm_model_kind_name(at->shared_with));
    if (view_set(m, at, t.layer))
        return fail(m, FLM_ERR_MODEL_TENSOR, "%s: appears twice", label);

    /* Casts through void: offsets are 32-aligned and the base 4-aligned. */
    const void *p = m->image + t.offset;
    void *view = flm_arch_view(m, at, t.layer);
    if (qmat) {
        flm_qmat_t *q = view;
        q->q = p;
        q->bits = t.dtype == FLM_DTYPE_Q4 ? 4u : 8u;
        q->s = (const void *)(m->image + t.scale_offset);
        q->rows = t.rows;
        q->cols = t.cols;
        q->gs = t.gs;
        q->ngroups = ngroups;
        q->scale_shift = t.shift;
    } else if (t.dtype == FLM_DTYPE_I32) {
        const int32_t *v = p;
        for (uint32_t k = 0; k < t.cols; k++) {
            if (v[k] <= -FLM_QMAT_SCALE_LIMIT || v[k] >= FLM_QMAT_SCALE_LIMIT)
                return fail(m, FLM_ERR_MODEL_VALUE, "%s: |value %" PRIu32 "| >= 2^23", label, k);
        }
        flm_ivec_t *iv = view;
        iv->v = v;
        iv->n = t.cols;
        iv->shift = t.shift;
    } else {
        *(const uint32_t **)view = p;
    }
    return FLM_OK;
}

/* Every tensor the architecture and config require is there; a shared one
 * gets a copy of the view it shares. */
static flm_err_t require_all(flm_model_t *m, const flm_arch_t *arch)
{
    const flm_model_config_t *c = &m->cfg;
    for (uint32_t i = 0; i < arch->n_tensors; i++) {
        const flm_arch_tensor_t *t = &arch->tensors[i];
        if (!flm_arch_stored(t, c)) {
            const flm_arch_tensor_t *with = flm_arch_tensor(arch, t->shared_with);
            size_t n = t->dtype == FLM_DTYPE_Q8 ? sizeof(flm_qmat_t)
                     : t->dtype == FLM_DTYPE_I32 ? sizeof(flm_ivec_t) : sizeof(const uint32_t *);
            memcpy(flm_arch_view(m, t, 0), flm_arch_view_const(m, with, 0), n);
            continue;
        }
        for (uint32_t l = 0; l < flm_arch_copies(t, c); l++) {
            char label[32];
            if (!view_set(m, t, l))
                return fail(m, FLM_ERR_MODEL_TENSOR, "%s missing", flm_arch_label(t, l, label, sizeof label));
        }
    }
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

/* The byte-level BPE's merges: each token a merge makes has a rank and a
 * left part that is a proper, non-empty prefix of its bytes. */
static flm_err_t check_merges(flm_model_t *m)
{
    const flm_vocab_t *v = &m->vocab;
    for (uint32_t i = 0; i < v->vocab_size; i++) {
        uint32_t l = v->merge_left[i];
        if (l == FLM_TOK_NO_MERGE) {
            if (v->scores[i] != -1)
                return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %" PRIu32 " has rank %" PRId32 " but no merge", i,
                            v->scores[i]);
            continue;
        }
        uint32_t len = v->offsets[i + 1] - v->offsets[i];
        if (l >= v->vocab_size || v->scores[i] < 0)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %" PRIu32 ": merge of token %" PRIu32 " with rank %" PRId32, i, l,
                        v->scores[i]);
        uint32_t llen = v->offsets[l + 1] - v->offsets[l];
        if (llen == 0 || llen >= len || memcmp(v->bytes + v->offsets[l], v->bytes + v->offsets[i], llen) != 0)
            return fail(m, FLM_ERR_MODEL_TOKENIZER, "token %" PRIu32 ": its merge's left token %" PRIu32 " is not a prefix of it",
                        i, l);
    }
    return FLM_OK;
}

static flm_err_t load_tokenizer(flm_model_t *m, uint64_t off, uint64_t size, uint32_t minor)
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
    /* 1.2 gave the reserved word a meaning; before, it is zero: SentencePiece */
    uint32_t kind_word = minor >= 2 ? flm_rd32le(t + FLM_IMG_TOK_KIND) : 0;
    v->kind = kind_word & 0xFFu;
    v->pre = kind_word >> 8 & 0xFFu;
    if ((kind_word >> 16) != 0 || v->kind > FLM_TOK_KIND_BPE ||
        (v->kind == FLM_TOK_KIND_BPE ? v->pre == 0 || v->pre >= FLM_TOK_PRE_COUNT : v->pre != 0))
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer kind word 0x%" PRIx32 " unknown", kind_word);
    if (n != m->cfg.vocab_size)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "tokenizer has %" PRIu32 " tokens, config says %" PRIu32, n,
                    m->cfg.vocab_size);
    if (v->bos_id >= n || v->eos_id >= n)
        return fail(m, FLM_ERR_MODEL_TOKENIZER, "bos %" PRIu32 " / eos %" PRIu32 " outside the vocabulary", v->bos_id,
                    v->eos_id);
    uint64_t need = FLM_IMG_TOK_HEADER_SIZE + 4u * (3u * (uint64_t)n + 1u) + nbytes;
    const uint64_t merges_at = (need + 3u) & ~(uint64_t)3u; /* BPE: merge_left[n], 4-aligned */
    if (v->kind == FLM_TOK_KIND_BPE)
        need = merges_at + 4u * (uint64_t)n;
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
    v->merge_left = v->kind == FLM_TOK_KIND_BPE ? (const void *)(t + merges_at) : NULL;
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
    return v->merge_left ? check_merges(m) : FLM_OK;
}

static flm_err_t check_image_crc(flm_model_t *m)
{
    uint32_t want = flm_rd32le(m->image + FLM_IMG_OFF_IMAGE_CRC);
    uint32_t got = image_crc_over(m->image, m->image_size);
    if (got != want)
        return fail(m, FLM_ERR_MODEL_CRC, "image CRC-32 is 0x%" PRIx32 ", header says 0x%" PRIx32, got, want);
    return FLM_OK;
}

flm_err_t flm_model_check_scales(const flm_model_t *m, char *detail, size_t cap)
{
    const flm_arch_t *arch = m ? flm_arch_find(m->arch) : NULL;
    if (!arch)
        return FLM_ERR_ARG;
    const flm_model_config_t *c = &m->cfg;
    for (uint32_t i = 0; i < arch->n_tensors; i++) {
        const flm_arch_tensor_t *t = &arch->tensors[i];
        if (t->dtype != FLM_DTYPE_Q8 || !flm_arch_stored(t, c))
            continue; /* vectors; a shared view is walked as the tensor it shares */
        for (uint32_t l = 0; l < flm_arch_copies(t, c); l++) {
            const flm_qmat_t *q = flm_arch_view_const(m, t, l);
            const size_t n = (size_t)q->rows * q->ngroups;
            /* int8 scales are >= 0; int4 ones signed (llama.cpp's Q4_0 blocks
             * map their largest weight to -8, so their scale has its sign) */
            const int32_t lo = q->bits == 4u ? -FLM_QMAT_SCALE_LIMIT + 1 : 0;
            for (size_t g = 0; g < n; g++) {
                if (q->s[g] < lo || q->s[g] >= FLM_QMAT_SCALE_LIMIT) {
                    if (detail) {
                        char label[32];
                        flm_snprintf(detail, cap, "%s: group scale %" PRIu64 " is %" PRId32 ", outside [%s, 2^23)",
                                     flm_arch_label(t, l, label, sizeof label), (uint64_t)g, q->s[g],
                                     lo ? "-2^23" : "0");
                    }
                    return FLM_ERR_MODEL_VALUE;
                }
            }
        }
    }
    return FLM_OK;
}

/* Names the id and the architectures this build knows. */
static flm_err_t unknown_arch(flm_model_t *m, uint32_t minor)
{
    size_t n = flm_snprintf(m->detail, sizeof m->detail,
                            "architecture id %" PRIu32 " (format 1.%" PRIu32 ") unknown; this build knows", m->arch, minor);
    const flm_arch_t *a;
    for (uint32_t i = 0; (a = flm_arch_at(i)) != NULL; i++)
        n += flm_snprintf(m->detail + n, sizeof m->detail - n, "%s %s = %" PRIu32, i ? "," : "", a->name, a->id);
    return FLM_ERR_MODEL_ARCH;
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
    if (flm_rd32le(img + FLM_IMG_OFF_MAGIC) == FLM_GGUF_FILE_MAGIC)
        return fail(m, FLM_ERR_MODEL_MAGIC, "a GGUF file (llama.cpp): convert it: fieldlm convert --in X.gguf --out X.flm");
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
    /* Format 1.0 has no arch field (its bytes are reserved): llama. */
    m->arch = minor >= FLM_IMG_ARCH_MINOR ? flm_rd32le(img + FLM_IMG_OFF_ARCH) : FLM_ARCH_LLAMA;
    const flm_arch_t *arch = flm_arch_find(m->arch);
    if (!arch)
        return unknown_arch(m, minor);
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
        err = load_tensor(m, arch, i, data, image_size);
    if (!err)
        err = require_all(m, arch);
    if (!err)
        err = load_tokenizer(m, tok, tok_size, minor);
    if (!err && verify == FLM_MODEL_VERIFY_FULL)
        err = flm_model_check_scales(m, m->detail, sizeof m->detail);
    if (!err)
        m->scales_checked = verify == FLM_MODEL_VERIFY_FULL;
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
    if (!err)
        err = flm_model_check_scales(m, m->detail, sizeof m->detail);
    if (!err)
        m->scales_checked = true;
    return err;
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
