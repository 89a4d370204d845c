/* The HTTP/1.1 request parser (core/proto/http.c in FLM_HTTP_REQUEST mode,
 * what cloudsim and the coming server read requests with): request line,
 * target, headers, framing, fed in pieces the input chooses. */
#include "tests/fuzz/fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flm_fuzz_http(FLM_HTTP_REQUEST, data, size);
    return 0;
}
