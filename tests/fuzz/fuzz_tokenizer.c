/* The tokenizer (core/infer/tokenizer.c) on any text, over a vocabulary
 * built here: llama2.c's three specials, the 256 byte tokens, printable
 * ASCII, some UTF-8 letters and merges, plus merges the input names. Every
 * encoding decodes back to the text (llama2.c's rule: the dummy prefix
 * space after BOS is dropped), and decoding any id is bounded. */
#include "core/infer/tokenizer.h"
#include "tests/fuzz/fuzz.h"

#define MAX_TOKENS 600

static struct {
    uint32_t offsets[MAX_TOKENS + 1];
    uint8_t  bytes[MAX_TOKENS * 8];
    int32_t  scores[MAX_TOKENS];
    uint32_t sorted[MAX_TOKENS];
    uint32_t n, used;
} V;

static void add(const char *s, size_t len, int32_t score)
{
    if (V.n >= MAX_TOKENS || V.used + len > sizeof V.bytes)
        return;
    for (uint32_t i = 0; i < V.n; i++) /* no duplicates */
        if (V.offsets[i + 1] - V.offsets[i] == len && memcmp(V.bytes + V.offsets[i], s, len) == 0)
            return;
    V.offsets[V.n] = V.used;
    memcpy(V.bytes + V.used, s, len);
    V.used += (uint32_t)len;
    V.scores[V.n] = score;
    V.n++;
    V.offsets[V.n] = V.used;
}

static int by_bytes(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t lx = V.offsets[x + 1] - V.offsets[x], ly = V.offsets[y + 1] - V.offsets[y];
    int c = memcmp(V.bytes + V.offsets[x], V.bytes + V.offsets[y], lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* The fixed part once; the input's merges on top of it each time. */
static uint32_t base_n, base_used;

static void build(const uint8_t *extra, size_t n)
{
    if (base_n == 0) {
        memset(&V, 0, sizeof V);
        add("<unk>", 5, 0);
        add("<s>", 3, 0);
        add("</s>", 4, 0);
        for (int b = 0; b < 256; b++) {
            char t[8];
            snprintf(t, sizeof t, "<0x%02X>", b);
            add(t, 6, 0);
        }
        for (int c = 32; c < 127; c++) {
            char ch = (char)c;
            add(&ch, 1, -1000 + c);
        }
        static const char *const merges[] = { "th", "he", "the", " t", " the", "in", "ing", " a", "an",
                                              "\xc3\xa9", "t\xc3\xa9", "  ", "   ", "on", "ce", "Once",
                                              "\xe2\x82\xac", "\xf0\x9f\x98\x80", "ab", "abc", "bc" };
        for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++)
            add(merges[i], strlen(merges[i]), (int32_t)(100 - i * 3));
        base_n = V.n;
        base_used = V.used;
    }
    V.n = base_n;
    V.used = base_used;
    /* The input's own merges: pairs of its leading bytes, scored by a byte. */
    for (size_t i = 0; i + 3 <= n && i < 90; i += 3)
        add((const char *)extra + i, 2, (int32_t)extra[i + 2] - 128);
    for (uint32_t i = 0; i < V.n; i++)
        V.sorted[i] = i;
    qsort(V.sorted, V.n, sizeof V.sorted[0], by_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    size_t nextra = (size_t)(opt >> 3) * 3;
    if (nextra > size)
        nextra = size;
    build(data, nextra);
    data += nextra;
    size -= nextra;

    flm_vocab_t v = { .vocab_size = V.n, .max_token_len = 8, .bos_id = 1, .eos_id = 2,
                      .offsets = V.offsets, .bytes = V.bytes, .scores = V.scores, .sorted = V.sorted };
    flm_tokenizer_t t;
    FUZZ_CHECK(flm_tokenizer_init(&t, &v) == FLM_OK);
    size_t cap = size + 3;
    uint32_t *ids = malloc(cap * sizeof *ids);
    void *scratch = malloc(flm_tokenizer_scratch_bytes(size));
    FUZZ_CHECK(ids && scratch);
    bool bos = opt & 1, eos = opt & 2;
    size_t n = 0;
    flm_err_t err = flm_tokenizer_encode(&t, data, size, bos, eos, ids, cap, &n, scratch);
    FUZZ_CHECK(err == FLM_OK);
    FUZZ_CHECK(n <= cap);
    /* Decode back: the text, after BOS without the dummy prefix's space. */
    uint8_t *back = malloc(size + 8 * n + 2);
    size_t blen = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(ids[i] < V.n);
        if ((bos && i == 0 && ids[i] == 1) || (eos && i == n - 1 && ids[i] == 2))
            continue;
        const uint8_t *piece;
        size_t len;
        FUZZ_CHECK(flm_tokenizer_decode(&t, i ? ids[i - 1] : 0, ids[i], &piece, &len) == FLM_OK);
        memcpy(back + blen, piece, len);
        blen += len;
    }
    if (bos)
        FUZZ_CHECK(blen == size && (size == 0 || memcmp(back, data, size) == 0));
    else if (size)
        FUZZ_CHECK(blen == size + 1 && back[0] == ' ' && memcmp(back + 1, data, size) == 0);
    /* Too small an output: an error, never an overrun. */
    if (n > 1)
        FUZZ_CHECK(flm_tokenizer_encode(&t, data, size, bos, eos, ids, n - 1, &n, scratch) == FLM_ERR_OVERFLOW);
    /* Any id: in range it decodes, out of range it is refused. */
    for (size_t i = 0; i + 2 <= size && i < 64; i += 2) {
        uint32_t id = (uint32_t)(data[i] | data[i + 1] << 8);
        const uint8_t *piece;
        size_t len;
        flm_err_t e = flm_tokenizer_decode(&t, 1, id, &piece, &len);
        FUZZ_CHECK(id < V.n ? e == FLM_OK : e == FLM_ERR_ARG);
        uint32_t found;
        (void)flm_tokenizer_lookup(&t, data + i, 2, &found);
    }
    free(back);
    free(ids);
    free(scratch);
    flm_tokenizer_deinit(&t);
    return 0;
}
