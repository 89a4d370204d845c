/*
 * POSIX network (core/hal/hal_net.h, hal_net_server.h): non-blocking TCP
 * sockets waited on with poll, so every call keeps its timeout; names are
 * resolved by dns.c (getaddrinfo allocates). The link is up when the
 * routing table has a default route.
 */
#define _GNU_SOURCE /* accept4 */
#include "port/posix/hal_posix.h"
#include "port/common/hal_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port/posix/dns.h"
#include "port/posix/hosts.h"

#if !FLM_HAL_HAS_NET || !FLM_HAL_HAS_NET_SERVER
#error "port/posix has the network and the server: build it with FLM_HAL_HAS_NET=1 and FLM_HAL_HAS_NET_SERVER=1 (port/posix/rules.mk)"
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static int hal_link_state = -1;

/* ---- TCP client ------------------------------------------------------ */

void flm_hal_tcp_init(flm_hal_tcp_t *c)
{
    c->fd = -1;
}

static int wait_fd(int fd, short events, uint32_t timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    uint64_t deadline = flm_hal_time_ms() + timeout_ms;
    for (;;) {
        uint64_t now = flm_hal_time_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int rc = poll(&p, 1, left);
        if (rc < 0 && errno == EINTR)
            continue;
        return rc; /* 1 ready, 0 timeout, -1 error */
    }
}

static void set_addr(int family, const uint8_t *addr, uint16_t port,
                     struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (family == 4) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        memcpy(&in4->sin_addr, addr, 4);
        *len = sizeof *in4;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        memcpy(&in6->sin6_addr, addr, 16);
        *len = sizeof *in6;
    }
}

/* A numeric IPv4/IPv6 address or "localhost" as a socket address;
 * FLM_ERR_NOT_FOUND for anything else (a name to resolve). */
static flm_err_t literal_addr(const char *host, uint16_t port, struct sockaddr_storage *ss,
                              socklen_t *len)
{
    uint8_t addr[16];
    int family = 0;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, addr) == 1)
        family = 4;
    else if (inet_pton(AF_INET6, host, addr) == 1)
        family = 6;
    else
        return FLM_ERR_NOT_FOUND;
    set_addr(family, addr, port, ss, len);
    return FLM_OK;
}

/* Resolve without the heap: numeric addresses, "localhost", /etc/hosts
 * (hosts.c), else the minimal DNS client in dns.c (getaddrinfo allocates). */
static flm_err_t resolve(const char *host, uint16_t port, uint32_t timeout_ms,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    if (literal_addr(host, port, ss, len) == FLM_OK)
        return FLM_OK;
    uint8_t addr[16];
    int family = 0;
    flm_err_t err = flm_hosts_lookup(NULL, host, addr, &family);
    if (err == FLM_ERR_NOT_FOUND)
        err = flm_dns_resolve(NULL, host, timeout_ms, addr, &family);
    if (err)
        return err;
    set_addr(family, addr, port, ss, len);
    return FLM_OK;
}

flm_err_t flm_hal_tcp_connect(flm_hal_tcp_t *c, const char *host, uint16_t port,
                              uint32_t timeout_ms)
{
    if (!c || !host)
        return FLM_ERR_ARG;
    struct sockaddr_storage ss;
    socklen_t len;
    uint64_t start = flm_hal_time_ms();
    flm_err_t err = resolve(host, port, timeout_ms, &ss, &len);
    if (err)
        return err;
    uint64_t spent = flm_hal_time_ms() - start;
    timeout_ms = spent >= timeout_ms ? 0 : timeout_ms - (uint32_t)spent;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return FLM_ERR_NET_CONNECT;
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        int rc = wait_fd(fd, POLLOUT, timeout_ms);
        if (rc == 0) {
            close(fd);
            return FLM_ERR_TIMEOUT;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
            goto fail;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    return FLM_OK;
fail:
    close(fd);
    return FLM_ERR_NET_CONNECT;
}

int flm_hal_tcp_send(flm_hal_tcp_t *c, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    if (!c || c->fd < 0)
        return FLM_ERR_STATE;
    int rc = wait_fd(c->fd, POLLOUT, timeout_ms);
    if (rc == 0)
        return FLM_ERR_TIMEOUT;
    if (rc < 0)
        return FLM_ERR_NET_SEND;
    ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (w < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? FLM_ERR_TIMEOUT
             : (errno == EPIPE || errno == ECONNRESET) ? FLM_ERR_NET_CLOSED
             : FLM_ERR_NET_SEND;
    return (int)w;
}

int flm_hal_tcp_recv(flm_hal_tcp_t *c, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    if (!c || c->fd < 0)
        return FLM_ERR_STATE;
    int rc = wait_fd(c->fd, POLLIN, timeout_ms);
    if (rc == 0)
        return FLM_ERR_TIMEOUT;
    if (rc < 0)
        return FLM_ERR_NET_RECV;
    if (cap > INT32_MAX)
        cap = INT32_MAX;
    ssize_t r = recv(c->fd, buf, cap, 0);
    if (r == 0)
        return FLM_ERR_NET_CLOSED;
    if (r < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? FLM_ERR_TIMEOUT
             : errno == ECONNRESET ? FLM_ERR_NET_CLOSED
             : FLM_ERR_NET_RECV;
    return (int)r;
}

void flm_hal_tcp_close(flm_hal_tcp_t *c)
{
    if (c && c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* ---- listening -------------------------------------------------------- */

void flm_hal_tcp_listener_init(flm_hal_tcp_listener_t *l)
{
    l->fd = -1;
    l->port = 0;
}

flm_err_t flm_hal_tcp_listen(flm_hal_tcp_listener_t *l, const char *host, uint16_t port,
                             int backlog)
{
    if (!l || !host)
        return FLM_ERR_ARG;
    if (l->fd >= 0)
        return FLM_ERR_STATE;
    struct sockaddr_storage ss;
    socklen_t len;
    if (literal_addr(host, port, &ss, &len) != FLM_OK)
        return FLM_ERR_ARG; /* a server binds an address, not a name */
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return FLM_ERR_NET_LISTEN;
    /* A restarted server must not wait out the old one's TIME_WAIT. */
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, backlog < 1 ? 1 : backlog) != 0)
        goto fail;
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        goto fail;
    l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    l->fd = fd;
    return FLM_OK;
fail:
    close(fd);
    return FLM_ERR_NET_LISTEN;
}

uint16_t flm_hal_tcp_listener_port(const flm_hal_tcp_listener_t *l)
{
    return l && l->fd >= 0 ? l->port : 0;
}

flm_err_t flm_hal_tcp_accept(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *conn, uint32_t timeout_ms)
{
    if (!l || !conn)
        return FLM_ERR_ARG;
    if (l->fd < 0 || conn->fd >= 0)
        return FLM_ERR_STATE;
    uint64_t deadline = flm_hal_time_ms() + timeout_ms;
    for (;;) {
        uint64_t now = flm_hal_time_ms();
        int rc = wait_fd(l->fd, POLLIN, now >= deadline ? 0 : (uint32_t)(deadline - now));
        if (rc == 0)
            return FLM_ERR_TIMEOUT;
        if (rc < 0)
            return FLM_ERR_NET_CONNECT;
        /* Non-blocking like a connected socket: send and recv keep their
         * timeouts through poll. */
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conn->fd = fd;
            return FLM_OK;
        }
        /* The peer gave up between poll and accept: wait for the next. */
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
            errno != EINTR && errno != EPROTO)
            return FLM_ERR_NET_CONNECT;
    }
}

flm_err_t flm_hal_tcp_wait(flm_hal_tcp_listener_t *l, flm_hal_tcp_t *const *conns, size_t n,
                           uint32_t timeout_ms, bool *l_ready, bool *ready)
{
    if (n > FLM_HAL_WAIT_MAX || (n && (!conns || !ready)))
        return FLM_ERR_ARG;
    struct pollfd p[FLM_HAL_WAIT_MAX + 1];
    size_t k = 0, at[FLM_HAL_WAIT_MAX]; /* at[i]: conns[i]'s entry in p, or SIZE_MAX */
    if (l_ready)
        *l_ready = false;
    if (l && l->fd >= 0)
        p[k++] = (struct pollfd){ .fd = l->fd, .events = POLLIN };
    for (size_t i = 0; i < n; i++) {
        ready[i] = false;
        at[i] = SIZE_MAX;
        if (conns[i] && conns[i]->fd >= 0) {
            at[i] = k;
            p[k++] = (struct pollfd){ .fd = conns[i]->fd, .events = POLLIN };
        }
    }
    /* EINTR (a SIGTERM) ends the wait early: the caller looks at its flags. */
    int rc = poll(p, (nfds_t)k, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
    if (rc <= 0)
        return FLM_ERR_TIMEOUT;
    if (l && l->fd >= 0 && l_ready)
        *l_ready = (p[0].revents & POLLIN) != 0;
    for (size_t i = 0; i < n; i++)
        if (at[i] != SIZE_MAX)
            ready[i] = (p[at[i]].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    return FLM_OK;
}

void flm_hal_tcp_shutdown_send(flm_hal_tcp_t *c)
{
    if (c && c->fd >= 0)
        shutdown(c->fd, SHUT_WR);
}

void flm_hal_tcp_listener_close(flm_hal_tcp_listener_t *l)
{
    if (l && l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
        l->port = 0;
    }
}

/* ---- link status ------------------------------------------------------ */

void flm_hal_posix_set_link(int state)
{
    hal_link_state = state;
}

/* Linux: the link is up when the routing table has a default route. */
bool flm_hal_link_up(void)
{
    if (hal_link_state >= 0)
        return hal_link_state == 1;
    int fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true; /* cannot tell: let the connect attempt decide */
    static char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* Columns: Iface Destination Gateway ...; a default route has
     * Destination 00000000. */
    for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char *tab = strchr(line + 1, '\t');
        if (tab && strncmp(tab + 1, "00000000", 8) == 0)
            return true;
    }
    return false;
}

