/* The CLI's table-driven option parser (tools/cli/opt.h). */
#include <string.h>

#include "tests/harness/harness.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = { "test", "[options]", NULL, NULL };

typedef struct {
    const char *model;
    long n;
    uint32_t temp;
    bool quiet;
} vals_t;

static int parse(vals_t *v, const char **pos, int max_pos, int *npos, int argc,
                              const char **args)
{
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &v->model, "FILE", "model"),
        FLM_OPT_LONG('n', "steps", &v->n, -5, 100, "N", "steps"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &v->temp, 0, 2, "T", "temperature" },
        FLM_OPT_FLAG('q', "quiet", &v->quiet, "quiet"),
        FLM_OPT_END
    };
    char *argv[16];
    for (int i = 0; i < argc; i++)
        argv[i] = (char *)(uintptr_t)args[i];
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w"); /* usage errors are expected here */
    int r = flm_opt_parse(&doc, opts, argc, argv, pos, max_pos, npos);
    fclose(stderr);
    stderr = saved;
    return r;
}

FLM_TEST(cli_opt_spellings)
{
    vals_t v = { 0 };
    const char *pos[2];
    int np;
    const char *a[] = { "test", "-m", "a.flm", "-n7", "--temp=0.5", "-q", "x" };
    FLM_CHECK_EQ(parse(&v, pos, 2, &np, 7, a), FLM_OPT_CONTINUE);
    FLM_CHECK(strcmp(v.model, "a.flm") == 0 && v.n == 7 && v.temp == 32768 && v.quiet);
    FLM_CHECK(np == 1 && strcmp(pos[0], "x") == 0);
    const char *b[] = { "test", "--model", "b", "--steps", "-5", "--temperature", "2", "--", "-q" };
    v.quiet = false;
    FLM_CHECK_EQ(parse(&v, pos, 2, &np, 9, b), FLM_OPT_CONTINUE);
    FLM_CHECK(strcmp(v.model, "b") == 0 && v.n == -5 && v.temp == 131072 && !v.quiet);
    FLM_CHECK(np == 1 && strcmp(pos[0], "-q") == 0);
}

FLM_TEST(cli_opt_errors)
{
    vals_t v = { 0 };
    const char *pos[1];
    int np;
    const char *unknown[] = { "test", "--modle", "x" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 3, unknown), FLM_EXIT_USAGE);
    const char *missing[] = { "test", "-m" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 2, missing), FLM_EXIT_USAGE);
    const char *range[] = { "test", "-n", "101" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 3, range), FLM_EXIT_USAGE);
    const char *junk[] = { "test", "-n", "7x" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 3, junk), FLM_EXIT_USAGE);
    const char *q16[] = { "test", "-t", "2.5" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 3, q16), FLM_EXIT_USAGE);
    const char *flagval[] = { "test", "--quiet=yes" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 2, flagval), FLM_EXIT_USAGE);
    const char *extra[] = { "test", "a", "b" };
    FLM_CHECK_EQ(parse(&v, pos, 1, &np, 3, extra), FLM_EXIT_USAGE);
}
