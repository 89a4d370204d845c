#include "tests/unit/tok_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *str;
    int id;
} token_index_t;

/* The order-preserving int32 key of a float (core/model.h). */
static int32_t score_key(float s)
{
    uint32_t bits;
    memcpy(&bits, &s, sizeof bits);
    return (bits & 0x80000000u) ? -1 - (int32_t)(bits & 0x7FFFFFFFu) : (int32_t)bits;
}

static int cmp_index(const void *a, const void *b)
{
    return strcmp(((const token_index_t *)a)->str, ((const token_index_t *)b)->str);
}

static const flm_test_tokfile_t *sort_file;
static int cmp_sorted(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const flm_vocab_t *v = &sort_file->vocab;
    size_t xl = v->offsets[x + 1] - v->offsets[x], yl = v->offsets[y + 1] - v->offsets[y];
    int c = memcmp(v->bytes + v->offsets[x], v->bytes + v->offsets[y], xl < yl ? xl : yl);
    if (c)
        return c;
    return (xl > yl) - (xl < yl);
}

bool flm_test_tokfile_load(flm_test_tokfile_t *f, const char *path, uint32_t n)
{
    memset(f, 0, sizeof *f);
    size_t size;
    char *raw = flm_test_read_file(path, &size);
    if (!raw)
        return false;
    f->offsets = calloc(n + 1, sizeof *f->offsets);
    f->bytes = malloc(size);
    f->keys = calloc(n, sizeof *f->keys);
    f->sorted = calloc(n, sizeof *f->sorted);
    f->strs = calloc(n, sizeof *f->strs);
    f->scores = calloc(n, sizeof *f->scores);
    f->ref_sorted = calloc(n, sizeof(token_index_t));
    size_t pos = 4, used = 0;
    memcpy(&f->max_token_length, raw, 4);
    for (uint32_t i = 0; i < n; i++) {
        int32_t len;
        memcpy(&f->scores[i], raw + pos, 4);
        memcpy(&len, raw + pos + 4, 4);
        pos += 8;
        f->keys[i] = score_key(f->scores[i]);
        f->offsets[i] = (uint32_t)used;
        memcpy(f->bytes + used, raw + pos, (size_t)len);
        used += (size_t)len;
        f->strs[i] = calloc((size_t)len + 1, 1);
        memcpy(f->strs[i], raw + pos, (size_t)len);
        pos += (size_t)len;
        ((token_index_t *)f->ref_sorted)[i] = (token_index_t){ f->strs[i], (int)i };
        f->sorted[i] = i;
    }
    f->offsets[n] = (uint32_t)used;
    free(raw);
    f->vocab = (flm_vocab_t){
        .vocab_size = n, .max_token_len = (uint32_t)f->max_token_length,
        .bos_id = 1, .eos_id = 2, .offsets = f->offsets, .bytes = f->bytes,
        .scores = f->keys, .sorted = f->sorted,
    };
    sort_file = f;
    qsort(f->sorted, n, sizeof *f->sorted, cmp_sorted);
    qsort(f->ref_sorted, n, sizeof(token_index_t), cmp_index);
    return true;
}

void flm_test_tokfile_free(flm_test_tokfile_t *f)
{
    for (uint32_t i = 0; f->strs && i < f->vocab.vocab_size; i++)
        free(f->strs[i]);
    free(f->strs);
    free(f->offsets);
    free(f->bytes);
    free(f->keys);
    free(f->sorted);
    free(f->scores);
    free(f->ref_sorted);
    memset(f, 0, sizeof *f);
}

char *flm_test_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

/* ---- llama2.c run.c, as published (only I/O and types adapted) -------- */

static int str_lookup(const char *str, const token_index_t *sorted_vocab, int vocab_size)
{
    token_index_t tok = { .str = str, .id = 0 };
    const token_index_t *res = bsearch(&tok, sorted_vocab, (size_t)vocab_size,
                                       sizeof(token_index_t), cmp_index);
    return res != NULL ? res->id : -1;
}

int flm_test_ref_encode(const flm_test_tokfile_t *t, const char *text, bool bos, bool eos,
                        int *tokens)
{
    const token_index_t *sorted_vocab = t->ref_sorted;
    int vocab_size = (int)t->vocab.vocab_size;
    char *str_buffer = malloc((size_t)(t->max_token_length * 2 + 1 + 2));
    size_t str_len = 0;
    int n_tokens = 0;
    if (bos)
        tokens[n_tokens++] = 1;
    if (text[0] != '\0') {
        int dummy_prefix = str_lookup(" ", sorted_vocab, vocab_size);
        tokens[n_tokens++] = dummy_prefix;
    }
    for (const char *c = text; *c != '\0'; c++) {
        if ((*c & 0xC0) != 0x80)
            str_len = 0;
        str_buffer[str_len++] = *c;
        str_buffer[str_len] = '\0';
        if ((*(c + 1) & 0xC0) == 0x80 && str_len < 4)
            continue;
        int id = str_lookup(str_buffer, sorted_vocab, vocab_size);
        if (id != -1) {
            tokens[n_tokens++] = id;
        } else {
            for (size_t i = 0; i < str_len; i++)
                tokens[n_tokens++] = (unsigned char)str_buffer[i] + 3;
        }
        str_len = 0;
    }
    while (1) {
        float best_score = -1e10f;
        int best_id = -1;
        int best_idx = -1;
        for (int i = 0; i < n_tokens - 1; i++) {
            sprintf(str_buffer, "%s%s", t->strs[tokens[i]], t->strs[tokens[i + 1]]);
            int id = str_lookup(str_buffer, sorted_vocab, vocab_size);
            if (id != -1 && t->scores[id] > best_score) {
                best_score = t->scores[id];
                best_id = id;
                best_idx = i;
            }
        }
        if (best_idx == -1)
            break;
        tokens[best_idx] = best_id;
        for (int i = best_idx + 1; i < n_tokens - 1; i++)
            tokens[i] = tokens[i + 1];
        n_tokens--;
    }
    if (eos)
        tokens[n_tokens++] = 2;
    free(str_buffer);
    return n_tokens;
}
