/*
 * The command line of every fieldlm command, described by a table instead
 * of a hand-written argv loop: the parser, the help text and the usage
 * errors all come from the same flm_opt_t rows.
 *
 *   static const char *model;
 *   static uint32_t temp = FLM_Q16_ONE;
 *   static const flm_opt_t opts[] = {
 *       FLM_OPT_STR('m', "model", &model, "FILE", "model image (.flm)"),
 *       FLM_OPT_Q16('t', "temp", &temp, 0, 100, "T", "temperature, 0 = greedy"),
 *       FLM_OPT_END
 *   };
 *
 * Accepted spellings: -m FILE, -mFILE, --model FILE, --model=FILE; flags
 * take no value; "--" ends the options; anything else not starting with
 * '-' is a positional argument.
 */
#ifndef FLM_CLI_OPT_H
#define FLM_CLI_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    FLM_OPT_KIND_END = 0,
    FLM_OPT_KIND_FLAG,   /* bool *: set to true */
    FLM_OPT_KIND_STR,    /* const char **: the argument itself */
    FLM_OPT_KIND_LONG,   /* long *: a decimal integer in [lo, hi] */
    FLM_OPT_KIND_Q16,    /* uint32_t *: a decimal in [lo, hi] as Q16.16 (no float: the
                          * boards parse the same text to the same bits) */
} flm_opt_kind_t;

typedef struct {
    char           short_name; /* 0: none */
    const char    *long_name;  /* NULL: none */
    const char    *alias;      /* a second long name (another tool's spelling), or NULL */
    flm_opt_kind_t kind;
    void          *dest;
    long           lo, hi;     /* LONG: range; Q16: range in whole units */
    const char    *metavar;    /* "FILE", "N": shown in help */
    const char    *help;
} flm_opt_t;

#define FLM_OPT_FLAG(s, l, dest, help) { s, l, NULL, FLM_OPT_KIND_FLAG, dest, 0, 0, NULL, help }
#define FLM_OPT_STR(s, l, dest, mv, help) { s, l, NULL, FLM_OPT_KIND_STR, dest, 0, 0, mv, help }
#define FLM_OPT_LONG(s, l, dest, lo, hi, mv, help) \
    { s, l, NULL, FLM_OPT_KIND_LONG, dest, lo, hi, mv, help }
#define FLM_OPT_Q16(s, l, dest, lo, hi, mv, help) \
    { s, l, NULL, FLM_OPT_KIND_Q16, dest, lo, hi, mv, help }
#define FLM_OPT_END { 0, NULL, NULL, FLM_OPT_KIND_END, NULL, 0, 0, NULL, NULL }

/* What a command shows in its help: `usage: fieldlm NAME SYNOPSIS`, the
 * description, the options table, then the epilogue. */
typedef struct {
    const char *name;
    const char *synopsis;    /* "-m MODEL.flm [-p PROMPT] [options]" */
    const char *description; /* a paragraph, or NULL */
    const char *epilogue;    /* after the options (exit status, examples), or NULL */
} flm_opt_doc_t;

/* Parse argv[1..argc) (argv[0] is the command's name). Positional arguments
 * go to pos[] (at most max_pos; more is a usage error). Returns
 * FLM_OPT_CONTINUE when the command should go on, else the exit status it
 * should return: FLM_EXIT_OK after -h/--help (the help is on stdout),
 * FLM_EXIT_USAGE after a bad command line (the message is on stderr):
 *
 *     int rc = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
 *     if (rc != FLM_OPT_CONTINUE)
 *         return rc;
 */
#define FLM_OPT_CONTINUE (-1)
int flm_opt_parse(const flm_opt_doc_t *doc, const flm_opt_t *opts, int argc, char **argv,
                  const char **pos, int max_pos, int *npos);

void flm_opt_help(const flm_opt_doc_t *doc, const flm_opt_t *opts, FILE *f);

#endif /* FLM_CLI_OPT_H */
