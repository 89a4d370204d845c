/* The model image loader (core/model/model.c) on any bytes, with both
 * verification modes; an image it accepts is walked further: scales,
 * tensor table, tokenizer. See fuzz_model_crc.c for the variant that
 * repairs the checksums so mutations reach the structural checks. */
#include "tests/fuzz/fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flm_fuzz_model_image(data, size, false);
    return 0;
}
