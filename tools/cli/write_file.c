/* Output files: written whole to a temporary file beside the target, then
 * renamed over it, so an interrupted or failed write (a full disk, a kill,
 * a file size limit) leaves the old file as it was, never a truncated one. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli/cli.h"

int flm_cli_write_file(const char *cmd, const char *path, const void *data, size_t len)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, flm_cli_errno_text(EISDIR));
        return -1;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 8);
    if (!tmp) {
        fprintf(stderr, "fieldlm %s: %s: out of memory\n", cmd, path);
        return -1;
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, flm_cli_errno_text(errno));
        free(tmp);
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    int e = fchmod(fd, 0666 & ~mask) != 0 ? errno : 0; /* mkstemp's 0600 is for secrets */
    const unsigned char *p = data;
    for (size_t done = 0; !e && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            done += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, flm_cli_errno_text(e));
    }
    free(tmp);
    return e ? -1 : 0;
}

bool flm_cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
