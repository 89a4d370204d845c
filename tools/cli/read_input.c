/* Text a command reads whole: a prompt from a file or stdin. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli/cli.h"

char *flm_cli_read_text(const char *cmd, const char *path, size_t max, size_t *len)
{
    const bool in = strcmp(path, "-") == 0;
    FILE *f = in ? stdin : flm_cli_open_read(cmd, path);
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > max) {
                fprintf(stderr, "fieldlm %s: %s: longer than %zu bytes\n", cmd, in ? "stdin" : path, max);
                free(buf);
                buf = NULL;
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, in ? "stdin" : path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (!in)
        fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

FILE *flm_cli_open_read(const char *cmd, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        f = NULL;
        errno = EISDIR;
    }
    if (!f)
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, flm_cli_errno_text(errno));
    return f;
}

const char *flm_cli_errno_text(int e)
{
    /* strerror's words, lower-cased first letter to sit after "PATH: " */
    static char buf[128];
    snprintf(buf, sizeof buf, "%s", strerror(e));
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

bool flm_cli_stdin_has_text(void)
{
    if (isatty(STDIN_FILENO))
        return false;
    struct stat st;
    /* a pipe or a file: /dev/null and other devices say nothing */
    return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) ||
                                             S_ISSOCK(st.st_mode));
}
