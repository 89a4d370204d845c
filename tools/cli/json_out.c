/* --json: one JSON object on stdout, written with core's JSON writer into a
 * buffer sized for the texts it carries; text that is not valid UTF-8 (a
 * cut multi-byte character) has each bad byte replaced by U+FFFD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/utf8.h"
#include "tools/cli/cli.h"

bool flm_cli_json_begin(flm_cli_json_t *j, size_t text_bytes)
{
    j->cap = 4096 + 6 * text_bytes; /* \u00XX is the worst case per byte */
    j->buf = malloc(j->cap);
    if (!j->buf)
        return false;
    flm_json_writer_init(&j->w, j->buf, j->cap);
    flm_json_obj_begin(&j->w);
    return true;
}

void flm_cli_json_text(flm_cli_json_t *j, const char *key, const char *s, size_t n)
{
    char *clean = malloc(3 * n + 1);
    size_t m = 0;
    if (!clean) {
        j->w.err = FLM_ERR_NOMEM;
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
    flm_json_key(&j->w, key);
    flm_json_strn(&j->w, clean, m);
    free(clean);
}

void flm_cli_json_num(flm_cli_json_t *j, const char *key, double v, unsigned decimals)
{
    double scale = 1;
    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    double x = v * scale;
    flm_json_key(&j->w, key);
    flm_json_fixed(&j->w, (int64_t)(x < 0 ? x - 0.5 : x + 0.5), decimals);
}

int flm_cli_json_end(flm_cli_json_t *j, const char *cmd)
{
    flm_json_obj_end(&j->w);
    size_t len = 0;
    flm_err_t err = flm_json_writer_finish(&j->w, &len);
    if (!err) {
        fwrite(j->buf, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        fprintf(stderr, "fieldlm %s: --json: %s\n", cmd, flm_strerror(err));
    }
    free(j->buf);
    j->buf = NULL;
    return err ? -1 : 0;
}
