/* Bit-exactness: the kernels and a whole forward pass on integer-generated
 * inputs hash to constants recorded on x86-64. The same unit tests run on
 * aarch64, armhf (tests/sh/cross_unit.sh) and must give the same bits; an
 * optimised kernel must too. When a numeric rule changes on purpose
 * (core/kernels/NUMERICS.md), record the new hashes printed by the failing check.
 * No libm and no converter here, so only the engine's arithmetic is hashed. */
#include <stdint.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/kernels/variants.h"
#include "core/infer/transformer.h"
#include "tests/harness/harness.h"

static uint32_t rng = 2463534242u;

static uint32_t next(void)
{
    return flm_test_xorshift32(&rng);
}

/* FNV-1a over 32-bit values, byte order fixed */
static uint64_t fnv(uint64_t h, const void *p, size_t n32)
{
    const uint32_t *v = p;
    for (size_t i = 0; i < n32; i++)
        for (int b = 0; b < 32; b += 8) {
            h ^= (v[i] >> b) & 0xFFu;
            h *= 1099511628211ull;
        }
    return h;
}

#define FNV0 14695981039346656037ull

FLM_TEST(kernels_bits_golden)
{
    static int32_t x[512], y[512];
    static uint32_t u[512];
    static int16_t q16[512];
    static int8_t q8[512];
    uint64_t h[8];
    rng = 2463534242u;

    /* elementary functions over wide argument ranges */
    h[0] = FNV0;
    for (int i = 0; i < 4096; i++) {
        int32_t a = -(int32_t)(next() >> 6);
        uint32_t e = flm_exp_q16(a);
        int32_t l = flm_ln_q16((uint64_t)next() << (i % 32), i % 50 - 10);
        int32_t s, c;
        flm_sincos_q30(next(), &s, &c);
        uint32_t r = flm_isqrt_u64(((uint64_t)next() << 32) | next());
        int32_t si = flm_silu_q16((int32_t)next() >> (i % 16));
        uint32_t vals[6] = { e, (uint32_t)l, (uint32_t)s, (uint32_t)c, r, (uint32_t)si };
        h[0] = fnv(h[0], vals, 6);
    }
    /* softmax family */
    for (int i = 0; i < 512; i++)
        x[i] = (int32_t)next() >> 10;
    int32_t lse, ent;
    FLM_CHECK_EQ(flm_softmax_q(x, 512, 16, u), FLM_OK);
    FLM_CHECK_EQ(flm_entropy_q(x, 512, 16, &ent, &lse), FLM_OK);
    h[1] = fnv(fnv(fnv(FNV0, u, 512), &ent, 1), &lse, 1);
    /* quantizers */
    int32_t sh;
    uint16_t code[2];
    FLM_CHECK_EQ(flm_quantize_s16(x, 512, 16, q16, &sh), FLM_OK);
    FLM_CHECK_EQ(flm_quantize_s8(x, 512, q8, &code[0]), FLM_OK);
    FLM_CHECK_EQ(flm_quantize_s8(x + 1, 7, q8 + 512 - 8, &code[1]), FLM_OK);
    h[2] = fnv(fnv(fnv(fnv(FNV0, q16, 256), q8, 128), &sh, 1), code, 1);
    /* rmsnorm, rope, swiglu */
    flm_ivec_t w = { y, 512, 24 };
    for (int i = 0; i < 512; i++)
        y[i] = (int32_t)(next() >> 7);
    FLM_CHECK_EQ(flm_rmsnorm_s32(x, &w, 42950, x), FLM_OK);
    h[3] = fnv(FNV0, x, 512);
    uint32_t freq[4] = { 683565276u, 214748365u, 67866800u, 21474837u };
    FLM_CHECK_EQ(flm_rope_s32(x, 512, 8, freq, 12345), FLM_OK);
    h[4] = fnv(FNV0, x, 512);
    FLM_CHECK_EQ(flm_swiglu_s32(x, y, 512), FLM_OK);
    h[5] = fnv(FNV0, x, 512);
    /* matvec: 16 x 512, groups of 32 */
    static int8_t wq[16 * 512];
    static int32_t ws[16 * 16];
    for (int i = 0; i < 16 * 512; i++)
        wq[i] = (int8_t)(next() & 0xFF);
    for (int i = 0; i < 16 * 16; i++)
        ws[i] = (int32_t)(next() >> 9) - (1 << 22);
    flm_qmat_t m = { wq, ws, 16, 512, 32, 16, 28, 8 };
    FLM_CHECK_EQ(flm_matvec_q8_s16(&m, q16, sh, y, 16), FLM_OK);
    h[6] = fnv(FNV0, y, 16);
    /* one attention head over 100 cached int8 positions */
    static int8_t kc[100 * 8], vc[100 * 8];
    static uint16_t ks[100], vs[100];
    static int32_t att[100], out[8];
    for (int i = 0; i < 800; i++) {
        kc[i] = (int8_t)(next() & 0xFF);
        vc[i] = (int8_t)(next() & 0xFF);
    }
    for (int i = 0; i < 100; i++) {
        ks[i] = (uint16_t)(next() % (21u << 11));
        vs[i] = (uint16_t)(next() % (21u << 11));
    }
    flm_kv_view_t kv = { kc, vc, ks, vs, 8, 1 };
    FLM_CHECK_EQ(flm_attention_head_q(x + 8, 8, &kv, 100, q16, att, out), FLM_OK);
    h[7] = fnv(FNV0, out, 8);

    static const uint64_t golden[8] = {
        0x5ee03ab9f9f31ccaull, 0xc9a7a4da986b4622ull, 0xb351b48615abe210ull, 0x6b612fdad031909aull,
        0xd3c66ac3b81144d9ull, 0x30c3793df7bd6c31ull, 0x3f963f16fc74626bull, 0xb559de0f9a45e881ull,
    };
    bool same = memcmp(h, golden, sizeof h) == 0;
    for (int i = 0; i < 8 && !same; i++)
        printf("    0x%016llxull,\n", (unsigned long long)h[i]);
    for (int i = 0; i < 8; i++)
        FLM_CHECK_MSG(h[i] == golden[i], "kernel hash %d: 0x%016llxull (recorded 0x%016llxull)", i,
                      (unsigned long long)h[i], (unsigned long long)golden[i]);
}

/* A small model with integer-generated weights (no converter, no libm). */
enum { DIM = 32, HID = 48, LAYERS = 2, HEADS = 4, KVH = 2, HD = 8, VOCAB = 64, CTX = 48, GS = 16 };

static int8_t  syn_q[(VOCAB + LAYERS * (2 * DIM + 2 * KVH * HD + 3 * HID)) * DIM];
static uint32_t syn_bits = 8; /* 4: every matrix int4, with signed scales */
static int32_t syn_s[sizeof syn_q / GS];
static int32_t syn_rms[(2 * LAYERS + 1) * DIM];
static size_t  syn_qn, syn_sn, syn_rn;

static flm_qmat_t syn_mat(uint32_t rows, uint32_t cols)
{
    uint32_t ng = (cols + GS - 1) / GS;
    flm_qmat_t m = { syn_q + syn_qn, syn_s + syn_sn, rows, cols, GS, ng, 30, syn_bits };
    if (syn_bits == 4) {
        for (uint32_t i = 0; i < rows * cols / 2; i++)
            syn_q[syn_qn++] = (int8_t)(next() & 0xFFu);
        for (uint32_t i = 0; i < rows * ng; i++)
            syn_s[syn_sn++] = ((int32_t)(next() % (1u << 22)) + (1 << 22)) * (next() % 3u ? 1 : -1) / 4;
        return m;
    }
    for (uint32_t i = 0; i < rows * cols; i++)
        syn_q[syn_qn++] = (int8_t)((int32_t)(next() % 255u) - 127);
    for (uint32_t i = 0; i < rows * ng; i++)
        syn_s[syn_sn++] = (int32_t)(next() % (1u << 22)) + (1 << 22) - (int32_t)(next() % 2u) * 3;
    return m;
}

static flm_ivec_t syn_vec(void)
{
    flm_ivec_t v = { syn_rms + syn_rn, DIM, 24 };
    for (uint32_t i = 0; i < DIM; i++)
        syn_rms[syn_rn++] = (1 << 24) + (int32_t)(next() % (1u << 23)) - (1 << 22);
    return v;
}

#define FORWARD_GOLDEN 0x11261677e1ff87c2ull
#define FORWARD_GOLDEN_Q4 0xba001bbb3f199f2cull /* recorded on x86-64 (see the top of this file) */

/* The synthetic model's logits over a whole context, hashed; 0 if the
 * engine failed. */
static uint64_t synth_forward_hash(void)
{
    static flm_model_t m;
    static const uint32_t freq[HD / 2] = { 683565276u, 214748365u, 67866800u, 21474837u };
    rng = 88675123u;
    syn_qn = syn_sn = syn_rn = 0;
    m.cfg = (flm_model_config_t){ DIM, HID, LAYERS, HEADS, KVH, HD, VOCAB, CTX, 42950, 10000, true };
    m.tok_embedding = syn_mat(VOCAB, DIM);
    for (int l = 0; l < LAYERS; l++) {
        flm_layer_t *ly = &m.layers[l];
        ly->rms_att = syn_vec();
        ly->wq = syn_mat(HEADS * HD, DIM);
        ly->wk = syn_mat(KVH * HD, DIM);
        ly->wv = syn_mat(KVH * HD, DIM);
        ly->wo = syn_mat(DIM, HEADS * HD);
        ly->rms_ffn = syn_vec();
        ly->w1 = syn_mat(HID, DIM);
        ly->w2 = syn_mat(DIM, HID);
        ly->w3 = syn_mat(HID, DIM);
    }
    m.rms_final = syn_vec();
    m.classifier = m.tok_embedding;
    m.rope_freq = freq;

    static _Alignas(16) uint8_t mem[64 * 1024];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    if (flm_transformer_init(&tf, &m, CTX, &a) != FLM_OK)
        return 0;
    uint64_t h = FNV0;
    for (uint32_t pos = 0; pos < CTX; pos++) {
        const int32_t *logits;
        if (flm_transformer_forward(&tf, (pos * 7u + 3u) % VOCAB, pos, &logits) != FLM_OK)
            return 0;
        h = fnv(h, logits, VOCAB);
    }
    return h;
}

FLM_TEST(transformer_bits_golden)
{
    uint64_t h = synth_forward_hash();
    FLM_CHECK_MSG(h == FORWARD_GOLDEN, "forward hash 0x%016llxull", (unsigned long long)h);
}

/* The same model with int4 matrices (and signed scales, as llama.cpp's
 * Q4_0 blocks give): the int4 matvec and embedding lookup. */
FLM_TEST(transformer_bits_golden_q4)
{
    syn_bits = 4;
    uint64_t h = synth_forward_hash();
    syn_bits = 8;
    FLM_CHECK_MSG(h == FORWARD_GOLDEN_Q4, "int4 forward hash 0x%016llxull", (unsigned long long)h);
}

/* The same forward pass with each matvec variant this CPU runs pinned in
 * turn, where the build chooses it at run time (x86-64: AVX2 and _ref). */
FLM_TEST(transformer_bits_golden_variants)
{
    if (!FLM_KERNELS_RUNTIME_MATVEC_Q8_S16)
        FLM_SKIP("the matvec is chosen at build time here (transformer_bits_golden runs it)");
    size_t n;
    const flm_kernel_variant_t *v = flm_kernel_variants(&n);
    int runs = 0;
    for (size_t i = 0; i < n; i++) {
        if ((v[i].op != FLM_KOP_MATVEC_Q8_S16 && v[i].op != FLM_KOP_MATVEC_Q4_S16) ||
            flm_kernels_use(v[i].name) != FLM_OK)
            continue;
        syn_bits = v[i].op == FLM_KOP_MATVEC_Q4_S16 ? 4u : 8u;
        uint64_t h = synth_forward_hash();
        syn_bits = 8;
        flm_kernels_use(NULL);
        uint64_t want = v[i].op == FLM_KOP_MATVEC_Q4_S16 ? FORWARD_GOLDEN_Q4 : FORWARD_GOLDEN;
        FLM_CHECK_MSG(h == want, "forward hash with %s: 0x%016llxull", v[i].name, (unsigned long long)h);
        runs++;
    }
    FLM_CHECK(runs >= 2); /* the _refs at least; AVX2 too where the CPU has it */
}
