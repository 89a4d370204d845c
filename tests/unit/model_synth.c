#include "tests/unit/model_synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32.h"
#include "core/model_format.h"
#include "tools/cli/convert.h"

uint32_t flm_synth_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t flm_synth_rd64(const uint8_t *p)
{
    return (uint64_t)flm_synth_rd32(p) | (uint64_t)flm_synth_rd32(p + 4) << 32;
}

void flm_synth_wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void flm_synth_wr64(uint8_t *p, uint64_t v)
{
    flm_synth_wr32(p, (uint32_t)v);
    flm_synth_wr32(p + 4, (uint32_t)(v >> 32));
}

static float rnd(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / 16777216.0f - 0.5f; /* [-0.5, 0.5) */
}

uint8_t *flm_synth_checkpoint(const flm_synth_t *s, size_t *len)
{
    size_t d = s->dim, h = s->hidden_dim, l = s->n_layers, v = s->vocab_size;
    size_t kv = d / s->n_heads * s->n_kv_heads, head = d / s->n_heads;
    size_t n = v * d + l * d + l * d * d + 2 * l * kv * d + l * d * d + l * d + 3 * l * h * d + d +
               s->seq_len * head + (s->shared ? 0 : v * d);
    uint8_t *buf = malloc(28 + 4 * n);
    if (!buf)
        return NULL;
    int32_t cfg[7] = { (int32_t)s->dim, (int32_t)s->hidden_dim, (int32_t)s->n_layers,
                       (int32_t)s->n_heads, (int32_t)s->n_kv_heads,
                       s->shared ? (int32_t)s->vocab_size : -(int32_t)s->vocab_size, (int32_t)s->seq_len };
    for (int i = 0; i < 7; i++)
        flm_synth_wr32(buf + 4 * i, (uint32_t)cfg[i]);
    uint32_t state = s->seed;
    for (size_t i = 0; i < n; i++) {
        float f = rnd(&state) * 0.2f;
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        flm_synth_wr32(buf + 28 + 4 * i, u);
    }
    *len = 28 + 4 * n;
    return buf;
}

/* Tokens: "<unk>", "<s>", "</s>", then "a", "b", ..., "aa", "ab", ... */
static int synth_tokenizer(flm_ftok_t *t, uint32_t n, uint32_t seed, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->vocab_size = n;
    t->scores = malloc(n * sizeof *t->scores);
    t->offsets = malloc((n + 1) * sizeof *t->offsets);
    t->bytes = malloc((size_t)n * 8);
    if (!t->scores || !t->offsets || !t->bytes)
        return flm_convert_fail(err, errlen, "out of memory");
    uint32_t state = seed, pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        char tok[16];
        if (i < 3)
            snprintf(tok, sizeof tok, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 29)
            snprintf(tok, sizeof tok, "%c", 'a' + (i - 3));
        else
            snprintf(tok, sizeof tok, "%c%c", 'a' + (i - 29) / 26 % 26, 'a' + (i - 29) % 26);
        size_t k = strlen(tok);
        t->offsets[i] = pos;
        memcpy(t->bytes + pos, tok, k);
        pos += (uint32_t)k;
        t->scores[i] = i < 3 ? 0.0f : rnd(&state) * 20.0f;
        if (k > t->max_token_len)
            t->max_token_len = (uint32_t)k;
    }
    t->offsets[n] = pos;
    return 0;
}

uint8_t *flm_synth_image(const flm_synth_t *s, size_t *len)
{
    size_t clen;
    uint8_t *ckpt = flm_synth_checkpoint(s, &clen);
    if (!ckpt)
        return NULL;
    char err[256];
    flm_fmodel_t fm;
    flm_ftok_t tok;
    uint8_t *img = NULL;
    int rc = flm_fmodel_parse(&fm, ckpt, clen, err, sizeof err);
    free(ckpt);
    if (rc) {
        printf("    synth: %s\n", err);
        return NULL;
    }
    rc = s->tokenizer ? flm_ftok_load(&tok, s->tokenizer, s->vocab_size, err, sizeof err)
                      : synth_tokenizer(&tok, s->vocab_size, s->seed, err, sizeof err);
    if (rc == 0)
        rc = flm_image_build(&fm, &tok, s->gs, NULL, &img, len, err, sizeof err);
    if (rc) {
        printf("    synth: %s\n", err);
        img = NULL;
    }
    flm_ftok_free(&tok);
    flm_fmodel_free(&fm);
    return img;
}

void flm_synth_fix_crc(uint8_t *img, size_t len)
{
    if (len < FLM_IMG_HEADER_SIZE)
        return;
    uint64_t data = flm_synth_rd64(img + FLM_IMG_OFF_DATA);
    uint64_t size = flm_synth_rd64(img + FLM_IMG_OFF_IMAGE_SIZE);
    uint32_t head = flm_crc32_update(0, img, FLM_IMG_CRC_SKIP_BEGIN);
    if (data >= FLM_IMG_CRC_SKIP_END && data <= len)
        flm_synth_wr32(img + FLM_IMG_OFF_HEADER_CRC,
                       flm_crc32_update(head, img + FLM_IMG_CRC_SKIP_END, (size_t)data - FLM_IMG_CRC_SKIP_END));
    if (size >= FLM_IMG_CRC_SKIP_END && size <= len)
        flm_synth_wr32(img + FLM_IMG_OFF_IMAGE_CRC,
                       flm_crc32_update(head, img + FLM_IMG_CRC_SKIP_END, (size_t)size - FLM_IMG_CRC_SKIP_END));
}
