/* A progress line for long work (ppl over a data file, convert of a large
 * checkpoint): on stderr when it is a terminal, redrawn in place at most
 * five times a second, erased when the work ends; nothing at all when
 * stderr is a file or a pipe, so captures and logs stay clean. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli/cli.h"

static int shown = -1; /* -1: not decided yet */
static double last;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void flm_cli_progress(const char *fmt, ...)
{
    if (shown < 0)
        shown = isatty(STDERR_FILENO) ? 1 : 0;
    if (!shown)
        return;
    double t = now_s();
    if (t - last < 0.2)
        return;
    last = t;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void flm_cli_progress_end(void)
{
    if (shown == 1 && last > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    last = 0;
}
