/* fieldlm command-line program: what every subcommand shares.
 *
 * A subcommand is one file, tools/cli/cmd_<name>.c, holding
 *
 *     FLM_CLI_COMMAND(name, "one-line summary")
 *     {
 *         ... argc/argv as for main(), argv[0] is "name" ...
 *     }
 *
 * The Makefile finds every FLM_CLI_COMMAND line and main.c lists them: no
 * other file changes to add a command. Options are parsed from a table
 * (tools/cli/opt.h). */
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

typedef struct {
    const char *name;
    const char *summary;
    int       (*main)(int argc, char **argv);
} flm_cli_command_t;

#define FLM_CLI_COMMAND(name_, summary_)                                         \
    static int flm_cmd_##name_##_main(int argc, char **argv);                    \
    extern const flm_cli_command_t flm_cmd_##name_;                              \
    const flm_cli_command_t flm_cmd_##name_ = { #name_, summary_, flm_cmd_##name_##_main }; \
    static int flm_cmd_##name_##_main(int argc, char **argv)

/* Report a command-line error for `cmd` and return FLM_EXIT_USAGE. */
int flm_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A whole decimal integer in [lo, hi] (for tools outside the table parser). */
bool flm_cli_parse_long(const char *s, long lo, long hi, long *out);

#endif /* FLM_CLI_H */
