/* The loader against synthetic images: a clean image opens with the right
 * views, each kind of corruption is rejected with its own code, and
 * thousands of random mutations are accepted or rejected cleanly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/arch.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/model_synth.h"

#define rd32 flm_synth_rd32
#define rd64 flm_synth_rd64
#define wr32 flm_synth_wr32
#define wr64 flm_synth_wr64

/* The test's own copy in a buffer of exactly len bytes, so ASan flags any
 * read past the end of the image. */
static uint8_t *dup_exact(const uint8_t *img, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, img, len);
    return p;
}

static uint8_t *entry_of(uint8_t *img, uint32_t kind, uint32_t layer)
{
    uint32_t n = rd32(img + FLM_IMG_OFF_N_TENSORS);
    uint8_t *t = img + rd64(img + FLM_IMG_OFF_TABLE);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = t + (size_t)i * FLM_IMG_ENTRY_SIZE;
        if ((e[0] | e[1] << 8) == (int)kind && (e[2] | e[3] << 8) == (int)layer)
            return e;
    }
    return NULL;
}

static uint8_t *tok_section(uint8_t *img)
{
    return img + rd64(img + FLM_IMG_OFF_TOK);
}

/* Touch every byte every view covers: ASan turns a bad view into a crash. */
static uint32_t touch_qmat(const flm_qmat_t *q)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < (size_t)q->rows * q->cols; i++)
        sum += (uint8_t)q->q[i];
    for (size_t i = 0; i < (size_t)q->rows * q->ngroups; i++)
        sum += (uint32_t)q->s[i];
    return sum;
}

static uint32_t touch_ivec(const flm_ivec_t *v)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < v->n; i++)
        sum += (uint32_t)v->v[i];
    return sum;
}

static uint32_t touch_model(const flm_model_t *m)
{
    const flm_model_config_t *c = &m->cfg;
    uint32_t sum = touch_qmat(&m->tok_embedding) + touch_qmat(&m->classifier) + touch_ivec(&m->rms_final);
    for (uint32_t l = 0; l < c->n_layers; l++) {
        const flm_layer_t *y = &m->layers[l];
        sum += touch_ivec(&y->rms_att) + touch_ivec(&y->rms_ffn) + touch_qmat(&y->wq) + touch_qmat(&y->wk) +
               touch_qmat(&y->wv) + touch_qmat(&y->wo) + touch_qmat(&y->w1) + touch_qmat(&y->w2) +
               touch_qmat(&y->w3);
    }
    for (uint32_t i = 0; i < c->head_dim / 2; i++)
        sum += m->rope_freq[i];
    const flm_vocab_t *v = &m->vocab;
    for (uint32_t i = 0; i < v->vocab_size; i++) {
        sum += (uint32_t)v->scores[i] + v->sorted[i];
        for (uint32_t k = v->offsets[i]; k < v->offsets[i + 1]; k++)
            sum += v->bytes[k];
    }
    return sum;
}

static uint8_t *base_image(size_t *len, bool shared)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    s.shared = shared;
    return flm_synth_image(&s, len);
}

FLM_TEST(model_open_synthetic)
{
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    flm_model_t m;
    flm_err_t err = flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL);
    FLM_CHECK_MSG(err == FLM_OK, "%s: %s", flm_strerror(err), m.detail);
    const flm_model_config_t *c = &m.cfg;
    FLM_CHECK_EQ(c->dim, 16);
    FLM_CHECK_EQ(c->hidden_dim, 40);
    FLM_CHECK_EQ(c->n_layers, 2);
    FLM_CHECK_EQ(c->head_dim, 4);
    FLM_CHECK_EQ(c->vocab_size, 40);
    FLM_CHECK_EQ(c->norm_eps_q32, 42950);
    FLM_CHECK_EQ(c->rope_theta, 10000);
    FLM_CHECK(!c->shared_classifier);
    FLM_CHECK(m.classifier.q != m.tok_embedding.q);
    FLM_CHECK(m.image == img && m.image_size == len);
    /* Views point into the image, 32-byte aligned relative to it. */
    const uint8_t *w2 = (const uint8_t *)m.layers[1].w2.q;
    FLM_CHECK(w2 > img && w2 < img + len);
    FLM_CHECK_EQ(((const uint8_t *)m.layers[1].w2.s - img) % 32, 0);
    FLM_CHECK_EQ(m.layers[1].w2.rows, 16);
    FLM_CHECK_EQ(m.layers[1].w2.cols, 40);
    FLM_CHECK_EQ(m.layers[1].w2.gs, 32);
    FLM_CHECK_EQ(m.layers[1].w2.ngroups, 2); /* 32 + a short group of 8 */
    FLM_CHECK_EQ(m.layers[0].wk.rows, 8);
    /* rope_freq[0] = 2^32 / (2 pi); [1] = that * 10000^-0.5 */
    FLM_CHECK_EQ(m.rope_freq[0], 683565276u);
    FLM_CHECK_EQ(m.rope_freq[1], 6835653u);
    FLM_CHECK_EQ(m.vocab.bos_id, 1);
    FLM_CHECK_EQ(m.vocab.eos_id, 2);
    FLM_CHECK_EQ(m.vocab.max_token_len, 5);
    FLM_CHECK(memcmp(m.vocab.bytes + m.vocab.offsets[1], "<s>", 3) == 0);
    touch_model(&m);
    flm_model_close(&m);
    FLM_CHECK(m.image == NULL);

    /* Header-only verification accepts it too; shared classifier variant. */
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_HEADER), FLM_OK);
    FLM_CHECK_EQ(flm_model_verify(&m), FLM_OK);
    free(img);
    img = base_image(&len, true);
    FLM_CHECK(img != NULL);
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    FLM_CHECK(m.cfg.shared_classifier);
    FLM_CHECK(m.classifier.q == m.tok_embedding.q && m.classifier.s == m.tok_embedding.s);
    FLM_CHECK_EQ(flm_model_tensor_count(&m), 3 + 9 * 2);
    free(img);
}

/* The converter writes format 1.2 with the architecture; a full open says
 * the scales are checked, a header-only one leaves that to verify. */
FLM_TEST(model_header_arch_and_scales_flag)
{
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    FLM_CHECK_EQ(img[FLM_IMG_OFF_VER_MAJOR], 1);
    FLM_CHECK_EQ(img[FLM_IMG_OFF_VER_MINOR], 2);
    FLM_CHECK_EQ(rd32(img + FLM_IMG_OFF_ARCH), FLM_ARCH_LLAMA);
    for (size_t i = FLM_IMG_OFF_ARCH + 4; i < FLM_IMG_HEADER_SIZE; i++)
        FLM_CHECK_MSG(img[i] == 0, "reserved header byte 0x%zx is %u", i, img[i]);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    FLM_CHECK_EQ(m.arch, FLM_ARCH_LLAMA);
    FLM_CHECK(m.scales_checked);
    FLM_CHECK(strcmp(flm_model_arch_name(m.arch), "llama") == 0);
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_HEADER), FLM_OK);
    FLM_CHECK(!m.scales_checked);
    FLM_CHECK_EQ(flm_model_verify(&m), FLM_OK);
    FLM_CHECK(m.scales_checked);
    free(img);
}

/* Quantization meets the encoding contract of core/model/model.h. */
FLM_TEST(model_encoding_contract)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    size_t clen, len;
    uint8_t *ckpt = flm_synth_checkpoint(&s, &clen);
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(ckpt && img);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    /* The legacy checkpoint starts with the token embedding after 28 bytes. */
    const flm_qmat_t *q = &m.tok_embedding;
    int32_t smax = 0;
    for (uint32_t r = 0; r < q->rows; r++) {
        for (uint32_t col = 0; col < q->cols; col++) {
            float w;
            uint32_t u = rd32(ckpt + 28 + 4 * ((size_t)r * q->cols + col));
            memcpy(&w, &u, sizeof w);
            int32_t sc = q->s[r * q->ngroups + col / q->gs];
            double scale = ldexp(sc, -q->scale_shift);
            double deq = q->q[r * q->cols + col] * scale;
            FLM_CHECK_MSG(fabs(deq - w) <= 0.5 * scale + 1e-9, "(%u,%u): %g vs %g", r, col, deq, (double)w);
            FLM_CHECK(q->q[r * q->cols + col] >= -127);
            smax = sc > smax ? sc : smax;
        }
    }
    FLM_CHECK(smax >= 1 << 22 && smax < 1 << 23);
    int32_t vmax = 0;
    for (uint32_t i = 0; i < m.rms_final.n; i++)
        vmax = abs(m.rms_final.v[i]) > vmax ? abs(m.rms_final.v[i]) : vmax;
    FLM_CHECK(vmax >= 1 << 22 && vmax < 1 << 23);
    free(ckpt);
    free(img);
}

/* Open a copy of img (len bytes) after `edit`, with CRCs re-fixed if asked. */
static flm_err_t open_edited(const uint8_t *img, size_t len, size_t open_len, bool fix,
                             void (*edit)(uint8_t *), flm_model_verify_t verify, char *detail)
{
    uint8_t *p = dup_exact(img, len);
    if (edit)
        edit(p);
    if (fix)
        flm_synth_fix_crc(p, len);
    flm_model_t m;
    flm_err_t err = flm_model_open(&m, p, open_len, verify);
    memcpy(detail, m.detail, sizeof m.detail);
    if (err == FLM_OK)
        touch_model(&m);
    free(p);
    return err;
}

static void e_magic(uint8_t *p) { p[0] = 'X'; }
static void e_version(uint8_t *p) { p[FLM_IMG_OFF_VER_MAJOR] = 2; }
static void e_minor(uint8_t *p) { p[FLM_IMG_OFF_VER_MINOR] = 7; }
static void e_flip_data(uint8_t *p) { p[rd64(p + FLM_IMG_OFF_DATA) + 100] ^= 0x10; }
static void e_flip_header(uint8_t *p) { p[FLM_IMG_OFF_DIM] ^= 0x01; }
static void e_huge_image(uint8_t *p) { wr64(p + FLM_IMG_OFF_IMAGE_SIZE, UINT64_MAX); }
static void e_huge_tensor(uint8_t *p) { wr64(entry_of(p, FLM_TENSOR_W2, 1) + FLM_IMG_ENT_SIZE, UINT64_MAX - 7); }
static void e_huge_count(uint8_t *p) { wr32(p + FLM_IMG_OFF_N_TENSORS, 0xFFFFFFFFu); }
static void e_huge_tok(uint8_t *p) { wr64(p + FLM_IMG_OFF_TOK_SIZE, 1ull << 40); }
static void e_tensor_past_end(uint8_t *p)
{
    wr64(entry_of(p, FLM_TENSOR_WQ, 0) + FLM_IMG_ENT_OFFSET, rd64(p + FLM_IMG_OFF_IMAGE_SIZE) - 32);
}
static void e_tok_past_end(uint8_t *p)
{
    uint8_t *t = tok_section(p);
    wr32(t + FLM_IMG_TOK_HEADER_SIZE + 4 * 7, rd32(t + FLM_IMG_TOK_BYTES_SIZE) + 3);
}
static void e_tok_backwards(uint8_t *p)
{
    uint8_t *t = tok_section(p);
    wr32(t + FLM_IMG_TOK_HEADER_SIZE + 4 * 7, 0);
}
static void e_tok_too_long(uint8_t *p) { wr32(tok_section(p) + FLM_IMG_TOK_MAX_LEN, 2); }
static void e_tok_unsorted(uint8_t *p)
{
    uint8_t *t = tok_section(p);
    uint32_t n = rd32(t);
    uint8_t *sorted = t + FLM_IMG_TOK_HEADER_SIZE + 4 * (2 * (size_t)n + 1);
    uint32_t a = rd32(sorted + 4 * 5);
    wr32(sorted + 4 * 5, rd32(sorted + 4 * 6));
    wr32(sorted + 4 * 6, a);
}
static void e_tok_bad_id(uint8_t *p)
{
    uint8_t *t = tok_section(p);
    uint32_t n = rd32(t);
    wr32(t + FLM_IMG_TOK_HEADER_SIZE + 4 * (2 * (size_t)n + 1) + 4 * (n - 1), n);
}
static void e_tok_bos(uint8_t *p) { wr32(tok_section(p) + FLM_IMG_TOK_BOS, 40); }
static void e_dtype(uint8_t *p) { entry_of(p, FLM_TENSOR_WO, 0)[FLM_IMG_ENT_DTYPE] = 9; }
static void e_q4(uint8_t *p) { entry_of(p, FLM_TENSOR_WO, 0)[FLM_IMG_ENT_DTYPE] = FLM_DTYPE_Q4; }
static void e_align(uint8_t *p) { uint8_t *e = entry_of(p, FLM_TENSOR_W1, 0); wr64(e + FLM_IMG_ENT_OFFSET, rd64(e + FLM_IMG_ENT_OFFSET) + 4); }
static void e_shape(uint8_t *p) { wr32(entry_of(p, FLM_TENSOR_WK, 1) + FLM_IMG_ENT_ROWS, 16); }
static void e_gs(uint8_t *p) { wr32(entry_of(p, FLM_TENSOR_WK, 1) + FLM_IMG_ENT_GROUP_SIZE, 0); }
static void e_missing(uint8_t *p) { entry_of(p, FLM_TENSOR_WV, 1)[FLM_IMG_ENT_KIND] = 99; }
static void e_duplicate(uint8_t *p) { entry_of(p, FLM_TENSOR_WV, 1)[FLM_IMG_ENT_LAYER] = 0; }
static void e_bad_layer(uint8_t *p) { entry_of(p, FLM_TENSOR_WV, 1)[FLM_IMG_ENT_LAYER] = 2; }
static void e_heads(uint8_t *p) { wr32(p + FLM_IMG_OFF_N_HEADS, 3); }
static void e_layers(uint8_t *p) { wr32(p + FLM_IMG_OFF_N_LAYERS, 33); }
static void e_zero_dim(uint8_t *p) { wr32(p + FLM_IMG_OFF_HIDDEN_DIM, 0); }
static void e_flags(uint8_t *p) { p[FLM_IMG_OFF_FLAGS] |= 0x80; }
static void e_shared_but_cls(uint8_t *p) { p[FLM_IMG_OFF_FLAGS] |= FLM_IMG_FLAG_SHARED_CLASSIFIER; }
static void e_shift(uint8_t *p) { wr32(entry_of(p, FLM_TENSOR_W3, 0) + FLM_IMG_ENT_SHIFT, 70); }
static void e_scale(uint8_t *p) { wr32(p + rd64(entry_of(p, FLM_TENSOR_W3, 0) + FLM_IMG_ENT_SCALE_OFFSET) + 8, 1u << 23); }
static void e_rms(uint8_t *p) { wr32(p + rd64(entry_of(p, FLM_TENSOR_RMS_FFN, 1) + FLM_IMG_ENT_OFFSET), 0xFF000000u); }
static void e_data_off(uint8_t *p) { wr64(p + FLM_IMG_OFF_DATA, 64); }
static void e_overlap(uint8_t *p) { wr64(p + FLM_IMG_OFF_TOK, rd64(p + FLM_IMG_OFF_TABLE)); }
/* A tensor kind from a future minor version is bounds-checked and skipped:
 * retag the classifier as unknown and mark the classifier shared. */
static void e_new_kind(uint8_t *p)
{
    entry_of(p, FLM_TENSOR_CLASSIFIER, 0)[FLM_IMG_ENT_KIND] = 200;
    p[FLM_IMG_OFF_FLAGS] |= FLM_IMG_FLAG_SHARED_CLASSIFIER;
}

/* Format 1.0: no arch field, whatever its (reserved) bytes hold. */
static void e_v10(uint8_t *p) { p[FLM_IMG_OFF_VER_MINOR] = 0; }
static void e_v10_junk(uint8_t *p) { p[FLM_IMG_OFF_VER_MINOR] = 0; wr32(p + FLM_IMG_OFF_ARCH, 0xDEADBEEFu); }
static void e_arch(uint8_t *p) { wr32(p + FLM_IMG_OFF_ARCH, 7); }
static void e_arch_v2(uint8_t *p) { p[FLM_IMG_OFF_VER_MINOR] = 3; wr32(p + FLM_IMG_OFF_ARCH, 0xFFFFFFFFu); }
static void e_v11(uint8_t *p) { p[FLM_IMG_OFF_VER_MINOR] = 1; }

typedef struct {
    const char *what;
    void (*edit)(uint8_t *);
    bool fix_crc;
    flm_err_t want;
} corruption_t;

FLM_TEST(model_rejects_each_corruption)
{
    static const corruption_t cases[] = {
        { "bad magic", e_magic, true, FLM_ERR_MODEL_MAGIC },
        { "wrong major version", e_version, true, FLM_ERR_MODEL_VERSION },
        { "flipped data byte", e_flip_data, false, FLM_ERR_MODEL_CRC },
        { "flipped header byte", e_flip_header, false, FLM_ERR_MODEL_CRC },
        { "huge image_size", e_huge_image, true, FLM_ERR_MODEL_TRUNCATED },
        { "huge tensor size", e_huge_tensor, true, FLM_ERR_MODEL_BOUNDS },
        { "huge tensor count", e_huge_count, true, FLM_ERR_MODEL_BOUNDS },
        { "huge tokenizer size", e_huge_tok, true, FLM_ERR_MODEL_BOUNDS },
        { "tensor past the end", e_tensor_past_end, true, FLM_ERR_MODEL_BOUNDS },
        { "token past the end", e_tok_past_end, true, FLM_ERR_MODEL_TOKENIZER },
        { "token offsets backwards", e_tok_backwards, true, FLM_ERR_MODEL_TOKENIZER },
        { "token longer than max", e_tok_too_long, true, FLM_ERR_MODEL_TOKENIZER },
        { "sorted out of order", e_tok_unsorted, true, FLM_ERR_MODEL_TOKENIZER },
        { "sorted id out of range", e_tok_bad_id, true, FLM_ERR_MODEL_TOKENIZER },
        { "bos outside vocab", e_tok_bos, true, FLM_ERR_MODEL_TOKENIZER },
        { "unknown dtype", e_dtype, true, FLM_ERR_MODEL_DTYPE },
        { "int4 dtype over int8 bytes", e_q4, true, FLM_ERR_MODEL_SHAPE },
        { "misaligned tensor", e_align, true, FLM_ERR_MODEL_ALIGN },
        { "shape vs config", e_shape, true, FLM_ERR_MODEL_SHAPE },
        { "group size 0", e_gs, true, FLM_ERR_MODEL_SHAPE },
        { "missing tensor", e_missing, true, FLM_ERR_MODEL_TENSOR },
        { "duplicate tensor", e_duplicate, true, FLM_ERR_MODEL_TENSOR },
        { "layer out of range", e_bad_layer, true, FLM_ERR_MODEL_TENSOR },
        { "n_heads vs dim", e_heads, true, FLM_ERR_MODEL_CONFIG },
        { "too many layers", e_layers, true, FLM_ERR_MODEL_CONFIG },
        { "zero hidden_dim", e_zero_dim, true, FLM_ERR_MODEL_CONFIG },
        { "unknown flag", e_flags, true, FLM_ERR_MODEL_HEADER },
        { "classifier while shared", e_shared_but_cls, true, FLM_ERR_MODEL_TENSOR },
        { "shift out of range", e_shift, true, FLM_ERR_MODEL_VALUE },
        { "group scale >= 2^23", e_scale, true, FLM_ERR_MODEL_VALUE },
        { "rms weight >= 2^23", e_rms, true, FLM_ERR_MODEL_VALUE },
        { "data_offset inside header", e_data_off, true, FLM_ERR_MODEL_BOUNDS },
        { "table and tokenizer overlap", e_overlap, true, FLM_ERR_MODEL_HEADER },
        { "unknown architecture", e_arch, true, FLM_ERR_MODEL_ARCH },
        { "unknown architecture, later minor", e_arch_v2, true, FLM_ERR_MODEL_ARCH },
    };
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    char detail[FLM_MODEL_DETAIL_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const corruption_t *c = &cases[i];
        flm_err_t err = open_edited(img, len, len, c->fix_crc, c->edit, FLM_MODEL_VERIFY_FULL, detail);
        FLM_CHECK_MSG(err == c->want, "%s: got %s (%s), want %s", c->what, flm_strerror(err), detail,
                      flm_strerror(c->want));
        FLM_CHECK_MSG(detail[0] != '\0', "%s: no detail", c->what);
    }
    /* A newer minor version with the same major still loads. */
    FLM_CHECK_EQ(open_edited(img, len, len, true, e_minor, FLM_MODEL_VERIFY_FULL, detail), FLM_OK);
    FLM_CHECK_EQ(open_edited(img, len, len, true, e_new_kind, FLM_MODEL_VERIFY_FULL, detail), FLM_OK);

    /* Truncation at every interesting size, and an empty buffer. */
    size_t cuts[] = { 0, 1, 4, FLM_IMG_HEADER_SIZE - 1, FLM_IMG_HEADER_SIZE, 200, len / 2, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        flm_err_t err = open_edited(img, cuts[i], cuts[i], false, NULL, FLM_MODEL_VERIFY_HEADER, detail);
        FLM_CHECK_MSG(err == FLM_ERR_MODEL_TRUNCATED, "cut at %zu: %s (%s)", cuts[i], flm_strerror(err), detail);
    }
    /* A data-only flip passes the header-only check, and verify catches it. */
    uint8_t *p = dup_exact(img, len);
    e_flip_data(p);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, p, len, FLM_MODEL_VERIFY_HEADER), FLM_OK);
    FLM_CHECK_EQ(flm_model_verify(&m), FLM_ERR_MODEL_CRC);
    free(p);
    free(img);
}

/* A format 1.0 image (minor 0, the arch bytes reserved) still loads, as
 * llama; an architecture id this build does not know is refused by name. */
FLM_TEST(model_format_versions_and_arch)
{
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    void (*const v10[])(uint8_t *) = { e_v10, e_v10_junk };
    for (size_t i = 0; i < 2; i++) {
        uint8_t *p = dup_exact(img, len);
        v10[i](p);
        flm_synth_fix_crc(p, len);
        flm_model_t m;
        flm_err_t err = flm_model_open(&m, p, len, FLM_MODEL_VERIFY_FULL);
        FLM_CHECK_MSG(err == FLM_OK, "1.0 image %zu: %s (%s)", i, flm_strerror(err), m.detail);
        FLM_CHECK_EQ(m.arch, FLM_ARCH_LLAMA);
        touch_model(&m);
        free(p);
    }
    char detail[FLM_MODEL_DETAIL_MAX];
    FLM_CHECK_EQ(open_edited(img, len, len, true, e_arch, FLM_MODEL_VERIFY_HEADER, detail), FLM_ERR_MODEL_ARCH);
    FLM_CHECK_MSG(strstr(detail, "architecture id 7 (format 1.2) unknown") && strstr(detail, "llama = 0"), "%s",
                  detail);
    FLM_CHECK_EQ(open_edited(img, len, len, true, e_arch_v2, FLM_MODEL_VERIFY_HEADER, detail), FLM_ERR_MODEL_ARCH);
    FLM_CHECK_MSG(strstr(detail, "architecture id 4294967295 (format 1.3)") != NULL, "%s", detail);
    /* an int8 image of 1.1's rules marked 1.1 loads the same (1.2 only added) */
    FLM_CHECK_EQ(open_edited(img, len, len, true, e_v11, FLM_MODEL_VERIFY_FULL, detail), FLM_OK);
    FLM_CHECK(strcmp(flm_strerror(FLM_ERR_MODEL_ARCH), "unknown model architecture") == 0);
    /* the arch field is under the header CRC: a flipped bit is corruption */
    uint8_t *p = dup_exact(img, len);
    p[FLM_IMG_OFF_ARCH] ^= 1;
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, p, len, FLM_MODEL_VERIFY_HEADER), FLM_ERR_MODEL_CRC);
    free(p);
    free(img);
}

/* A copy of img with room for one more tensor-table entry (zeroed, at
 * index n_tensors): the sections after the table move up by one entry. */
static uint8_t *grow_table(const uint8_t *img, size_t len, size_t *out_len, uint8_t **slot)
{
    const size_t grow = FLM_IMG_ENTRY_SIZE; /* a multiple of 32: alignment holds */
    uint32_t n = rd32(img + FLM_IMG_OFF_N_TENSORS);
    size_t end = (size_t)rd64(img + FLM_IMG_OFF_TABLE) + (size_t)n * FLM_IMG_ENTRY_SIZE;
    uint8_t *p = calloc(1, len + grow);
    if (!p)
        return NULL;
    memcpy(p, img, end);
    memcpy(p + end + grow, img + end, len - end);
    static const uint32_t moved[] = { FLM_IMG_OFF_IMAGE_SIZE, FLM_IMG_OFF_TOK, FLM_IMG_OFF_DATA };
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++)
        wr64(p + moved[i], rd64(p + moved[i]) + grow);
    uint8_t *t = p + rd64(p + FLM_IMG_OFF_TABLE);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = t + (size_t)i * FLM_IMG_ENTRY_SIZE;
        wr64(e + FLM_IMG_ENT_OFFSET, rd64(e + FLM_IMG_ENT_OFFSET) + grow);
        if (rd64(e + FLM_IMG_ENT_SCALE_SIZE))
            wr64(e + FLM_IMG_ENT_SCALE_OFFSET, rd64(e + FLM_IMG_ENT_SCALE_OFFSET) + grow);
    }
    wr32(p + FLM_IMG_OFF_N_TENSORS, n + 1);
    *slot = t + (size_t)n * FLM_IMG_ENTRY_SIZE;
    *out_len = len + grow;
    return p;
}

/* The same entry with a shape the config does not give it, self-consistent
 * (byte counts and groups match) so that only the table can object. */
static void misshape(uint8_t *e)
{
    uint32_t rows = rd32(e + FLM_IMG_ENT_ROWS), cols = rd32(e + FLM_IMG_ENT_COLS);
    if (e[FLM_IMG_ENT_DTYPE] == FLM_DTYPE_Q8) {
        uint32_t gs = rd32(e + FLM_IMG_ENT_GROUP_SIZE);
        rows /= 2;
        cols *= 2;
        wr64(e + FLM_IMG_ENT_SCALE_SIZE, (uint64_t)rows * ((cols + gs - 1) / gs) * 4);
        wr32(e + FLM_IMG_ENT_ROWS, rows);
    } else {
        cols--;
        wr64(e + FLM_IMG_ENT_SIZE, (uint64_t)cols * 4);
    }
    wr32(e + FLM_IMG_ENT_COLS, cols);
}

/* The loader follows the architecture table: for every entry of llama's
 * (every layer of the per-layer ones) a missing, duplicated or mis-shaped
 * tensor is refused with a detail naming it, and a vector of the wrong
 * dtype too. */
FLM_TEST(model_table_drives_the_loader)
{
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    const flm_arch_t *arch = flm_arch_find(FLM_ARCH_LLAMA);
    FLM_CHECK(arch != NULL);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    const flm_model_config_t cfg = m.cfg;
    uint32_t cases = 0;
    for (uint32_t i = 0; i < arch->n_tensors; i++) {
        const flm_arch_tensor_t *t = &arch->tensors[i];
        for (uint32_t l = 0; l < flm_arch_copies(t, &cfg); l++) {
            char label[32];
            flm_arch_label(t, l, label, sizeof label);
            FLM_CHECK_MSG(entry_of(img, t->kind, l) != NULL, "%s not in the image", label);
            for (int how = 0; how < 4; how++) {
                size_t n = len;
                uint8_t *p = NULL, *slot = NULL;
                flm_err_t want = FLM_ERR_MODEL_TENSOR;
                const char *says = NULL;
                if (how == 0) { /* missing: retagged as a kind llama does not have */
                    p = dup_exact(img, len);
                    wr32(entry_of(p, t->kind, l) + FLM_IMG_ENT_KIND, 99);
                    says = "missing";
                } else if (how == 1) { /* duplicated: a second entry for it */
                    p = grow_table(img, len, &n, &slot);
                    FLM_CHECK(p != NULL);
                    memcpy(slot, entry_of(p, t->kind, l), FLM_IMG_ENTRY_SIZE);
                    says = "appears twice";
                } else if (how == 2) { /* mis-shaped */
                    p = dup_exact(img, len);
                    misshape(entry_of(p, t->kind, l));
                    want = FLM_ERR_MODEL_SHAPE;
                    says = "config needs";
                } else { /* a vector of the other vector dtype */
                    if (t->dtype == FLM_DTYPE_Q8)
                        continue;
                    p = dup_exact(img, len);
                    uint8_t *e = entry_of(p, t->kind, l);
                    e[FLM_IMG_ENT_DTYPE] = t->dtype == FLM_DTYPE_I32 ? FLM_DTYPE_U32 : FLM_DTYPE_I32;
                    wr32(e + FLM_IMG_ENT_SHIFT, 0);
                    says = "must be";
                }
                flm_synth_fix_crc(p, n);
                uint8_t *q = dup_exact(p, n);
                free(p);
                flm_err_t err = flm_model_open(&m, q, n, FLM_MODEL_VERIFY_FULL);
                FLM_CHECK_MSG(err == want, "%s, case %d: %s (%s)", label, how, flm_strerror(err), m.detail);
                /* the label ends the name: "layer 1 w1" is not "layer 1 w1x" */
                const char *at = strstr(m.detail, label);
                FLM_CHECK_MSG(at && (at[strlen(label)] == ' ' || at[strlen(label)] == ':') && strstr(m.detail, says),
                              "%s, case %d: detail '%s'", label, how, m.detail);
                free(q);
                cases++;
            }
        }
    }
    FLM_CHECK_EQ(cases, 3 * (4 + 9 * 2) + 2 + 2 * 2); /* 3 kinds of damage each, dtype for the 6 vectors */
    free(img);
}

FLM_TEST(model_rejects_misaligned_base_and_bad_args)
{
    size_t len;
    uint8_t *img = base_image(&len, true);
    FLM_CHECK(img != NULL);
    uint8_t *p = malloc(len + 8);
    FLM_CHECK(p != NULL);
    memcpy(p + 2, img, len);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, p + 2, len, FLM_MODEL_VERIFY_FULL), FLM_ERR_MODEL_ALIGN);
    FLM_CHECK(strstr(m.detail, "aligned") != NULL);
    /* A larger buffer (a flash partition) is fine: image_size counts. */
    memcpy(p, img, len);
    memset(p + len, 0xFF, 8);
    FLM_CHECK_EQ(flm_model_open(&m, p, len + 8, FLM_MODEL_VERIFY_FULL), FLM_OK);
    FLM_CHECK_EQ(m.image_size, len);
    FLM_CHECK_EQ(flm_model_open(&m, NULL, len, FLM_MODEL_VERIFY_FULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_model_open(NULL, img, len, FLM_MODEL_VERIFY_FULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_model_open(&m, img, len, (flm_model_verify_t)7), FLM_ERR_ARG);
    flm_model_close(&m);
    FLM_CHECK_EQ(flm_model_verify(&m), FLM_ERR_STATE);
    free(p);
    free(img);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Thousands of random byte flips, truncations and field overwrites, most
 * with the CRCs re-fixed so they reach the structural checks: each image is
 * either rejected with a model-image code or accepted with views that stay
 * inside it (touch_model reads them all; ASan would catch a stray read). */
FLM_TEST(model_mutation_fuzz)
{
    size_t len;
    uint8_t *img = base_image(&len, false);
    FLM_CHECK(img != NULL);
    static const uint64_t specials[] = { 0, 1, 2, 3, 4, 31, 32, 33, 64, 127, 128, 0x7FFF, 0xFFFF, 0x10000,
                                         0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x100000000ull,
                                         UINT64_MAX, UINT64_MAX - 31 };
    uint32_t seed = 12345;
    int accepted = 0, rejected = 0;
    const int runs = 10000;
    for (int it = 0; it < runs; it++) {
        size_t n = len;
        uint8_t *p = dup_exact(img, len);
        FLM_CHECK(p != NULL);
        uint32_t kind = lcg(&seed) % 4;
        /* Bias positions toward the header, table and tokenizer. */
        size_t meta = (size_t)rd64(img + FLM_IMG_OFF_DATA);
        size_t span = lcg(&seed) % 4 ? meta : len;
        if (kind == 0) {
            for (uint32_t k = 1 + lcg(&seed) % 4; k; k--) {
                size_t at = lcg(&seed) % span; /* one call per statement: same runs everywhere */
                p[at] ^= (uint8_t)(1u << (lcg(&seed) % 8));
            }
        } else if (kind == 1) {
            size_t at = (lcg(&seed) % (span / 4)) * 4;
            uint64_t v = lcg(&seed);
            if (v % 2)
                v = specials[lcg(&seed) % (sizeof specials / sizeof specials[0])];
            else {
                v = (uint64_t)lcg(&seed) << 32;
                v |= lcg(&seed);
            }
            if (at + 8 <= n)
                wr64(p + at, v);
        } else if (kind == 2) {
            size_t at = (lcg(&seed) % (span / 4)) * 4;
            uint32_t sign = lcg(&seed) % 2 ? 1u : 0xFFFFFFFFu;
            wr32(p + at, rd32(p + at) + sign * (1u + lcg(&seed) % 64));
        } else {
            n = lcg(&seed) % len;
        }
        bool fix = lcg(&seed) % 4 != 0;
        if (fix)
            flm_synth_fix_crc(p, n);
        uint8_t *q = dup_exact(p, n); /* exactly n bytes: truncation is real */
        free(p);
        flm_model_t m;
        flm_model_verify_t mode = lcg(&seed) % 2 ? FLM_MODEL_VERIFY_FULL : FLM_MODEL_VERIFY_HEADER;
        flm_err_t err = flm_model_open(&m, q, n, mode);
        if (err == FLM_OK) {
            accepted++;
            touch_model(&m);
            flm_model_verify(&m);
        } else {
            rejected++;
            FLM_CHECK_MSG(err <= -0x0201 && err >= -0x02FF, "run %d: unexpected code %d", it, (int)err);
            FLM_CHECK_MSG(m.detail[0] != '\0' && m.image == NULL, "run %d: no detail or stale views", it);
        }
        free(q);
    }
    printf("    %d mutated images: %d accepted, %d rejected\n", runs, accepted, rejected);
    FLM_CHECK(rejected > runs / 2);
    free(img);
}
