/* fieldlm convert: a llama2.c checkpoint + tokenizer, or a GGUF file, ->
 * .flm model image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tools/cli/cli.h"
#include "tools/cli/convert.h"
#include "tools/cli/gguf.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "convert", "--in CHECKPOINT --tokenizer TOKENIZER.bin --out MODEL.flm [options]\n"
               "       fieldlm convert --in MODEL.gguf --out MODEL.flm [options]",
    "Convert a model to a fieldlm image (core/model/FORMAT.md): int8 (or, with\n"
    "--bits 4, int4) weights with int32 group scales, fixed-point norms, the\n"
    "tokenizer, a CRC-32.\n"
    "CHECKPOINT is a llama2.c float32 checkpoint (run.c) or an export.py\n"
    "\"ak42\" file (version 1 float32 or version 2 int8), with its tokenizer.bin.\n"
    "A GGUF file (llama.cpp, versions 2 and 3) of the llama architecture brings\n"
    "its own tokenizer (SentencePiece or GPT-2 byte-level BPE); its tensors may\n"
    "be F32, F16, BF16, Q8_0 or Q4_0. Q8_0 and Q4_0 blocks are copied as\n"
    "integers when the group size is their 32 (no float round trip).\n"
    "Prints each tensor's quantization error (max abs, RMS) against the input's\n"
    "values.\n",
    NULL,
};

/* "fieldlm convert: IN: why", the path once even when the reader named it. */
static void report(const char *in, const char *err)
{
    size_t n = strlen(in);
    if (strncmp(err, in, n) == 0 && err[n] == ':')
        fprintf(stderr, "fieldlm convert: %s\n", err);
    else
        fprintf(stderr, "fieldlm convert: %s: %s\n", in, err);
}

FLM_CLI_COMMAND(convert, "convert a llama2.c checkpoint or a GGUF file to a .flm model image")
{
    const char *in = NULL, *tokpath = NULL, *out = NULL;
    long gs = 32, bits = 8, embed_bits = 0;
    bool quiet = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR(0, "in", &in, "PATH", "llama2.c checkpoint or GGUF file"),
        FLM_OPT_STR(0, "tokenizer", &tokpath, "PATH", "llama2.c tokenizer (tokenizer.bin format); not for GGUF"),
        FLM_OPT_STR(0, "out", &out, "PATH", "the .flm image to write"),
        FLM_OPT_LONG(0, "group-size", &gs, 1, 1 << 16, "N",
                     "weights per scale group along a row (default 32; even for --bits 4)"),
        FLM_OPT_LONG(0, "bits", &bits, 4, 8, "N", "weight width: 8 (default) or 4"),
        FLM_OPT_LONG(0, "embed-bits", &embed_bits, 4, 8, "N",
                     "width of the token embedding and classifier (default: --bits)"),
        FLM_OPT_FLAG(0, "quiet", &quiet, "print only the summary line"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!in || !out)
        return flm_cli_usage_error("convert", "--in and --out are required");
    if ((bits != 4 && bits != 8) || (embed_bits && embed_bits != 4 && embed_bits != 8))
        return flm_cli_usage_error("convert", "--bits and --embed-bits take 8 or 4");
    if (bits == 4 && gs % 2)
        return flm_cli_usage_error("convert", "int4 groups must have an even --group-size");

    if (flm_cli_same_file(in, out) || flm_cli_same_file(tokpath, out)) {
        fprintf(stderr, "fieldlm convert: --out %s is the input %s: refusing to overwrite it\n", out,
                flm_cli_same_file(in, out) ? in : tokpath);
        return FLM_EXIT_USAGE;
    }

    char err[512];
    uint8_t head[4] = { 0 };
    FILE *probe = flm_cli_open_read("convert", in);
    if (!probe)
        return FLM_EXIT_FAIL;
    size_t got = fread(head, 1, sizeof head, probe);
    fclose(probe);
    const bool gguf = flm_gguf_is_gguf(head, got);
    if (!gguf && !tokpath)
        return flm_cli_usage_error("convert", "--tokenizer is required for a llama2.c checkpoint");
    if (gguf && tokpath)
        return flm_cli_usage_error("convert", "a GGUF file brings its own tokenizer: leave out --tokenizer");

    flm_fmodel_t fm;
    flm_ftok_t tok;
    if (gguf) {
        if (!quiet)
            printf("%s:\n", in);
        if (flm_gguf_load(&fm, &tok, in, quiet ? NULL : stdout, err, sizeof err)) {
            report(in, err);
            return FLM_EXIT_FAIL;
        }
    } else {
        if (flm_fmodel_load(&fm, in, err, sizeof err)) {
            report(in, err);
            return FLM_EXIT_FAIL;
        }
        if (flm_ftok_load(&tok, tokpath, fm.vocab_size, err, sizeof err)) {
            fprintf(stderr, "fieldlm convert: %s\n", err);
            flm_fmodel_free(&fm);
            return FLM_EXIT_FAIL;
        }
    }
    if (!quiet) {
        flm_model_config_t c;
        flm_fmodel_config(&fm, &c);
        printf("%s%s: %s\n  dim %u, hidden_dim %u, n_layers %u, n_heads %u, n_kv_heads %u, head_dim %u, "
               "vocab_size %u, seq_len %u, rope_theta %u, classifier %s, tokenizer %s\n",
               gguf ? "" : in, gguf ? "  source" : "", fm.source, fm.dim, fm.hidden_dim, fm.n_layers, fm.n_heads,
               fm.n_kv_heads, c.head_dim, fm.vocab_size, fm.seq_len, c.rope_theta,
               fm.shared_classifier ? "shared" : "separate",
               tok.kind == FLM_TOK_KIND_BPE ? "byte-level BPE" : "SentencePiece (llama2.c)");
    }
    if (!quiet && bits == 8) {
        bool q4 = false;
        for (int k = 0; k < FLM_FMODEL_KINDS; k++)
            q4 |= fm.qsrc[k].bits == 4;
        if (q4)
            printf("  note: the input has Q4_0 tensors: --bits 4 keeps them exactly in half the flash\n");
    }
    uint8_t *img = NULL;
    size_t len = 0;
    flm_build_opts_t o = { (uint32_t)gs, (uint32_t)bits, bits == 4 && embed_bits == 8 };
    int rc = flm_image_build_with(&fm, &tok, &o, quiet ? NULL : stdout, &img, &len, err, sizeof err);
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

    int wrc = flm_cli_write_file("convert", out, img, len);
    free(img);
    if (wrc)
        return FLM_EXIT_FAIL;
    printf("wrote %s: %zu bytes\n", out, len);
    return FLM_EXIT_OK;
}
