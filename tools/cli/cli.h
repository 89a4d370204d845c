/* fieldlm command-line program: shared helpers for the subcommands.
 * Each subcommand lives in tools/cli/cmd_<name>.c and is listed in main.c. */
#ifndef FLM_CLI_H
#define FLM_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses, the same for every subcommand. */
enum {
    FLM_EXIT_OK    = 0,
    FLM_EXIT_FAIL  = 1, /* the operation failed (bad model, network, ...) */
    FLM_EXIT_USAGE = 2, /* bad command line */
};

typedef int (*flm_cli_fn)(int argc, char **argv);

typedef struct {
    const char *name;
    flm_cli_fn  fn;
    const char *summary;
} flm_cli_command_t;

/* Subcommands (tools/cli/cmd_<name>.c). */
int flm_cmd_cloud(int argc, char **argv);
int flm_cmd_convert(int argc, char **argv);
int flm_cmd_info(int argc, char **argv);
int flm_cmd_run(int argc, char **argv);
int flm_cmd_ppl(int argc, char **argv);

/* Report a command-line error for `cmd` and return FLM_EXIT_USAGE. */
int flm_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Parse a whole decimal integer / number in [lo, hi]; false on junk. */
bool flm_cli_parse_long(const char *s, long lo, long hi, long *out);
bool flm_cli_parse_double(const char *s, double lo, double hi, double *out);

#endif /* FLM_CLI_H */
