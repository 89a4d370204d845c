/* The OpenAI reply parsers (core/cloud/openai.c): a whole chat.completion,
 * a streamed body through the SSE reader in pieces the input chooses, one
 * chunk, and an error body. Whatever the server sends: the answer stays in
 * its buffer, usage is in range, and the error texts are printable and hold
 * no run of the secret. */
#include "core/cloud/openai.h"
#include "tests/fuzz/fuzz.h"

static const char secret[] = "sk-fuzz-0123456789abcdefXYZ";

static flm_err_t on_delta(void *user, const char *text, size_t n)
{
    (void)user;
    FUZZ_CHECK(n > 0 && text != NULL);
    return text[0] == '!' && n == 1 ? FLM_ERR_CANCELLED : FLM_OK;
}

static void check_result(const flm_openai_result_t *res, size_t cap)
{
    FUZZ_CHECK(res->text_len < cap && res->text[res->text_len] == '\0');
    if (res->has_usage)
        FUZZ_CHECK(res->prompt_tokens >= 0 && res->prompt_tokens <= FLM_OPENAI_USAGE_MAX &&
                   res->completion_tokens >= 0 && res->completion_tokens <= FLM_OPENAI_USAGE_MAX &&
                   res->total_tokens >= 0 && res->total_tokens <= 2 * (int64_t)FLM_OPENAI_USAGE_MAX);
    const char *texts[] = { res->err_message, res->err_type, res->err_code, res->finish_reason };
    for (size_t i = 0; i < 4; i++) {
        FUZZ_CHECK(flm_fuzz_printable(texts[i]));
        FUZZ_CHECK(!flm_fuzz_holds_run_of(texts[i], secret, FLM_OPENAI_MASK_MIN));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    flm_fuzz_split_t sp;
    flm_fuzz_split_init(&sp, &data, &size);
    uint8_t *in = flm_fuzz_copy(data, size);
    size_t cap = opt & 0x80 ? 16 : 512;
    char *text = malloc(cap);
    flm_openai_result_t res;
    flm_openai_result_init(&res, text, cap, on_delta, NULL);
    flm_openai_result_set_secret(&res, secret);
    switch (opt & 3) {
    case 0:
        (void)flm_openai_parse_response(&res, (const char *)in, size);
        break;
    case 1: {
        size_t evcap = 64 + (size_t)(opt >> 2 & 31) * 64;
        char *ev = malloc(evcap);
        flm_openai_stream_t st;
        flm_err_t err = flm_openai_stream_init(&st, ev, evcap, &res);
        for (size_t off = 0; !err && off < size;) {
            size_t k = flm_fuzz_split_next(&sp, size - off);
            err = flm_openai_stream_feed(&st, in + off, k);
            off += k;
        }
        if (!err)
            err = flm_openai_stream_finish(&st);
        if (!err)
            FUZZ_CHECK(res.done);
        free(ev);
        break;
    }
    case 2:
        (void)flm_openai_parse_chunk(&res, (const char *)in, size);
        break;
    default:
        (void)flm_openai_parse_error(&res, (const char *)in, size);
        break;
    }
    check_result(&res, cap);
    /* The text filter on its own, over raw bytes. */
    char out[FLM_OPENAI_ERR_MSG_MAX];
    size_t n = flm_openai_safe_text(out, sizeof out, (const char *)in, size, secret);
    FUZZ_CHECK(n < sizeof out && out[n] == '\0' && flm_fuzz_printable(out));
    FUZZ_CHECK(!flm_fuzz_holds_run_of(out, secret, FLM_OPENAI_MASK_MIN));
    flm_openai_result_reset(&res);
    FUZZ_CHECK(res.secret == secret);
    free(text);
    free(in);
    return 0;
}
