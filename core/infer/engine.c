/*
 * The generation session: llama2.c's generate() loop turned inside out so
 * that each call runs one position and returns.
 */
#include "core/infer/engine.h"

#include <string.h>

#include "core/hal/hal.h"

/* Worst-case padding flm_arena_alloc adds to one request. */
#define ALIGN_SLACK FLM_ARENA_DEFAULT_ALIGN

static flm_err_t resolve(const flm_model_t *m, const flm_engine_config_t *cfg,
                         uint32_t *ctx_len, uint32_t *prompt_bytes)
{
    if (!m || !cfg)
        return FLM_ERR_ARG;
    *ctx_len = cfg->ctx_len ? cfg->ctx_len : m->cfg.seq_len;
    if (*ctx_len == 0 || *ctx_len > m->cfg.seq_len)
        return FLM_ERR_ARG;
    *prompt_bytes = cfg->max_prompt_bytes ? cfg->max_prompt_bytes : *ctx_len;
    return FLM_OK;
}

flm_err_t flm_engine_ram(const flm_model_t *m, const flm_engine_config_t *cfg, size_t *bytes)
{
    uint32_t ctx_len, prompt_bytes;
    flm_err_t err = bytes ? resolve(m, cfg, &ctx_len, &prompt_bytes) : FLM_ERR_ARG;
    flm_ram_usage_t tf;
    if (!err)
        err = flm_transformer_ram(&m->cfg, ctx_len, &tf);
    if (err)
        return err;
    size_t enc = flm_tokenizer_scratch_bytes(prompt_bytes);
    if (enc == 0)
        return FLM_ERR_OVERFLOW;
    size_t blk = 0;
    if (cfg->prefill_block > 1) {
        blk = flm_transformer_block_bytes(&m->cfg, cfg->prefill_block);
        if (blk == 0)
            return FLM_ERR_ARG;
        blk += 16;
    }
    *bytes = tf.total + ctx_len * sizeof(uint32_t) + enc +
             flm_sampler_scratch_bytes(m->cfg.vocab_size) + 4 * ALIGN_SLACK + blk;
    return FLM_OK;
}

static flm_err_t alloc_all(flm_engine_t *e, const flm_model_t *m, const flm_engine_config_t *cfg,
                           flm_arena_t *arena)
{
    /* a vocabulary without llama2.c's byte fallback cannot encode prompts */
    flm_err_t err = flm_tokenizer_init(&e->tok, &m->vocab) ? FLM_ERR_ENGINE_SHAPE : FLM_OK;
    if (!err)
        err = flm_arena_alloc(arena, e->ctx_len * sizeof *e->prompt, 0, (void **)&e->prompt);
    if (!err)
        err = flm_arena_alloc(arena, flm_tokenizer_scratch_bytes(e->max_prompt_bytes), 0,
                              &e->enc_scratch);
    size_t sbytes = flm_sampler_scratch_bytes(m->cfg.vocab_size);
    void *sscratch = NULL;
    if (!err)
        err = flm_arena_alloc(arena, sbytes, 0, &sscratch);
    if (!err)
        err = flm_sampler_init(&e->sampler, m->cfg.vocab_size, &cfg->sampler, sscratch, sbytes);
    if (!err)
        err = flm_transformer_init(&e->tf, m, e->ctx_len, arena);
    if (!err && cfg->prefill_block > 1) {
        e->block_bytes = flm_transformer_block_bytes(&m->cfg, cfg->prefill_block);
        err = e->block_bytes ? flm_arena_alloc(arena, e->block_bytes, 16, &e->block) : FLM_ERR_ARG;
        e->block_n = cfg->prefill_block;
    }
    return err;
}

flm_err_t flm_engine_init(flm_engine_t *e, const flm_model_t *m, const flm_engine_config_t *cfg,
                          flm_arena_t *arena)
{
    if (!e || !arena)
        return FLM_ERR_ARG;
    memset(e, 0, sizeof *e);
    flm_err_t err = resolve(m, cfg, &e->ctx_len, &e->max_prompt_bytes);
    if (err)
        return err;
    if (m->vocab.vocab_size != m->cfg.vocab_size)
        return FLM_ERR_ARG;
    if (flm_tokenizer_scratch_bytes(e->max_prompt_bytes) == 0)
        return FLM_ERR_OVERFLOW;
    size_t mark = flm_arena_mark(arena);
    err = alloc_all(e, m, cfg, arena);
    if (err) {
        flm_arena_reset(arena, mark);
        memset(e, 0, sizeof *e);
        return err;
    }
    e->model = m;
    e->confidence = cfg->confidence;
    return FLM_OK;
}

void flm_engine_deinit(flm_engine_t *e)
{
    if (!e)
        return;
    if (e->model)
        flm_transformer_deinit(&e->tf);
    flm_sampler_deinit(&e->sampler);
    flm_tokenizer_deinit(&e->tok);
    memset(e, 0, sizeof *e);
}

/* Arm the session for n_prompt tokens already in e->prompt. */
static void arm(flm_engine_t *e, size_t n, uint32_t steps)
{
    e->n_prompt = (uint32_t)n;
    e->steps = (steps == 0 || steps > e->ctx_len) ? e->ctx_len : steps;
    e->pos = 0;
    e->done = 0;
    e->logits_pos = UINT32_MAX;
    e->cur = e->prompt[0];
    e->status = FLM_ENGINE_RUNNING;
    e->started = true;
}

flm_err_t flm_engine_start(flm_engine_t *e, const uint8_t *prompt, size_t len, uint32_t steps)
{
    if (!e || !e->model || (!prompt && len))
        return FLM_ERR_ARG;
    e->started = false;
    if (len > e->max_prompt_bytes)
        return FLM_ERR_ENGINE_PROMPT_TOO_LONG;
    size_t n;
    flm_err_t err = flm_tokenizer_encode(&e->tok, prompt, len, true, false, e->prompt,
                                         e->ctx_len, &n, e->enc_scratch);
    if (err)
        return err == FLM_ERR_OVERFLOW ? FLM_ERR_ENGINE_CONTEXT_FULL : err;
    arm(e, n, steps);
    return FLM_OK;
}

flm_err_t flm_engine_start_tokens(flm_engine_t *e, const uint32_t *tokens, size_t n, uint32_t steps)
{
    if (!e || !e->model || !tokens || n == 0)
        return FLM_ERR_ARG;
    e->started = false;
    if (n > e->ctx_len)
        return FLM_ERR_ENGINE_CONTEXT_FULL;
    for (size_t i = 0; i < n; i++) {
        if (tokens[i] >= e->model->cfg.vocab_size)
            return FLM_ERR_ENGINE_TOKEN;
        e->prompt[i] = tokens[i];
    }
    arm(e, n, steps);
    return FLM_OK;
}

/* One position; *logits_out (may be NULL) gets the logits it ran on. */
static flm_err_t step(flm_engine_t *e, flm_engine_token_t *out, bool want_conf,
                      const int32_t **logits_out)
{
    if (!e || !out)
        return FLM_ERR_ARG;
    if (e->status == FLM_ENGINE_CANCELLED)
        return FLM_ERR_CANCELLED;
    if (!e->started || e->status != FLM_ENGINE_RUNNING)
        return FLM_ERR_STATE;
    flm_hal_watchdog_kick();

    const int32_t *logits = e->tf.logits; /* position logits_pos's */
    flm_err_t err = FLM_OK;
    /* this position's logits are read to sample or for its confidence */
    const bool need = want_conf || logits_out || e->pos + 1 >= e->n_prompt;
    if (e->pos >= e->done || (need && e->logits_pos != e->pos)) {
        /* prompt positions whose logits nobody reads run as one block, the
         * last one's logits the block's (running a position again inside
         * a block rewrites its cache entry with the same bits) */
        uint32_t n = e->pos < e->n_prompt ? e->n_prompt - e->pos : 0;
        bool have_logits = true;
        n = n < e->block_n ? n : e->block_n;
        if (n > 1 && !want_conf && !logits_out && e->pos >= e->done) {
            /* a block short of the prompt's end skips the classifier */
            have_logits = e->pos + n >= e->n_prompt;
            err = flm_transformer_forward_block(&e->tf, e->prompt + e->pos, n, e->pos, e->block,
                                                e->block_bytes, have_logits ? &logits : NULL);
        } else {
            err = flm_transformer_forward(&e->tf, e->cur, e->pos, &logits);
            n = 1;
        }
        if (err)
            return err;
        if (e->pos + n > e->done)
            e->done = e->pos + n;
        /* no position's logits are held after a block that skipped them */
        e->logits_pos = have_logits ? e->pos + n - 1 : UINT32_MAX;
    }
    memset(out, 0, sizeof *out);
    uint32_t next;
    flm_confidence_t *conf = want_conf ? &out->conf : NULL;
    out->forced = e->pos + 1 < e->n_prompt;
    if (out->forced) {
        next = e->prompt[e->pos + 1];
        if (conf)
            err = flm_sampler_confidence(logits, e->model->cfg.vocab_size, next, conf);
    } else {
        err = flm_sampler_sample(&e->sampler, logits, &next, conf);
    }
    if (err)
        return err;

    const flm_vocab_t *v = &e->model->vocab;
    out->token = next;
    out->pos = ++e->pos;
    if (!out->forced && (next == v->bos_id || next == v->eos_id)) {
        out->piece = (const uint8_t *)"";
        e->status = FLM_ENGINE_DONE_EOS;
    } else {
        err = flm_tokenizer_decode(&e->tok, e->cur, next, &out->piece, &out->piece_len);
        if (err)
            return err;
        if (e->pos >= e->ctx_len)
            e->status = FLM_ENGINE_DONE_CONTEXT;
        else if (e->pos >= e->steps)
            e->status = FLM_ENGINE_DONE_LENGTH;
    }
    e->cur = next;
    out->status = e->status;
    if (logits_out)
        *logits_out = logits;
    return FLM_OK;
}

flm_err_t flm_engine_step(flm_engine_t *e, flm_engine_token_t *out)
{
    return step(e, out, e && e->confidence, NULL);
}

flm_err_t flm_engine_prefill(flm_engine_t *e, flm_engine_prefill_fn fn, void *user)
{
    if (!e)
        return FLM_ERR_ARG;
    flm_engine_token_t t;
    while (e->started && e->status == FLM_ENGINE_RUNNING && e->pos + 1 < e->n_prompt) {
        const int32_t *logits;
        flm_err_t err = step(e, &t, true, &logits);
        if (!err && fn)
            err = fn(user, &t, logits);
        if (err)
            return err;
    }
    if (e->status == FLM_ENGINE_CANCELLED)
        return FLM_ERR_CANCELLED;
    return e->started ? FLM_OK : FLM_ERR_STATE;
}

void flm_engine_cancel(flm_engine_t *e)
{
    if (e && e->started)
        e->status = FLM_ENGINE_CANCELLED;
}
