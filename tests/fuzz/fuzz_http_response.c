/* The HTTP/1.1 response parser (core/proto/http.c): status line, headers,
 * 1xx, Content-Length, chunked framing, body limit, fed in pieces the input
 * chooses. */
#include "tests/fuzz/fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flm_fuzz_http(FLM_HTTP_RESPONSE, data, size);
    return 0;
}
