/* The hosts file, read without stdio (its buffers come from the heap). */
#define _POSIX_C_SOURCE 200809L
#include "port/posix/hosts.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int same_name(const char *a, size_t n, const char *name)
{
    size_t i = 0;
    for (; i < n && name[i]; i++)
        if (lower(a[i]) != lower(name[i]))
            return 0;
    return i == n && name[i] == '\0';
}

/* One line, NUL-terminated and without its newline: 1 if it names `name`. */
static int match_line(char *line, const char *name, uint8_t addr[16], int *family)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *p = line;
    while (is_space(*p))
        p++;
    char *a = p;
    while (*p && !is_space(*p))
        p++;
    if (p == a || !*p)
        return 0; /* blank, or an address without a name */
    *p++ = '\0';
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            return 0;
        char *n = p;
        while (*p && !is_space(*p))
            p++;
        if (same_name(n, (size_t)(p - n), name))
            break;
    }
    if (inet_pton(AF_INET, a, addr) == 1) {
        *family = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, a, addr) == 1) {
        *family = 6;
        return 1;
    }
    return 0; /* a malformed address: the next line may name the host */
}

flm_err_t flm_hosts_lookup(const char *path, const char *name, uint8_t addr[16], int *family)
{
    if (!name || !*name || !addr || !family)
        return FLM_ERR_ARG;
    int fd = open(path ? path : "/etc/hosts", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_NOT_FOUND;
    char line[FLM_HOSTS_LINE_MAX + 1], chunk[4096];
    size_t len = 0;
    int too_long = 0, found = 0;
    ssize_t got;
    while (!found && (got = read(fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < got && !found; i++) {
            char c = chunk[i];
            if (c == '\n') {
                line[len] = '\0';
                found = !too_long && match_line(line, name, addr, family);
                len = 0;
                too_long = 0;
            } else if (len < FLM_HOSTS_LINE_MAX) {
                line[len++] = c == '\0' ? ' ' : c;
            } else {
                too_long = 1;
            }
        }
    }
    if (!found && len && !too_long) { /* a last line without its newline */
        line[len] = '\0';
        found = match_line(line, name, addr, family);
    }
    close(fd);
    return found ? FLM_OK : FLM_ERR_NOT_FOUND;
}
