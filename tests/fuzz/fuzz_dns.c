/* The DNS answer parser (port/posix/dns.c) on any datagram, asked for
 * api.example.com: it only accepts an answer that carries our question,
 * reads nothing outside the message, and gives an address only on FLM_OK. */
#include "port/posix/dns.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    uint8_t *msg = flm_fuzz_copy(data, size);
    uint16_t qtype = opt & 1 ? FLM_DNS_AAAA : FLM_DNS_A;
    const char *name = opt & 2 ? "API.Example.com." : "api.example.com";
    /* The id the message carries, so the fuzzer need not guess it (but
     * sometimes another, which must never be accepted). */
    uint16_t id = 0;
    if (size >= 2)
        id = (uint16_t)(msg[0] << 8 | msg[1]);
    if (opt & 4)
        id = (uint16_t)(id ^ 0x5555u);
    uint8_t addr[16];
    memset(addr, 0xEE, sizeof addr);
    flm_err_t err = flm_dns_parse_response(msg, size, id, name, qtype, addr);
    FUZZ_CHECK(err == FLM_OK || err == FLM_ERR_NOT_FOUND || err == FLM_ERR_NET_RESOLVE ||
               err == FLM_ERR_NET_RECV);
    if (opt & 4)
        FUZZ_CHECK(err == FLM_ERR_NOT_FOUND || size < 2);
    if (err == FLM_OK) {
        /* Our question is in it, and the address came from the message. */
        uint8_t q[300];
        size_t qlen;
        FUZZ_CHECK(flm_dns_build_query(id, name, qtype, q, sizeof q, &qlen) == FLM_OK);
        FUZZ_CHECK(size >= qlen + 10 + (qtype == FLM_DNS_A ? 4u : 16u));
        FUZZ_CHECK(!(msg[2] & 0x02)); /* never from a truncated answer */
    } else {
        for (size_t i = 0; i < sizeof addr; i++)
            FUZZ_CHECK(addr[i] == 0xEE);
    }
    free(msg);
    return 0;
}
