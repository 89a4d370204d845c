#include <string.h>

#include "port/posix/dns.h"
#include "tests/harness/harness.h"

/* A response to query 0x1234 for example.com A: the question, a CNAME
 * answer, then the A record whose name is a compression pointer. */
static const uint8_t answer_pkt[] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,
    0xC0, 0x0C, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, 1, 'x', 0xC0, 0x0C,
    0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, 93, 184, 216, 34,
};

FLM_TEST(dns_build_query)
{
    uint8_t q[FLM_DNS_MSG_MAX];
    size_t n = 0;
    FLM_CHECK_EQ(flm_dns_build_query(0x1234, "example.com.", FLM_DNS_A, q, sizeof q, &n), FLM_OK);
    FLM_CHECK_EQ(n, 29);
    FLM_CHECK(q[0] == 0x12 && q[1] == 0x34 && q[2] == 0x01 && q[5] == 1); /* id, RD, 1 question */
    FLM_CHECK(memcmp(q + 12, answer_pkt + 12, 17) == 0); /* same question */

    FLM_CHECK_EQ(flm_dns_build_query(1, "", FLM_DNS_A, q, sizeof q, &n), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_dns_build_query(1, "a..b", FLM_DNS_A, q, sizeof q, &n), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_dns_build_query(1, "a b.com", FLM_DNS_A, q, sizeof q, &n), FLM_ERR_NET_RESOLVE);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".com");
    FLM_CHECK_EQ(flm_dns_build_query(1, label, FLM_DNS_A, q, sizeof q, &n), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_dns_build_query(1, "example.com", FLM_DNS_A, q, 20, &n), FLM_ERR_OVERFLOW);
}

FLM_TEST(dns_parse_answer)
{
    uint8_t addr[16] = { 0 };
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, FLM_DNS_A, addr), FLM_OK);
    FLM_CHECK(addr[0] == 93 && addr[1] == 184 && addr[2] == 216 && addr[3] == 34);
    /* Another query's id, or a question of another type: not our answer. */
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1235, FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, FLM_DNS_AAAA, addr),
                 FLM_ERR_NOT_FOUND);

    uint8_t pkt[sizeof answer_pkt];
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[3] = 0x83; /* NXDOMAIN */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, FLM_DNS_A, addr), FLM_ERR_NET_RESOLVE);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[7] = 1; /* only the CNAME */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, FLM_DNS_A, addr), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt - 16, 0x1234, FLM_DNS_A, addr),
                 FLM_ERR_NET_RESOLVE);
    pkt[7] = 2; /* claims an answer that is not there */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt - 16, 0x1234, FLM_DNS_A, addr),
                 FLM_ERR_NET_RECV);
    /* Every truncation is an error, never a read past the end. */
    for (size_t n = 0; n < sizeof answer_pkt; n++) {
        flm_err_t err = flm_dns_parse_response(answer_pkt, n, 0x1234, FLM_DNS_A, addr);
        FLM_CHECK_MSG(err != FLM_OK, "accepted %zu-byte prefix", n);
    }
}

FLM_TEST(dns_parse_random_bytes)
{
    uint8_t pkt[FLM_DNS_MSG_MAX], addr[16];
    uint32_t seed = 7;
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = iter % 2 ? sizeof answer_pkt : (size_t)(seed % sizeof pkt);
        if (iter % 2)
            memcpy(pkt, answer_pkt, n);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            if (iter % 2 == 0 || (seed >> 16) % 16 == 0)
                pkt[i] = (uint8_t)(seed >> 24);
        }
        pkt[0] = 0x12;
        pkt[1] = 0x34;
        if (n > 2)
            pkt[2] |= 0x80;
        flm_err_t err = flm_dns_parse_response(pkt, n, 0x1234, FLM_DNS_AAAA, addr);
        FLM_CHECK(err == FLM_OK || err == FLM_ERR_NOT_FOUND || err == FLM_ERR_NET_RESOLVE ||
                  err == FLM_ERR_NET_RECV);
    }
}
