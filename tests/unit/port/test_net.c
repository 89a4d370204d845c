#include <string.h>

#include "port/mbedtls/net.h"
#include "tests/harness/harness.h"

FLM_TEST(net_loopback_names)
{
    static const char *const yes[] = { "localhost", "127.0.0.1", "127.255.255.254", "127.0.0.9", "::1" };
    static const char *const no[] = {
        "", "127.0.0.1.evil.example", "127.1", "1127.0.0.1", "128.0.0.1", "localhost.",
        "0x7f.0.0.1", "127.0.0.256", "127.0.0.1 ", "::2", "10.0.0.1", "127..0.1", "127.0.0.0001",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        FLM_CHECK_MSG(flm_net_is_loopback(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        FLM_CHECK_MSG(!flm_net_is_loopback(no[i]), "'%s'", no[i]);
    FLM_CHECK(!flm_net_is_loopback(NULL));
}

FLM_TEST(net_plain_tcp_policy)
{
    flm_net_t n;
    flm_transport_t t;
    flm_net_config_t cfg = { .ca_pem = NULL, .connect_timeout_ms = 200, .allow_plain_tcp = false };
    flm_net_init(&n);
    /* Refused before any packet leaves: no connect is attempted. */
    FLM_CHECK_EQ(flm_net_open(&n, &cfg, false, "192.0.2.1", 80, &t), FLM_ERR_TLS_PLAIN_REFUSED);
    FLM_CHECK_EQ(flm_net_open(&n, &cfg, false, "api.openai.com", 80, &t), FLM_ERR_TLS_PLAIN_REFUSED);
    /* Loopback is allowed: nothing listens on port 1, so the connect fails. */
    FLM_CHECK_EQ(flm_net_open(&n, &cfg, false, "127.0.0.1", 1, &t), FLM_ERR_NET_CONNECT);
    /* https without a CA is refused up front, whatever the build. */
    flm_err_t err = flm_net_open(&n, &cfg, true, "127.0.0.1", 1, &t);
    FLM_CHECK(err == FLM_ERR_TLS_CA || err == FLM_ERR_UNSUPPORTED);
    FLM_CHECK_EQ(flm_net_open(NULL, &cfg, false, "127.0.0.1", 1, &t), FLM_ERR_ARG);
}
