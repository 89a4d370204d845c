/* The converter's readers on hostile input: truncated, lying or garbled
 * llama2.c checkpoints are refused with a message, never overrun. */
#include <stdlib.h>
#include <string.h>

#include "tests/harness/harness.h"
#include "tests/fixtures/model_synth.h"
#include "tools/cli/convert.h"

/* Parse a copy of exactly len bytes (so ASan sees any overrun). */
static int parse_exact(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return -2;
    memcpy(p, buf, len);
    flm_fmodel_t fm;
    err[0] = '\0';
    int rc = flm_fmodel_parse(&fm, p, len, err, errlen);
    if (rc == 0)
        flm_fmodel_free(&fm);
    free(p);
    return rc;
}

/* An all-zero llama2.c export.py version-2 (Q8_0) file for s. */
static uint8_t *ak42_v2(const flm_synth_t *s, uint32_t gs, size_t *len)
{
    size_t d = s->dim, h = s->hidden_dim, l = s->n_layers, v = s->vocab_size;
    size_t kv = d / s->n_heads * s->n_kv_heads;
    size_t q = v * d + l * (d * d + 2 * kv * d + d * d + 3 * h * d);
    *len = 256 + 4 * (2 * l * d + d) + q + 4 * (q / gs);
    uint8_t *b = calloc(1, *len);
    if (!b)
        return NULL;
    uint32_t hdr[9] = { 0x616b3432u, 2, s->dim, s->hidden_dim, s->n_layers, s->n_heads, s->n_kv_heads,
                        s->vocab_size, s->seq_len };
    for (int i = 0; i < 9; i++)
        flm_synth_wr32(b + 4 * i, hdr[i]);
    b[36] = 1; /* shared classifier */
    flm_synth_wr32(b + 37, gs);
    return b;
}

FLM_TEST(model_convert_rejects_bad_checkpoints)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    s.hidden_dim = 64; /* ak42 groups the flattened tensors: sizes must divide */
    size_t len, alen;
    uint8_t *ck = flm_synth_checkpoint(&s, &len);
    uint8_t *ak = ak42_v2(&s, 32, &alen);
    FLM_CHECK(ck && ak);
    char err[256];
    FLM_CHECK_MSG(parse_exact(ck, len, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_MSG(parse_exact(ak, alen, err, sizeof err) == 0, "%s", err);

    size_t cuts[] = { 0, 3, 27, 28, 100, len / 2, len - 4, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        FLM_CHECK_MSG(parse_exact(ck, cuts[i], err, sizeof err) == -1, "legacy cut at %zu", cuts[i]);
        FLM_CHECK(err[0] != '\0');
    }
    size_t acuts[] = { 4, 255, 256, 300, alen / 2, alen - 1 };
    for (size_t i = 0; i < sizeof acuts / sizeof acuts[0]; i++)
        FLM_CHECK_MSG(parse_exact(ak, acuts[i], err, sizeof err) == -1, "ak42 cut at %zu", acuts[i]);

    uint8_t *p = malloc(alen);
    FLM_CHECK(p != NULL);
    memcpy(p, ak, alen);
    flm_synth_wr32(p + 4, 3); /* version 3 */
    FLM_CHECK(parse_exact(p, alen, err, sizeof err) == -1 && strstr(err, "version 3"));
    memcpy(p, ak, alen);
    flm_synth_wr32(p + 37, 0); /* group size 0 */
    FLM_CHECK(parse_exact(p, alen, err, sizeof err) == -1 && strstr(err, "group size"));
    memcpy(p, ak, alen);
    flm_synth_wr32(p + 37, 48); /* does not divide the tensors */
    FLM_CHECK(parse_exact(p, alen, err, sizeof err) == -1);
    free(p);

    /* Config fields overwritten with lies: refused or consistent. */
    static const uint32_t lies[] = { 0, 1, 2, 3, 7, 64, 0x7FFF, 0x10000, 0x100001, 0x7FFFFFFF, 0x80000000u,
                                     0xFFFFFFFFu };
    uint8_t *c = malloc(len);
    FLM_CHECK(c != NULL);
    for (int field = 0; field < 7; field++) {
        for (size_t k = 0; k < sizeof lies / sizeof lies[0]; k++) {
            memcpy(c, ck, len);
            flm_synth_wr32(c + 4 * field, lies[k]);
            int rc = parse_exact(c, len, err, sizeof err);
            FLM_CHECK_MSG(rc == 0 || (rc == -1 && err[0]), "field %d = %u", field, lies[k]);
        }
    }
    free(c);
    free(ck);
    free(ak);
}
