/*
 * GGUF (llama.cpp) -> the converter's float model and tokenizer.
 *
 * The file is parsed by tools/cli/gguf.c; here its llama metadata becomes
 * fieldlm's config, its tensors the architecture table's (by llama.cpp's
 * names: token_embd, blk.N.attn_q, ...), checked shape by shape, and its
 * vocabulary the tokenizer: SentencePiece-style (tokenizer.ggml.model
 * "llama": tokens, scores, "▁" for a space) or GPT-2 byte-level BPE
 * ("gpt2": tokens in the byte-to-unicode alphabet, merges). F32, F16 and
 * BF16 tensors become floats; Q8_0 and Q4_0 ones also keep their integers
 * and block scales (flm_fqsrc_t) so the image writer can copy them. What
 * fieldlm's llama cannot run is refused by the key, tensor or type.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/arch.h"
#include "core/model/model_format.h"
#include "tools/cli/convert.h"
#include "tools/cli/gguf.h"

#define FAIL_C(c, ...) flm_convert_fail((c)->err, (c)->errlen, __VA_ARGS__)
#define MAX_LAYERS 1024u /* as the llama2.c reader: the format's limit is 65535 */

/* ---- numbers ------------------------------------------------------------- */

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = h >> 10 & 0x1Fu, m = h & 0x3FFu, bits;
    if (e == 0) {
        float f = ldexpf((float)m, -24); /* zero and subnormals */
        return sign ? -f : f;
    }
    if (e == 31)
        bits = sign | 0x7F800000u | m << 13; /* inf, nan */
    else
        bits = sign | (e + 112u) << 23 | m << 13;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* ---- names ----------------------------------------------------------------- */

/* llama.cpp's tensor names for the architecture table's kinds. */
static const struct {
    const char *name; /* after "blk.N." for per-layer kinds */
    uint32_t kind;
} tensor_names[] = {
    { "token_embd.weight", FLM_TENSOR_TOK_EMBEDDING }, { "output_norm.weight", FLM_TENSOR_RMS_FINAL },
    { "output.weight", FLM_TENSOR_CLASSIFIER },        { "attn_norm.weight", FLM_TENSOR_RMS_ATT },
    { "attn_q.weight", FLM_TENSOR_WQ },                { "attn_k.weight", FLM_TENSOR_WK },
    { "attn_v.weight", FLM_TENSOR_WV },                { "attn_output.weight", FLM_TENSOR_WO },
    { "ffn_norm.weight", FLM_TENSOR_RMS_FFN },         { "ffn_gate.weight", FLM_TENSOR_W1 },
    { "ffn_down.weight", FLM_TENSOR_W2 },              { "ffn_up.weight", FLM_TENSOR_W3 },
};
#define N_TENSOR_NAMES (sizeof tensor_names / sizeof tensor_names[0])
#define ROPE_FREQS "rope_freqs.weight"
#define SUPPORTED_TENSORS                                                                     \
    "token_embd, output_norm, output, rope_freqs and blk.N.{attn_norm, attn_q, attn_k, attn_v, " \
    "attn_output, ffn_norm, ffn_gate, ffn_down, ffn_up}, each .weight"
#define SUPPORTED_TYPES "F32, F16, BF16, Q8_0 and Q4_0"

/* The kind and layer a tensor name stands for; false if it is none. */
static bool kind_of(flm_gguf_str_t name, uint32_t n_layers, uint32_t *kind, uint32_t *layer)
{
    char buf[FLM_GGUF_MAX_NAME + 1];
    memcpy(buf, name.p, name.len); /* the parser keeps names <= 64 bytes */
    buf[name.len] = '\0';
    const char *rest = buf;
    *layer = 0;
    bool per_layer = false;
    if (strncmp(buf, "blk.", 4) == 0) {
        const char *p = buf + 4;
        uint32_t l = 0;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9' && l < 100000)
            l = l * 10 + (uint32_t)(*p++ - '0');
        if (*p != '.' || l >= n_layers)
            return false;
        *layer = l;
        rest = p + 1;
        per_layer = true;
    }
    for (size_t i = 0; i < N_TENSOR_NAMES; i++) {
        if (strcmp(rest, tensor_names[i].name) == 0 &&
            (tensor_names[i].kind >= FLM_TENSOR_FIRST_LAYER_KIND) == per_layer) {
            *kind = tensor_names[i].kind;
            return true;
        }
    }
    return false;
}

/* ---- metadata ---------------------------------------------------------------- */

typedef struct {
    const flm_gguf_t *g;
    FILE *notes;
    char *err;
    size_t errlen;
} ctx_t;

static void note(const ctx_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(const ctx_t *c, const char *fmt, ...)
{
    if (!c->notes)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("  note: ", c->notes);
    vfprintf(c->notes, fmt, ap);
    fputc('\n', c->notes);
    va_end(ap);
}

/* An integer key; -1 if present but not an integer that fits, 1 if absent. */
static int key_u32(const ctx_t *c, const char *key, uint32_t *v, bool required)
{
    const flm_gguf_kv_t *kv = flm_gguf_find(c->g, key);
    if (!kv) {
        if (required)
            return flm_convert_fail(c->err, c->errlen, "%s missing: a llama model needs it", key);
        return 1;
    }
    if (kv->type == FLM_GGUF_ARRAY)
        return flm_convert_fail(c->err, c->errlen, "%s is an array (a value per layer): not supported", key);
    if (!flm_gguf_as_u32(kv, v))
        return flm_convert_fail(c->err, c->errlen, "%s is a %s, not a 32-bit count", key, flm_gguf_type_name(kv->type));
    return 0;
}

static int key_f64(const ctx_t *c, const char *key, double *v)
{
    const flm_gguf_kv_t *kv = flm_gguf_find(c->g, key);
    if (!kv)
        return 1;
    if (!flm_gguf_as_f64(kv, v) || !isfinite(*v))
        return flm_convert_fail(c->err, c->errlen, "%s is a %s, not a finite float", key, flm_gguf_type_name(kv->type));
    return 0;
}

/* The string value of key in buf (printable), or NULL if absent / not a string. */
static const char *key_str(const ctx_t *c, const char *key, char *buf, size_t cap, flm_gguf_str_t *raw)
{
    flm_gguf_str_t s;
    if (!flm_gguf_as_str(flm_gguf_find(c->g, key), &s))
        return NULL;
    if (raw)
        *raw = s;
    return flm_gguf_printable(s, buf, cap);
}

/* Keys of llama's namespace this converter reads or knows to be harmless. */
static const char *const llama_keys_known[] = {
    "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.dimension_count",
    "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon", "llama.attention.key_length",
    "llama.attention.value_length", "llama.vocab_size", "llama.rope.scaling.type",
    "llama.rope.scaling.factor", "llama.rope.scale_linear", "llama.rope.scaling.original_context_length",
    "llama.rope.scaling.finetuned", "llama.tensor_data_layout", "llama.expert_count",
    "llama.expert_used_count",
};

/* Keys that change what llama computes in ways fieldlm does not. */
static int refuse_keys(const ctx_t *c)
{
    const flm_gguf_t *g = c->g;
    uint32_t n;
    if (key_u32(c, "llama.expert_count", &n, false) < 0)
        return -1;
    if (flm_gguf_find(g, "llama.expert_count") && n > 0)
        return flm_convert_fail(c->err, c->errlen, "llama.expert_count = %u: mixture-of-experts models are not supported", n);
    static const char *const unsupported[] = {
        "llama.attention.layer_norm_epsilon", "llama.attention.clamp_kqv", "llama.attention.max_alibi_bias",
        "llama.use_parallel_residual", "llama.attention.sliding_window", "llama.logit_scale",
        "llama.embedding_scale", "llama.residual_scale", "llama.attention.scale",
    };
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        const flm_gguf_kv_t *kv = flm_gguf_find(g, unsupported[i]);
        bool off = false;
        double f;
        if (kv && flm_gguf_as_bool(kv, &off) && !off)
            continue;
        if (kv && flm_gguf_as_f64(kv, &f) && f == 0)
            continue;
        if (kv)
            return flm_convert_fail(c->err, c->errlen, "%s is set: fieldlm's llama does not support it", unsupported[i]);
    }
    /* anything else under llama. is unknown here: say so, do not guess */
    for (uint64_t i = 0; i < g->n_kv; i++) {
        flm_gguf_str_t k = g->kv[i].key;
        if (k.len < 6 || memcmp(k.p, "llama.", 6) != 0)
            continue;
        bool known = false;
        for (size_t j = 0; j < sizeof llama_keys_known / sizeof llama_keys_known[0] && !known; j++)
            known = flm_gguf_str_is(k, llama_keys_known[j]);
        if (!known) {
            char buf[80];
            note(c, "key %s ignored (not one fieldlm knows)", flm_gguf_printable(k, buf, sizeof buf));
        }
    }
    return 0;
}

static int read_config(const ctx_t *c, flm_fmodel_t *fm)
{
    char buf[80];
    const char *arch = key_str(c, "general.architecture", buf, sizeof buf, NULL);
    if (!arch)
        return flm_convert_fail(c->err, c->errlen, "general.architecture missing (or not a string): not a model file");
    if (strcmp(arch, "llama") != 0)
        return flm_convert_fail(c->err, c->errlen,
                                "general.architecture = '%s' is not supported: fieldlm converts the llama architecture",
                                arch);
    uint32_t n_kv;
    if (key_u32(c, "llama.embedding_length", &fm->dim, true) || key_u32(c, "llama.block_count", &fm->n_layers, true) ||
        key_u32(c, "llama.feed_forward_length", &fm->hidden_dim, true) ||
        key_u32(c, "llama.attention.head_count", &fm->n_heads, true) ||
        key_u32(c, "llama.context_length", &fm->seq_len, true))
        return -1;
    int r = key_u32(c, "llama.attention.head_count_kv", &n_kv, false);
    if (r < 0)
        return -1;
    fm->n_kv_heads = r ? fm->n_heads : n_kv;
    if (!fm->dim || !fm->n_layers || !fm->hidden_dim || !fm->n_heads || !fm->n_kv_heads || !fm->seq_len)
        return flm_convert_fail(c->err, c->errlen,
                                "a dimension is zero (embedding %u, blocks %u, feed_forward %u, heads %u / %u, context %u)",
                                fm->dim, fm->n_layers, fm->hidden_dim, fm->n_heads, fm->n_kv_heads, fm->seq_len);
    if (fm->n_layers > MAX_LAYERS || fm->dim > FLM_IMG_DIM_MAX || fm->hidden_dim > FLM_IMG_DIM_MAX ||
        fm->n_heads > FLM_IMG_DIM_MAX || fm->seq_len > FLM_IMG_DIM_MAX)
        return flm_convert_fail(c->err, c->errlen,
                                "a dimension is too large (blocks %u, at most %u; others at most %u)", fm->n_layers,
                                MAX_LAYERS, (unsigned)FLM_IMG_DIM_MAX);
    uint32_t kl = 0, vl = 0, rot = 0;
    int rk = key_u32(c, "llama.attention.key_length", &kl, false);
    int rv = key_u32(c, "llama.attention.value_length", &vl, false);
    if (rk < 0 || rv < 0)
        return -1;
    if (rk == 0 && rv == 0 && kl != vl)
        return flm_convert_fail(c->err, c->errlen,
                                "llama.attention.key_length %u != value_length %u: fieldlm's heads have one width", kl, vl);
    if (rk == 0 || rv == 0) {
        fm->head_dim = rk == 0 ? kl : vl;
    } else {
        if (fm->dim % fm->n_heads != 0)
            return flm_convert_fail(c->err, c->errlen,
                                    "embedding_length %u is not a multiple of head_count %u and key_length is absent",
                                    fm->dim, fm->n_heads);
        fm->head_dim = fm->dim / fm->n_heads;
    }
    if (fm->head_dim == 0 || fm->head_dim % 2 != 0 || fm->n_heads % fm->n_kv_heads != 0)
        return flm_convert_fail(c->err, c->errlen, "head width %u (must be even) or heads %u / kv heads %u (a multiple)",
                                fm->head_dim, fm->n_heads, fm->n_kv_heads);
    r = key_u32(c, "llama.rope.dimension_count", &rot, false);
    if (r < 0)
        return -1;
    if (r == 0 && rot != fm->head_dim)
        return flm_convert_fail(c->err, c->errlen,
                                "llama.rope.dimension_count = %u but heads are %u wide: partial rotary embeddings are not supported",
                                rot, fm->head_dim);
    if (key_f64(c, "llama.rope.freq_base", &fm->rope_theta) < 0)
        return -1;
    if (fm->rope_theta != 0 && !(fm->rope_theta > 1))
        return flm_convert_fail(c->err, c->errlen, "llama.rope.freq_base = %g", fm->rope_theta);
    r = key_f64(c, "llama.attention.layer_norm_rms_epsilon", &fm->norm_eps);
    if (r < 0)
        return -1;
    if (r)
        note(c, "llama.attention.layer_norm_rms_epsilon missing: 1e-5 assumed");
    if (fm->norm_eps < 0 || fm->norm_eps >= 1)
        return flm_convert_fail(c->err, c->errlen, "llama.attention.layer_norm_rms_epsilon = %g", fm->norm_eps);
    /* RoPE scaling: none or linear */
    const char *st = key_str(c, "llama.rope.scaling.type", buf, sizeof buf, NULL);
    double factor = 0;
    if (st && strcmp(st, "none") != 0) {
        if (strcmp(st, "linear") != 0)
            return flm_convert_fail(c->err, c->errlen,
                                    "llama.rope.scaling.type = '%s' is not supported (none and linear are)", st);
        if (key_f64(c, "llama.rope.scaling.factor", &factor) != 0 || !(factor > 0))
            return flm_convert_fail(c->err, c->errlen, "llama.rope.scaling.type = linear needs llama.rope.scaling.factor > 0");
    } else if (!st && flm_gguf_find(c->g, "llama.rope.scaling.type")) {
        return flm_convert_fail(c->err, c->errlen, "llama.rope.scaling.type is not a string");
    } else if (!st && key_f64(c, "llama.rope.scale_linear", &factor) < 0) {
        return -1;
    }
    if (factor < 0 || (factor > 0 && !(factor >= 1e-3 && factor <= 1e3)))
        return flm_convert_fail(c->err, c->errlen, "RoPE scaling factor %g", factor);
    fm->rope_scale = factor == 1 ? 0 : factor;
    return refuse_keys(c);
}

/* ---- tensors ------------------------------------------------------------------- */

/* Decode n values of t into dst; for Q8_0 / Q4_0 also the integers and
 * block scales into q and d. */
static int decode(const ctx_t *c, const flm_gguf_tensor_t *t, float *dst, int8_t *q, float *d)
{
    const uint8_t *p = t->data;
    const uint64_t n = t->n_elems;
    char name[80];
    flm_gguf_printable(t->name, name, sizeof name);
    switch (t->type) {
    case FLM_GGML_F32:
        for (uint64_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&dst[i], &u, 4);
        }
        break;
    case FLM_GGML_F16:
        for (uint64_t i = 0; i < n; i++)
            dst[i] = f16_to_f32(rd16(p + 2 * i));
        break;
    case FLM_GGML_BF16:
        for (uint64_t i = 0; i < n; i++)
            dst[i] = bf16_to_f32(rd16(p + 2 * i));
        break;
    case FLM_GGML_Q8_0: /* blocks of { f16 d; int8 qs[32]; } */
        for (uint64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + 34 * b;
            float s = f16_to_f32(rd16(blk));
            d[b] = s;
            for (int j = 0; j < 32; j++) {
                q[32 * b + (uint64_t)j] = (int8_t)blk[2 + j];
                dst[32 * b + (uint64_t)j] = (float)(int8_t)blk[2 + j] * s;
            }
        }
        break;
    case FLM_GGML_Q4_0: /* { f16 d; uint8 qs[16]; }: low nibbles values 0..15, high 16..31, minus 8 */
        for (uint64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + 18 * b;
            float s = f16_to_f32(rd16(blk));
            d[b] = s;
            for (int j = 0; j < 16; j++) {
                int8_t lo = (int8_t)((blk[2 + j] & 15) - 8), hi = (int8_t)((blk[2 + j] >> 4) - 8);
                q[32 * b + (uint64_t)j] = lo;
                q[32 * b + 16 + (uint64_t)j] = hi;
                dst[32 * b + (uint64_t)j] = (float)lo * s;
                dst[32 * b + 16 + (uint64_t)j] = (float)hi * s;
            }
        }
        break;
    default:
        return flm_convert_fail(c->err, c->errlen, "tensor '%s' is %s: supported types are " SUPPORTED_TYPES
                                " (requantize with llama-quantize to Q8_0 or Q4_0)", name,
                                flm_ggml_type_name(t->type));
    }
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(dst[i]))
            return flm_convert_fail(c->err, c->errlen, "tensor '%s': value %llu is not finite", name,
                                    (unsigned long long)i);
    return 0;
}

static bool supported_type(uint32_t type)
{
    return type == FLM_GGML_F32 || type == FLM_GGML_F16 || type == FLM_GGML_BF16 || type == FLM_GGML_Q8_0 ||
           type == FLM_GGML_Q4_0;
}

static bool quantized(uint32_t type)
{
    return type == FLM_GGML_Q8_0 || type == FLM_GGML_Q4_0;
}

static int read_tensors(const ctx_t *c, flm_fmodel_t *fm, size_t file_len)
{
    const flm_gguf_t *g = c->g;
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    char name[80];
    /* which GGUF tensor is each (kind, layer); every name must be known */
    const flm_gguf_tensor_t **at = calloc((size_t)FLM_FMODEL_KINDS * fm->n_layers + 1, sizeof *at);
    if (!at)
        return FAIL_C(c, "out of memory");
    int rc = 0;
    const flm_gguf_tensor_t *rope_freqs = NULL;
    for (uint64_t i = 0; i < g->n_tensors && !rc; i++) {
        const flm_gguf_tensor_t *t = &g->tensors[i];
        uint32_t kind, layer;
        flm_gguf_printable(t->name, name, sizeof name);
        if (flm_gguf_str_is(t->name, ROPE_FREQS)) {
            rope_freqs = t;
        } else if (!kind_of(t->name, fm->n_layers, &kind, &layer)) {
            rc = FAIL_C(c, "tensor '%s' is not supported by fieldlm's llama (it reads " SUPPORTED_TENSORS
                        ", for blk.0 .. blk.%u)", name, fm->n_layers - 1);
        } else if (at[(size_t)kind * fm->n_layers + layer]) {
            char other[80];
            rc = FAIL_C(c, "tensors '%s' and '%s' are the same tensor (a layer number written twice)",
                        flm_gguf_printable(at[(size_t)kind * fm->n_layers + layer]->name, other, sizeof other), name);
        } else {
            at[(size_t)kind * fm->n_layers + layer] = t;
        }
        if (!rc && !supported_type(t->type))
            rc = FAIL_C(c, "tensor '%s' is %s: supported types are " SUPPORTED_TYPES
                        " (requantize with llama-quantize to Q8_0 or Q4_0)", name, flm_ggml_type_name(t->type));
    }
    /* the classifier: absent or a byte-identical copy of the embedding is
     * the tied one, stored once */
    const flm_gguf_tensor_t *emb = at[(size_t)FLM_TENSOR_TOK_EMBEDDING * fm->n_layers];
    const flm_gguf_tensor_t *out = at[(size_t)FLM_TENSOR_CLASSIFIER * fm->n_layers];
    if (!rc && !emb)
        rc = FAIL_C(c, "tensor 'token_embd.weight' missing");
    if (!rc) {
        fm->vocab_size = emb->n_dims == 2 ? (uint32_t)(emb->ne[1] <= UINT32_MAX ? emb->ne[1] : 0) : 0;
        if (fm->vocab_size == 0 || emb->ne[1] > FLM_IMG_DIM_MAX)
            rc = FAIL_C(c, "tensor 'token_embd.weight' has %u dimensions (%llu x %llu)", emb->n_dims,
                        (unsigned long long)emb->ne[0], (unsigned long long)emb->ne[1]);
    }
    if (!rc) {
        if (!out) {
            fm->shared_classifier = true;
            note(c, "no output.weight: the classifier is the token embedding");
        } else if (out->type == emb->type && out->size == emb->size && out->n_elems == emb->n_elems &&
                   memcmp(out->data, emb->data, (size_t)out->size) == 0) {
            fm->shared_classifier = true;
            note(c, "output.weight is a copy of token_embd.weight: stored once");
            at[(size_t)FLM_TENSOR_CLASSIFIER * fm->n_layers] = NULL;
        } else if (out->type != emb->type) {
            note(c, "output.weight (%s) and token_embd.weight (%s) differ: both kept, as llama.cpp uses them",
                 flm_ggml_type_name(out->type), flm_ggml_type_name(emb->type));
        }
    }
    flm_model_config_t cfg;
    flm_fmodel_config(fm, &cfg);
    /* every tensor of the table: there, and of its shape */
    uint64_t qbytes = 0;
    for (uint32_t k = 0; k < a->n_tensors && !rc; k++) {
        const flm_arch_tensor_t *t = &a->tensors[k];
        if (!flm_fmodel_slot(fm, t->kind) || !flm_arch_stored(t, &cfg))
            continue;
        uint64_t rows = flm_arch_dim(&cfg, t->rows), cols = flm_arch_dim(&cfg, t->cols);
        uint32_t first_type = UINT32_MAX;
        for (uint32_t l = 0; l < flm_arch_copies(t, &cfg) && !rc; l++) {
            const flm_gguf_tensor_t *gt = at[(size_t)t->kind * fm->n_layers + l];
            char label[32];
            flm_arch_label(t, l, label, sizeof label);
            if (!gt) {
                rc = FAIL_C(c, "%s missing (llama.cpp's %s%s)", label, t->per_layer ? "blk.N." : "",
                            t->kind == FLM_TENSOR_CLASSIFIER ? "output.weight" : "tensor");
                break;
            }
            flm_gguf_printable(gt->name, name, sizeof name);
            bool vec = t->rows == FLM_DIM_ONE;
            if (gt->ne[0] != cols || gt->n_elems != rows * cols || (!vec && gt->n_dims != 2))
                rc = FAIL_C(c, "tensor '%s' is %llu x %llu, the config needs %llu x %llu (%s x %s)", name,
                            (unsigned long long)(gt->n_dims > 1 ? gt->ne[1] : 1), (unsigned long long)gt->ne[0],
                            (unsigned long long)rows, (unsigned long long)cols, flm_arch_dim_name(t->rows),
                            flm_arch_dim_name(t->cols));
            if (!rc && vec && quantized(gt->type))
                rc = FAIL_C(c, "tensor '%s' is %s: norm weights must be F32, F16 or BF16", name,
                            flm_ggml_type_name(gt->type));
            if (first_type == UINT32_MAX)
                first_type = gt->type;
            else if (first_type != gt->type)
                first_type = UINT32_MAX - 1; /* mixed over layers */
        }
        if (!rc && quantized(first_type))
            qbytes += flm_arch_copies(t, &cfg) * rows * (cols + cols / 32 * 4) + 4;
    }
    if (!rc && rope_freqs) {
        flm_gguf_printable(rope_freqs->name, name, sizeof name);
        if (rope_freqs->type != FLM_GGML_F32 || rope_freqs->n_elems != cfg.head_dim / 2)
            rc = FAIL_C(c, "tensor '%s' must be %u F32 values (one per frequency)", name, cfg.head_dim / 2);
    }
    /* every weight takes at least 4 bits in the file */
    if (!rc)
        rc = flm_fmodel_alloc(fm, 2 * (uint64_t)file_len + 64, c->err, c->errlen);
    if (!rc) {
        fm->qmem = malloc((size_t)qbytes + (size_t)cfg.head_dim * sizeof(float) + 16);
        if (!fm->qmem)
            rc = FAIL_C(c, "out of memory");
    }
    uint8_t *qp = fm->qmem;
    if (!rc && rope_freqs) {
        fm->rope_factors = (float *)(void *)qp;
        qp += (size_t)cfg.head_dim / 2 * sizeof(float);
        rc = decode(c, rope_freqs, fm->rope_factors, NULL, NULL);
        for (uint32_t i = 0; i < cfg.head_dim / 2 && !rc; i++)
            if (!(fm->rope_factors[i] > 0))
                rc = FAIL_C(c, "rope_freqs.weight[%u] = %g: frequency factors must be positive", i,
                            (double)fm->rope_factors[i]);
        if (!rc)
            note(c, "rope_freqs.weight: per-frequency factors applied to the RoPE table");
    }
    for (uint32_t k = 0; k < a->n_tensors && !rc; k++) {
        const flm_arch_tensor_t *t = &a->tensors[k];
        float **slot = flm_fmodel_slot(fm, t->kind);
        if (!slot || !flm_arch_stored(t, &cfg))
            continue;
        const size_t rows = (size_t)flm_arch_dim(&cfg, t->rows), cols = (size_t)flm_arch_dim(&cfg, t->cols);
        uint32_t copies = flm_arch_copies(t, &cfg);
        /* integers kept only when every layer's copy has the same block type */
        uint32_t type0 = at[(size_t)t->kind * fm->n_layers]->type;
        bool keep = quantized(type0);
        for (uint32_t l = 1; l < copies && keep; l++)
            keep = at[(size_t)t->kind * fm->n_layers + l]->type == type0;
        flm_fqsrc_t *qs = &fm->qsrc[t->kind];
        if (keep) {
            qs->bits = type0 == FLM_GGML_Q8_0 ? 8 : 4;
            qs->block = 32;
            qs->q = (int8_t *)qp;
            qp += copies * rows * cols;
            qp = (uint8_t *)(((uintptr_t)qp + 3) & ~(uintptr_t)3);
            qs->d = (float *)(void *)qp;
            qp += copies * rows * (cols / 32) * sizeof(float);
        }
        for (uint32_t l = 0; l < copies && !rc; l++) {
            const flm_gguf_tensor_t *gt = at[(size_t)t->kind * fm->n_layers + l];
            size_t off = (size_t)l * rows * cols;
            if (keep || !quantized(gt->type)) {
                rc = decode(c, gt, *slot + off, keep ? qs->q + off : NULL,
                            keep ? qs->d + (size_t)l * rows * (cols / 32) : NULL);
            } else {
                /* mixed types over the layers: these integers go through floats */
                int8_t *tq = malloc((size_t)gt->n_elems);
                float *td = malloc((size_t)gt->n_elems / 32 * sizeof(float) + 4);
                rc = tq && td ? decode(c, gt, *slot + off, tq, td) : FAIL_C(c, "out of memory");
                free(tq);
                free(td);
            }
        }
        if (!rc && !keep && quantized(type0))
            note(c, "%s: block types differ between layers, re-quantized from floats", t->name);
    }
    free(at);
    return rc;
}

/* ---- tokenizers ------------------------------------------------------------------- */

/* GPT-2's byte <-> unicode table: printable Latin-1 bytes stand for
 * themselves, the others for U+0100 + their order. */
static void byte_unicode(uint32_t cp_of[256])
{
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; b++) {
        bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        cp_of[b] = printable ? b : 0x100 + extra++;
    }
}

/* One UTF-8 codepoint of s at *i (advanced), or UINT32_MAX if malformed. */
static uint32_t utf8_next(flm_gguf_str_t s, size_t *i)
{
    uint8_t b = s.p[*i];
    uint32_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || *i + n > s.len) {
        (*i)++;
        return UINT32_MAX;
    }
    uint32_t cp = n == 1 ? b : b & (0x7Fu >> n);
    for (uint32_t k = 1; k < n; k++) {
        if ((s.p[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return UINT32_MAX;
        }
        cp = cp << 6 | (s.p[*i + k] & 0x3Fu);
    }
    *i += n;
    return cp;
}

/* A GPT-2 token string as its bytes: every codepoint back through the
 * byte table. false if one is not in it (the caller keeps such a token's
 * UTF-8 as it is: added tokens may be plain text). */
static bool unmap_bytes(flm_gguf_str_t s, const uint32_t cp_of[256], uint8_t *out, size_t *len)
{
    static int16_t byte_of[0x144];
    static bool init;
    if (!init) {
        for (size_t i = 0; i < sizeof byte_of / sizeof byte_of[0]; i++)
            byte_of[i] = -1;
        for (uint32_t b = 0; b < 256; b++)
            byte_of[cp_of[b]] = (int16_t)b;
        init = true;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.len;) {
        uint32_t cp = utf8_next(s, &i);
        if (cp >= sizeof byte_of / sizeof byte_of[0] || byte_of[cp] < 0)
            return false;
        out[n++] = (uint8_t)byte_of[cp];
    }
    *len = n;
    return true;
}

typedef struct {
    const uint8_t *p;
    uint32_t len, id;
} tokkey_t;

static int tokkey_cmp(const void *a, const void *b)
{
    const tokkey_t *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static uint32_t find_token(const tokkey_t *keys, uint32_t n, const uint8_t *p, size_t len)
{
    tokkey_t k = { p, (uint32_t)len, 0 };
    const tokkey_t *hit = bsearch(&k, keys, n, sizeof *keys, tokkey_cmp);
    return hit ? hit->id : UINT32_MAX;
}

static int alloc_tok(const ctx_t *c, flm_ftok_t *tok, uint32_t n, size_t bytes_cap, bool bpe)
{
    tok->vocab_size = n;
    tok->scores = calloc(n, sizeof *tok->scores);
    tok->offsets = calloc((size_t)n + 1, sizeof *tok->offsets);
    tok->bytes = malloc(bytes_cap + 1);
    if (bpe) {
        tok->merge_rank = malloc((size_t)n * sizeof *tok->merge_rank);
        tok->merge_left = malloc((size_t)n * sizeof *tok->merge_left);
    }
    if (!tok->scores || !tok->offsets || !tok->bytes || (bpe && (!tok->merge_rank || !tok->merge_left)))
        return flm_convert_fail(c->err, c->errlen, "out of memory");
    return 0;
}

static int special_ids(const ctx_t *c, flm_ftok_t *tok, uint32_t def_bos, uint32_t def_eos)
{
    tok->bos_id = def_bos;
    tok->eos_id = def_eos;
    if (key_u32(c, "tokenizer.ggml.bos_token_id", &tok->bos_id, false) < 0 ||
        key_u32(c, "tokenizer.ggml.eos_token_id", &tok->eos_id, false) < 0)
        return -1;
    if (tok->bos_id >= tok->vocab_size || tok->eos_id >= tok->vocab_size)
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.bos_token_id %u / eos_token_id %u outside the %u tokens",
                                tok->bos_id, tok->eos_id, tok->vocab_size);
    bool add_bos;
    if (flm_gguf_as_bool(flm_gguf_find(c->g, "tokenizer.ggml.add_bos_token"), &add_bos) && !add_bos)
        note(c, "tokenizer.ggml.add_bos_token is false; fieldlm's engine starts every prompt with BOS");
    return 0;
}

/* "llama": SentencePiece pieces with U+2581 for a space, llama2.c's layout
 * (byte tokens <0x00>..<0xFF> at ids 3..258). */
static int read_spm(const ctx_t *c, const flm_gguf_kv_t *tokens, flm_ftok_t *tok)
{
    const uint32_t n = (uint32_t)tokens->n;
    if (alloc_tok(c, tok, n, tokens->val_len, false))
        return -1;
    tok->kind = FLM_TOK_KIND_SPM;
    const flm_gguf_kv_t *scores = flm_gguf_find(c->g, "tokenizer.ggml.scores");
    if (scores && (scores->type != FLM_GGUF_ARRAY || scores->n != n ||
                   (scores->elem_type != FLM_GGUF_F32 && scores->elem_type != FLM_GGUF_F64)))
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.scores must be %u floats", n);
    if (!scores)
        note(c, "tokenizer.ggml.scores missing: all scores 0");
    size_t pos = 0, nb = 0;
    flm_gguf_str_t s;
    for (uint32_t i = 0; i < n; i++) {
        flm_gguf_arr_next_str(tokens, &pos, &s);
        tok->offsets[i] = (uint32_t)nb;
        for (size_t k = 0; k < s.len; k++) {
            if (k + 2 < s.len && s.p[k] == 0xE2 && s.p[k + 1] == 0x96 && s.p[k + 2] == 0x81) {
                tok->bytes[nb++] = ' '; /* U+2581, SentencePiece's space */
                k += 2;
            } else {
                tok->bytes[nb++] = s.p[k];
            }
        }
        uint32_t len = (uint32_t)nb - tok->offsets[i];
        if (len > tok->max_token_len)
            tok->max_token_len = len;
        double f = 0;
        if (scores)
            flm_gguf_arr_f64(scores, i, &f);
        tok->scores[i] = (float)f;
    }
    tok->offsets[n] = (uint32_t)nb;
    if (tok->max_token_len == 0)
        return flm_convert_fail(c->err, c->errlen, "every token is empty");
    /* llama2.c's encoder: byte fallback at 3..258, a " " piece */
    if (n < 259)
        return flm_convert_fail(c->err, c->errlen, "%u tokens: fieldlm's SentencePiece encoder needs llama's byte tokens at ids 3..258", n);
    bool space = false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = tok->offsets[i + 1] - tok->offsets[i];
        const uint8_t *p = tok->bytes + tok->offsets[i];
        if (i >= 3 && i < 259) {
            char want[8];
            snprintf(want, sizeof want, "<0x%02X>", i - 3);
            if (len != 6 || memcmp(p, want, 6) != 0) {
                flm_gguf_str_t got = { p, len };
                char buf[80];
                return flm_convert_fail(c->err, c->errlen,
                                        "token %u is '%s', not %s: fieldlm's SentencePiece encoder needs the byte tokens at ids 3..258",
                                        i, flm_gguf_printable(got, buf, sizeof buf), want);
            }
        }
        space |= len == 1 && p[0] == ' ';
    }
    if (!space)
        return flm_convert_fail(c->err, c->errlen, "no token for a single space (U+2581): no dummy prefix");
    bool prefix;
    if (flm_gguf_as_bool(flm_gguf_find(c->g, "tokenizer.ggml.add_space_prefix"), &prefix) && !prefix)
        return flm_convert_fail(c->err, c->errlen,
                                "tokenizer.ggml.add_space_prefix = false is not supported (the encoder adds llama's dummy prefix)");
    return special_ids(c, tok, 1, 2);
}

/* "gpt2": byte-level BPE. */
static int read_bpe(const ctx_t *c, const flm_gguf_kv_t *tokens, flm_ftok_t *tok)
{
    const uint32_t n = (uint32_t)tokens->n;
    char buf[80];
    flm_gguf_str_t raw;
    const char *pre = key_str(c, "tokenizer.ggml.pre", buf, sizeof buf, &raw);
    if (!pre) {
        tok->pre = FLM_TOK_PRE_GPT2;
        note(c, "tokenizer.ggml.pre missing: GPT-2's pre-tokenizer assumed");
    } else if (strcmp(pre, "gpt-2") == 0 || strcmp(pre, "gpt2") == 0) {
        tok->pre = FLM_TOK_PRE_GPT2;
    } else if (strcmp(pre, "smollm") == 0) {
        tok->pre = FLM_TOK_PRE_SMOLLM;
    } else {
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.pre = '%s' is not supported (gpt-2 and smollm are)", pre);
    }
    const flm_gguf_kv_t *merges = flm_gguf_find(c->g, "tokenizer.ggml.merges");
    if (!merges || merges->type != FLM_GGUF_ARRAY || merges->elem_type != FLM_GGUF_STRING)
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.merges missing or not an array of strings: a gpt2 vocabulary needs them");
    if (alloc_tok(c, tok, n, tokens->val_len, true))
        return -1;
    tok->kind = FLM_TOK_KIND_BPE;
    uint32_t cp_of[256];
    byte_unicode(cp_of);
    size_t pos = 0, nb = 0, raw_tokens = 0;
    flm_gguf_str_t s;
    for (uint32_t i = 0; i < n; i++) {
        flm_gguf_arr_next_str(tokens, &pos, &s);
        tok->offsets[i] = (uint32_t)nb;
        size_t len;
        if (!unmap_bytes(s, cp_of, tok->bytes + nb, &len)) {
            memcpy(tok->bytes + nb, s.p, s.len); /* not in the byte alphabet: as written */
            len = s.len;
            raw_tokens++;
        }
        nb += len;
        if (len > tok->max_token_len)
            tok->max_token_len = (uint32_t)len;
        tok->merge_rank[i] = UINT32_MAX;
        tok->merge_left[i] = FLM_TOK_NO_MERGE;
    }
    tok->offsets[n] = (uint32_t)nb;
    if (raw_tokens)
        note(c, "%zu tokens are not in GPT-2's byte alphabet: kept as their UTF-8", raw_tokens);
    /* look tokens up by their bytes */
    tokkey_t *keys = malloc((size_t)n * sizeof *keys + 1);
    uint8_t *mb = malloc(2 * (size_t)FLM_GGUF_MAX_KEY + merges->val_len + 1);
    int rc = keys && mb ? 0 : flm_convert_fail(c->err, c->errlen, "out of memory");
    for (uint32_t i = 0; i < n && !rc; i++)
        keys[i] = (tokkey_t){ tok->bytes + tok->offsets[i], tok->offsets[i + 1] - tok->offsets[i], i };
    if (!rc)
        qsort(keys, n, sizeof *keys, tokkey_cmp);
    for (uint32_t b = 0; b < 256 && !rc; b++) {
        uint8_t byte = (uint8_t)b;
        if (find_token(keys, n, &byte, 1) == UINT32_MAX)
            rc = flm_convert_fail(c->err, c->errlen, "no token for byte 0x%02X: not a byte-level BPE vocabulary", b);
    }
    pos = 0;
    size_t dropped = 0;
    for (uint64_t r = 0; r < merges->n && !rc; r++) {
        flm_gguf_arr_next_str(merges, &pos, &s);
        size_t sp = 0;
        while (sp < s.len && s.p[sp] != ' ')
            sp++;
        flm_gguf_str_t l = { s.p, sp }, rt = { s.p + sp + 1, sp < s.len ? s.len - sp - 1 : 0 };
        size_t ll, rl;
        if (sp == 0 || sp + 1 >= s.len || r >= INT32_MAX || !unmap_bytes(l, cp_of, mb, &ll) ||
            !unmap_bytes(rt, cp_of, mb + ll, &rl)) {
            rc = flm_convert_fail(c->err, c->errlen, "merge %llu ('%s') is not two byte-level tokens", (unsigned long long)r,
                                  flm_gguf_printable(s, buf, sizeof buf));
            break;
        }
        uint32_t left = find_token(keys, n, mb, ll), whole = find_token(keys, n, mb, ll + rl);
        if (left == UINT32_MAX || whole == UINT32_MAX || find_token(keys, n, mb + ll, rl) == UINT32_MAX) {
            rc = flm_convert_fail(c->err, c->errlen, "merge %llu ('%s'): its parts or its result are not tokens",
                                  (unsigned long long)r, flm_gguf_printable(s, buf, sizeof buf));
            break;
        }
        if (tok->merge_left[whole] != FLM_TOK_NO_MERGE) {
            dropped++; /* an earlier merge already makes this token */
            continue;
        }
        tok->merge_left[whole] = left;
        tok->merge_rank[whole] = (uint32_t)r;
    }
    if (!rc && dropped)
        note(c, "%zu merges make a token an earlier merge makes: only the first is kept", dropped);
    free(keys);
    free(mb);
    if (rc)
        return rc;
    /* bos / eos: the keys, or GPT-2's <|endoftext|> */
    uint32_t eot = UINT32_MAX;
    for (uint32_t i = 0; i < n && eot == UINT32_MAX; i++)
        if (tok->offsets[i + 1] - tok->offsets[i] == 13 && memcmp(tok->bytes + tok->offsets[i], "<|endoftext|>", 13) == 0)
            eot = i;
    if (eot == UINT32_MAX && (!flm_gguf_find(c->g, "tokenizer.ggml.bos_token_id") ||
                              !flm_gguf_find(c->g, "tokenizer.ggml.eos_token_id")))
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.bos_token_id / eos_token_id missing and no <|endoftext|>");
    return special_ids(c, tok, eot, eot);
}

static int read_tokenizer(const ctx_t *c, flm_ftok_t *tok, uint32_t vocab)
{
    char buf[80];
    const char *model = key_str(c, "tokenizer.ggml.model", buf, sizeof buf, NULL);
    if (!model)
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.model missing: the file has no vocabulary fieldlm can read");
    const flm_gguf_kv_t *tokens = flm_gguf_find(c->g, "tokenizer.ggml.tokens");
    if (!tokens || tokens->type != FLM_GGUF_ARRAY || tokens->elem_type != FLM_GGUF_STRING)
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.tokens missing or not an array of strings");
    if (tokens->n != vocab)
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.tokens has %llu tokens, token_embd.weight %u rows",
                                (unsigned long long)tokens->n, vocab);
    uint32_t v;
    if (key_u32(c, "llama.vocab_size", &v, false) == 0 && v != vocab)
        return flm_convert_fail(c->err, c->errlen, "llama.vocab_size = %u, token_embd.weight has %u rows", v, vocab);
    const flm_gguf_kv_t *types = flm_gguf_find(c->g, "tokenizer.ggml.token_type");
    if (types && (types->type != FLM_GGUF_ARRAY || types->n != vocab))
        return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.token_type must have one entry per token");
    if (strcmp(model, "llama") == 0)
        return read_spm(c, tokens, tok);
    if (strcmp(model, "gpt2") == 0)
        return read_bpe(c, tokens, tok);
    return flm_convert_fail(c->err, c->errlen, "tokenizer.ggml.model = '%s' is not supported (llama and gpt2 are)", model);
}

/* ---- entry points ---------------------------------------------------------------- */

int flm_gguf_read(flm_fmodel_t *fm, flm_ftok_t *tok, const uint8_t *buf, size_t len, FILE *notes, char *err,
                  size_t errlen)
{
    memset(fm, 0, sizeof *fm);
    memset(tok, 0, sizeof *tok);
    flm_gguf_t g;
    if (flm_gguf_parse(&g, buf, len, err, errlen))
        return -1;
    ctx_t c = { &g, notes, err, errlen };
    int rc = read_config(&c, fm);
    if (!rc)
        rc = read_tensors(&c, fm, len);
    if (!rc)
        rc = read_tokenizer(&c, tok, fm->vocab_size);
    static char source[64];
    if (!rc) {
        snprintf(source, sizeof source, "GGUF v%u (llama.cpp), llama", g.version);
        fm->source = source;
    }
    flm_gguf_free(&g);
    if (rc) {
        flm_fmodel_free(fm);
        flm_ftok_free(tok);
    }
    return rc;
}

int flm_gguf_load(flm_fmodel_t *fm, flm_ftok_t *tok, const char *path, FILE *notes, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    memset(fm, 0, sizeof *fm);
    memset(tok, 0, sizeof *tok);
    if (flm_read_file(path, &buf, &len, err, errlen))
        return -1;
    int rc = flm_gguf_read(fm, tok, buf, len, notes, err, errlen);
    free(buf);
    return rc;
}
