#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port/posix/dns.h"
#include "port/posix/hosts.h"
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
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, "example.com", FLM_DNS_A, addr), FLM_OK);
    FLM_CHECK(addr[0] == 93 && addr[1] == 184 && addr[2] == 216 && addr[3] == 34);
    /* Another query's id, or a question of another type: not our answer. */
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1235, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, "example.com", FLM_DNS_AAAA, addr),
                 FLM_ERR_NOT_FOUND);

    uint8_t pkt[sizeof answer_pkt];
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[3] = 0x83; /* NXDOMAIN */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr), FLM_ERR_NET_RESOLVE);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[7] = 1; /* only the CNAME */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt - 16, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NET_RESOLVE);
    pkt[7] = 2; /* claims an answer that is not there */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt - 16, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NET_RECV);
    /* Every truncation is an error, never a read past the end. */
    for (size_t n = 0; n < sizeof answer_pkt; n++) {
        flm_err_t err = flm_dns_parse_response(answer_pkt, n, 0x1234, "example.com", FLM_DNS_A, addr);
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
        flm_err_t err = flm_dns_parse_response(pkt, n, 0x1234, "example.com", FLM_DNS_AAAA, addr);
        FLM_CHECK(err == FLM_OK || err == FLM_ERR_NOT_FOUND || err == FLM_ERR_NET_RESOLVE ||
                  err == FLM_ERR_NET_RECV);
    }
}

/* ---- the outside review's defect 7 ---------------------------------------- */

FLM_TEST(dns_answer_must_match_the_question)
{
    uint8_t addr[16] = { 0 }, pkt[sizeof answer_pkt];
    /* Letter case does not matter; the name, the count and the class do. */
    FLM_CHECK_EQ(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, "EXAMPLE.Com.",
                                        FLM_DNS_A, addr), FLM_OK);
    static const char *const others[] = { "example.org", "examples.com", "example.co", "www.example.com",
                                          "example.com.evil" };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        FLM_CHECK_MSG(flm_dns_parse_response(answer_pkt, sizeof answer_pkt, 0x1234, others[i], FLM_DNS_A,
                                             addr) == FLM_ERR_NOT_FOUND, "%s", others[i]);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[13] = 'E' ^ 0x01; /* one letter of the question changed */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[5] = 2; /* two questions */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[28] = 3; /* class CH */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[2] |= 0x08; /* opcode 1 (inverse query) */
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    /* A forged NXDOMAIN for another name does not end the wait. */
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[3] = 0x83;
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.net", FLM_DNS_A, addr),
                 FLM_ERR_NOT_FOUND);
    /* Truncated (TC): refused, even though an address is in it. */
    memcpy(pkt, answer_pkt, sizeof pkt);
    pkt[2] |= 0x02;
    memset(addr, 0, sizeof addr);
    FLM_CHECK_EQ(flm_dns_parse_response(pkt, sizeof pkt, 0x1234, "example.com", FLM_DNS_A, addr),
                 FLM_ERR_NET_RESOLVE);
    FLM_CHECK(addr[0] == 0);
    /* Source ports: never a well-known one, every other one reachable. */
    FLM_CHECK_EQ(flm_dns_source_port(0), 1024);
    FLM_CHECK_EQ(flm_dns_source_port(65535), 1024 + 65535 % (65536 - 1024));
    for (uint32_t r = 0; r < 65536; r++)
        FLM_CHECK(flm_dns_source_port((uint16_t)r) >= 1024);
}

/* A name server on loopback: for each query it first sends a forged answer
 * (same id and port, another name's question, a wrong address), then the
 * real one, or a truncated one when tc is set; it notes the source ports. */
typedef struct {
    int      fd;
    int      queries;
    bool     tc;
    uint16_t ports[4];
} fake_ns_t;

static void *fake_ns(void *arg)
{
    fake_ns_t *ns = arg;
    for (int k = 0; k < 4 && ns->queries < 4; k++) {
        uint8_t q[512], a[600];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(ns->fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
        if (n < 12)
            return NULL;
        ns->ports[ns->queries++] = ntohs(from.sin_port);
        uint16_t qtype = (uint16_t)(q[n - 4] << 8 | q[n - 3]);
        size_t alen;
        /* The forgery: the question of "evil.example" with the right id. */
        uint16_t id = (uint16_t)(q[0] << 8 | q[1]);
        (void)flm_dns_build_query(id, "evil.example", qtype, a, sizeof a, &alen);
        a[2] = 0x81, a[3] = 0x80, a[7] = 1;
        static const uint8_t rr_evil[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 6, 6, 6, 6 };
        memcpy(a + alen, rr_evil, sizeof rr_evil);
        (void)sendto(ns->fd, a, alen + sizeof rr_evil, 0, (struct sockaddr *)&from, fl);
        /* The real answer (an A for 10.1.2.3; no AAAA). */
        memcpy(a, q, (size_t)n);
        a[2] = (uint8_t)(0x81 | (ns->tc ? 0x02 : 0)), a[3] = 0x80;
        alen = (size_t)n;
        if (qtype == FLM_DNS_A) {
            a[7] = 1;
            static const uint8_t rr[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3 };
            memcpy(a + alen, rr, sizeof rr);
            alen += sizeof rr;
        } else {
            a[3] = 0x83;
        }
        (void)sendto(ns->fd, a, alen, 0, (struct sockaddr *)&from, fl);
        if ((qtype == FLM_DNS_A && !ns->tc) || qtype == FLM_DNS_AAAA)
            return NULL;
    }
    return NULL;
}

FLM_TEST(dns_resolve_ignores_forgeries_and_refuses_truncation)
{
    char conf[] = "/tmp/flm-dns-XXXXXX";
    int cfd = mkstemp(conf);
    FLM_CHECK(cfd >= 0);
    const char line[] = "nameserver 127.0.0.1\n";
    FLM_CHECK(write(cfd, line, sizeof line - 1) == (ssize_t)(sizeof line - 1));
    close(cfd);
    uint16_t seen[2] = { 0, 0 };
    for (int round = 0; round < 3; round++) {
        fake_ns_t ns = { .fd = socket(AF_INET, SOCK_DGRAM, 0), .tc = round == 2 };
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        FLM_CHECK(bind(ns.fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        FLM_CHECK(getsockname(ns.fd, (struct sockaddr *)&sa, &sl) == 0);
        flm_dns_set_server_port(ntohs(sa.sin_port));
        pthread_t th;
        FLM_CHECK(pthread_create(&th, NULL, fake_ns, &ns) == 0);
        uint8_t addr[16] = { 0 };
        int family = 0;
        flm_err_t err = flm_dns_resolve(conf, "api.example.com", 3000, addr, &family);
        if (round < 2) {
            FLM_CHECK_EQ(err, FLM_OK);
            FLM_CHECK(family == 4 && addr[0] == 10 && addr[1] == 1 && addr[2] == 2 && addr[3] == 3);
            seen[round] = ns.ports[0];
        } else {
            FLM_CHECK_EQ(err, FLM_ERR_NET_RESOLVE); /* TC for A and for AAAA: no address */
        }
        shutdown(ns.fd, SHUT_RDWR);
        close(ns.fd);
        pthread_join(th, NULL);
    }
    flm_dns_set_server_port(0);
    unlink(conf);
    FLM_CHECK(seen[0] >= 1024 && seen[1] >= 1024);
}

/* /etc/hosts before DNS: the first line naming the host, case-blind,
 * aliases, comments, IPv6, long and unterminated lines. */
FLM_TEST(hosts_file_lookup)
{
    char path[] = "/tmp/flm-hosts-XXXXXX";
    int fd = mkstemp(path);
    FLM_CHECK(fd >= 0);
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# a comment naming gpu.lan\n"
               "127.0.0.1\tlocalhost\n"
               "not-an-address gpu.lan\n"
               "10.0.0.%s longname\n"   /* too long a line: skipped whole */
               "192.168.1.20  vllm.lan  GPU.lan   # the kiosk's server\n"
               "192.168.1.21  gpu.lan\n"
               "fd00::7 v6.lan\n"
               "\n   \n"
               "10.1.2.3 last.lan", big); /* no final newline */
    fclose(f);
    uint8_t a[16];
    int fam = 0;
    FLM_CHECK_EQ(flm_hosts_lookup(path, "gpu.lan", a, &fam), FLM_OK);
    FLM_CHECK_EQ(fam, 4);
    FLM_CHECK(a[0] == 192 && a[1] == 168 && a[2] == 1 && a[3] == 20);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "VLLM.LAN", a, &fam), FLM_OK);
    FLM_CHECK(a[3] == 20);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "v6.lan", a, &fam), FLM_OK);
    FLM_CHECK_EQ(fam, 6);
    FLM_CHECK(a[0] == 0xfd && a[15] == 7);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "last.lan", a, &fam), FLM_OK);
    FLM_CHECK(a[0] == 10 && a[3] == 3);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "longname", a, &fam), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "gpu", a, &fam), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hosts_lookup(path, "comment", a, &fam), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hosts_lookup("/nonexistent/hosts", "gpu.lan", a, &fam), FLM_ERR_NOT_FOUND);
    unlink(path);
}
