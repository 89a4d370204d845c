/* Test support: a llama2.c tokenizer file (tok512.bin, tokenizer.bin) loaded
 * straight into an flm_vocab_t, plus llama2.c's own encode (run.c, floats,
 * qsort and bsearch) as the reference the integer tokenizer must match. */
#ifndef FLM_TEST_TOK_REF_H
#define FLM_TEST_TOK_REF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

typedef struct {
    flm_vocab_t vocab;       /* what the converter would put in an image */
    uint32_t *offsets;
    uint8_t  *bytes;
    int32_t  *keys;
    uint32_t *sorted;
    /* llama2.c's run-time view */
    char    **strs;          /* NUL-terminated tokens */
    float    *scores;
    void     *ref_sorted;    /* TokenIndex[vocab_size], sorted by strcmp */
    int       max_token_length;
} flm_test_tokfile_t;

/* Load a llama2.c tokenizer file; false if it cannot be read. */
bool flm_test_tokfile_load(flm_test_tokfile_t *f, const char *path, uint32_t vocab_size);
void flm_test_tokfile_free(flm_test_tokfile_t *f);

/* run.c's encode (tokens needs strlen(text) + 3 entries); returns the count. */
int flm_test_ref_encode(const flm_test_tokfile_t *f, const char *text, bool bos, bool eos,
                        int *tokens);

/* Read a whole file into a NUL-terminated heap buffer (NULL on failure). */
char *flm_test_read_file(const char *path, size_t *len);

#endif
