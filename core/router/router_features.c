/* The router's features: what the prompt's tokens told the model, and what
 * the text itself says, each Q16.16 and oriented so that larger is harder. */
#include "core/router/router.h"

#include <string.h>

#include "core/base/q16.h"

static const char *const feature_names[] = {
#define FLM_FEATURE_NAME_(id, name) name,
    FLM_ROUTER_FEATURES_LIST(FLM_FEATURE_NAME_)
#undef FLM_FEATURE_NAME_
};

const char *flm_router_feature_name(flm_router_feature_t f)
{
    return (unsigned)f < FLM_ROUTER_FEATURES ? feature_names[f] : "?";
}

/* a * 2^16 / b, 0 when b is 0, at most max */
static int32_t ratio(uint64_t a, uint64_t b, int32_t max)
{
    if (b == 0)
        return 0;
    uint64_t q = (a << FLM_Q16_SHIFT) / b;
    return q > (uint64_t)max ? max : (int32_t)q;
}

/* ---- quantiles of the token NLLs ---------------------------------------- */

/* The k-th smallest of v[0..n) (0-based), reordering v: a quickselect with
 * a median-of-three pivot, integer and deterministic on every port. */
static int32_t select_kth(int32_t *v, uint32_t n, uint32_t k)
{
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int32_t a = v[lo], b = v[mid], c = v[hi];
        int32_t pivot = (a < b) ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        uint32_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int32_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static int32_t quantile(const flm_router_tokens_t *t, uint32_t percent, int32_t *scratch)
{
    uint32_t n = t->n < FLM_ROUTER_MAX_TOKENS ? t->n : FLM_ROUTER_MAX_TOKENS;
    if (n == 0)
        return 0;
    memcpy(scratch, t->nll, n * sizeof *scratch);
    return select_kth(scratch, n, (n - 1) * percent / 100u);
}

/* ---- the text ------------------------------------------------------------- */

static bool is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Words that open a question, and verbs that open an instruction. A prompt
 * that opens with a quote is dialogue, as in a story: not counted. */
static const char *const wh_words[] = {
    "what", "who", "whom", "whose", "which", "why", "how", "when", "where", "is", "are",
    "was", "were", "am", "can", "could", "would", "should", "will", "shall", "do", "does",
    "did", "may", "might", "has", "have", "had", NULL,
};
static const char *const imperatives[] = {
    "write", "explain", "translate", "list", "summarize", "summarise", "calculate", "compute",
    "solve", "find", "give", "describe", "define", "compare", "name", "create", "generate",
    "implement", "convert", "show", "prove", "classify", "suggest", "recommend", "provide",
    "draft", "rewrite", "correct", "fix", "evaluate", "determine", "estimate", "identify",
    "outline", "analyze", "analyse", "discuss", "choose", "select", "answer", "complete",
    "simplify", "factor", "derive", "code", "debug", "design", "plan", "tell", "please",
    "help", "make", "build", "sort", "count", "check", "paraphrase", "elaborate", "state",
    "predict", "express", "represent", "rank", "rate", "review", "edit", "proofread", "format",
    "extract", "parse", "plot", "draw", "recall", "mention", "cite", "quote", "spell",
    "pronounce", "conjugate", "rephrase", "argue", "justify", "assess", "measure", NULL,
};

static bool in_list(const char *const *list, const uint8_t *w, size_t n)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return true;
    return false;
}

/* The first word, lower-cased into w[16]; 0 if the text does not open with
 * a letter (after blanks). */
static size_t first_word(const uint8_t *p, size_t len, uint8_t w[16])
{
    size_t i = 0, n = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    for (; i < len && is_alpha(p[i]); i++) {
        if (n == 16)
            return 0; /* longer than any listed word */
        w[n++] = lower(p[i]);
    }
    return n;
}

/* Answer-choice markers: "A)", "A.", "(A)" at a line start or after a
 * blank, for A..E; how many distinct letters. */
static uint32_t choice_letters(const uint8_t *p, size_t len)
{
    uint32_t seen = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        bool boundary = i == 0 || p[i - 1] == ' ' || p[i - 1] == '\n' || p[i - 1] == '\t' ||
                        p[i - 1] == '(';
        uint8_t c = p[i];
        if (!boundary || c < 'A' || c > 'E')
            continue;
        bool paren = i > 0 && p[i - 1] == '(';
        if ((p[i + 1] == ')' ) || (!paren && p[i + 1] == '.' && (i + 2 >= len || p[i + 2] == ' ')))
            seen |= 1u << (c - 'A');
    }
    uint32_t n = 0;
    for (; seen; seen &= seen - 1)
        n++;
    return n;
}

void flm_router_features(const uint8_t *prompt, size_t len, const flm_router_tokens_t *tok,
                         int32_t f[FLM_ROUTER_FEATURES])
{
    static const int32_t one = (int32_t)FLM_Q16_ONE;
    int32_t scratch[FLM_ROUTER_MAX_TOKENS];
    memset(f, 0, FLM_ROUTER_FEATURES * sizeof *f);

    /* what the model made of the tokens */
    uint32_t n = tok->n;
    if (n) {
        f[FLM_FEATURE_NLL_MEAN] = (int32_t)(tok->nll_sum / n);
        f[FLM_FEATURE_ENTROPY_MEAN] = (int32_t)(tok->entropy_sum / n);
        f[FLM_FEATURE_NLL_P50] = quantile(tok, 50, scratch);
        f[FLM_FEATURE_NLL_P90] = quantile(tok, 90, scratch);
        f[FLM_FEATURE_MISS_RATE] = ratio(tok->misses, n, one);
        f[FLM_FEATURE_FAR_RATE] = ratio(tok->far, n, one);
        f[FLM_FEATURE_BYTE_FRAC] = ratio(tok->bytes_like, n, one);
    }
    f[FLM_FEATURE_TOKENS_PER_BYTE] = ratio(n, len, 4 * one);

    /* what the text says */
    uint32_t digits = 0, ops = 0, code = 0, nonascii = 0;
    bool qmark = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = prompt[i];
        digits += c >= '0' && c <= '9';
        ops += c == '+' || c == '*' || c == '/' || c == '=' || c == '%' || c == '^' || c == '<' ||
               c == '>' || c == '$';
        code += c == '{' || c == '}' || c == '[' || c == ']' || c == ';' || c == '_' || c == '#' ||
                c == '`' || c == '\\' || c == '|';
        nonascii += c >= 0x80;
        qmark = qmark || c == '?';
    }
    size_t end = len;
    while (end && (prompt[end - 1] == ' ' || prompt[end - 1] == '\n' || prompt[end - 1] == '\r' ||
                   prompt[end - 1] == '\t'))
        end--;
    uint8_t w[16];
    size_t wn = first_word(prompt, len, w);
    f[FLM_FEATURE_DIGIT_FRAC] = ratio(digits, len, one);
    f[FLM_FEATURE_HAS_DIGIT] = digits ? one : 0;
    f[FLM_FEATURE_OPERATORS] = (int32_t)(ops < 4 ? ops : 4) * (one / 4);
    f[FLM_FEATURE_QUESTION_MARK] = qmark ? one : 0;
    f[FLM_FEATURE_ENDS_QUESTION] = end && prompt[end - 1] == '?' ? one : 0;
    f[FLM_FEATURE_STARTS_WH] = wn && in_list(wh_words, w, wn) ? one : 0;
    f[FLM_FEATURE_STARTS_IMPERATIVE] = wn && in_list(imperatives, w, wn) ? one : 0;
    f[FLM_FEATURE_CHOICES] = choice_letters(prompt, len) >= 2 ? one : 0;
    f[FLM_FEATURE_CODE_FRAC] = ratio(code, len, one);
    f[FLM_FEATURE_NONASCII_FRAC] = ratio(nonascii, len, one);
    f[FLM_FEATURE_LENGTH] = ratio(len, 256, 4 * one);
}
