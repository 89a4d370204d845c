/* Small synthetic models for the model-image tests: a llama2.c checkpoint
 * with seeded random weights and a made-up tokenizer, converted in memory
 * by the real converter. No ../shared needed. */
#ifndef FLM_TEST_MODEL_SYNTH_H
#define FLM_TEST_MODEL_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    bool shared;
    uint32_t gs;
    uint32_t seed;
    const char *tokenizer; /* a llama2.c tokenizer file, or NULL for made-up tokens */
} flm_synth_t;

/* The default shape: hidden_dim 40 with gs 32 gives short last groups. */
#define FLM_SYNTH_DEFAULT { 16, 40, 2, 4, 2, 40, 32, false, 32, 1, NULL }

/* A .flm image in a malloc'd buffer (free() it), or NULL after printing why. */
uint8_t *flm_synth_image(const flm_synth_t *s, size_t *len);

/* A llama2.c legacy float32 checkpoint in a malloc'd buffer. */
uint8_t *flm_synth_checkpoint(const flm_synth_t *s, size_t *len);

/* Recompute both CRCs after a test edited the image. */
void flm_synth_fix_crc(uint8_t *img, size_t len);

/* Little-endian field access for tests that edit images. */
uint32_t flm_synth_rd32(const uint8_t *p);
uint64_t flm_synth_rd64(const uint8_t *p);
void     flm_synth_wr32(uint8_t *p, uint32_t v);
void     flm_synth_wr64(uint8_t *p, uint64_t v);

#endif /* FLM_TEST_MODEL_SYNTH_H */
