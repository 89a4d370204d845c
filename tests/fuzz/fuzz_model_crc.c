/* The model loader with the image's two CRC-32s recomputed after the
 * mutation, so nearly every input passes the checksum and exercises the
 * header, tensor table, shape, bounds and tokenizer checks behind it. */
#include "tests/fuzz/fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flm_fuzz_model_image(data, size, true);
    return 0;
}
