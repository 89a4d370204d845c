/* Shared by fuzz_model.c and fuzz_model_crc.c (a header, not a harness). */
#ifndef FLM_FUZZ_MODEL_H
#define FLM_FUZZ_MODEL_H

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/infer/tokenizer.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/fuzz/fuzz.h"

/* Recompute header_crc and image_crc as the format defines them, over
 * what of the declared ranges the input holds. */
static inline void flm_fuzz_fix_crcs(uint8_t *img, size_t n)
{
    if (n < FLM_IMG_OFF_DATA + 8)
        return;
    uint64_t data_off = flm_rd64le(img + FLM_IMG_OFF_DATA);
    uint64_t image_size = flm_rd64le(img + FLM_IMG_OFF_IMAGE_SIZE);
    size_t d = data_off < n ? (size_t)data_off : n;
    size_t s = image_size < n ? (size_t)image_size : n;
    uint32_t h = flm_crc32_update(0, img, FLM_IMG_CRC_SKIP_BEGIN);
    uint32_t c = h;
    if (d > FLM_IMG_CRC_SKIP_END)
        h = flm_crc32_update(h, img + FLM_IMG_CRC_SKIP_END, d - FLM_IMG_CRC_SKIP_END);
    if (s > FLM_IMG_CRC_SKIP_END)
        c = flm_crc32_update(c, img + FLM_IMG_CRC_SKIP_END, s - FLM_IMG_CRC_SKIP_END);
    flm_wr32le(img + FLM_IMG_OFF_HEADER_CRC, h);
    flm_wr32le(img + FLM_IMG_OFF_IMAGE_CRC, c);
}

static inline void flm_fuzz_model_image(const uint8_t *data, size_t size, bool fix_crc)
{
    /* The loader wants 4-byte alignment; malloc gives 16. Exactly size
     * bytes, so reading past the end is an ASan report. */
    uint8_t *img = flm_fuzz_copy(data, size);
    if (fix_crc)
        flm_fuzz_fix_crcs(img, size);
    for (int mode = 0; mode < 2; mode++) {
        flm_model_t m;
        flm_err_t err = flm_model_open(&m, img, size,
                                       mode ? FLM_MODEL_VERIFY_HEADER : FLM_MODEL_VERIFY_FULL);
        FUZZ_CHECK(memchr(m.detail, '\0', sizeof m.detail) != NULL);
        if (err) {
            FUZZ_CHECK(flm_err_in(err, FLM_ERR_MODULE_MODEL));
            continue;
        }
        FUZZ_CHECK(m.image_size <= size);
        if (mode == 1)
            (void)flm_model_verify(&m);
        uint32_t nt = flm_model_tensor_count(&m);
        for (uint32_t i = 0; i < nt; i++) {
            flm_tensor_info_t ti;
            if (flm_model_tensor_info(&m, i, &ti) == FLM_OK)
                FUZZ_CHECK(ti.offset <= m.image_size && ti.size <= m.image_size - ti.offset);
        }
        flm_tokenizer_t tok;
        if (flm_tokenizer_init(&tok, &m.vocab) == FLM_OK) {
            static const uint8_t text[] = "Once upon a time, \xc3\xa9t\xc3\xa9 \xff!";
            uint32_t ids[64], scratch[2 * (sizeof text + 3)];
            size_t n = 0;
            if (flm_tokenizer_encode(&tok, text, sizeof text - 1, true, true, ids, 64, &n, scratch) == FLM_OK) {
                for (size_t i = 0; i < n; i++) {
                    const uint8_t *piece;
                    size_t len;
                    FUZZ_CHECK(flm_tokenizer_decode(&tok, i ? ids[i - 1] : 1, ids[i], &piece, &len) == FLM_OK);
                }
            }
            flm_tokenizer_deinit(&tok);
        }
        flm_model_close(&m);
    }
    free(img);
}

#endif /* FLM_FUZZ_MODEL_H */
