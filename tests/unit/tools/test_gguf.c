/* The GGUF reader (tools/cli/gguf.c) and converter (convert_gguf.c) on files
 * the tests make themselves (tests/fixtures/gguf_write.h): valid ones read
 * back exactly; every hostile case gets its one clear error; what fieldlm's
 * llama cannot run is refused by name; thousands of mutated and truncated
 * files are rejected or read without a crash (under `make test SAN=1`,
 * AddressSanitizer sees every read). No ../shared needed. */
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/fixtures/gguf_write.h"
#include "tests/fixtures/tok_ref.h" /* flm_test_read_file */
#include "tests/harness/harness.h"
#include "tools/cli/convert.h"
#include "tools/cli/gguf.h"

/* ---- a byte builder for hand-made headers --------------------------------- */

typedef struct {
    uint8_t b[4096];
    size_t n;
} raw_t;

static void r8(raw_t *r, uint8_t v) { r->b[r->n++] = v; }
static void r32(raw_t *r, uint32_t v) { for (int i = 0; i < 4; i++) r8(r, (uint8_t)(v >> (8 * i))); }
static void r64(raw_t *r, uint64_t v) { r32(r, (uint32_t)v); r32(r, (uint32_t)(v >> 32)); }
static void rstr(raw_t *r, const char *s) { size_t n = strlen(s); r64(r, n); memcpy(r->b + r->n, s, n); r->n += n; }
static void rhead(raw_t *r, uint32_t version, uint64_t nt, uint64_t nkv)
{
    memset(r->b, 0, sizeof r->b);
    r->n = 0;
    r32(r, 0x46554747u);
    r32(r, version);
    r64(r, nt);
    r64(r, nkv);
}
static void rpad(raw_t *r) { while (r->n % 32) r8(r, 0); }
/* one tensor info */
static void rtensor(raw_t *r, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, uint64_t off)
{
    rstr(r, name);
    r32(r, nd);
    for (uint32_t i = 0; i < nd; i++)
        r64(r, ne[i]);
    r32(r, type);
    r64(r, off);
}

static int parse_raw(const raw_t *r, char *err, size_t cap)
{
    flm_gguf_t g;
    int rc = flm_gguf_parse(&g, r->b, r->n, err, cap);
    if (rc == 0)
        flm_gguf_free(&g);
    return rc;
}

#define EXPECT_FAIL(r, want)                                                                          \
    do {                                                                                              \
        char e_[256] = "";                                                                            \
        FLM_CHECK_MSG(parse_raw(r, e_, sizeof e_) == -1 && strstr(e_, want), "want '%s', got '%s'", \
                      want, e_);                                                                      \
    } while (0)

FLM_TEST(gguf_reads_what_it_is_given)
{
    flm_gguf_writer_t *w = flm_gw_new();
    flm_gw_str(w, "general.architecture", "llama");
    flm_gw_u32(w, "llama.block_count", 3);
    flm_gw_f32(w, "llama.rope.freq_base", 100000.0f);
    flm_gw_bool(w, "x.flag", 1);
    const char *strs[] = { "a", "", "\xe2\x96\x81hello" };
    flm_gw_str_array(w, "tokenizer.ggml.tokens", strs, NULL, 3);
    float fs[3] = { 1.5f, -2.0f, 0.0f };
    flm_gw_f32_array(w, "tokenizer.ggml.scores", fs, 3);
    float v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (float)i / 8 - 4;
    uint64_t ne[2] = { 32, 2 };
    flm_gw_tensor(w, "m.q8", 8, 2, ne, v);
    flm_gw_tensor(w, "m.q4", 2, 2, ne, v);
    flm_gw_tensor(w, "m.f16", 1, 2, ne, v);
    uint64_t ne1[1] = { 5 };
    flm_gw_tensor(w, "v.f32", 0, 1, ne1, v);
    size_t len;
    uint8_t *f = flm_gw_finish(w, &len);
    flm_gw_free(w);
    flm_gguf_t g;
    char err[256];
    FLM_CHECK_MSG(flm_gguf_parse(&g, f, len, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_EQ(g.version, 3);
    FLM_CHECK_EQ(g.n_kv, 6);
    FLM_CHECK_EQ(g.n_tensors, 4);
    FLM_CHECK_EQ(g.alignment, 32);
    uint32_t u;
    double d;
    bool b;
    flm_gguf_str_t s;
    FLM_CHECK(flm_gguf_as_u32(flm_gguf_find(&g, "llama.block_count"), &u) && u == 3);
    FLM_CHECK(flm_gguf_as_f64(flm_gguf_find(&g, "llama.rope.freq_base"), &d) && d == 100000.0);
    FLM_CHECK(flm_gguf_as_bool(flm_gguf_find(&g, "x.flag"), &b) && b);
    FLM_CHECK(flm_gguf_as_str(flm_gguf_find(&g, "general.architecture"), &s) && flm_gguf_str_is(s, "llama"));
    FLM_CHECK(!flm_gguf_as_u32(flm_gguf_find(&g, "general.architecture"), &u)); /* wrong type */
    FLM_CHECK(flm_gguf_find(&g, "no.such.key") == NULL);
    const flm_gguf_kv_t *t = flm_gguf_find(&g, "tokenizer.ggml.tokens");
    size_t pos = 0;
    for (int i = 0; i < 3; i++)
        FLM_CHECK(flm_gguf_arr_next_str(t, &pos, &s) && s.len == strlen(strs[i]) && memcmp(s.p, strs[i], s.len) == 0);
    FLM_CHECK(!flm_gguf_arr_next_str(t, &pos, &s));
    FLM_CHECK(flm_gguf_arr_f64(flm_gguf_find(&g, "tokenizer.ggml.scores"), 1, &d) && d == -2.0);
    const flm_gguf_tensor_t *q8 = flm_gguf_tensor(&g, "m.q8"), *q4 = flm_gguf_tensor(&g, "m.q4");
    FLM_CHECK(q8 && q8->size == 2 * 34 && q8->offset % 32 == 0 && q8->ne[0] == 32 && q8->ne[1] == 2);
    FLM_CHECK(q4 && q4->size == 2 * 18 && q4->type == FLM_GGML_Q4_0);
    FLM_CHECK(flm_gguf_tensor(&g, "v.f32")->size == 20);
    FLM_CHECK(flm_gguf_tensor(&g, "m") == NULL);
    FLM_CHECK(strcmp(flm_ggml_type_name(14), "Q6_K") == 0 && flm_ggml_type_name(4) == NULL);
    flm_gguf_free(&g);
    free(f);
}

/* Every hostile header gets its own message, and never a read outside. */
FLM_TEST(gguf_rejects_each_hostile_case)
{
    static raw_t r; /* static: 4 KB */
    uint64_t ne[2] = { 32, 2 };

    r.n = 3;
    memcpy(r.b, "GGU", 3);
    EXPECT_FAIL(&r, "not a GGUF file");
    rhead(&r, 3, 0, 0);
    r.b[0] = 'X';
    EXPECT_FAIL(&r, "not a GGUF file (magic");
    rhead(&r, 3, 0, 0);
    r.n = 12;
    EXPECT_FAIL(&r, "header truncated");
    rhead(&r, 1, 0, 0);
    EXPECT_FAIL(&r, "version 1");
    rhead(&r, 0x03000000u, 0, 0);
    EXPECT_FAIL(&r, "big-endian");
    rhead(&r, 9, 0, 0);
    EXPECT_FAIL(&r, "GGUF version 9");
    rhead(&r, 3, UINT64_C(1) << 40, 0);
    EXPECT_FAIL(&r, "tensor count 1099511627776 cannot fit");
    rhead(&r, 3, 0, UINT64_MAX);
    EXPECT_FAIL(&r, "metadata count");
    /* a key longer than the file */
    rhead(&r, 3, 0, 1);
    r64(&r, 1000);
    r.n += 8;
    EXPECT_FAIL(&r, "a string of 1000 bytes, only 8 left");
    rhead(&r, 3, 0, 1);
    r64(&r, UINT64_MAX);
    r.n += 8;
    EXPECT_FAIL(&r, "a string of 18446744073709551615 bytes");
    /* an empty key, a key with a space */
    rhead(&r, 3, 0, 1);
    rstr(&r, "");
    r32(&r, 4);
    r32(&r, 1);
    EXPECT_FAIL(&r, "not a printable ASCII key");
    rhead(&r, 3, 0, 1);
    rstr(&r, "a b");
    r32(&r, 4);
    r32(&r, 1);
    EXPECT_FAIL(&r, "not a printable ASCII key");
    /* unknown value type; unknown array element type */
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 13);
    r32(&r, 0);
    EXPECT_FAIL(&r, "key 'k': unknown value type 13");
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 9);
    r32(&r, 77);
    r64(&r, 1);
    EXPECT_FAIL(&r, "array of unknown value type 77");
    /* an array count whose bytes overflow or exceed the file */
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 9);
    r32(&r, 10);
    r64(&r, UINT64_C(1) << 61);
    EXPECT_FAIL(&r, "array elements of type uint64 cannot fit");
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 9);
    r32(&r, 8);
    r64(&r, 3);
    rstr(&r, "ab");
    r64(&r, 5000);
    r.n += 16;
    EXPECT_FAIL(&r, "a string of 5000 bytes");
    /* nesting */
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 9);
    for (int i = 0; i < 6; i++) {
        r32(&r, 9);
        r64(&r, 1);
    }
    EXPECT_FAIL(&r, "nested more than");
    /* a bool that is neither 0 nor 1 */
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 7);
    r8(&r, 2);
    EXPECT_FAIL(&r, "key 'k': bool value 2");
    /* a value cut short */
    rhead(&r, 3, 0, 1);
    rstr(&r, "k");
    r32(&r, 10);
    r32(&r, 1);
    EXPECT_FAIL(&r, "file ends inside a value");
    /* duplicate keys */
    rhead(&r, 3, 0, 2);
    rstr(&r, "k");
    r32(&r, 4);
    r32(&r, 1);
    rstr(&r, "k");
    r32(&r, 4);
    r32(&r, 2);
    EXPECT_FAIL(&r, "duplicate key 'k'");
    /* alignment */
    rhead(&r, 3, 0, 1);
    rstr(&r, "general.alignment");
    r32(&r, 4);
    r32(&r, 24);
    EXPECT_FAIL(&r, "general.alignment must be a power of two");
    rhead(&r, 3, 0, 1);
    rstr(&r, "general.alignment");
    r32(&r, 8);
    rstr(&r, "32");
    EXPECT_FAIL(&r, "general.alignment must be a power of two up to 2^30 (a string)");

    /* tensors: dimensions */
    uint64_t bad_ne[5] = { 32, 2, 1, 1, 1 };
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 0, bad_ne, 0, 0);
    r.n += 8;
    EXPECT_FAIL(&r, "tensor 't': 0 dimensions (1..4)");
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 5, bad_ne, 0, 0);
    EXPECT_FAIL(&r, "tensor 't': 5 dimensions (1..4)");
    uint64_t zero_ne[2] = { 32, 0 };
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, zero_ne, 0, 0);
    EXPECT_FAIL(&r, "tensor 't': dimension 1 is zero");
    uint64_t huge[3] = { UINT64_C(1) << 32, UINT64_C(1) << 32, 4 };
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 3, huge, 0, 0);
    EXPECT_FAIL(&r, "element count overflows");
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ne, 99, 0);
    EXPECT_FAIL(&r, "tensor 't': unknown ggml type 99");
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ne, 4, 0); /* a removed type */
    EXPECT_FAIL(&r, "unknown ggml type 4");
    uint64_t ragged[2] = { 33, 2 };
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ragged, 8, 0);
    EXPECT_FAIL(&r, "33 columns, not a multiple of Q8_0's block of 32");
    /* names */
    rhead(&r, 3, 1, 0);
    rtensor(&r, "", 2, ne, 0, 0);
    EXPECT_FAIL(&r, "name of 0 bytes");
    char longname[80];
    memset(longname, 'n', 65);
    longname[65] = '\0';
    rhead(&r, 3, 1, 0);
    rtensor(&r, longname, 2, ne, 0, 0);
    EXPECT_FAIL(&r, "name of 65 bytes");
    /* offsets: not aligned, past the end, overlapping; duplicates */
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ne, 0, 16);
    rpad(&r);
    r.n += 512;
    EXPECT_FAIL(&r, "tensor 't': offset 16 is not a multiple of the alignment 32");
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ne, 0, 0);
    rpad(&r);
    r.n += 255; /* 256 bytes needed */
    EXPECT_FAIL(&r, "tensor 't': its 256 bytes at data offset 0 run past the end");
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t", 2, ne, 0, UINT64_MAX - 31);
    rpad(&r);
    r.n += 256;
    EXPECT_FAIL(&r, "run past the end");
    rhead(&r, 3, 2, 0);
    rtensor(&r, "a", 2, ne, 0, 0);
    rtensor(&r, "b", 2, ne, 0, 224);
    rpad(&r);
    r.n += 512;
    EXPECT_FAIL(&r, "tensors 'a' and 'b' overlap");
    rhead(&r, 3, 2, 0);
    rtensor(&r, "a", 2, ne, 0, 0);
    rtensor(&r, "a", 2, ne, 0, 256);
    rpad(&r);
    r.n += 512;
    EXPECT_FAIL(&r, "duplicate tensor name 'a'");
    /* and the well-formed version of the last one is fine */
    rhead(&r, 3, 2, 0);
    rtensor(&r, "a", 2, ne, 0, 0);
    rtensor(&r, "b", 2, ne, 0, 256);
    rpad(&r);
    r.n += 512;
    char err[256];
    FLM_CHECK_MSG(parse_raw(&r, err, sizeof err) == 0, "%s", err);
    /* names with odd bytes are shown escaped, never raw */
    rhead(&r, 3, 1, 0);
    rtensor(&r, "t\n\x01\xff", 2, ne, 99, 0);
    EXPECT_FAIL(&r, "tensor 't\\x0A\\x01\\xFF': unknown ggml type 99");
}

/* ---- the converter ---------------------------------------------------------- */

static flm_gw_llama_t small_model(void)
{
    flm_gw_llama_t s = { 0 };
    s.dim = 32;
    s.hidden_dim = 64;
    s.n_layers = 2;
    s.n_heads = 4;
    s.n_kv_heads = 2;
    s.seq_len = 64;
    s.rope_theta = 10000.0f;
    s.type = 0;
    s.seed = 5;
    s.vocab_spm = 300;
    s.tied = 1;
    return s;
}

static int convert_buf(const uint8_t *f, size_t len, char *err, size_t cap)
{
    flm_fmodel_t fm;
    flm_ftok_t tok;
    int rc = flm_gguf_read(&fm, &tok, f, len, NULL, err, cap);
    if (rc == 0) {
        uint8_t *img = NULL;
        size_t ilen;
        rc = flm_image_build(&fm, &tok, 32, NULL, &img, &ilen, err, cap);
        if (rc == 0) {
            flm_model_t m;
            rc = flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL) == FLM_OK ? 0 : -2;
        }
        free(img);
        flm_fmodel_free(&fm);
        flm_ftok_free(&tok);
    }
    return rc;
}

static int convert_model(const flm_gw_llama_t *s, char *err, size_t cap)
{
    size_t len;
    uint8_t *f = flm_gw_llama(s, &len);
    int rc = convert_buf(f, len, err, cap);
    free(f);
    return rc;
}

static void add_q6k(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    static uint8_t blk[210];
    uint64_t ne[1] = { 256 };
    flm_gw_raw_tensor(w, "blk.0.extra.weight", 14, 1, ne, blk, sizeof blk);
}
static void add_key(flm_gguf_writer_t *w, const void *arg) { flm_gw_u32(w, (const char *)arg, 8); }
static void add_str(flm_gguf_writer_t *w, const void *arg)
{
    const char *const *kv = arg;
    flm_gw_str(w, kv[0], kv[1]);
}
static void add_bias(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    float v[32] = { 0 };
    uint64_t ne[1] = { 32 };
    flm_gw_tensor(w, "blk.0.attn_q.bias", 0, 1, ne, v);
}
static void add_wide_q(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    static float v[32 * 48];
    uint64_t ne[2] = { 32, 48 };
    flm_gw_tensor(w, "blk.1.attn_q.weight", 0, 2, ne, v);
}

static void add_alias(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    static float v[32 * 32];
    uint64_t ne[2] = { 32, 32 };
    flm_gw_tensor(w, "blk.01.attn_q.weight", 0, 2, ne, v);
}

#define EXPECT_REFUSED(s, want)                                                                          \
    do {                                                                                                 \
        char e_[512] = "";                                                                               \
        int rc_ = convert_model(&(s), e_, sizeof e_);                                                    \
        FLM_CHECK_MSG(rc_ == -1 && strstr(e_, want), "want '%s', got %d '%s'", want, rc_, e_);          \
    } while (0)

/* What fieldlm's llama cannot run is refused naming the key, tensor or type. */
FLM_TEST(gguf_convert_names_what_it_refuses)
{
    char err[512];
    flm_gw_llama_t s = small_model();
    FLM_CHECK_MSG(convert_model(&s, err, sizeof err) == 0, "%s", err);
    s.arch = "qwen2";
    EXPECT_REFUSED(s, "general.architecture = 'qwen2' is not supported");
    s = small_model();
    s.extra = add_q6k;
    EXPECT_REFUSED(s, "tensor 'blk.0.extra.weight' is not supported by fieldlm's llama");
    s = small_model();
    s.omit_tensor = "blk.0.attn_q.weight";
    EXPECT_REFUSED(s, "layer 0 wq missing");
    s = small_model();
    s.extra = add_bias;
    EXPECT_REFUSED(s, "tensor 'blk.0.attn_q.bias' is not supported");
    s = small_model();
    s.omit_tensor = "blk.1.attn_q.weight";
    s.extra = add_wide_q;
    EXPECT_REFUSED(s, "tensor 'blk.1.attn_q.weight' is 48 x 32, the config needs 32 x 32 (n_heads*head_dim x dim)");
    s = small_model();
    s.extra = add_key;
    s.extra_arg = "llama.expert_count";
    EXPECT_REFUSED(s, "llama.expert_count = 8: mixture-of-experts");
    static const char *const yarn[] = { "llama.rope.scaling.type", "yarn" };
    s.extra = add_str;
    s.extra_arg = yarn;
    EXPECT_REFUSED(s, "llama.rope.scaling.type = 'yarn' is not supported");
    static const char *const bert[] = { "tokenizer.ggml.model", "bert" };
    s.extra_arg = bert; /* a second tokenizer.ggml.model: the duplicate is what is refused */
    EXPECT_REFUSED(s, "duplicate key 'tokenizer.ggml.model'");
    s = small_model();
    s.rope_dims = 4;
    EXPECT_REFUSED(s, "llama.rope.dimension_count = 4 but heads are 8 wide: partial rotary");
    s = small_model();
    s.extra = add_key;
    s.extra_arg = "llama.attention.layer_norm_epsilon";
    EXPECT_REFUSED(s, "llama.attention.layer_norm_epsilon is set");
    s.extra_arg = "llama.vocab_size";
    EXPECT_REFUSED(s, "llama.vocab_size = 8, token_embd.weight has 300 rows");
    s = small_model();
    s.extra = add_alias;
    EXPECT_REFUSED(s, "tensors 'blk.1.attn_q.weight' and 'blk.01.attn_q.weight' are the same tensor");
    s = small_model();
    s.tok_model = "bert";
    EXPECT_REFUSED(s, "tokenizer.ggml.model = 'bert' is not supported (llama and gpt2 are)");
}

static void add_q6k_norm(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    static uint8_t blk[210];
    uint64_t ne[1] = { 256 };
    /* dim 256 so the norm is one Q6_K block */
    flm_gw_raw_tensor(w, "blk.0.ffn_norm.weight", 14, 1, ne, blk, sizeof blk);
}

FLM_TEST(gguf_convert_names_unsupported_types)
{
    flm_gw_llama_t s = small_model();
    s.dim = 256;
    s.hidden_dim = 256;
    s.n_heads = 8;
    s.n_kv_heads = 4;
    s.n_layers = 1;
    s.omit_tensor = "blk.0.ffn_norm.weight";
    s.extra = add_q6k_norm;
    EXPECT_REFUSED(s, "tensor 'blk.0.ffn_norm.weight' is Q6_K: supported types are F32, F16, BF16, Q8_0 and Q4_0");
}

/* Each float and block type converts, and Q8_0 / Q4_0 blocks arrive as the
 * same integers and scales (no float round trip). */
FLM_TEST(gguf_convert_types_and_exact_blocks)
{
    static const uint32_t types[] = { 0, 1, 30, 8, 2 };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        flm_gw_llama_t s = small_model();
        s.type = types[k];
        s.tied = k % 2;
        size_t len;
        uint8_t *f = flm_gw_llama(&s, &len);
        flm_fmodel_t fm;
        flm_ftok_t tok;
        char err[512];
        FLM_CHECK_MSG(flm_gguf_read(&fm, &tok, f, len, NULL, err, sizeof err) == 0, "type %u: %s", types[k], err);
        FLM_CHECK_EQ(fm.shared_classifier, s.tied != 0);
        FLM_CHECK_EQ(fm.qsrc[FLM_TENSOR_WQ].bits, types[k] == 8 ? 8u : types[k] == 2 ? 4u : 0u);
        for (uint32_t bits = 4; bits <= 8; bits += 4) {
            flm_build_opts_t o = { 32, bits, false };
            uint8_t *img;
            size_t ilen;
            FLM_CHECK_MSG(flm_image_build_with(&fm, &tok, &o, NULL, &img, &ilen, err, sizeof err) == 0, "%s", err);
            flm_model_t m;
            FLM_CHECK_EQ(flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL), FLM_OK);
            FLM_CHECK_EQ(m.layers[0].wq.bits, bits);
            /* exact: every dequantized image weight equals the file's */
            if (fm.qsrc[FLM_TENSOR_WQ].bits && fm.qsrc[FLM_TENSOR_WQ].bits <= bits) {
                const flm_qmat_t *q = &m.layers[1].w2;
                const float *x = fm.w2 + (size_t)q->rows * q->cols;
                for (uint32_t r = 0; r < q->rows; r++)
                    for (uint32_t c = 0; c < q->cols; c++) {
                        int v = bits == 8 ? q->q[(size_t)r * q->cols + c]
                                          : (((uint8_t)q->q[(size_t)r * (q->cols / 2) + c / 2] >> (c % 2 ? 4 : 0) & 15) ^ 8) - 8;
                        double got = (double)v * q->s[r * q->ngroups + c / 32] / (double)(1ull << q->scale_shift);
                        FLM_CHECK_MSG(got == (double)x[(size_t)r * q->cols + c], "type %u bits %u (%u, %u): %g != %g",
                                      types[k], bits, r, c, got, (double)x[(size_t)r * q->cols + c]);
                    }
            }
            free(img);
        }
        flm_fmodel_free(&fm);
        flm_ftok_free(&tok);
        free(f);
    }
}

/* Thousands of mutated and truncated files: each is read or refused with a
 * message, never a crash or an out-of-bounds read (SAN=1). */
FLM_TEST(gguf_mutation_fuzz)
{
    flm_gw_llama_t s = small_model();
    s.n_layers = 1;
    s.type = 8;
    s.tied = 0;
    size_t len;
    uint8_t *base = flm_gw_llama(&s, &len);
    uint8_t *f = malloc(len);
    FLM_CHECK(f != NULL);
    uint32_t rng = 0xC0FFEEu;
    unsigned ok = 0, refused = 0;
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(f, base, len);
        size_t n = len;
        uint32_t kind = flm_test_xorshift32(&rng) % 4;
        /* most mutations land in the header and tensor infos, where the
         * parser works; some in the data, some truncate */
        size_t head = 8000 < len ? 8000 : len;
        if (kind == 0) {
            n = flm_test_xorshift32(&rng) % len;
        } else {
            int flips = 1 + (int)(flm_test_xorshift32(&rng) % 8);
            for (int i = 0; i < flips; i++) {
                size_t at = flm_test_xorshift32(&rng) % (kind == 3 ? len : head);
                f[at] = kind == 2 ? (uint8_t)(flm_test_xorshift32(&rng) % 3 ? 0xFF : 0) : (uint8_t)flm_test_xorshift32(&rng);
            }
        }
        char err[512] = "";
        /* a copy of exactly n bytes: ASan sees a read past them */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, f, n);
        int rc = convert_buf(cut, n, err, sizeof err);
        free(cut);
        FLM_CHECK_MSG(rc == 0 || (rc == -1 && err[0]), "trial %d: rc %d, message '%s'", trial, rc, err);
        if (rc == 0)
            ok++;
        else
            refused++;
    }
    printf("    3000 mutated GGUF files: %u converted, %u refused with a message\n", ok, refused);
    FLM_CHECK(refused > 1000);
    free(f);
    free(base);
    /* and llama.cpp's own output, when ../shared is there: the header,
     * the metadata and the tensor infos of a real file */
    const char *sp = flm_test_shared("models/gguf/llama2xs-Q4_0.gguf");
    size_t rl;
    uint8_t *real = sp ? (uint8_t *)flm_test_read_file(sp, &rl) : NULL;
    if (!real)
        return;
    ok = refused = 0;
    for (int trial = 0; trial < 500; trial++) {
        uint8_t *m = malloc(rl);
        memcpy(m, real, rl);
        size_t n = trial % 5 == 0 ? flm_test_xorshift32(&rng) % rl : rl;
        for (int i = 0; i < 1 + trial % 6; i++)
            m[flm_test_xorshift32(&rng) % 14300] = (uint8_t)flm_test_xorshift32(&rng); /* header..infos */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, m, n);
        char err[512] = "";
        int rc = convert_buf(cut, n, err, sizeof err);
        FLM_CHECK_MSG(rc == 0 || (rc == -1 && err[0]), "real file, trial %d: rc %d, message '%s'", trial, rc, err);
        ok += rc == 0;
        refused += rc != 0;
        free(cut);
        free(m);
    }
    printf("    500 mutations of llama2xs-Q4_0.gguf: %u converted, %u refused with a message\n", ok, refused);
    free(real);
}
