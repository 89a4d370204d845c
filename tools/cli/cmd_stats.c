/* fieldlm stats: what the device spent, locally and in the cloud, from the
 * budget ledger of its [budget] section (core/guard/ledger.h). */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "stats", "-c CONFIG [--at UNIX-TIME]",
    "Print the budget ledger of CONFIG's [budget] section (in the record store:\n"
    "$FLM_STORE_DIR, else ./.fieldlm-store): requests and tokens, local and in\n"
    "the cloud, today, this month and in all (UTC); the cloud's share of\n"
    "requests and tokens; the cloud spend; what sending every request to the\n"
    "cloud would have cost at the configured prices, and the saving; the caps.\n",
    "Cloud tokens are the server's usage figures, local ones the engine's count.\n"
    "Money is shown in the [budget] currency, to the micro-unit.\n",
};

FLM_CLI_COMMAND(stats, "the budget ledger: tokens, cloud share, spend and saving")
{
    const char *config = NULL;
    long at = 0;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration with [budget]"),
        FLM_OPT_LONG(0, "at", &at, 1, LONG_MAX, "T",
                     "the periods as of this time (seconds since 1970, UTC; default: now)"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!config)
        return flm_cli_usage_error("stats", "-c CONFIG is required");

    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .config_path = config, .model_verify_header = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm stats: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    int code = FLM_EXIT_OK;
#if FLM_CFG_CLOUD
    if (!rt.has_ledger) {
        fprintf(stderr, "fieldlm stats: %s has no [budget] section: nothing is counted\n", config);
        code = FLM_EXIT_FAIL;
    } else {
        int64_t now = at;
        if (!at && flm_hal_utc_s(&now) != FLM_OK)
            now = (int64_t)time(NULL);
        static flm_ledger_stats_t st;
        static char text[4096];
        flm_err_t err = flm_ledger_stats(&rt.ledger, now, &st);
        if (err) {
            fprintf(stderr, "fieldlm stats: %s\n", flm_strerror(err));
            code = FLM_EXIT_FAIL;
        } else {
            flm_ledger_stats_format(&rt.ledger, &st, text, sizeof text);
            fputs(text, stdout);
        }
    }
#else
    fprintf(stderr, "fieldlm stats: this build has no ledger (FLM_CFG_CLOUD 0)\n");
    code = FLM_EXIT_FAIL;
#endif
    fflush(stdout);
    flm_runtime_deinit(&rt);
    return code;
}
