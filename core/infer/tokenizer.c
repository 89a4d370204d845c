/*
 * llama2.c-compatible BPE tokenizer without heap, and GPT-2's byte-level
 * BPE over the same vocabulary layout.
 *
 * llama2.c sorts the vocabulary at run time (malloc + qsort) to binary-search
 * it; the image stores that order instead (flm_vocab_t.sorted). Merging
 * follows run.c's encode step by step; we only cache each adjacent pair's
 * merge candidate so a merge costs two lookups instead of one per pair.
 *
 * The byte-level BPE (vocab->kind FLM_TOK_KIND_BPE) cuts the text into
 * words with GPT-2's pattern (or SmolLM's: every digit alone first), starts
 * each word as one token per byte and merges, within the word, the pair
 * whose merge has the lowest rank (the leftmost on a tie), as GPT-2 does:
 * the pair (a, b) merges when the token spelled a || b exists and its
 * merge's left part is a (vocab->merge_left).
 */
#include "core/infer/tokenizer.h"

#include <string.h>

#include "core/infer/unicode_class.h"
#include "core/model/model_format.h"

#define NO_MERGE UINT32_MAX

/* run.c starts the best-score search at -1e10f: only merges scoring above it
 * count. This is the order-preserving key of -1e10f (bits 0xD01502F9). */
#define MIN_MERGE_KEY (-1343554298)

/* Byte-fallback tokens "<0xNN>" are ids NN + 3. */
#define BYTE_TOKEN_BASE 3u

/* Raw bytes 0..255, for decoding byte tokens to a 1-byte piece. */
static const uint8_t byte_pieces[256] = {
#define R16(h) h+0x0,h+0x1,h+0x2,h+0x3,h+0x4,h+0x5,h+0x6,h+0x7,h+0x8,h+0x9,h+0xA,h+0xB,h+0xC,h+0xD,h+0xE,h+0xF
    R16(0x00), R16(0x10), R16(0x20), R16(0x30), R16(0x40), R16(0x50), R16(0x60), R16(0x70),
    R16(0x80), R16(0x90), R16(0xA0), R16(0xB0), R16(0xC0), R16(0xD0), R16(0xE0), R16(0xF0),
#undef R16
};

static const uint8_t *tok_bytes(const flm_vocab_t *v, uint32_t id, size_t *len)
{
    *len = v->offsets[id + 1] - v->offsets[id];
    return v->bytes + v->offsets[id];
}

/* The key of -0.0f is -1 and that of +0.0f is 0; the floats compare equal,
 * so fold them together to keep run.c's tie-breaking exact. */
static int32_t score_key(const flm_vocab_t *v, uint32_t id)
{
    int32_t k = v->scores[id];
    return k == -1 ? 0 : k;
}

/* Order of x against the concatenation a || b: memcmp order, shorter first
 * on a common prefix (the order of flm_vocab_t.sorted). */
static int cmp_concat(const uint8_t *x, size_t xlen, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen)
{
    size_t n = xlen < alen ? xlen : alen;
    int c = n ? memcmp(x, a, n) : 0;
    if (c || xlen < alen)
        return c ? c : -1;
    xlen -= alen;
    n = xlen < blen ? xlen : blen;
    c = n ? memcmp(x + alen, b, n) : 0;
    if (c)
        return c;
    return (xlen > blen) - (xlen < blen);
}

/* Binary search for the token spelled a || b. */
static bool lookup2(const flm_vocab_t *v, const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen, uint32_t *id)
{
    size_t lo = 0, hi = v->vocab_size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t xlen;
        const uint8_t *x = tok_bytes(v, v->sorted[mid], &xlen);
        int c = cmp_concat(x, xlen, a, alen, b, blen);
        if (c == 0) {
            *id = v->sorted[mid];
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Tokens a merge never gives: the specials (id 0, BOS, EOS) and the byte
 * tokens "<0xNN>", which sentencepiece keeps out of its merges. Text that
 * spells one ("<s>", "<0xC8>") stays the pieces it is made of, so it
 * decodes back to itself: merged into BOS, the space after it would be
 * stripped; merged into a byte token, it would decode to that byte.
 * llama2.c's run.c merges them; it and fieldlm differ on such text only
 * (found by fuzz_tokenizer). */
static bool reserved(const flm_vocab_t *v, uint32_t id)
{
    if (id == v->bos_id || id == v->eos_id)
        return true;
    if (v->kind == FLM_TOK_KIND_BPE) /* byte-level: id 0 is a byte */
        return false;
    if (id == 0)
        return true;
    if (id < BYTE_TOKEN_BASE || id >= BYTE_TOKEN_BASE + 256u)
        return false;
    size_t len;
    const uint8_t *b = tok_bytes(v, id, &len);
    return len == 6 && memcmp(b, "<0x", 3) == 0 && b[5] == '>';
}

/* The token that merging the pair (l, r) would give, or NO_MERGE. */
static uint32_t merge_of(const flm_vocab_t *v, uint32_t l, uint32_t r)
{
    size_t llen, rlen;
    const uint8_t *lb = tok_bytes(v, l, &llen);
    const uint8_t *rb = tok_bytes(v, r, &rlen);
    uint32_t id;
    return lookup2(v, lb, llen, rb, rlen, &id) && !reserved(v, id) ? id : NO_MERGE;
}

/* The byte-level BPE: every byte is a token, ranks and merges present. */
static flm_err_t init_bpe(flm_tokenizer_t *t, const flm_vocab_t *v)
{
#if FLM_CFG_TOKENIZER_BPE
    if (!v->merge_left || v->pre == 0 || v->pre >= FLM_TOK_PRE_COUNT)
        return FLM_ERR_ARG;
    for (uint32_t b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        uint32_t id;
        if (!lookup2(v, &byte, 1, NULL, 0, &id))
            return FLM_ERR_ARG;
    }
    t->space_id = FLM_TOK_NO_MERGE; /* no dummy prefix */
    t->vocab = v;
    return FLM_OK;
#else
    (void)t;
    (void)v;
    return FLM_ERR_UNSUPPORTED;
#endif
}

flm_err_t flm_tokenizer_init(flm_tokenizer_t *t, const flm_vocab_t *v)
{
    if (!t || !v || !v->offsets || !v->bytes || !v->scores || !v->sorted)
        return FLM_ERR_ARG;
    memset(t, 0, sizeof *t);
    if (v->bos_id >= v->vocab_size || v->eos_id >= v->vocab_size)
        return FLM_ERR_ARG;
    for (uint32_t i = 0; i < v->vocab_size; i++) {
        if (v->offsets[i + 1] < v->offsets[i] || v->sorted[i] >= v->vocab_size)
            return FLM_ERR_ARG;
    }
    if (v->kind == FLM_TOK_KIND_BPE)
        return init_bpe(t, v);
    if (v->kind != FLM_TOK_KIND_SPM)
        return FLM_ERR_ARG;
    /* Byte fallback needs ids 3..258 (the tables were checked above, so
     * lookups can index them freely). */
    if (v->vocab_size < BYTE_TOKEN_BASE + 256u)
        return FLM_ERR_ARG;
    static const uint8_t space = ' ';
    if (!lookup2(v, &space, 1, NULL, 0, &t->space_id))
        return FLM_ERR_ARG;
    t->vocab = v;
    return FLM_OK;
}

void flm_tokenizer_deinit(flm_tokenizer_t *t)
{
    if (t)
        memset(t, 0, sizeof *t);
}

size_t flm_tokenizer_scratch_bytes(size_t len)
{
    if (len > SIZE_MAX / (2u * sizeof(uint32_t)) - 3u)
        return 0;
    return FLM_TOKENIZER_SCRATCH_BYTES(len);
}

flm_err_t flm_tokenizer_lookup(const flm_tokenizer_t *t, const uint8_t *s, size_t len,
                               uint32_t *id)
{
    if (!t || !t->vocab || (!s && len) || !id)
        return FLM_ERR_ARG;
    return lookup2(t->vocab, s, len, NULL, 0, id) ? FLM_OK : FLM_ERR_NOT_FOUND;
}

#if FLM_CFG_TOKENIZER_BPE
/* ---- byte-level BPE ------------------------------------------------------ */

/* The codepoint at text[i] (its byte length in *len); an invalid or cut
 * sequence is one byte of class "other". */
static uint32_t cp_at(const uint8_t *text, size_t n, size_t i, size_t *len)
{
    uint8_t b = text[i];
    size_t k = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (k == 0 || i + k > n) {
        *len = 1;
        return 0xFFFFFFFFu;
    }
    uint32_t cp = k == 1 ? b : b & (0x7Fu >> k);
    for (size_t j = 1; j < k; j++) {
        if ((text[i + j] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFFFFFFu;
        }
        cp = cp << 6 | (text[i + j] & 0x3Fu);
    }
    *len = k;
    return cp;
}

static uint32_t class_at(const uint8_t *text, size_t n, size_t i, size_t *len)
{
    uint32_t cp = cp_at(text, n, i, len);
    return cp == 0xFFFFFFFFu ? FLM_UC_OTHER : flm_unicode_class(cp);
}

/* The end of the run of `cls` (or, for FLM_UC_OTHER, of neither letter,
 * number nor space) from i. */
static size_t run_of(const uint8_t *text, size_t n, size_t i, uint32_t cls)
{
    size_t k;
    while (i < n && class_at(text, n, i, &k) == cls)
        i += k;
    return i;
}

/* Where the word starting at i ends, by GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * over text[0..n) (n is where the lookahead stops, too). */
static size_t gpt2_word(const uint8_t *text, size_t n, size_t i)
{
    if (text[i] == '\'' && i + 1 < n) {
        static const char *const con[] = { "s", "t", "re", "ve", "m", "ll", "d" };
        for (size_t c = 0; c < sizeof con / sizeof con[0]; c++) {
            size_t l = strlen(con[c]);
            if (i + 1 + l <= n && memcmp(text + i + 1, con[c], l) == 0)
                return i + 1 + l;
        }
    }
    size_t k, j = i + (text[i] == ' ' && i + 1 < n ? 1u : 0u); /* ` ?` */
    uint32_t cls = class_at(text, n, j, &k);
    if (cls != FLM_UC_SPACE)
        return run_of(text, n, j, cls); /* letters, numbers, or other */
    /* white space from i: all of it at the end, else all but its last
     * character (so the next word takes its space), else just it */
    cls = class_at(text, n, i, &k);
    size_t end = run_of(text, n, i, FLM_UC_SPACE);
    if (end == n)
        return end;
    size_t last = i, p = i;
    while (p < end) { /* the start of the last space character */
        last = p;
        class_at(text, n, p, &k);
        p += k;
    }
    return last > i ? last : end;
}

/* Merge the word w[0..m) (one token per byte) by rank; returns its new length. */
static size_t bpe_word(const flm_vocab_t *v, uint32_t *w, uint32_t *pair, size_t m)
{
    for (size_t i = 0; i + 1 < m; i++) {
        uint32_t id = merge_of(v, w[i], w[i + 1]);
        pair[i] = id != NO_MERGE && v->merge_left[id] == w[i] ? id : NO_MERGE;
    }
    while (m > 1) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i + 1 < m; i++)
            if (pair[i] != NO_MERGE && (best == SIZE_MAX || v->scores[pair[i]] < v->scores[pair[best]]))
                best = i;
        if (best == SIZE_MAX)
            break;
        w[best] = pair[best];
        memmove(&w[best + 1], &w[best + 2], (m - best - 2) * sizeof *w);
        memmove(&pair[best], &pair[best + 1], (m - best - 2) * sizeof *pair);
        m--;
        for (size_t i = best > 0 ? best - 1 : 0; i <= best && i + 1 < m; i++) {
            uint32_t id = merge_of(v, w[i], w[i + 1]);
            pair[i] = id != NO_MERGE && v->merge_left[id] == w[i] ? id : NO_MERGE;
        }
    }
    return m;
}

static size_t encode_bpe(const flm_tokenizer_t *t, const uint8_t *text, size_t len, uint32_t *w,
                         uint32_t *pair, size_t m)
{
    const flm_vocab_t *v = t->vocab;
    size_t seg = 0;
    while (seg < len) {
        /* SmolLM: every number character is a segment of its own, and the
         * pattern's lookahead stops at segment ends */
        size_t seg_end = len, k;
        if (v->pre == FLM_TOK_PRE_SMOLLM) {
            if (class_at(text, len, seg, &k) == FLM_UC_NUMBER) {
                seg_end = seg + k;
            } else {
                seg_end = seg;
                while (seg_end < len && class_at(text, len, seg_end, &k) != FLM_UC_NUMBER)
                    seg_end += k;
            }
        }
        for (size_t i = seg; i < seg_end;) {
            size_t e = gpt2_word(text + seg, seg_end - seg, i - seg) + seg, start = m;
            for (size_t b = i; b < e; b++) {
                uint32_t id = 0;
                lookup2(v, &text[b], 1, NULL, 0, &id); /* every byte is a token (init) */
                w[m++] = id;
            }
            m = start + bpe_word(v, w + start, pair + start, m - start);
            i = e;
        }
        seg = seg_end;
    }
    return m;
}
#endif

flm_err_t flm_tokenizer_encode(const flm_tokenizer_t *t, const uint8_t *text, size_t len,
                               bool bos, bool eos, uint32_t *tokens, size_t cap,
                               size_t *n, void *scratch)
{
    if (!t || !t->vocab || (!text && len) || (!tokens && cap) || !n || !scratch ||
        ((uintptr_t)scratch % _Alignof(uint32_t)) != 0)
        return FLM_ERR_ARG;
    if (flm_tokenizer_scratch_bytes(len) == 0)
        return FLM_ERR_OVERFLOW;
    const flm_vocab_t *v = t->vocab;
    uint32_t *w = scratch;           /* working tokens */
    uint32_t *pair = w + len + 3;    /* pair[i]: merge of w[i], w[i + 1] */
    size_t m = 0;
    *n = 0;

    if (bos)
        w[m++] = v->bos_id;
#if FLM_CFG_TOKENIZER_BPE
    if (v->kind == FLM_TOK_KIND_BPE) {
        m = encode_bpe(t, text, len, w, pair, m);
        goto done;
    }
#endif
    if (len > 0)
        w[m++] = t->space_id;

    /* One token per UTF-8 codepoint (at most 4 bytes, as run.c), else one
     * byte token per byte. */
    uint8_t cp[4];
    size_t cplen = 0;
    for (size_t i = 0; i < len; i++) {
        if ((text[i] & 0xC0) != 0x80)
            cplen = 0;
        cp[cplen++] = text[i];
        if (i + 1 < len && (text[i + 1] & 0xC0) == 0x80 && cplen < 4)
            continue;
        uint32_t id;
        if (lookup2(v, cp, cplen, NULL, 0, &id)) {
            w[m++] = id;
        } else {
            for (size_t k = 0; k < cplen; k++)
                w[m++] = cp[k] + BYTE_TOKEN_BASE;
        }
        cplen = 0;
    }

    for (size_t i = 0; i + 1 < m; i++)
        pair[i] = merge_of(v, w[i], w[i + 1]);

    /* Merge the best-scoring pair (the earliest on ties) until none is left. */
    while (m > 1) {
        int32_t best_key = MIN_MERGE_KEY;
        size_t best = SIZE_MAX;
        for (size_t i = 0; i + 1 < m; i++) {
            if (pair[i] != NO_MERGE && score_key(v, pair[i]) > best_key) {
                best_key = score_key(v, pair[i]);
                best = i;
            }
        }
        if (best == SIZE_MAX)
            break;
        w[best] = pair[best];
        memmove(&w[best + 1], &w[best + 2], (m - best - 2) * sizeof *w);
        memmove(&pair[best], &pair[best + 1], (m - best - 2) * sizeof *pair);
        m--;
        if (best > 0)
            pair[best - 1] = merge_of(v, w[best - 1], w[best]);
        if (best + 1 < m)
            pair[best] = merge_of(v, w[best], w[best + 1]);
    }

#if FLM_CFG_TOKENIZER_BPE
done:
#endif
    if (eos)
        w[m++] = v->eos_id;
    if (m > cap)
        return FLM_ERR_OVERFLOW;
    if (m)
        memcpy(tokens, w, m * sizeof *w);
    *n = m;
    return FLM_OK;
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

flm_err_t flm_tokenizer_decode(const flm_tokenizer_t *t, uint32_t prev, uint32_t token,
                               const uint8_t **piece, size_t *len)
{
    if (!t || !t->vocab || !piece || !len || token >= t->vocab->vocab_size)
        return FLM_ERR_ARG;
    size_t plen;
    const uint8_t *p = tok_bytes(t->vocab, token, &plen);
    if (t->vocab->kind == FLM_TOK_KIND_BPE) { /* the bytes themselves */
        *piece = p;
        *len = plen;
        return FLM_OK;
    }
    /* sentencepiece strips the dummy-prefix space after BOS */
    if (prev == t->vocab->bos_id && plen > 0 && p[0] == ' ') {
        p++;
        plen--;
    }
    if (plen == 6 && memcmp(p, "<0x", 3) == 0 && p[5] == '>') {
        int hi = hex_digit(p[3]), lo = hex_digit(p[4]);
        if (hi >= 0 && lo >= 0) {
            p = &byte_pieces[hi * 16 + lo];
            plen = 1;
        }
    }
    *piece = p;
    *len = plen;
    return FLM_OK;
}
