/* Ctrl-C for the commands that loop over tokens or lines: the first SIGINT
 * asks them to stop at the next unit of work (they print what they made,
 * their statistics, and exit FLM_EXIT_INTERRUPTED); a second one kills. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>

#include "tools/cli/cli.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    signal(SIGINT, SIG_DFL); /* the second Ctrl-C is the usual one */
}

void flm_cli_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, NULL);
}

bool flm_cli_interrupted(void)
{
    return interrupted != 0;
}

void flm_cli_interrupt_reset(void)
{
    interrupted = 0;
    flm_cli_catch_interrupt();
}
