#define _POSIX_C_SOURCE 200809L
#include "port/posix/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/hal/hal.h"

#define MAX_SERVERS 3

static uint16_t server_port = 53; /* flm_dns_set_server_port: tests only */

void flm_dns_set_server_port(uint16_t port)
{
    server_port = port ? port : 53;
}
#define TRY_MS      2000 /* per server and record type, within the deadline */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

flm_err_t flm_dns_build_query(uint16_t id, const char *name, uint16_t qtype,
                              uint8_t *buf, size_t cap, size_t *len)
{
    if (!name || !buf || !len)
        return FLM_ERR_ARG;
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--; /* "example.com." is absolute already */
    if (n == 0 || n > FLM_DNS_NAME_MAX || cap < 12 + n + 2 + 4)
        return n == 0 || n > FLM_DNS_NAME_MAX ? FLM_ERR_NET_RESOLVE : FLM_ERR_OVERFLOW;
    memset(buf, 0, 12);
    put16(buf, id);
    put16(buf + 2, 0x0100); /* standard query, recursion desired */
    put16(buf + 4, 1);      /* one question */
    size_t pos = 12;
    for (size_t start = 0; start <= n;) {
        size_t end = start;
        while (end < n && name[end] != '.') {
            char c = name[end];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok)
                return FLM_ERR_NET_RESOLVE;
            end++;
        }
        size_t label = end - start;
        if (label == 0 || label > 63)
            return FLM_ERR_NET_RESOLVE;
        buf[pos++] = (uint8_t)label;
        memcpy(buf + pos, name + start, label);
        pos += label;
        start = end + 1;
    }
    buf[pos++] = 0;
    put16(buf + pos, qtype);
    put16(buf + pos + 2, 1); /* class IN */
    *len = pos + 4;
    return FLM_OK;
}

/* Step over a (possibly compressed) name; pointers are not followed. */
static bool skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
    while (*pos < len) {
        uint8_t b = msg[*pos];
        if (b == 0) {
            *pos += 1;
            return true;
        }
        if ((b & 0xC0) == 0xC0) {
            *pos += 2;
            return *pos <= len;
        }
        if (b & 0xC0)
            return false; /* reserved label types */
        *pos += 1u + b;
    }
    return false;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

flm_err_t flm_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                                 uint16_t qtype, uint8_t *addr)
{
    if (!msg || !addr || !name)
        return FLM_ERR_ARG;
    if (len < 12 || get16(msg) != id || !(msg[2] & 0x80) || (msg[2] & 0x78))
        return FLM_ERR_NOT_FOUND; /* not an answer to a standard query of ours: keep listening */
    /* The question must be ours, byte for byte but for letter case (RFC
     * 1035 names compare case-insensitively): an answer for another name
     * with a guessed id is someone else's, or a forgery. */
    uint8_t q[12 + FLM_DNS_NAME_MAX + 2 + 4];
    size_t qlen;
    if (flm_dns_build_query(id, name, qtype, q, sizeof q, &qlen) != FLM_OK)
        return FLM_ERR_ARG;
    if (get16(msg + 4) != 1 || len < qlen)
        return FLM_ERR_NOT_FOUND;
    for (size_t i = 12; i < qlen; i++)
        if (lower(msg[i]) != lower(q[i]))
            return FLM_ERR_NOT_FOUND;
    if (msg[3] & 0x0F)
        return FLM_ERR_NET_RESOLVE; /* NXDOMAIN, SERVFAIL, REFUSED, ... */
    if (msg[2] & 0x02)
        return FLM_ERR_NET_RESOLVE; /* truncated (TC): no TCP fallback, so no answer */
    uint16_t an = get16(msg + 6);
    size_t pos = qlen;
    size_t want = qtype == FLM_DNS_A ? 4 : 16;
    for (uint16_t i = 0; i < an; i++) {
        if (!skip_name(msg, len, &pos) || len - pos < 10)
            return FLM_ERR_NET_RECV;
        uint16_t type = get16(msg + pos), cls = get16(msg + pos + 2);
        uint16_t rdlen = get16(msg + pos + 8);
        pos += 10;
        if (len - pos < rdlen)
            return FLM_ERR_NET_RECV;
        if (type == qtype && cls == 1 && rdlen == want) {
            memcpy(addr, msg + pos, want);
            return FLM_OK;
        }
        pos += rdlen; /* a CNAME or another type: the target's records follow */
    }
    return FLM_ERR_NET_RESOLVE;
}

/* "nameserver ADDR" lines of resolv.conf, IPv4 or IPv6. */
static int read_servers(const char *path, struct sockaddr_storage *ss, socklen_t *lens)
{
    char buf[4096];
    int fd = open(path ? path : "/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    int count = 0;
    for (char *line = buf; line && *line && count < MAX_SERVERS;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "nameserver", 10) == 0 && (line[10] == ' ' || line[10] == '\t')) {
            char *a = line + 11;
            while (*a == ' ' || *a == '\t')
                a++;
            char *end = a;
            while (*end && *end != ' ' && *end != '\t' && *end != '\r' && *end != '%')
                end++;
            *end = '\0';
            struct sockaddr_in *in4 = (struct sockaddr_in *)&ss[count];
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss[count];
            memset(&ss[count], 0, sizeof ss[count]);
            if (inet_pton(AF_INET, a, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons(server_port);
                lens[count++] = sizeof *in4;
            } else if (inet_pton(AF_INET6, a, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(server_port);
                lens[count++] = sizeof *in6;
            }
        }
        line = next;
    }
    return count;
}

uint16_t flm_dns_source_port(uint16_t random)
{
    return (uint16_t)(FLM_DNS_PORT_MIN + random % (65536u - FLM_DNS_PORT_MIN));
}

/* A source port from the entropy source (with the 16-bit id, some 31 bits
 * an off-path forger must guess), not the kernel's next ephemeral port; a
 * port in use is drawn again, and after 16 draws the kernel's choice is
 * taken. */
static flm_err_t bind_random_port(int fd, int family)
{
    for (int i = 0; i < 16; i++) {
        uint16_t rnd;
        if (flm_hal_entropy(&rnd, sizeof rnd))
            return FLM_ERR_ENTROPY;
        uint16_t port = flm_dns_source_port(rnd);
        struct sockaddr_storage ss;
        socklen_t len;
        memset(&ss, 0, sizeof ss);
        if (family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            in6->sin6_addr = in6addr_any;
            in6->sin6_port = htons(port);
            len = sizeof *in6;
        } else {
            struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
            in4->sin_family = AF_INET;
            in4->sin_addr.s_addr = htonl(INADDR_ANY);
            in4->sin_port = htons(port);
            len = sizeof *in4;
        }
        if (bind(fd, (const struct sockaddr *)&ss, len) == 0)
            return FLM_OK;
        if (errno != EADDRINUSE && errno != EACCES)
            break;
    }
    return FLM_OK; /* unbound: connect() takes an ephemeral port */
}

/* One query to one server; the connected socket drops replies from others. */
static flm_err_t ask(const struct sockaddr_storage *server, socklen_t slen, const char *name,
                     uint16_t qtype, uint64_t deadline, uint8_t *addr)
{
    uint8_t q[FLM_DNS_MSG_MAX], r[FLM_DNS_MSG_MAX];
    uint16_t id;
    size_t qlen;
    if (flm_hal_entropy(&id, sizeof id))
        return FLM_ERR_ENTROPY;
    flm_err_t err = flm_dns_build_query(id, name, qtype, q, sizeof q, &qlen);
    if (err)
        return err;
    int fd = socket(server->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return FLM_ERR_NET_RESOLVE;
    if (bind_random_port(fd, server->ss_family) != FLM_OK) {
        close(fd);
        return FLM_ERR_ENTROPY;
    }
    err = FLM_ERR_TIMEOUT;
    if (connect(fd, (const struct sockaddr *)server, slen) == 0 &&
        send(fd, q, qlen, 0) == (ssize_t)qlen) {
        for (;;) {
            uint64_t now = flm_hal_time_ms();
            if (now >= deadline)
                break;
            struct pollfd p = { .fd = fd, .events = POLLIN };
            int rc = poll(&p, 1, (int)(deadline - now));
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc <= 0)
                break;
            ssize_t n = recv(fd, r, sizeof r, 0);
            if (n < 0) {
                err = FLM_ERR_NET_RESOLVE; /* e.g. ICMP port unreachable */
                break;
            }
            err = flm_dns_parse_response(r, (size_t)n, id, name, qtype, addr);
            if (err != FLM_ERR_NOT_FOUND)
                break;
            err = FLM_ERR_TIMEOUT;
        }
    }
    close(fd);
    return err;
}

flm_err_t flm_dns_resolve(const char *resolv_conf, const char *name, uint32_t timeout_ms,
                          uint8_t addr[16], int *family_out)
{
    struct sockaddr_storage servers[MAX_SERVERS];
    socklen_t lens[MAX_SERVERS];
    int n = read_servers(resolv_conf, servers, lens);
    if (n == 0)
        return FLM_ERR_NET_RESOLVE;
    uint64_t deadline = flm_hal_time_ms() + timeout_ms;
    static const uint16_t types[] = { FLM_DNS_A, FLM_DNS_AAAA };
    flm_err_t err = FLM_ERR_NET_RESOLVE;
    for (size_t t = 0; t < 2; t++) {
        for (int s = 0; s < n; s++) {
            uint64_t now = flm_hal_time_ms();
            if (now >= deadline)
                return FLM_ERR_TIMEOUT;
            uint64_t until = deadline - now > TRY_MS ? now + TRY_MS : deadline;
            err = ask(&servers[s], lens[s], name, types[t], until, addr);
            if (err == FLM_OK) {
                *family_out = types[t] == FLM_DNS_A ? 4 : 6;
                return FLM_OK;
            }
            if (err == FLM_ERR_NET_RESOLVE && t == 0)
                break; /* a clear "no A record": ask for AAAA */
        }
    }
    return err == FLM_ERR_TIMEOUT ? FLM_ERR_TIMEOUT : FLM_ERR_NET_RESOLVE;
}
