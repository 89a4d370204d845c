/*
 * POSIX implementation of core/hal/hal.h (Linux, macOS, and ARM Linux boards).
 *
 * Uses system calls directly (write, open, poll, ...) rather than stdio:
 * stdio buffers and name-service lookups allocate from the heap, and the
 * runtime must not.
 */
#define _POSIX_C_SOURCE 200809L
#include "port/posix/hal_posix.h"
#include "port/common/hal_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h> /* rename */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/fmt.h"
#include "port/posix/dns.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define STORE_PATH_MAX 512

static flm_log_level_t hal_log_level = FLM_LOG_INFO;
static char     hal_store_dir[STORE_PATH_MAX - FLM_HAL_KEY_MAX - 8] = ".fieldlm-store";
static int      hal_link_state = -1;
static uint64_t hal_watchdog_kicks;

/* ---- life cycle ------------------------------------------------------- */

flm_err_t flm_hal_init(void)
{
    const char *dir = getenv("FLM_STORE_DIR");
    if (dir && *dir) {
        flm_err_t err = flm_hal_posix_set_store_dir(dir);
        if (err)
            return err;
    }
    const char *link = getenv("FLM_LINK");
    if (link && strcmp(link, "up") == 0)
        hal_link_state = 1;
    else if (link && strcmp(link, "down") == 0)
        hal_link_state = 0;
    hal_watchdog_kicks = 0;
    return FLM_OK;
}

void flm_hal_deinit(void)
{
}

/* ---- console and log -------------------------------------------------- */

static void write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* console gone: nothing sensible left to do */
        p += w;
        n -= (size_t)w;
    }
}

void flm_hal_console_write(const void *data, size_t n)
{
    write_all(STDOUT_FILENO, data, n);
}

void flm_hal_log_set_level(flm_log_level_t level)
{
    hal_log_level = level;
}

void flm_hal_vlog(flm_log_level_t level, const char *fmt, va_list ap)
{
    static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
    if (level > hal_log_level)
        return;
    char line[FLM_HAL_LOG_LINE_MAX + 16];
    size_t n = 0;
    const char *pre = prefix[(unsigned)level <= FLM_LOG_DEBUG ? level : FLM_LOG_DEBUG];
    size_t plen = strlen(pre);
    memcpy(line, pre, plen);
    n = plen;
    n += flm_vsnprintf(line + n, FLM_HAL_LOG_LINE_MAX - n, fmt, ap);
    line[n++] = '\n';
    write_all(STDERR_FILENO, line, n);
}

/* ---- time ------------------------------------------------------------- */

uint64_t flm_hal_time_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void flm_hal_sleep_ms(uint32_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000u), .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- entropy ---------------------------------------------------------- */

static flm_err_t read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return FLM_ERR_IO;
        p += r;
        n -= (size_t)r;
    }
    return FLM_OK;
}

flm_err_t flm_hal_entropy(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_ENTROPY;
    flm_err_t err = read_full(fd, buf, n);
    close(fd);
    return err ? FLM_ERR_ENTROPY : FLM_OK;
}

/* ---- persistent key/record storage ----------------------------------- */

flm_err_t flm_hal_posix_set_store_dir(const char *dir)
{
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof hal_store_dir)
        return FLM_ERR_ARG;
    memcpy(hal_store_dir, dir, n + 1);
    return FLM_OK;
}

static void key_path(char *out, const char *prefix, const char *key)
{
    flm_snprintf(out, STORE_PATH_MAX, "%s/%s%s", hal_store_dir, prefix, key);
}

static flm_err_t fsync_dir(void)
{
    int fd = open(hal_store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? FLM_OK : FLM_ERR_IO;
}

flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n)
{
    if (!flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (mkdir(hal_store_dir, 0700) != 0 && errno != EEXIST)
        return FLM_ERR_IO;

    /* Write a temporary, flush it, then rename over the record: rename is
     * atomic, so a power cut leaves the old record or the new one. */
    char tmp[STORE_PATH_MAX], dst[STORE_PATH_MAX];
    key_path(tmp, ".tmp-", key);
    key_path(dst, "", key);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return FLM_ERR_IO;
    const uint8_t *p = data;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return FLM_ERR_IO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return FLM_ERR_IO;
    }
    if (rename(tmp, dst) != 0) {
        unlink(tmp);
        return FLM_ERR_IO;
    }
    return fsync_dir();
}

flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len)
{
    if (!flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    char path[STORE_PATH_MAX];
    key_path(path, "", key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FLM_ERR_NOT_FOUND : FLM_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0) {
        close(fd);
        return FLM_ERR_IO;
    }
    size_t size = (size_t)st.st_size;
    *len = size;
    size_t want = size < cap ? size : cap;
    flm_err_t err = read_full(fd, buf, want);
    close(fd);
    if (err)
        return err;
    return size > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

flm_err_t flm_hal_store_del(const char *key)
{
    if (!flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    char path[STORE_PATH_MAX];
    key_path(path, "", key);
    if (unlink(path) != 0)
        return errno == ENOENT ? FLM_ERR_NOT_FOUND : FLM_ERR_IO;
    return fsync_dir();
}

/* ---- network transport ------------------------------------------------ */

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

/* Resolve without the heap: numeric addresses, "localhost", else the
 * minimal DNS client in dns.c (getaddrinfo allocates). */
static flm_err_t resolve(const char *host, uint16_t port, uint32_t timeout_ms,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    int family = 0;
    uint8_t addr[16];
    if (inet_pton(AF_INET, host, addr) == 1)
        family = 4;
    else if (inet_pton(AF_INET6, host, addr) == 1)
        family = 6;
    else {
        flm_err_t err = flm_dns_resolve(NULL, host, timeout_ms, addr, &family);
        if (err)
            return err;
    }
    if (family == 4) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        memcpy(&in4->sin_addr, addr, 4);
        *len = sizeof *in4;
    } else {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        memcpy(&in6->sin6_addr, addr, 16);
        *len = sizeof *in6;
    }
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

/* ---- watchdog --------------------------------------------------------- */

void flm_hal_watchdog_kick(void)
{
    hal_watchdog_kicks++;
}

uint64_t flm_hal_posix_watchdog_kicks(void)
{
    return hal_watchdog_kicks;
}
