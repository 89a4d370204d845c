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
    FLM_EXIT_INTERRUPTED = 130, /* stopped by Ctrl-C (128 + SIGINT, as shells report it) */
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

/* Ctrl-C (tools/cli/interrupt.c): after catch, the first SIGINT sets the
 * flag the loop polls between tokens or lines; the second one kills. */
void flm_cli_catch_interrupt(void);
bool flm_cli_interrupted(void);
void flm_cli_interrupt_reset(void); /* clear the flag, catch the next one */

/* Input files (tools/cli/read_input.c). Each failure is one line on stderr:
 * "fieldlm CMD: PATH: <the system's reason>", a directory included. */
#include <stddef.h>
#include <stdio.h>
FILE *flm_cli_open_read(const char *cmd, const char *path);
/* The whole of path ("-": stdin), NUL-terminated, malloc'd; NULL after a
 * message. */
char *flm_cli_read_text(const char *cmd, const char *path, size_t max, size_t *len);
/* strerror(e) with a lower-case first letter, for "PATH: reason". */
const char *flm_cli_errno_text(int e);
/* stdin is a pipe or a file (not a terminal, not /dev/null). */
bool flm_cli_stdin_has_text(void);

/* Output files (tools/cli/write_file.c): written to PATH.XXXXXX beside
 * PATH, then renamed over it (a failed write leaves the old file); -1 after
 * a one-line message. same_file: both exist and are one file (by device and
 * inode: another name, a link, ./x and x are caught). */
int  flm_cli_write_file(const char *cmd, const char *path, const void *data, size_t len);
bool flm_cli_same_file(const char *a, const char *b);

/* A progress line on stderr, only when it is a terminal (tools/cli/progress.c):
 * redrawn in place at most five times a second; _end erases it. */
void flm_cli_progress(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void flm_cli_progress_end(void);

/* --json output (tools/cli/json_out.c): begin opens the object (its buffer
 * sized for text_bytes of strings), the writer's own calls add keys and
 * values (j.w), _text adds a string made valid UTF-8, _num a decimal; _end
 * closes it, prints it and a newline, frees; -1 after a message. */
#include "core/proto/json_write.h"
typedef struct {
    flm_json_writer_t w;
    char  *buf;
    size_t cap;
} flm_cli_json_t;
bool flm_cli_json_begin(flm_cli_json_t *j, size_t text_bytes);
void flm_cli_json_text(flm_cli_json_t *j, const char *key, const char *s, size_t n);
void flm_cli_json_num(flm_cli_json_t *j, const char *key, double v, unsigned decimals);
int  flm_cli_json_end(flm_cli_json_t *j, const char *cmd);

/* The engine in memory from the host's heap (tools/cli/engine_mem.c): the
 * runtime's engine sized for ec, *mem the block to free after
 * flm_runtime_deinit (NULL on failure before the allocation). */
#include "core/runtime/runtime.h"
flm_err_t flm_cli_engine_init(flm_runtime_t *rt, const flm_engine_config_t *ec, uint8_t **mem);

/* --threads N of the commands that run the model (llama.cpp's spelling):
 * threads is -1 until given; flm_cli_threads() turns it into
 * flm_runtime_config_t.threads (not given: [model] threads, whose default
 * is one per CPU; 0: one per CPU). */
#define FLM_CLI_OPT_THREADS(dest)                                                   \
    FLM_OPT_LONG(0, "threads", dest, 0, FLM_CFG_MAX_THREADS, "N",                   \
                 "threads for the matrix products, 0 one per CPU (default: [model] " \
                 "threads, else one per CPU); the output is the same for any N")
uint32_t flm_cli_threads(long threads);

/* --verify MODE of the same commands: [model] verify for this run (full:
 * the whole image's CRC now; once: the first time, then trusted from a
 * record in the store; header: the header's only). flm_cli_verify_bad()
 * prints the usage error (exit 2) for another word. */
#define FLM_CLI_OPT_VERIFY(dest)                                                   \
    FLM_OPT_STR(0, "verify", dest, "MODE",                                         \
                "check the model image: full (every start), once (the first start, " \
                "recorded in the store), header (default: [model] verify, else full)")
bool flm_cli_verify_bad(const char *cmd, const char *verify);

#endif /* FLM_CLI_H */
