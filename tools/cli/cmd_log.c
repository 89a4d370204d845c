/* fieldlm log: the escalation log of a device (core/guard/esclog.h): what
 * the cloud answered, exported as JSON lines for the host to learn from,
 * and cleared. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/utc.h"
#include "core/base/utf8.h"
#include "core/router/router.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "log", "export|clear|status -c CONFIG [options]",
    "The escalation log of a device ([log] of CONFIG, in the record store:\n"
    "$FLM_STORE_DIR, else ./.fieldlm-store): each prompt the cloud answered,\n"
    "as it left the device (under [privacy] policy redact with its\n"
    "placeholders), and the cloud's answer. [log] escalations = on turns it on.\n"
    "  export   one JSON object a line, oldest first, to stdout or -o FILE:\n"
    "           seq, time (UTC, or null), route, reason, score (null when a\n"
    "           rule decided), redacted, prompt, system (when there was one),\n"
    "           answer, usage {prompt_tokens, completion_tokens} (or null);\n"
    "           --clear then deletes what was exported (not what came after)\n"
    "  clear    delete every entry (--through N: those numbered up to N)\n"
    "  status   entries, bytes and the limits\n",
    "Exit status: 0 done, 1 failed, 2 bad usage.\n",
};

/* Text made valid UTF-8 (each bad byte U+FFFD) as a JSON string. */
static void json_text(flm_json_writer_t *w, const char *key, const char *s, size_t n)
{
    char *clean = malloc(3 * n + 1);
    size_t m = 0;
    if (!clean) {
        w->err = FLM_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = flm_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (k == 0) {
            memcpy(clean + m, "\xEF\xBF\xBD", 3);
            m += 3;
            i++;
        } else {
            memcpy(clean + m, s + i, k);
            m += k;
            i += k;
        }
    }
    flm_json_key(w, key);
    flm_json_strn(w, clean, m);
    free(clean);
}

/* One entry as a JSON object into buf (cap bytes); its length, or 0. */
static size_t entry_json(const flm_esclog_entry_t *e, char *buf, size_t cap, flm_err_t *err)
{
    flm_json_writer_t w;
    flm_json_writer_init(&w, buf, cap);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "seq");
    flm_json_int(&w, e->seq);
    flm_json_key(&w, "time");
    flm_utc_t u;
    if (e->utc && e->utc <= INT64_MAX && flm_utc_from_unix((int64_t)e->utc, &u) == FLM_OK) {
        char t[32];
        snprintf(t, sizeof t, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)u.year, u.month, u.day, u.hour,
                 u.minute, u.second);
        flm_json_str(&w, t);
    } else {
        flm_json_null(&w);
    }
    flm_json_key(&w, "route");
    flm_json_str(&w, e->cloud ? "cloud" : "local");
    flm_json_key(&w, "reason");
    flm_json_str(&w, e->reason);
    flm_json_key(&w, "score");
    if (e->scored) {
        /* the four decimals the router prints (flm_route_score_text) */
        uint32_t v = (uint32_t)(((uint64_t)e->score * 10000u + 0x8000u) >> 16);
        flm_json_fixed(&w, v > 10000u ? 10000 : v, 4);
    } else {
        flm_json_null(&w);
    }
    flm_json_key(&w, "redacted");
    flm_json_bool(&w, e->redacted);
    json_text(&w, "prompt", e->prompt, e->prompt_len);
    if (e->system)
        json_text(&w, "system", e->system, e->system_len);
    json_text(&w, "answer", e->answer, e->answer_len);
    flm_json_key(&w, "usage");
    if (e->has_usage) {
        flm_json_obj_begin(&w);
        flm_json_key(&w, "prompt_tokens");
        flm_json_int(&w, e->prompt_tokens);
        flm_json_key(&w, "completion_tokens");
        flm_json_int(&w, e->completion_tokens);
        flm_json_obj_end(&w);
    } else {
        flm_json_null(&w);
    }
    flm_json_obj_end(&w);
    size_t len = 0;
    *err = flm_json_writer_finish(&w, &len);
    return *err ? 0 : len;
}

typedef struct {
    char  *data;
    size_t len, cap;
} out_t;

static bool out_add(out_t *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->len + n)
            cap *= 2;
        char *d = realloc(o->data, cap);
        if (!d)
            return false;
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
    return true;
}

static int export_log(flm_esclog_t *l, const char *path, bool clear)
{
    size_t cap = 4096 + 6 * FLM_ESCLOG_WORK_BYTES(FLM_ESCLOG_TEXT_MAX);
    char *buf = malloc(cap);
    out_t out = { NULL, 0, 0 };
    flm_esclog_entry_t e;
    flm_err_t err;
    uint32_t after = 0, n = 0;
    int rc = FLM_EXIT_OK;
    if (!buf) {
        fprintf(stderr, "fieldlm log: out of memory\n");
        return FLM_EXIT_FAIL;
    }
    while ((err = flm_esclog_next(l, after, &e)) == FLM_OK) {
        after = e.seq;
        flm_err_t jerr;
        size_t len = entry_json(&e, buf, cap, &jerr);
        if (!len) {
            fprintf(stderr, "fieldlm log: entry %u: %s\n", (unsigned)e.seq, flm_strerror(jerr));
            rc = FLM_EXIT_FAIL;
            break;
        }
        buf[len++] = '\n';
        if (path) {
            if (!out_add(&out, buf, len)) {
                fprintf(stderr, "fieldlm log: out of memory\n");
                rc = FLM_EXIT_FAIL;
                break;
            }
        } else if (fwrite(buf, 1, len, stdout) != len) {
            fprintf(stderr, "fieldlm log: writing the output failed\n");
            rc = FLM_EXIT_FAIL;
            break;
        }
        n++;
    }
    free(buf);
    if (rc == FLM_EXIT_OK && err != FLM_ERR_NOT_FOUND) {
        fprintf(stderr, "fieldlm log: %s\n", flm_strerror(err));
        rc = FLM_EXIT_FAIL;
    }
    if (rc == FLM_EXIT_OK && path && flm_cli_write_file("log", path, out.data ? out.data : "", out.len))
        rc = FLM_EXIT_FAIL;
    free(out.data);
    if (rc == FLM_EXIT_OK && !path && fflush(stdout) != 0) {
        fprintf(stderr, "fieldlm log: writing the output failed\n");
        rc = FLM_EXIT_FAIL;
    }
    uint32_t cleared = 0;
    if (rc == FLM_EXIT_OK && clear && after) {
        err = flm_esclog_clear(l, after, &cleared);
        if (err) {
            fprintf(stderr, "fieldlm log: clear: %s\n", flm_strerror(err));
            rc = FLM_EXIT_FAIL;
        }
    }
    if (rc == FLM_EXIT_OK)
        fprintf(stderr, "exported %u entries%s%s", (unsigned)n, path ? " to " : "", path ? path : "");
    if (rc == FLM_EXIT_OK && clear)
        fprintf(stderr, ", cleared %u", (unsigned)cleared);
    if (rc == FLM_EXIT_OK)
        fputc('\n', stderr);
    return rc;
}

static int status(const flm_esclog_t *l)
{
    flm_esclog_status_t st;
    flm_esclog_status(l, &st);
    printf("escalation log: %s; %u entries (at most %u), %llu bytes of records (at most %llu); "
           "when full: %s\n",
           l->settings.escalations ? "on" : "off", (unsigned)st.entries, (unsigned)st.max_records,
           (unsigned long long)st.bytes, (unsigned long long)st.max_bytes,
           l->settings.when_full == FLM_ESCLOG_FULL_STOP ? "stop" : "drop-oldest");
    if (st.repaired)
        printf("%u torn records repaired\n", (unsigned)st.repaired);
    if (st.unreadable)
        printf("%u records too long for this build (kept, not exported)\n", (unsigned)st.unreadable);
    return FLM_EXIT_OK;
}

FLM_CLI_COMMAND(log, "the escalation log: export (JSON lines), clear, status")
{
    const char *config = NULL, *out = NULL;
    long through = 0;
    bool clear = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration with [log]"),
        FLM_OPT_STR('o', "output", &out, "FILE", "export: write FILE instead of stdout"),
        FLM_OPT_FLAG(0, "clear", &clear, "export: then delete the exported entries"),
        FLM_OPT_LONG(0, "through", &through, 1, LONG_MAX, "N", "clear: entries up to number N"),
        FLM_OPT_END
    };
    const char *pos[1];
    int npos, st = flm_opt_parse(&doc, opts, argc, argv, pos, 1, &npos);
    if (st != FLM_OPT_CONTINUE)
        return st;
    if (npos != 1)
        return flm_cli_usage_error("log", "which? export, clear or status");
    const char *what = pos[0];
    bool is_export = strcmp(what, "export") == 0, is_clear = strcmp(what, "clear") == 0;
    if (!is_export && !is_clear && strcmp(what, "status") != 0)
        return flm_cli_usage_error("log", "unknown '%s': export, clear or status", what);
    if (!config)
        return flm_cli_usage_error("log", "-c CONFIG is required");
    if ((out || clear) && !is_export)
        return flm_cli_usage_error("log", "-o and --clear are for export");
    if (through && !is_clear)
        return flm_cli_usage_error("log", "--through is for clear");
    if ((uint64_t)through > UINT32_MAX)
        return flm_cli_usage_error("log", "--through: %ld is not an entry number (1..%lu)", through,
                                   (unsigned long)UINT32_MAX);

    static flm_runtime_t rt;
    /* no cloud is called and no model is run: its header is enough */
    flm_runtime_config_t rc = { .config_path = config, .model_verify_header = true,
                                .local_only = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm log: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    int code;
#if FLM_CFG_CLOUD
    if (!rt.has_esclog) {
        fprintf(stderr, "fieldlm log: %s has no [log] section\n", config);
        code = FLM_EXIT_FAIL;
    } else if (is_export) {
        code = export_log(&rt.esclog, out, clear);
    } else if (is_clear) {
        uint32_t n = 0;
        flm_err_t err = flm_esclog_clear(&rt.esclog, (uint32_t)through, &n);
        if (err)
            fprintf(stderr, "fieldlm log: %s\n", flm_strerror(err));
        else
            printf("cleared %u\n", (unsigned)n);
        code = err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
    } else {
        code = status(&rt.esclog);
    }
#else
    (void)export_log;
    (void)status;
    fprintf(stderr, "fieldlm log: this build has no escalation log (FLM_CFG_CLOUD 0)\n");
    code = FLM_EXIT_FAIL;
#endif
    fflush(stdout);
    flm_runtime_deinit(&rt);
    return code;
}
