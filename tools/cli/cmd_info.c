/* fieldlm info: what a .flm image holds and what it costs. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/base/bytes.h"
#include "core/model/arch.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "core/infer/transformer.h"
#include "tools/cli/cli.h"
#include "core/runtime/runtime.h"
#include "tools/cli/opt.h"

/* where the human-readable report goes (nowhere with --json) */
static FILE *out;

static const flm_opt_doc_t doc = {
    "info", "MODEL.flm [--ctx N] [--header-only] [--json]",
    "Print the model config, a summary of the tensor table, the flash bytes,\n"
    "the RAM the model needs for a context of N tokens (default: seq_len),\n"
    "and whether the CRC-32 integrity check passes (exit 1 if it does not).\n",
    NULL,
};


/* Tensors of one kind, summed over layers, in the architecture table's
 * order; returns the bytes of all. */
static uint64_t print_tensors(const flm_model_t *m, const flm_arch_t *a)
{
    uint32_t n = flm_model_tensor_count(m), shown = 0;
    uint64_t total = 0;
    fprintf(out, "tensors: %u\n", n);
    fprintf(out, "  %-14s %5s %-5s %-11s %5s %-9s %10s  %s\n", "kind", "count", "dtype", "shape", "gs", "shift", "bytes",
           "rows x cols");
    for (uint32_t k = 0; k < a->n_tensors; k++) {
        const flm_arch_tensor_t *at = &a->tensors[k];
        flm_tensor_info_t t, first;
        uint32_t count = 0;
        int32_t lo = 0, hi = 0;
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (flm_model_tensor_info(m, i, &t) || t.kind != at->kind)
                continue;
            if (count++ == 0) {
                first = t;
                lo = hi = t.shift;
            }
            lo = t.shift < lo ? t.shift : lo;
            hi = t.shift > hi ? t.shift : hi;
            bytes += t.size + t.scale_size;
        }
        if (!count) {
            if (!flm_arch_stored(at, &m->cfg))
                fprintf(out, "  %-14s %5s shared with %s\n", at->name, "-", flm_model_kind_name(at->shared_with));
            continue;
        }
        char shape[24], shifts[16], gs[12];
        snprintf(shape, sizeof shape, "%ux%u", first.rows, first.cols);
        snprintf(shifts, sizeof shifts, lo == hi ? "%d" : "%d..%d", lo, hi);
        snprintf(gs, sizeof gs, first.gs ? "%u" : "-", first.gs);
        fprintf(out, "  %-14s %5u %-5s %-11s %5s %-9s %10llu  %s x %s\n", at->name, count,
               flm_model_dtype_name(first.dtype), shape, gs, shifts, (unsigned long long)bytes,
               flm_arch_dim_name(at->rows), flm_arch_dim_name(at->cols));
        shown += count;
        total += bytes;
    }
    if (shown != n)
        fprintf(out, "  (%u entries of kinds %s does not have, ignored)\n", n - shown, a->name);
    fprintf(out, "  %-14s %5u %-5s %-11s %5s %-9s %10llu\n", "total", shown, "", "", "", "",
           (unsigned long long)total);
    return total;
}

FLM_CLI_COMMAND(info, "show a .flm image: config, tensors, flash and RAM, integrity")
{
    const char *path = NULL;
    long ctx = 0;
    bool header_only = false, json = false;
    const flm_opt_t opts[] = {
        FLM_OPT_LONG(0, "ctx", &ctx, 1, FLM_IMG_DIM_MAX, "N", "context for the RAM figure (default: seq_len)"),
        FLM_OPT_FLAG(0, "header-only", &header_only,
                     "check the CRC of the header, tables and tokenizer but not of\n"
                     "the tensor data, as a device with a large image on slow flash would"),
        FLM_OPT_FLAG(0, "json", &json,
                     "one JSON object on stdout: config, flash and RAM bytes, integrity"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, &path, 1, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!path)
        return flm_cli_usage_error("info", "which model? fieldlm info MODEL.flm");

    /* Header-level checks first so a corrupted payload still shows the config. */
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .model_path = path, .model_verify_header = true, .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm info: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    flm_model_t *m = &rt.model;
    const flm_model_config_t *c = &m->cfg;
    const uint8_t *img = m->image;
    out = json ? fopen("/dev/null", "w") : stdout; /* --json: the figures below, computed once */
    if (!out) {
        out = stdout;
        json = false;
    }
    fprintf(out, "model: %s\n", path);
    const flm_arch_t *arch = flm_arch_find(m->arch); /* the loader refused any other */
    fprintf(out, "format: fieldlm image %u.%u\n", flm_rd32le(img + FLM_IMG_OFF_VER_MAJOR) & 0xFFFFu,
           flm_rd32le(img + FLM_IMG_OFF_VER_MAJOR) >> 16);
    fprintf(out, "architecture: %s (id %u)\n", arch->name, arch->id);
    fprintf(out, "config: dim %u, hidden_dim %u, n_layers %u, n_heads %u, n_kv_heads %u, head_dim %u,\n"
           "        vocab_size %u, seq_len %u, norm_eps %.3g (Q0.32 %u), rope_theta %u,\n"
           "        classifier %s\n",
           c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads, c->head_dim, c->vocab_size,
           c->seq_len, (double)c->norm_eps_q32 / 4294967296.0, c->norm_eps_q32, c->rope_theta,
           c->shared_classifier ? "shared with the token embedding" : "separate");
    uint64_t tensor_bytes = print_tensors(m, arch);
    fprintf(out, "tokenizer: %u tokens, max_token_len %u, bos %u, eos %u, %u token bytes%s\n",
           m->vocab.vocab_size, m->vocab.max_token_len, m->vocab.bos_id, m->vocab.eos_id,
           m->vocab.offsets[m->vocab.vocab_size],
           m->vocab.kind != FLM_TOK_KIND_BPE ? ""
           : m->vocab.pre == FLM_TOK_PRE_SMOLLM ? ", byte-level BPE (smollm pre-tokenizer)"
                                                : ", byte-level BPE (gpt-2 pre-tokenizer)");
    const flm_vocab_t *v = &m->vocab;
    uint64_t tok_bytes = FLM_IMG_TOK_HEADER_SIZE + 4u * (3u * (uint64_t)v->vocab_size + 1u) +
                         v->offsets[v->vocab_size];
    if (v->kind == FLM_TOK_KIND_BPE) /* merge_left[V], 4-aligned */
        tok_bytes = ((tok_bytes + 3u) & ~(uint64_t)3u) + 4u * (uint64_t)v->vocab_size;
    uint64_t meta = flm_rd32le(img + FLM_IMG_OFF_HEADER_SIZE) +
                    (uint64_t)flm_model_tensor_count(m) * flm_rd32le(img + FLM_IMG_OFF_ENTRY_SIZE);
    fprintf(out, "flash: %zu bytes, used in place: tensors %llu, tokenizer %llu, header and table %llu,"
           " alignment %llu\n", m->image_size, (unsigned long long)tensor_bytes,
           (unsigned long long)tok_bytes, (unsigned long long)meta,
           (unsigned long long)(m->image_size - tensor_bytes - tok_bytes - meta));

    uint32_t n_ctx = ctx ? (uint32_t)ctx : c->seq_len;
    flm_ram_usage_t ram;
    flm_err_t rerr = n_ctx > c->seq_len ? FLM_OK : flm_transformer_ram(c, n_ctx, &ram);
    if (n_ctx > c->seq_len)
        fprintf(out, "ram (ctx %u): beyond the trained seq_len %u, which is the engine's limit\n", n_ctx, c->seq_len);
    else if (rerr)
        fprintf(out, "ram (ctx %u): the engine cannot run this config: %s\n", n_ctx, flm_strerror(rerr));
    else
        fprintf(out, "ram (ctx %u): %zu bytes: KV cache %zu, activations %zu, scratch %zu"
               " (weights stay in flash)\n", n_ctx, ram.total, ram.kv_cache, ram.activations, ram.scratch);

    flm_err_t err = header_only ? FLM_OK : flm_model_verify(m);
    if (json) {
        fclose(out);
        out = stdout;
        flm_cli_json_t j;
        int jrc = -1;
        if (flm_cli_json_begin(&j, strlen(path))) {
            flm_cli_json_text(&j, "model", path, strlen(path));
            flm_json_key(&j.w, "architecture");
            flm_json_str(&j.w, arch->name);
            flm_json_key(&j.w, "config");
            flm_json_obj_begin(&j.w);
            const char *names[] = { "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "head_dim",
                                    "vocab_size", "seq_len", "rope_theta" };
            const uint32_t vals[] = { c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
                                      c->head_dim, c->vocab_size, c->seq_len, c->rope_theta };
            for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
                flm_json_key(&j.w, names[i]);
                flm_json_int(&j.w, vals[i]);
            }
            flm_json_key(&j.w, "shared_classifier");
            flm_json_bool(&j.w, c->shared_classifier);
            flm_json_obj_end(&j.w);
            flm_json_key(&j.w, "flash_bytes");
            flm_json_int(&j.w, (int64_t)m->image_size);
            flm_json_key(&j.w, "ram_ctx");
            flm_json_int(&j.w, n_ctx);
            flm_json_key(&j.w, "ram_bytes");
            if (n_ctx <= c->seq_len && !rerr)
                flm_json_int(&j.w, (int64_t)ram.total);
            else
                flm_json_null(&j.w);
            flm_json_key(&j.w, "integrity");
            flm_json_str(&j.w, err ? "failed" : header_only ? "header" : "ok");
            if (err)
                flm_cli_json_text(&j, "integrity_error", m->detail, strlen(m->detail));
            jrc = flm_cli_json_end(&j, "info");
        }
        if (err)
            fprintf(stderr, "fieldlm info: %s: %s: %s\n", path, flm_strerror(err), m->detail);
        flm_runtime_deinit(&rt);
        return err || jrc ? FLM_EXIT_FAIL : FLM_EXIT_OK;
    }
    if (header_only) {
        fprintf(out, "integrity: header, tables and tokenizer ok; tensor data not checked (--header-only)\n");
        flm_runtime_deinit(&rt);
        return FLM_EXIT_OK;
    }
    if (err) {
        fprintf(out, "integrity: FAILED: %s: %s\n", flm_strerror(err), m->detail);
        fprintf(stderr, "fieldlm info: %s: %s: %s\n", path, flm_strerror(err), m->detail);
    } else {
        fprintf(out, "integrity: ok (CRC-32 %02x%02x%02x%02x over %zu bytes)\n", img[FLM_IMG_OFF_IMAGE_CRC + 3],
               img[FLM_IMG_OFF_IMAGE_CRC + 2], img[FLM_IMG_OFF_IMAGE_CRC + 1], img[FLM_IMG_OFF_IMAGE_CRC],
               m->image_size);
    }
    flm_runtime_deinit(&rt);
    return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
}
