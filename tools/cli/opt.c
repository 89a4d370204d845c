#include "tools/cli/opt.h"
#include <ctype.h>

#include <string.h>

#include "core/base/parse.h"
#include "core/base/strdist.h"
#include "tools/cli/cli.h"

static const flm_opt_t *find_long(const flm_opt_t *opts, const char *name, size_t n)
{
    for (const flm_opt_t *o = opts; o->kind != FLM_OPT_KIND_END; o++) {
        if (o->long_name && strlen(o->long_name) == n && strncmp(o->long_name, name, n) == 0)
            return o;
        if (o->alias && strlen(o->alias) == n && strncmp(o->alias, name, n) == 0)
            return o;
    }
    return NULL;
}

static const flm_opt_t *find_short(const flm_opt_t *opts, char c)
{
    for (const flm_opt_t *o = opts; o->kind != FLM_OPT_KIND_END; o++)
        if (o->short_name && o->short_name == c)
            return o;
    return NULL;
}

/* The option's name as the user should see it: "--model" or "-m". */
static void spelled(const flm_opt_t *o, char *buf, size_t cap)
{
    if (o->long_name)
        snprintf(buf, cap, "--%s", o->long_name);
    else
        snprintf(buf, cap, "-%c", o->short_name);
}

/* The closest long option to a misspelled one (edit distance <= 2), or NULL. */
static const char *nearest(const flm_opt_t *opts, const char *name, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const flm_opt_t *o = opts; o->kind != FLM_OPT_KIND_END; o++) {
        const char *names[2] = { o->long_name, o->alias };
        for (int k = 0; k < 2; k++) {
            size_t d = names[k] ? flm_strdist(name, n, names[k], strlen(names[k]), best_d) : best_d;
            if (d < best_d) {
                best_d = d;
                best = names[k];
            }
        }
    }
    return best;
}

static int set_value(const flm_opt_doc_t *doc, const flm_opt_t *o, const char *v)
{
    char name[64];
    spelled(o, name, sizeof name);
    switch (o->kind) {
    case FLM_OPT_KIND_STR:
        *(const char **)o->dest = v;
        return FLM_OPT_CONTINUE;
    case FLM_OPT_KIND_LONG: {
        uint64_t x;
        bool neg = v[0] == '-';
        const char *d = neg ? v + 1 : v;
        bool ok = flm_parse_uint(d, strlen(d), 10, (uint64_t)1 << 62, &x);
        long long val = neg ? -(long long)x : (long long)x;
        if (!ok || val < o->lo || val > o->hi) {
            flm_cli_usage_error(doc->name, "%s wants an integer in [%ld, %ld], not '%s'", name, o->lo,
                                o->hi, v);
            return FLM_EXIT_USAGE;
        }
        *(long *)o->dest = (long)val;
        return FLM_OPT_CONTINUE;
    }
    case FLM_OPT_KIND_Q16: {
        uint32_t q;
        if (!flm_parse_q16(v, strlen(v), &q) || q < (uint64_t)o->lo << 16 ||
            q > (uint64_t)o->hi << 16) {
            flm_cli_usage_error(doc->name, "%s wants a number in [%ld, %ld], not '%s'", name, o->lo,
                                o->hi, v);
            return FLM_EXIT_USAGE;
        }
        *(uint32_t *)o->dest = q;
        return FLM_OPT_CONTINUE;
    }
    case FLM_OPT_KIND_FLAG:
    case FLM_OPT_KIND_END:
        break;
    }
    return FLM_EXIT_USAGE;
}

int flm_opt_parse(const flm_opt_doc_t *doc, const flm_opt_t *opts, int argc, char **argv,
                  const char **pos, int max_pos, int *npos)
{
    *npos = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') { /* "-" is a positional (stdin) */
            if (*npos >= max_pos) {
                flm_cli_usage_error(doc->name, max_pos ? "unexpected argument '%s'"
                                                       : "takes no arguments ('%s')", a);
                return FLM_EXIT_USAGE;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            flm_opt_help(doc, opts, stdout);
            return FLM_EXIT_OK;
        }
        const flm_opt_t *o;
        const char *inline_value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, name, n);
            if (!o) {
                const char *near = nearest(opts, name, n);
                if (near)
                    flm_cli_usage_error(doc->name, "unknown option '%.*s' (did you mean '--%s'?)",
                                        (int)n + 2, a, near);
                else
                    flm_cli_usage_error(doc->name, "unknown option '%.*s'", (int)n + 2, a);
                return FLM_EXIT_USAGE;
            }
            inline_value = eq ? eq + 1 : NULL;
        } else {
            o = find_short(opts, a[1]);
            if (!o) {
                flm_cli_usage_error(doc->name, "unknown option '%s'", a);
                return FLM_EXIT_USAGE;
            }
            inline_value = a[2] ? a + 2 : NULL;
            /* "-ngl 99" (llama.cpp's single-dash long options) is not "-n gl":
             * a number glued to a numeric short option starts with a digit */
            if (inline_value && (o->kind == FLM_OPT_KIND_LONG || o->kind == FLM_OPT_KIND_Q16) &&
                !(isdigit((unsigned char)inline_value[0]) || inline_value[0] == '.' ||
                  inline_value[0] == '-' || inline_value[0] == '+')) {
                const char *near = nearest(opts, a + 1, strlen(a + 1));
                if (near)
                    flm_cli_usage_error(doc->name, "unknown option '%s' (did you mean '--%s'?)", a, near);
                else
                    flm_cli_usage_error(doc->name, "unknown option '%s'%s", a,
                                        strcmp(a, "-ngl") == 0
                                            ? " (GPU layers: fieldlm runs on the CPU, leave it out)"
                                            : "");
                return FLM_EXIT_USAGE;
            }
        }
        char name[64];
        spelled(o, name, sizeof name);
        if (o->kind == FLM_OPT_KIND_FLAG) {
            if (inline_value) {
                flm_cli_usage_error(doc->name, "%s takes no value", name);
                return FLM_EXIT_USAGE;
            }
            *(bool *)o->dest = true;
            continue;
        }
        const char *v = inline_value;
        if (!v) {
            if (i + 1 >= argc) {
                flm_cli_usage_error(doc->name, "%s needs a value (%s)", name,
                                    o->metavar ? o->metavar : "an argument");
                return FLM_EXIT_USAGE;
            }
            v = argv[++i];
        }
        if (set_value(doc, o, v) != FLM_OPT_CONTINUE)
            return FLM_EXIT_USAGE;
    }
    return FLM_OPT_CONTINUE;
}

void flm_opt_help(const flm_opt_doc_t *doc, const flm_opt_t *opts, FILE *f)
{
    fprintf(f, "usage: fieldlm %s %s\n", doc->name, doc->synopsis);
    if (doc->description)
        fprintf(f, "\n%s", doc->description);
    fprintf(f, "\noptions:\n");
    for (const flm_opt_t *o = opts;; o++) {
        bool end = o->kind == FLM_OPT_KIND_END;
        char left[64];
        int n = 0;
        if (end) {
            n = snprintf(left, sizeof left, "-h, --help");
        } else {
            if (o->short_name)
                n += snprintf(left + n, sizeof left - (size_t)n, "-%c%s", o->short_name,
                              o->long_name ? ", " : "");
            else
                n += snprintf(left + n, sizeof left - (size_t)n, "    ");
            if (o->long_name)
                n += snprintf(left + n, sizeof left - (size_t)n, "--%s", o->long_name);
            if (o->metavar)
                snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
        }
        fprintf(f, "  %-22s ", left);
        for (const char *h = end ? "show this help" : o->help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%25s", "");
        }
        fputc('\n', f);
        if (!end && o->alias)
            fprintf(f, "  %-22s (also --%s)\n", "", o->alias);
        if (end)
            break;
    }
    if (doc->epilogue)
        fprintf(f, "\n%s", doc->epilogue);
}
