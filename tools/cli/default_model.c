#define _POSIX_C_SOURCE 200809L
#include "tools/cli/default_model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool readable(const char *p)
{
    return p && p[0] && access(p, R_OK) == 0;
}

/* Append a tried path to err ("a, b, c"). */
static void tried(char *err, size_t errlen, size_t *used, const char *p)
{
    if (*used >= errlen)
        return;
    int n = snprintf(err + *used, errlen - *used, "%s%s", *used ? ", " : "", p);
    if (n > 0)
        *used += (size_t)n;
}

const char *flm_cli_default_model(char *buf, size_t len, char *err, size_t errlen)
{
    const char *name = FLM_DEFAULT_MODEL_NAME;
    const char *env = getenv("FIELDLM_MODEL");
    if (env && env[0]) {
        if (readable(env) && strlen(env) < len) {
            snprintf(buf, len, "%s", env);
            return buf;
        }
        snprintf(err, errlen, "no model: FIELDLM_MODEL=%s cannot be read; give -m MODEL.flm", env);
        return NULL;
    }

    char list[1024] = "";
    size_t used = 0;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = { "/../../models/", "/../share/fieldlm/" };
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                int k = snprintf(buf, len, "%s%s%s", exe, rel[i], name);
                if (k > 0 && (size_t)k < len) {
                    if (readable(buf))
                        return buf;
                    tried(list, sizeof list, &used, buf);
                }
            }
        }
    }
#ifdef FLM_DEFAULT_MODEL_PATH
    if (readable(FLM_DEFAULT_MODEL_PATH) && strlen(FLM_DEFAULT_MODEL_PATH) < len) {
        snprintf(buf, len, "%s", FLM_DEFAULT_MODEL_PATH);
        return buf;
    }
    tried(list, sizeof list, &used, FLM_DEFAULT_MODEL_PATH);
#endif
    int k = snprintf(buf, len, "models/%s", name);
    if (k > 0 && (size_t)k < len && readable(buf))
        return buf;
    tried(list, sizeof list, &used, buf);
    snprintf(err, errlen,
             "no model: the default model %s is not in %s; give -m MODEL.flm or set FIELDLM_MODEL",
             name, list);
    return NULL;
}
