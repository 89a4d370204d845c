/* The GGUF reader (tools/cli/gguf.c) on any bytes, from memory: the header,
 * every metadata pair and tensor info. A file it accepts has an index that
 * points inside the buffer and finds every key and tensor it lists; every
 * typed read of every pair stays inside it. With the options byte's bit 0,
 * the converter too (tools/cli/convert_gguf.c, flm_gguf_read): a file it
 * converts becomes a .flm image the model loader accepts in full. Every
 * refusal is -1 with a message. */
#include "core/model/model.h"
#include "tests/fuzz/fuzz.h"
#include "tools/cli/convert.h"
#include "tools/cli/gguf.h"

static bool inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
    return p >= buf && (size_t)(p - buf) <= len && n <= len - (size_t)(p - buf);
}

static void check_index(const flm_gguf_t *g, const uint8_t *buf, size_t len)
{
    FUZZ_CHECK(g->version == 2 || g->version == 3);
    FUZZ_CHECK(g->alignment > 0);
    FUZZ_CHECK(g->data_offset <= len || g->n_tensors == 0);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const flm_gguf_kv_t *kv = &g->kv[i];
        FUZZ_CHECK(kv->type < FLM_GGUF_TYPE_COUNT);
        FUZZ_CHECK(inside(buf, len, kv->key.p, kv->key.len));
        FUZZ_CHECK(inside(buf, len, kv->val, kv->val_len));
        char key[FLM_GGUF_MAX_KEY + 1];
        memcpy(key, kv->key.p, kv->key.len);
        key[kv->key.len] = '\0';
        if (!memchr(kv->key.p, 0, kv->key.len))
            FUZZ_CHECK(flm_gguf_find(g, key) == kv); /* keys are unique */
        uint64_t u;
        uint32_t u32;
        double d;
        bool b;
        flm_gguf_str_t s;
        (void)flm_gguf_as_u64(kv, &u);
        (void)flm_gguf_as_u32(kv, &u32);
        (void)flm_gguf_as_f64(kv, &d);
        (void)flm_gguf_as_bool(kv, &b);
        if (flm_gguf_as_str(kv, &s))
            FUZZ_CHECK(inside(buf, len, s.p, s.len));
        if (kv->type == FLM_GGUF_ARRAY) {
            FUZZ_CHECK(kv->elem_type < FLM_GGUF_TYPE_COUNT);
            int64_t x;
            for (uint64_t k = 0; k < kv->n && k < 64; k++) {
                (void)flm_gguf_arr_f64(kv, k, &d);
                (void)flm_gguf_arr_i64(kv, k, &x);
            }
            FUZZ_CHECK(!flm_gguf_arr_i64(kv, kv->n, &x));
            if (kv->elem_type == FLM_GGUF_STRING) {
                size_t pos = 0;
                uint64_t n = 0;
                while (flm_gguf_arr_next_str(kv, &pos, &s)) {
                    FUZZ_CHECK(inside(buf, len, s.p, s.len));
                    n++;
                }
                FUZZ_CHECK(n == kv->n); /* the parser checked every element */
            }
        }
        char pr[96];
        flm_gguf_printable(kv->key, pr, sizeof pr);
        FUZZ_CHECK(strlen(pr) < sizeof pr);
        FUZZ_CHECK(flm_fuzz_printable(pr));
        (void)flm_gguf_type_name(kv->type);
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const flm_gguf_tensor_t *t = &g->tensors[i];
        FUZZ_CHECK(t->n_dims >= 1 && t->n_dims <= FLM_GGUF_MAX_DIMS);
        FUZZ_CHECK(t->name.len <= FLM_GGUF_MAX_NAME);
        FUZZ_CHECK(inside(buf, len, t->name.p, t->name.len));
        FUZZ_CHECK(t->data == buf + t->offset);
        FUZZ_CHECK(inside(buf, len, t->data, (size_t)t->size));
        FUZZ_CHECK(t->offset >= g->data_offset);
        uint64_t n = 1;
        for (uint32_t k = 0; k < FLM_GGUF_MAX_DIMS; k++) {
            FUZZ_CHECK(t->ne[k] >= 1);
            n *= t->ne[k]; /* the parser refused a product that overflows */
        }
        FUZZ_CHECK(n == t->n_elems);
        FUZZ_CHECK(flm_ggml_type_size(t->type) > 0);
        FUZZ_CHECK(t->n_elems % flm_ggml_block_size(t->type) == 0);
        FUZZ_CHECK(t->size == t->n_elems / flm_ggml_block_size(t->type) * flm_ggml_type_size(t->type));
        char name[FLM_GGUF_MAX_NAME + 1];
        memcpy(name, t->name.p, t->name.len);
        name[t->name.len] = '\0';
        if (!memchr(t->name.p, 0, t->name.len))
            FUZZ_CHECK(flm_gguf_tensor(g, name) == t);
    }
}

static void convert(const uint8_t *buf, size_t len)
{
    flm_fmodel_t fm;
    flm_ftok_t tok;
    char err[512] = "";
    int rc = flm_gguf_read(&fm, &tok, buf, len, NULL, err, sizeof err);
    FUZZ_CHECK(rc == 0 || (rc == -1 && err[0]));
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "gguf: %s\n", rc ? err : "converted");
    if (rc)
        return;
    FUZZ_CHECK(fm.dim > 0 && fm.n_layers > 0 && fm.vocab_size > 0);
    FUZZ_CHECK(tok.vocab_size == fm.vocab_size);
    uint8_t *img = NULL;
    size_t ilen = 0;
    err[0] = '\0';
    rc = flm_image_build(&fm, &tok, 32, NULL, &img, &ilen, err, sizeof err);
    FUZZ_CHECK(rc == 0 || (rc == -1 && err[0]));
    if (rc == 0) {
        flm_model_t m;
        flm_err_t e = flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL);
        if (e)
            fprintf(stderr, "converted image refused: %s\n", flm_err_name(e));
        FUZZ_CHECK(e == FLM_OK);
    }
    free(img);
    flm_fmodel_free(&fm);
    flm_ftok_free(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    uint8_t *buf = flm_fuzz_copy(data, size);
    flm_gguf_t g;
    char err[256] = "";
    int rc = flm_gguf_parse(&g, buf, size, err, sizeof err);
    if (rc == 0) {
        FUZZ_CHECK(flm_gguf_is_gguf(buf, size));
        check_index(&g, buf, size);
        flm_gguf_free(&g);
    } else {
        FUZZ_CHECK(rc == -1 && err[0] && strlen(err) < sizeof err);
        FUZZ_CHECK(g.kv == NULL && g.tensors == NULL); /* g empty */
    }
    if (opt & 1)
        convert(buf, size);
    free(buf);
    return 0;
}
