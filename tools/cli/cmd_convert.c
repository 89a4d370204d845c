/* fieldlm convert: llama2.c checkpoint + tokenizer -> .flm model image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "tools/cli/cli.h"
#include "tools/cli/convert.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "convert", "--in CHECKPOINT --tokenizer TOKENIZER.bin --out MODEL.flm\n"
               "                       [--group-size N] [--quiet]",
    "Convert a llama2.c model to a fieldlm image (core/model/FORMAT.md): int8 weights\n"
    "with int32 group scales, fixed-point norms, the tokenizer, a CRC-32.\n"
    "CHECKPOINT is a llama2.c float32 checkpoint (run.c) or an export.py\n"
    "\"ak42\" file (version 1 float32 or version 2 int8). Prints each tensor's\n"
    "quantization error (max abs, RMS) against the input's float values.\n",
    NULL,
};

FLM_CLI_COMMAND(convert, "convert a llama2.c checkpoint + tokenizer to a .flm model image")
{
    const char *in = NULL, *tokpath = NULL, *out = NULL;
    long gs = 32;
    bool quiet = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR(0, "in", &in, "PATH", "llama2.c checkpoint"),
        FLM_OPT_STR(0, "tokenizer", &tokpath, "PATH", "llama2.c tokenizer (tokenizer.bin format)"),
        FLM_OPT_STR(0, "out", &out, "PATH", "the .flm image to write"),
        FLM_OPT_LONG(0, "group-size", &gs, 1, 1 << 16, "N",
                     "weights per int8 scale group along a row (default 32)"),
        FLM_OPT_FLAG(0, "quiet", &quiet, "print only the summary line"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!in || !tokpath || !out)
        return flm_cli_usage_error("convert", "--in, --tokenizer and --out are required");

    char err[256];
    flm_fmodel_t fm;
    flm_ftok_t tok;
    if (flm_fmodel_load(&fm, in, err, sizeof err)) {
        fprintf(stderr, "fieldlm convert: %s: %s\n", in, err);
        return FLM_EXIT_FAIL;
    }
    if (flm_ftok_load(&tok, tokpath, fm.vocab_size, err, sizeof err)) {
        fprintf(stderr, "fieldlm convert: %s\n", err);
        flm_fmodel_free(&fm);
        return FLM_EXIT_FAIL;
    }
    if (!quiet)
        printf("%s: %s\n  dim %u, hidden_dim %u, n_layers %u, n_heads %u, n_kv_heads %u, "
               "vocab_size %u, seq_len %u, classifier %s\n",
               in, fm.source, fm.dim, fm.hidden_dim, fm.n_layers, fm.n_heads, fm.n_kv_heads,
               fm.vocab_size, fm.seq_len, fm.shared_classifier ? "shared" : "separate");
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = flm_image_build(&fm, &tok, (uint32_t)gs, quiet ? NULL : stdout, &img, &len, err, sizeof err);
    flm_fmodel_free(&fm);
    flm_ftok_free(&tok);
    if (rc) {
        fprintf(stderr, "fieldlm convert: %s: %s\n", in, err);
        return FLM_EXIT_FAIL;
    }

    /* Read back what we wrote with the device's own loader. */
    flm_model_t m;
    int verr = flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL);
    if (verr) {
        fprintf(stderr, "fieldlm convert: internal error: the image does not load: %s: %s\n",
                flm_strerror(verr), m.detail);
        free(img);
        return FLM_EXIT_FAIL;
    }
    flm_model_close(&m);

    FILE *f = fopen(out, "wb");
    bool ok = f && fwrite(img, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    free(img);
    if (!ok) {
        fprintf(stderr, "fieldlm convert: %s: cannot write\n", out);
        remove(out);
        return FLM_EXIT_FAIL;
    }
    printf("wrote %s: %zu bytes\n", out, len);
    return FLM_EXIT_OK;
}
