/* Engine: prompt forcing, done conditions, cancel, restart, arena sizing,
 * and greedy text against the float reference. Uses stories260K from
 * ../shared, converted in memory. */
#include <stdlib.h>
#include <string.h>

#include "core/infer/engine.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/stories.h"
#include "tests/fixtures/tok_ref.h"

typedef struct {
    flm_test_stories_t st;
    flm_engine_t eng;
    flm_arena_t arena;
    uint8_t *mem;
    size_t need;
} fixture_t;

static bool setup(fixture_t *f, uint32_t ctx_len, uint32_t temperature)
{
    memset(f, 0, sizeof *f);
    if (!flm_test_stories_open(&f->st))
        return false;
    flm_engine_config_t cfg = { .ctx_len = ctx_len, .max_prompt_bytes = 256,
                                .sampler = { .temperature = temperature, .top_p = 58982,
                                             .seed = 42 },
                                .confidence = true };
    if (flm_engine_ram(&f->st.model, &cfg, &f->need) != FLM_OK)
        return false;
    f->mem = malloc(f->need);
    flm_arena_init(&f->arena, f->mem, f->need);
    return flm_engine_init(&f->eng, &f->st.model, &cfg, &f->arena) == FLM_OK;
}

static void teardown(fixture_t *f)
{
    flm_engine_deinit(&f->eng);
    free(f->mem);
    flm_test_stories_close(&f->st);
}

static flm_err_t start(fixture_t *f, const char *prompt, uint32_t steps)
{
    return flm_engine_start(&f->eng, (const uint8_t *)prompt, strlen(prompt), steps);
}

/* Run to the end; the text goes to buf. Returns the step count, -1 on error. */
static int run_all(fixture_t *f, char *buf, size_t cap, flm_engine_token_t *last)
{
    size_t len = 0;
    int n = 0;
    do {
        if (flm_engine_step(&f->eng, last) != FLM_OK)
            return -1;
        n++;
        if (len + last->piece_len < cap) {
            memcpy(buf + len, last->piece, last->piece_len);
            len += last->piece_len;
        }
    } while (last->status == FLM_ENGINE_RUNNING);
    buf[len] = '\0';
    return n;
}

FLM_TEST(engine_prompt_is_forced_and_echoed)
{
    fixture_t f;
    if (!flm_test_shared("models/stories260K.bin"))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    FLM_CHECK(setup(&f, 0, 0));
    FLM_CHECK_EQ(start(&f, "Once upon a time", 20), FLM_OK);
    uint32_t n_prompt = f.eng.n_prompt;
    FLM_CHECK(n_prompt > 2 && n_prompt < 10);
    flm_engine_token_t t;
    char text[512];
    size_t len = 0;
    /* as llama2.c: 20 steps are 20 forward passes, positions 1..20 out */
    for (uint32_t pos = 1; pos <= 20; pos++) {
        FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_OK);
        FLM_CHECK_EQ(t.pos, pos);
        FLM_CHECK_EQ(t.forced, pos < n_prompt);
        if (t.forced)
            FLM_CHECK_EQ(t.token, f.eng.prompt[pos]);
        FLM_CHECK(t.conf.logprob <= 0 && t.conf.entropy >= 0);
        FLM_CHECK(t.conf.entropy <= 6 * 65536); /* ln 512 = 6.24 */
        FLM_CHECK_EQ(t.status, pos == 20 ? FLM_ENGINE_DONE_LENGTH : FLM_ENGINE_RUNNING);
        memcpy(text + len, t.piece, t.piece_len);
        len += t.piece_len;
    }
    text[len] = '\0';
    FLM_CHECK_MSG(strncmp(text, "Once upon a time", 16) == 0 && len > 30, "%s", text);
    FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_ERR_STATE);
    teardown(&f);
}

FLM_TEST(engine_cancel_and_restart)
{
    fixture_t f;
    if (!flm_test_shared("models/stories260K.bin"))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    FLM_CHECK(setup(&f, 64, 0));
    flm_engine_token_t t;
    FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_ERR_STATE); /* not started */
    FLM_CHECK_EQ(start(&f, "Tom had a big red ball", 40), FLM_OK);
    for (int i = 0; i < 3; i++)
        FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_OK);
    flm_engine_cancel(&f.eng);
    FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_ERR_CANCELLED);

    /* a restart is a fresh session: greedy gives the same text twice */
    char a[2048], b[2048];
    FLM_CHECK_EQ(start(&f, "Tom had a big red ball", 40), FLM_OK);
    FLM_CHECK(run_all(&f, a, sizeof a, &t) > 0);
    FLM_CHECK_EQ(start(&f, "Tom had a big red ball", 40), FLM_OK);
    FLM_CHECK(run_all(&f, b, sizeof b, &t) > 0);
    FLM_CHECK_MSG(strcmp(a, b) == 0, "%s\n%s", a, b);
    teardown(&f);
}

FLM_TEST(engine_done_at_context_end)
{
    fixture_t f;
    if (!flm_test_shared("models/stories260K.bin"))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    FLM_CHECK(setup(&f, 24, 0));
    FLM_CHECK_EQ(start(&f, "Once upon a time", 0), FLM_OK);
    flm_engine_token_t t;
    char text[1024];
    FLM_CHECK_EQ(run_all(&f, text, sizeof text, &t), 24);
    FLM_CHECK_EQ(t.status, FLM_ENGINE_DONE_CONTEXT);
    FLM_CHECK_EQ(t.pos, 24);
    /* prompts that do not fit are refused */
    char big[300];
    memset(big, 'a', sizeof big);
    FLM_CHECK_EQ(flm_engine_start(&f.eng, (const uint8_t *)big, sizeof big, 0),
                 FLM_ERR_ENGINE_PROMPT_TOO_LONG);
    FLM_CHECK_EQ(flm_engine_start(&f.eng, (const uint8_t *)"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"
                                  "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xff\xfe\xfd\xfc\xfb\xfa\xf9"
                                  "\xf8\xf7", 25, 0), FLM_ERR_ENGINE_CONTEXT_FULL);
    FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_ERR_STATE);
    teardown(&f);
}

FLM_TEST(engine_stops_at_end_of_text)
{
    fixture_t f;
    if (!flm_test_shared("models/stories260K.bin"))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    FLM_CHECK(setup(&f, 0, 65536));
    flm_engine_token_t t;
    char text[8192];
    /* sampled stories end with BOS/EOS well before 512 positions */
    int ended = 0;
    for (int i = 0; i < 4; i++) {
        FLM_CHECK_EQ(start(&f, "", 0), FLM_OK);
        FLM_CHECK(run_all(&f, text, sizeof text, &t) > 0);
        if (t.status == FLM_ENGINE_DONE_EOS) {
            ended++;
            FLM_CHECK(t.token == 1 || t.token == 2);
            FLM_CHECK_EQ(t.piece_len, 0);
        }
    }
    FLM_CHECK(ended > 0);
    teardown(&f);
}

FLM_TEST(engine_arena_sizing)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    flm_engine_config_t cfg = { .ctx_len = 128, .sampler = { 0, 0, 1 } };
    size_t need;
    FLM_CHECK_EQ(flm_engine_ram(&st.model, &cfg, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    flm_arena_t a;
    flm_engine_t e;
    /* too small: NOMEM and the arena is left as it was */
    flm_arena_init(&a, mem, need / 2);
    FLM_CHECK_EQ(flm_engine_init(&e, &st.model, &cfg, &a), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(flm_arena_used(&a), 0);
    flm_arena_init(&a, mem, need);
    FLM_CHECK_EQ(flm_engine_init(&e, &st.model, &cfg, &a), FLM_OK);
    FLM_CHECK(flm_arena_high_water(&a) <= need);
    FLM_CHECK(flm_arena_high_water(&a) + 64 >= need);
    flm_engine_deinit(&e);
    cfg.ctx_len = st.model.cfg.seq_len + 1;
    FLM_CHECK_EQ(flm_engine_ram(&st.model, &cfg, &need), FLM_ERR_ARG);
    flm_arena_init(&a, mem, need);
    FLM_CHECK_EQ(flm_engine_init(&e, &st.model, &cfg, &a), FLM_ERR_ARG);
    free(mem);
    flm_test_stories_close(&st);
}

/* Greedy continuations vs the float reference: how many generated tokens
 * agree before the first difference (text compared, newlines as spaces). */
FLM_TEST(engine_greedy_matches_reference)
{
    fixture_t f;
    const char *path = flm_test_shared("reference/stories260K.greedy.tsv");
    size_t size;
    char *ref = path ? flm_test_read_file(path, &size) : NULL;
    if (!ref)
        FLM_SKIP("needs ../shared/reference/stories260K.greedy.tsv");
    FLM_CHECK(setup(&f, 0, 0));
    int prompts = 0, good = 0;
    for (char *line = ref; *line;) {
        char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
        if (nl)
            *nl = '\0';
        if (!tab || (nl && tab > nl))
            break;
        *tab = '\0';
        const char *want = tab + 1;
        FLM_CHECK_EQ(start(&f, line, 96), FLM_OK);
        flm_engine_token_t t;
        size_t len = 0;
        int same = 0;
        bool diverged = false;
        do {
            FLM_CHECK_EQ(flm_engine_step(&f.eng, &t), FLM_OK);
            for (size_t i = 0; i < t.piece_len && !diverged; i++) {
                char c = t.piece[i] == '\n' ? ' ' : (char)t.piece[i];
                diverged = want[len + i] != c;
            }
            len += t.piece_len;
            if (!diverged && !t.forced)
                same++;
        } while (t.status == FLM_ENGINE_RUNNING && !diverged);
        printf("    %-32s %d tokens match\n", line, same);
        prompts++;
        good += same >= 10;
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(ref);
    teardown(&f);
    printf("    %d of %d prompts match for >= 10 tokens\n", good, prompts);
    FLM_CHECK_EQ(prompts, 8);
    FLM_CHECK(good >= 4);
}

/* Batched prefill in the engine: the prompt's positions as blocks give the
 * same tokens and pieces as one at a time, greedy and sampled, with
 * confidence switched on in the middle of a block (that position is run
 * again for its logits) and for a prompt longer than several blocks. */
static bool engine_text(flm_test_stories_t *st, uint32_t block, uint32_t temperature,
                        const char *prompt, int conf_at, char *buf, size_t cap)
{
    flm_engine_config_t cfg = { .ctx_len = 128, .max_prompt_bytes = 512,
                                .sampler = { .temperature = temperature, .top_p = 58982, .seed = 9 },
                                .prefill_block = block };
    size_t need;
    if (flm_engine_ram(&st->model, &cfg, &need) != FLM_OK)
        return false;
    uint8_t *mem = malloc(need);
    flm_arena_t a;
    flm_arena_init(&a, mem, need);
    flm_engine_t e;
    bool ok = mem && flm_engine_init(&e, &st->model, &cfg, &a) == FLM_OK &&
              flm_engine_start(&e, (const uint8_t *)prompt, strlen(prompt), 100) == FLM_OK;
    size_t len = 0;
    flm_engine_token_t t;
    for (int i = 0; ok; i++) {
        e.confidence = i == conf_at;
        ok = flm_engine_step(&e, &t) == FLM_OK;
        if (!ok)
            break;
        int w = snprintf(buf + len, cap - len, "%u:%.*s:%d|", t.token, (int)t.piece_len,
                         (const char *)t.piece, t.conf.logprob);
        if (w < 0 || (size_t)w >= cap - len)
            ok = false;
        else
            len += (size_t)w;
        if (t.status != FLM_ENGINE_RUNNING)
            break;
    }
    if (mem)
        flm_engine_deinit(&e);
    free(mem);
    return ok;
}

FLM_TEST(engine_prefill_blocks_same_tokens)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    static char want[16384], got[16384];
    static const char *prompts[] = {
        "Once upon a time",
        "Lily and Ben went to the park. They saw a big dog and a little cat. The dog was",
    };
    for (size_t p = 0; p < 2; p++)
        for (uint32_t temp = 0; temp <= 52429; temp += 52429)
            for (int conf_at = -1; conf_at <= 5; conf_at += 6) {
                FLM_CHECK(engine_text(&st, 0, temp, prompts[p], conf_at, want, sizeof want));
                for (uint32_t block = 2; block <= 16; block += 7) {
                    FLM_CHECK(engine_text(&st, block, temp, prompts[p], conf_at, got, sizeof got));
                    FLM_CHECK_MSG(strcmp(want, got) == 0, "block %u, prompt %zu, temp %u", block,
                                  p, temp);
                }
            }
    flm_test_stories_close(&st);
}
