#define _POSIX_C_SOURCE 200809L
/* fieldlm route: the router's decision for each line of a file, with no
 * network: for evaluating and calibrating the router. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/q16.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "route", "[-m MODEL.flm] [-c CONFIG] --prompts FILE [--features]",
    "For each line of FILE (a prompt; \\n in it is a line break, \\\\ a backslash),\n"
    "print the router's decision as if the cloud were reachable:\n"
    "  score<TAB>local|cloud<TAB>reason\n"
    "where a higher score means harder. Nothing goes over the network.\n",
    "The router's parameters: --params, else [router] params of CONFIG, else\n"
    "MODEL.router beside the model. --features appends the feature values\n"
    "(Q16.16 integers, in the order of the header line it prints first), for\n"
    "training new parameters with tools/router/.\n",
};

/* Undo the line format's escapes in place; returns the new length. */
static size_t unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
            s[o++] = s[i + 1] == 'n' ? '\n' : '\\';
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

/* Cascade's signal: the mean NLL of the first n tokens generated greedily
 * from where the prefill left the engine (the sampler is greedy: temp 0). */
static int32_t probe_nll(flm_engine_t *e, uint32_t n)
{
    e->confidence = true;
    int64_t sum = 0;
    uint32_t got = 0;
    flm_engine_token_t t;
    while (got < n && e->status == FLM_ENGINE_RUNNING && flm_engine_step(e, &t) == FLM_OK) {
        if (t.forced)
            continue;
        sum -= t.conf.logprob;
        got++;
    }
    e->confidence = false;
    return got ? (int32_t)(sum / got) : 0;
}

FLM_CLI_COMMAND(route, "the router's decision for each prompt of a file (no network)")
{
    long threads = -1;
    const char *verify = NULL;
    const char *model = NULL, *config = NULL, *prompts = NULL, *params = NULL;
    bool features = false;
    long probe = 0;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model, "FILE", "model image (.flm); default: [model] path of -c, else the shipped model"),
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration ([model], [router])"),
        FLM_OPT_STR(0, "prompts", &prompts, "FILE", "one prompt a line"),
        FLM_OPT_STR(0, "params", &params, "FILE", "router parameters (default: MODEL.router)"),
        FLM_OPT_FLAG(0, "features", &features, "append the feature values to each line"),
        FLM_OPT_LONG(0, "probe", &probe, 0, 256, "N",
                     "append the mean NLL (Q16 nats) of the first N tokens the model\n"
                     "generates greedily after the prompt: cascade mode's signal"),
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("route", verify))
        return FLM_EXIT_USAGE;
    if (!prompts)
        return flm_cli_usage_error("route", "--prompts FILE is required");
    FILE *in = strcmp(prompts, "-") == 0 ? stdin : flm_cli_open_read("route", prompts);
    if (!in)
        return FLM_EXIT_FAIL;

    static flm_runtime_t rt;
    static uint8_t blob[FLM_ROUTER_PARAMS_BYTES + 1];
    char default_path[1024], why[1400];
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .config_path = config, .model_path = model,
                                .need_model = true, .local_only = true,
                                .need_router = !features };
    if (!model) /* the shipped model when neither -m nor [model] path names one */
        rc.default_model_path = flm_cli_default_model(default_path, sizeof default_path, why, sizeof why);
    if (params) {
        FILE *pf = flm_cli_open_read("route", params);
        if (!pf)
            return FLM_EXIT_FAIL;
        size_t n = fread(blob, 1, sizeof blob, pf);
        fclose(pf);
        rc.router_params = blob;
        rc.router_params_size = n;
    }
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm route: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    flm_engine_config_t ec = { .max_prompt_bytes = 8192 };
    uint8_t *mem;
    flm_err_t err = flm_cli_engine_init(&rt, &ec, &mem);
    if (err) {
        fprintf(stderr, "fieldlm route: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
        flm_runtime_deinit(&rt);
        free(mem);
        return FLM_EXIT_FAIL;
    }
    /* features for training need no parameters yet: score with zeros */
    static flm_router_t untrained;
    static const flm_router_params_t zero = { .threshold = FLM_Q16_ONE };
    flm_router_t *router = &rt.router;
    if (!rt.has_router) {
        flm_router_init(&untrained, &rt.settings.router, &zero, &rt.engine, &rt.privacy);
        router = &untrained;
    }
    if (features) {
        printf("#score\troute\treason\tscore_q16");
        if (probe)
            printf("\tprobe_nll");
        for (int f = 0; f < FLM_ROUTER_FEATURES; f++)
            printf("\t%s", flm_router_feature_name((flm_router_feature_t)f));
        printf("\n");
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0;
    while ((got = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        len = unescape(line, len);
        flm_route_decision_t d;
        err = flm_router_decide(router, (const uint8_t *)line, len, 0, FLM_CLOUD_REACHABLE, &d);
        if (err && err != FLM_ERR_ENGINE_CONTEXT_FULL) {
            fprintf(stderr, "fieldlm route: %s:%ld: %s\n", prompts, lineno, flm_strerror(err));
            break;
        }
        err = FLM_OK;
        char score[8];
        flm_route_score_text(d.score, score);
        printf("%s\t%s\t%s", d.scored ? score : "-", d.route == FLM_ROUTE_CLOUD ? "cloud" : "local",
               flm_route_reason_name(d.reason));
        if (features)
            printf("\t%lu", (unsigned long)d.score);
        if (features && probe)
            printf("\t%ld", d.scored ? (long)probe_nll(&rt.engine, (uint32_t)probe) : -1L);
        for (int f = 0; features && f < FLM_ROUTER_FEATURES; f++)
            printf("\t%ld", d.scored ? (long)router->features[f] : 0L);
        printf("\n");
    }
    free(line);
    if (in != stdin)
        fclose(in);
    flm_runtime_deinit(&rt);
    free(mem);
    return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
}
