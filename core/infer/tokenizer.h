/*
 * BPE tokenizer compatible with llama2.c (run.c encode/decode), over the
 * vocabulary stored in the model image; for a vocabulary of kind
 * FLM_TOK_KIND_BPE (GGUF's "gpt2" models), GPT-2's byte-level BPE instead
 * (FLM_CFG_TOKENIZER_BPE). No heap: encode works in a scratch
 * buffer the caller provides, sized by flm_tokenizer_scratch_bytes().
 *
 *   flm_tokenizer_t tok;
 *   flm_tokenizer_init(&tok, &model->vocab);
 *   static uint8_t scratch[FLM_TOKENIZER_SCRATCH_BYTES(256)];
 *   uint32_t ids[64]; size_t n;
 *   err = flm_tokenizer_encode(&tok, text, len, true, false, ids, 64, &n, scratch);
 *   for (size_t i = 1; i < n; i++) {
 *       const uint8_t *piece; size_t plen;
 *       flm_tokenizer_decode(&tok, ids[i - 1], ids[i], &piece, &plen);
 *   }
 */
#ifndef FLM_TOKENIZER_H
#define FLM_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/model/model.h"

/* Scratch bytes encode needs for `len` bytes of text: a working token list
 * and a cached merge candidate per pair, one uint32 each, for up to len + 3
 * tokens (BOS, dummy prefix, one per byte, EOS). */
#define FLM_TOKENIZER_SCRATCH_BYTES(len) (((size_t)(len) + 3u) * 2u * sizeof(uint32_t))

typedef struct {
    const flm_vocab_t *vocab;
    uint32_t space_id;   /* the dummy-prefix token " " */
} flm_tokenizer_t;

/* Bind to a vocabulary (not copied: it must outlive the tokenizer).
 * FLM_ERR_ARG if the vocabulary has no " " token or no byte-fallback range
 * (ids 3..258 must exist), or, byte-level BPE, no token for some byte;
 * FLM_ERR_UNSUPPORTED for a byte-level BPE vocabulary in a build without
 * FLM_CFG_TOKENIZER_BPE. */
flm_err_t flm_tokenizer_init(flm_tokenizer_t *t, const flm_vocab_t *v);
void      flm_tokenizer_deinit(flm_tokenizer_t *t);

/* Scratch bytes flm_tokenizer_encode needs for `len` bytes of text
 * (0 if the size does not fit a size_t). */
size_t flm_tokenizer_scratch_bytes(size_t len);

/* Byte-level BPE: optional BOS, then each word of the pre-tokenizer
 * (GPT-2's pattern; SmolLM's cuts every digit out first) as one token per
 * byte, merged pair by pair by the lowest merge rank (the leftmost on a
 * tie) as GPT-2's encoder does, optional EOS; no dummy prefix. Otherwise:
 * encode len bytes of text exactly as llama2.c does: optional BOS, the
 * dummy prefix " " when the text is non-empty, one token per UTF-8
 * codepoint (or one byte token, id = byte + 3, per byte of a codepoint the
 * vocabulary lacks), then repeatedly merge the adjacent pair whose merged
 * token has the best score (ties: earliest pair), optional EOS.
 * The text may hold any bytes, NUL included. scratch must be 4-byte aligned
 * and hold flm_tokenizer_scratch_bytes(len) bytes. On success *n tokens
 * are in tokens[0..*n); FLM_ERR_OVERFLOW if they do not fit in cap. */
flm_err_t flm_tokenizer_encode(const flm_tokenizer_t *t, const uint8_t *text, size_t len,
                               bool bos, bool eos, uint32_t *tokens, size_t cap,
                               size_t *n, void *scratch);

/* The bytes `token` stands for when it follows `prev` (llama2.c decode):
 * after BOS the leading space is stripped, and a byte token "<0xNN>" gives
 * the raw byte NN (byte-level BPE: the token's bytes as they are). *piece points into the vocabulary or a constant table;
 * *len may be 0. FLM_ERR_ARG if token is out of range. */
flm_err_t flm_tokenizer_decode(const flm_tokenizer_t *t, uint32_t prev, uint32_t token,
                               const uint8_t **piece, size_t *len);

/* Id of the token whose bytes are exactly s[0..len), or FLM_ERR_NOT_FOUND. */
flm_err_t flm_tokenizer_lookup(const flm_tokenizer_t *t, const uint8_t *s, size_t len,
                               uint32_t *id);

#endif /* FLM_TOKENIZER_H */
