/*
 * Step-wise text generation: one model position per call, so a device main
 * loop stays in control between tokens (kick the watchdog, poll buttons,
 * cancel). Tokenizer, transformer and sampler state all come from one
 * arena; flm_engine_ram() says how many bytes before anything is allocated.
 *
 *   flm_engine_config_t cfg = { .ctx_len = 256, .sampler = { .temperature = 52429,
 *                               .top_p = 58982, .seed = 42 } };
 *   size_t need;
 *   flm_engine_ram(&model, &cfg, &need);          // size the static arena
 *   flm_engine_init(&eng, &model, &cfg, &arena);
 *   flm_engine_start(&eng, (const uint8_t *)"Once upon a time", 16, 128);
 *   flm_engine_token_t t;
 *   do {
 *       if (flm_engine_step(&eng, &t) != FLM_OK)
 *           break;                                // error or cancelled
 *       flm_hal_console_write(t.piece, t.piece_len);
 *       if (button_pressed())
 *           flm_engine_cancel(&eng);
 *   } while (t.status == FLM_ENGINE_RUNNING);
 *   flm_engine_deinit(&eng);
 *
 * Positions follow llama2.c's run loop: position 0 is BOS, the prompt's
 * tokens are forced (and reported, so the prompt is echoed), then tokens
 * are sampled until `steps` positions, the end of the context, or the model
 * emits BOS or EOS (which end the text and are not printed).
 */
#ifndef FLM_ENGINE_H
#define FLM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/arena.h"
#include "core/base/error.h"
#include "core/model/model.h"
#include "core/infer/sampler.h"
#include "core/infer/tokenizer.h"
#include "core/infer/transformer.h"

typedef struct {
    uint32_t ctx_len;          /* positions in the KV cache; 0 = the model's seq_len */
    uint32_t max_prompt_bytes; /* longest prompt flm_engine_start takes; 0 = ctx_len */
    flm_sampler_params_t sampler;
    bool     confidence;       /* fill flm_engine_token_t.conf on every step: two more passes
                                * over the vocabulary (~2% of a Cortex-M4's instructions per
                                * token), so off unless someone reads it. flm_engine_prefill
                                * always computes it. */
    uint32_t prefill_block;    /* batched prefill: prompt positions run this many at a time
                                * (flm_transformer_forward_block, the same bits) when their
                                * logits are not wanted (no confidence); 0 or 1 = one at a
                                * time. Costs flm_transformer_block_bytes() of arena. */
} flm_engine_config_t;

typedef enum {
    FLM_ENGINE_RUNNING = 0,   /* more tokens to come */
    FLM_ENGINE_DONE_LENGTH,   /* reached the requested number of positions */
    FLM_ENGINE_DONE_CONTEXT,  /* the context window is full */
    FLM_ENGINE_DONE_EOS,      /* the model ended the text with BOS or EOS */
    FLM_ENGINE_CANCELLED,     /* flm_engine_cancel() was called */
} flm_engine_status_t;

/* What one step produced: the token at position `pos`. */
typedef struct {
    uint32_t token;
    uint32_t pos;
    bool     forced;          /* taken from the prompt, not sampled */
    const uint8_t *piece;     /* its text (empty for BOS/EOS); valid until the next step */
    size_t   piece_len;
    flm_confidence_t conf;    /* how likely the model found this token (see sampler.h);
                               * zero unless cfg.confidence or from flm_engine_prefill */
    flm_engine_status_t status; /* RUNNING, or why this is the last token */
} flm_engine_token_t;

typedef struct {
    const flm_model_t *model;
    flm_transformer_t  tf;
    flm_tokenizer_t    tok;
    flm_sampler_t      sampler;
    uint32_t ctx_len, max_prompt_bytes;
    bool     confidence;
    uint32_t *prompt;         /* [ctx_len] the encoded prompt, BOS first */
    void     *enc_scratch;    /* flm_tokenizer_scratch_bytes(max_prompt_bytes) */
    uint32_t n_prompt;
    uint32_t steps;           /* stop after this many positions */
    uint32_t pos;             /* position of `cur` */
    uint32_t cur;             /* the last token, input of the next forward pass */
    uint32_t done;            /* positions < done have been run (a prefill block ahead of pos) */
    uint32_t logits_pos;      /* the position tf.logits belongs to, UINT32_MAX for none */
    uint32_t block_n;         /* cfg.prefill_block, 0 when off */
    void    *block;           /* its scratch, block_bytes */
    size_t   block_bytes;
    flm_engine_status_t status;
    bool     started;
} flm_engine_t;

/* Arena bytes flm_engine_init needs for this model and configuration
 * (alignment padding included). */
flm_err_t flm_engine_ram(const flm_model_t *m, const flm_engine_config_t *cfg, size_t *bytes);

/* Allocate everything from the arena. FLM_ERR_NOMEM if it is too small (the
 * arena is then left as it was), FLM_ERR_ARG on a bad configuration,
 * FLM_ERR_ENGINE_SHAPE for a model the engine cannot run. */
flm_err_t flm_engine_init(flm_engine_t *e, const flm_model_t *m, const flm_engine_config_t *cfg,
                          flm_arena_t *arena);
void      flm_engine_deinit(flm_engine_t *e);

/* Encode a prompt (BOS + llama2.c encode) and arm the session for up to
 * `steps` positions counting BOS and the prompt (0 or more than the
 * context: the whole context). Restarting discards the previous session.
 * FLM_ERR_ENGINE_PROMPT_TOO_LONG if the prompt is longer than
 * max_prompt_bytes, FLM_ERR_ENGINE_CONTEXT_FULL if its tokens do not fit the
 * context. */
flm_err_t flm_engine_start(flm_engine_t *e, const uint8_t *prompt, size_t len, uint32_t steps);

/* Arm the session with tokens already encoded (tokens[0] should be BOS),
 * as flm_engine_start does after encoding: for callers that tokenize or
 * truncate themselves (perplexity over long documents). FLM_ERR_ENGINE_TOKEN
 * for an id outside the vocabulary, FLM_ERR_ENGINE_CONTEXT_FULL if n
 * exceeds the context. */
flm_err_t flm_engine_start_tokens(flm_engine_t *e, const uint32_t *tokens, size_t n, uint32_t steps);

/* Feed the rest of the prompt: one forward pass per prompt token after the
 * first, each reported to fn (may be NULL) as it is forced, with its
 * confidence (always computed here) and the logits it was scored from
 * (valid during the call). This is how a prompt is scored: the router's
 * difficulty features, perplexity. Afterwards flm_engine_step samples from
 * where the prompt ended, so scoring it costs no second pass. fn returning
 * an error stops and returns it. */
typedef flm_err_t (*flm_engine_prefill_fn)(void *user, const flm_engine_token_t *t,
                                           const int32_t *logits);
flm_err_t flm_engine_prefill(flm_engine_t *e, flm_engine_prefill_fn fn, void *user);

/* Run one position: one forward pass, then the next prompt token or a
 * sampled one. Kicks the watchdog. FLM_ERR_STATE before start or after the
 * session ended; FLM_ERR_CANCELLED after flm_engine_cancel. */
flm_err_t flm_engine_step(flm_engine_t *e, flm_engine_token_t *out);

/* End the session; the next step returns FLM_ERR_CANCELLED. */
void      flm_engine_cancel(flm_engine_t *e);

#endif /* FLM_ENGINE_H */
