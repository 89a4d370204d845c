/* Tokenizer: encode equals llama2.c's encode (tests/fixtures/tok_ref.c) on real
 * text and tricky bytes, and decode(encode(x)) == x. */
#include <stdlib.h>
#include <string.h>

#include "core/infer/tokenizer.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/stories.h"
#include "tests/fixtures/tok_ref.h"

static bool load(flm_test_tokfile_t *f, const char *rel, uint32_t n)
{
    const char *path = flm_test_shared(rel);
    return path && flm_test_tokfile_load(f, path, n);
}

/* Encode text both ways; true if they agree. Reports the first mismatch. */
static bool same_as_llama2c(const flm_test_tokfile_t *f, const flm_tokenizer_t *tok,
                            const char *text, size_t len)
{
    int *ref = malloc((len + 3) * sizeof *ref);
    uint32_t *ids = malloc((len + 3) * sizeof *ids);
    void *scratch = malloc(flm_tokenizer_scratch_bytes(len));
    size_t n = 0;
    int nref = flm_test_ref_encode(f, text, true, false, ref);
    flm_err_t err = flm_tokenizer_encode(tok, (const uint8_t *)text, len, true, false, ids,
                                         len + 3, &n, scratch);
    bool ok = err == FLM_OK && n == (size_t)nref;
    for (size_t i = 0; ok && i < n; i++)
        ok = ids[i] == (uint32_t)ref[i];
    if (!ok)
        printf("    mismatch (err %d, n %zu vs %d) on: %.60s\n", err, n, nref, text);
    free(ref);
    free(ids);
    free(scratch);
    return ok;
}

/* decode(encode(text)) == text */
static bool round_trips(const flm_tokenizer_t *tok, const uint8_t *text, size_t len)
{
    uint32_t *ids = malloc((len + 3) * sizeof *ids);
    void *scratch = malloc(flm_tokenizer_scratch_bytes(len));
    uint8_t *out = malloc(len + 1);
    size_t n = 0, olen = 0;
    bool ok = flm_tokenizer_encode(tok, text, len, true, false, ids, len + 3, &n, scratch) == FLM_OK;
    for (size_t i = 1; ok && i < n; i++) {
        const uint8_t *p;
        size_t plen;
        ok = flm_tokenizer_decode(tok, ids[i - 1], ids[i], &p, &plen) == FLM_OK &&
             olen + plen <= len;
        if (ok) {
            memcpy(out + olen, p, plen);
            olen += plen;
        }
    }
    ok = ok && olen == len && memcmp(out, text, len) == 0;
    if (!ok)
        printf("    round trip failed on: %.60s\n", (const char *)text);
    free(ids);
    free(scratch);
    free(out);
    return ok;
}

/* The data file, read whole (NULL if absent). */
static char *read_data(void)
{
    size_t size;
    const char *path = flm_test_shared("data/tinystories_train_head_197k.txt");
    return path ? flm_test_read_file(path, &size) : NULL;
}

/* Checks each line of data (up to max lines); returns the failures. */
static int for_each_line(char *data, int max, const flm_test_tokfile_t *f,
                         const flm_tokenizer_t *tok, int *lines)
{
    int bad = 0;
    *lines = 0;
    for (char *line = data; line && *lines < max; (*lines)++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        if (!same_as_llama2c(f, tok, line, len) || !round_trips(tok, (uint8_t *)line, len))
            bad++;
        if (nl)
            *nl = '\n';
        line = nl ? nl + 1 : NULL;
        if (bad > 5)
            break;
    }
    return bad;
}

FLM_TEST(tokenizer_tok512_whole_file)
{
    flm_test_tokfile_t f;
    char *data = read_data();
    if (!data || !load(&f, "models/tok512.bin", 512)) {
        free(data);
        FLM_SKIP("needs ../shared/models/tok512.bin and data/");
    }
    flm_tokenizer_t tok;
    FLM_CHECK_EQ(flm_tokenizer_init(&tok, &f.vocab), FLM_OK);
    int lines;
    int bad = for_each_line(data, 1 << 30, &f, &tok, &lines);
    free(data);
    flm_test_tokfile_free(&f);
    FLM_CHECK_EQ(bad, 0);
    FLM_CHECK(lines > 2000);
}

static const char *const tricky[] = {
    "Once upon a time",
    " leading space",
    "  two spaces\tand a tab\n",
    "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80!",
    "\xf0\x9f\xa6\x99\xf0\x9f\xa7\xa0",  /* emoji the vocabulary lacks: byte fallback */
    "stray \x80\x80 continuation",
    "truncated \xe6\x97 sequence",
    "\xff\xfe invalid lead bytes",
    "\xf8\x88\x80\x80\x80 five-byte form",
    "<0x41> looks like a byte token",
    "<s> </s> <unk>",
    "a",
    " ",
    "\xc3",
};

static int check_tricky(const flm_test_tokfile_t *f, const flm_tokenizer_t *tok)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        size_t len = strlen(tricky[i]);
        if (!same_as_llama2c(f, tok, tricky[i], len) ||
            !round_trips(tok, (const uint8_t *)tricky[i], len))
            bad++;
    }
    return bad;
}

FLM_TEST(tokenizer_tok32k_lines_and_utf8)
{
    flm_test_tokfile_t f;
    char *data = read_data();
    if (!data || !load(&f, "models/tokenizer.bin", 32000)) {
        free(data);
        FLM_SKIP("needs ../shared/models/tokenizer.bin and data/");
    }
    flm_tokenizer_t tok;
    FLM_CHECK_EQ(flm_tokenizer_init(&tok, &f.vocab), FLM_OK);
    int bad = check_tricky(&f, &tok);
    int lines;
    bad += for_each_line(data, 300, &f, &tok, &lines);
    free(data);
    flm_test_tokfile_free(&f);
    FLM_CHECK_EQ(bad, 0);
    FLM_CHECK_EQ(lines, 300);
}

FLM_TEST(tokenizer_tok512_tricky)
{
    flm_test_tokfile_t f;
    if (!load(&f, "models/tok512.bin", 512))
        FLM_SKIP("needs ../shared/models/tok512.bin");
    flm_tokenizer_t tok;
    FLM_CHECK_EQ(flm_tokenizer_init(&tok, &f.vocab), FLM_OK);
    int bad = check_tricky(&f, &tok);
    /* text that spells a special or a byte token is not merged into it:
     * "<s>" as BOS would lose the space after it, "<0x41>" would decode
     * to "A" (fuzz_tokenizer's find) */
    static const char *const spelled[] = { "<s> Once", "a <s> b", "</s> end", "<unk>!", "<0x41> x",
                                           "<0xC8>" };
    for (size_t i = 0; i < sizeof spelled / sizeof spelled[0]; i++)
        if (!round_trips(&tok, (const uint8_t *)spelled[i], strlen(spelled[i])))
            bad++;
    /* NUL is just another byte (llama2.c would stop at it) */
    static const uint8_t nul[] = { 'a', 0, 'b' };
    if (!round_trips(&tok, nul, sizeof nul))
        bad++;
    flm_test_tokfile_free(&f);
    FLM_CHECK_EQ(bad, 0);
}

FLM_TEST(tokenizer_edges)
{
    flm_test_tokfile_t f;
    if (!load(&f, "models/tok512.bin", 512))
        FLM_SKIP("needs ../shared/models/tok512.bin");
    flm_tokenizer_t tok;
    FLM_CHECK_EQ(flm_tokenizer_init(&tok, &f.vocab), FLM_OK);
    uint32_t ids[8], scratch[64];
    size_t n = 99;

    /* empty text: no dummy prefix */
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, NULL, 0, true, true, ids, 8, &n, scratch), FLM_OK);
    FLM_CHECK_EQ(n, 2);
    FLM_CHECK_EQ(ids[0], 1);
    FLM_CHECK_EQ(ids[1], 2);
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, NULL, 0, false, false, ids, 0, &n, scratch), FLM_OK);
    FLM_CHECK_EQ(n, 0);

    /* the result must fit */
    const uint8_t *hello = (const uint8_t *)"\xff\xfe\xfd";
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, hello, 3, true, false, ids, 4, &n, scratch),
                 FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, hello, 3, true, false, ids, 5, &n, scratch), FLM_OK);
    FLM_CHECK_EQ(n, 5);
    FLM_CHECK_EQ(ids[2], 0xff + 3);

    /* decode: byte tokens give raw bytes; a space is stripped after BOS only */
    const uint8_t *p;
    size_t plen;
    FLM_CHECK_EQ(flm_tokenizer_decode(&tok, 5, 0x41 + 3, &p, &plen), FLM_OK);
    FLM_CHECK(plen == 1 && p[0] == 0x41);
    uint32_t space;
    FLM_CHECK_EQ(flm_tokenizer_lookup(&tok, (const uint8_t *)" t", 2, &space), FLM_OK);
    FLM_CHECK_EQ(flm_tokenizer_decode(&tok, 1, space, &p, &plen), FLM_OK);
    FLM_CHECK(plen == 1 && p[0] == 't');
    FLM_CHECK_EQ(flm_tokenizer_decode(&tok, 7, space, &p, &plen), FLM_OK);
    FLM_CHECK(plen == 2 && p[0] == ' ');
    FLM_CHECK_EQ(flm_tokenizer_decode(&tok, 1, 512, &p, &plen), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_tokenizer_lookup(&tok, (const uint8_t *)"zzzzzzzz", 8, &space),
                 FLM_ERR_NOT_FOUND);

    /* bad arguments and vocabularies are errors, not crashes */
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, hello, 3, true, false, ids, 8, &n, NULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, hello, 3, true, false, ids, 8, &n,
                                      (uint8_t *)scratch + 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_tokenizer_encode(&tok, hello, SIZE_MAX, true, false, ids, 8, &n, scratch),
                 FLM_ERR_OVERFLOW);
    flm_vocab_t bad = f.vocab;
    bad.vocab_size = 200;
    flm_tokenizer_t t2;
    FLM_CHECK_EQ(flm_tokenizer_init(&t2, &bad), FLM_ERR_ARG);
    bad = f.vocab;
    bad.bos_id = 512;
    FLM_CHECK_EQ(flm_tokenizer_init(&t2, &bad), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_tokenizer_init(&t2, NULL), FLM_ERR_ARG);
    flm_test_tokfile_free(&f);
}

/* The vocabulary the converter writes into an image encodes exactly like
 * the llama2.c file it came from. */
FLM_TEST(tokenizer_from_image)
{
    flm_test_tokfile_t f;
    flm_test_stories_t st;
    char *data = read_data();
    if (!data || !load(&f, "models/tok512.bin", 512)) {
        free(data);
        FLM_SKIP("needs ../shared/models and data/");
    }
    bool opened = flm_test_stories_open(&st);
    flm_tokenizer_t tok;
    int bad = -1, lines = 0;
    if (opened && flm_tokenizer_init(&tok, &st.model.vocab) == FLM_OK)
        bad = for_each_line(data, 300, &f, &tok, &lines);
    free(data);
    flm_test_tokfile_free(&f);
    flm_test_stories_close(&st);
    FLM_CHECK(opened);
    FLM_CHECK_EQ(bad, 0);
    FLM_CHECK_EQ(lines, 300);
}
