/*
 * The bare-metal boards' application (the MPS2 Cortex-M4 AN386 and
 * Cortex-M3 AN385, the RISC-V riscv32-virt): the story demo, the model
 * image read in place from flash, all working memory in one static arena.
 * What it needs of a board is boards/common/mps2/board.h.
 *
 * Options come from the semihosting command line (QEMU -append), spelled as
 * for `fieldlm run`; the console then carries exactly what `fieldlm run`
 * prints on stdout, and statistics go to the log (semihosting stderr):
 *
 *   -n N         positions, counting BOS and the prompt (default 64)
 *   -t T         temperature, decimal (default 0: greedy)
 *   --top-p P    nucleus mass, decimal (default 0.9)
 *   -s SEED      sampling seed (default 42)
 *   --ctx N      KV-cache positions (default FLM_BOARD_CTX_LEN, at most what
 *                the static arena holds)
 *   --selftest   exercise the HAL port instead (tests/sh/cortexm_hal.sh)
 *   --update-selftest  the A/B model update on the flash part, with power
 *                cuts (tests/sh/cortexm_update.sh)
 *   --route      print the router's decision for each prompt linked in
 *                (router.S), as `fieldlm route` does (tests/sh/router_ports.sh)
 *   --stall N    a test of the watchdog (tests/sh/watchdog.sh): after N
 *                positions the loop stops (spins without kicking), on the
 *                first boot only; the watchdog resets the board, which then
 *                runs the demo whole
 */
#include <string.h>

#include "boards/common/mps2/board.h"
#include "core/base/arena.h"
#include "core/base/parse.h"
#include "core/runtime/runtime.h"
#include "port/common/hal_common.h"

#ifndef FLM_BOARD_STORE_FLASH
#define FLM_BOARD_STORE_FLASH 0 /* mps2.mk: MPS2_STORE=ram */
#endif

typedef struct {
    uint32_t steps;
    uint32_t temperature; /* Q16.16 */
    uint32_t top_p;       /* Q16.16 */
    uint64_t seed;
    uint32_t ctx_len;
    bool     selftest;
    bool     update_selftest;
    bool     route;
    uint32_t stall; /* positions before the loop stalls, 0 = never */
} options_t;

static bool parse_q16(const char *s, uint32_t *out)
{
    return flm_parse_q16(s, strlen(s), out);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    return flm_parse_uint(s, strlen(s), 10, max, out);
}

/* Split the command line in place on spaces and read the options; the
 * first word is the program's name, as in argv. */
static flm_err_t parse_options(char *line, options_t *o)
{
    char *argv[16];
    int argc = 0;
    for (char *p = line; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (argc == (int)(sizeof argv / sizeof argv[0]))
            return FLM_ERR_ARG;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : "";
        uint64_t v;
        bool ok = true;
        if (strcmp(opt, "--selftest") == 0) {
            o->selftest = true;
            continue;
        } else if (strcmp(opt, "--update-selftest") == 0) {
            o->update_selftest = true;
            continue;
        } else if (strcmp(opt, "--route") == 0) {
            o->route = true;
            continue;
        } else if (strcmp(opt, "-n") == 0) {
            ok = parse_u64(val, UINT32_MAX, &v) && v > 0;
            o->steps = (uint32_t)v;
        } else if (strcmp(opt, "-t") == 0) {
            ok = parse_q16(val, &o->temperature);
        } else if (strcmp(opt, "--top-p") == 0) {
            ok = parse_q16(val, &o->top_p);
        } else if (strcmp(opt, "-s") == 0) {
            ok = parse_u64(val, UINT64_MAX, &o->seed);
        } else if (strcmp(opt, "--ctx") == 0) {
            ok = parse_u64(val, UINT32_MAX, &v) && v > 0;
            o->ctx_len = (uint32_t)v;
        } else if (strcmp(opt, "--stall") == 0) {
            ok = parse_u64(val, UINT32_MAX, &v) && v > 0;
            o->stall = (uint32_t)v;
        } else {
            flm_hal_log(FLM_LOG_ERROR, "unknown option '%s' (want -n, -t, --top-p, -s, --ctx, --selftest, --update-selftest, --route, --stall)", opt);
            return FLM_ERR_ARG;
        }
        if (!ok) {
            flm_hal_log(FLM_LOG_ERROR, "bad value '%s' for %s", val, opt);
            return FLM_ERR_ARG;
        }
        i++;
    }
    return FLM_OK;
}

/* ---- HAL self-test ------------------------------------------------------ */

#define EXPECT(cond)                                                       \
    do {                                                                   \
        if (!(cond)) {                                                     \
            flm_hal_log(FLM_LOG_ERROR, "selftest: %s:%d: %s", __FILE__,     \
                        __LINE__, #cond);                                  \
            return 1;                                                      \
        }                                                                  \
    } while (0)

#if FLM_BOARD_STORE_FLASH
static uint8_t *demo_arena(size_t *size); /* the demo's arena, the self-test's scratch */
#endif

/* Checks the port's contract; tests/sh/cortexm_hal.sh compares the log
 * lines it prints with the formatter's expected output and with what the
 * store must hold. */
static int selftest(void)
{
    uint8_t buf[300];
    size_t len = 0;
    EXPECT(flm_hal_store_get("k1", buf, sizeof buf, &len) == FLM_ERR_NOT_FOUND);
    EXPECT(flm_hal_store_put("k1", "hello", 5) == FLM_OK);
    EXPECT(flm_hal_store_put("k1", "world!", 6) == FLM_OK);
    EXPECT(flm_hal_store_get("k1", buf, sizeof buf, &len) == FLM_OK && len == 6);
    EXPECT(memcmp(buf, "world!", 6) == 0);
    EXPECT(flm_hal_store_get("k1", buf, 2, &len) == FLM_ERR_OVERFLOW && len == 6);
    EXPECT(flm_hal_store_put(".hidden", "x", 1) == FLM_ERR_ARG);
    EXPECT(flm_hal_store_put("bad/key", "x", 1) == FLM_ERR_ARG);
    flm_hal_store_stat_t st;
    EXPECT(flm_hal_store_stat(&st) == FLM_OK);
    EXPECT(flm_hal_store_put("big", buf, st.record_max + 1) == FLM_ERR_OVERFLOW); /* never read */
    EXPECT(flm_hal_store_del("k1") == FLM_OK);
    EXPECT(flm_hal_store_del("k1") == FLM_ERR_NOT_FOUND);

    /* Capacity: fill every record, refuse one more, still replace. */
    EXPECT(flm_hal_store_stat(&st) == FLM_OK && st.records == 0 && st.bytes_used == 0);
    static const char *const keys[] = { "q.0002", "cfg", "q.0001", "q.0003" };
    uint32_t i = 0;
    for (; i < st.max_records && i < sizeof keys / sizeof keys[0]; i++)
        EXPECT(flm_hal_store_put(keys[i], keys[i], strlen(keys[i])) == FLM_OK);
    char fill[8] = "f.00";
    for (; i < st.max_records; i++) { /* a store with more records than the four */
        fill[2] = (char)('0' + i / 10);
        fill[3] = (char)('0' + i % 10);
        EXPECT(flm_hal_store_put(fill, "v", 1) == FLM_OK);
    }
    EXPECT(flm_hal_store_put("q.0004", "x", 1) == FLM_ERR_STORE_FULL);
    EXPECT(flm_hal_store_put("cfg", "config", 6) == FLM_OK);
    EXPECT(flm_hal_store_stat(&st) == FLM_OK && st.records == st.max_records);
    flm_hal_log(FLM_LOG_INFO, "store records=%u/%u bytes=%u/%u record_max=%zu",
                (unsigned)st.records, (unsigned)st.max_records, (unsigned)st.bytes_used,
                (unsigned)st.bytes_max, st.record_max);

    /* Enumeration: ascending, within the prefix, key_out reused as after. */
    char line[64] = "store keys q.*:";
    size_t n = strlen(line);
    char k[FLM_HAL_KEY_MAX + 1] = "";
    while (flm_hal_store_next("q.", k, k) == FLM_OK && n + strlen(k) + 2 < sizeof line) {
        line[n++] = ' ';
        strcpy(line + n, k);
        n += strlen(k);
    }
    flm_hal_log(FLM_LOG_INFO, "%s", line);
    EXPECT(flm_hal_store_next("", NULL, k) == FLM_OK && strcmp(k, "cfg") == 0);
    EXPECT(flm_hal_store_next("q.0003", "q.0003", k) == FLM_ERR_NOT_FOUND);
    EXPECT(flm_hal_store_next(".", NULL, k) == FLM_ERR_ARG);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EXPECT(flm_hal_store_del(keys[i]) == FLM_OK);
    while (flm_hal_store_next("f.", NULL, k) == FLM_OK)
        EXPECT(flm_hal_store_del(k) == FLM_OK);
    EXPECT(flm_hal_store_next("", NULL, k) == FLM_ERR_NOT_FOUND);

    /* What this board lacks answers as core/hal/hal_caps.h says; its store
     * is persistent when it is the flash one (mps2.mk MPS2_STORE). */
    EXPECT(!FLM_HAL_HAS_NET && !FLM_HAL_HAS_NET_SERVER && !FLM_HAL_HAS_ENTROPY &&
           FLM_HAL_HAS_STORAGE_PERSISTENT == FLM_BOARD_STORE_FLASH);
    EXPECT(flm_hal_entropy(buf, 4) == FLM_ERR_UNSUPPORTED);
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    EXPECT(flm_hal_tcp_connect(&c, "127.0.0.1", 80, 10) == FLM_ERR_UNSUPPORTED);
    EXPECT(flm_hal_tcp_send(&c, buf, 1, 10) == FLM_ERR_STATE);
    EXPECT(!flm_hal_link_up());
    flm_hal_tcp_listener_t l;
    flm_hal_tcp_listener_init(&l);
    EXPECT(flm_hal_tcp_listen(&l, "0.0.0.0", 8080, 4) == FLM_ERR_UNSUPPORTED);
    EXPECT(flm_hal_tcp_listener_port(&l) == 0);
    EXPECT(flm_hal_tcp_accept(&l, &c, 10) == FLM_ERR_STATE);
    flm_hal_tcp_listener_close(&l);

    uint64_t t0 = flm_hal_time_us();
    flm_hal_sleep_ms(2);
    EXPECT(flm_hal_time_us() >= t0 + 2000u);
    uint64_t kicks = flm_hal_watchdog_kicks();
    flm_hal_watchdog_kick();
    EXPECT(flm_hal_watchdog_kicks() == kicks + 1);
#if FLM_HAL_HAS_WATCHDOG
    flm_board_watchdog_stop(); /* the store's power cuts below do not kick */
#endif

    flm_hal_log(FLM_LOG_INFO, "fmt [%d] [%5u] [%-4s] [%04x] [%lld] [%zu] [%.3s] [%c%%]",
                -42, 7u, "ab", 0xBEEFu, -9000000000LL, (size_t)123, "abcdef", 'z');
    flm_hal_log(FLM_LOG_INFO, "fmt [%llu] [%X] [%*s] [%05d] [%ld]", 18446744073709551615ULL,
                255u, -3, "x", -12, -2147483647L - 1);
    flm_hal_log(FLM_LOG_DEBUG, "not shown at the default level");
#if FLM_BOARD_STORE_FLASH
    /* Power cuts in the flash store, and in the queue on it. */
    size_t scratch_size;
    uint8_t *scratch = demo_arena(&scratch_size);
    if (flm_board_store_selftest(scratch, scratch_size))
        return 1;
#endif
    return 0;
}

/* ---- the demo --------------------------------------------------------- */

/* The model image linked into flash (model.S). */
extern const uint8_t flm_board_model[], flm_board_model_end[];

#define DEMO_PROMPT "Once upon a time"

/* The engine's whole working set (KV cache, activations, sampler and
 * tokenizer scratch) for FLM_BOARD_CTX_LEN positions, in .bss. The sizes are
 * the board budget: boards/common/mps2/mps2.mk sets them, mps2.ld enforces
 * the RAM they may take. */
static uint8_t arena_mem[FLM_BOARD_ARENA_BYTES] __attribute__((aligned(16)));
static flm_runtime_t rt;    /* model views and engine: too big for the stack */

#if FLM_BOARD_STORE_FLASH
static uint8_t *demo_arena(size_t *size)
{
    *size = sizeof arena_mem;
    return arena_mem;
}
#endif

/* llama2.c's safe_printf, as `fieldlm run` applies it: a lone control byte
 * is not printed. */
static void put_piece(const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < 0x80 && !(p[0] >= 0x20 && p[0] < 0x7F) &&
        !(p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
        return;
    flm_hal_console_write(p, n);
}

/* What else this RAM could hold: the longest context whose arena fits in
 * place of the static one (everything else in RAM unchanged), and the arena
 * the model's full context would need. */
static void longest_context(const flm_engine_config_t *cfg, uint32_t *max_ctx, size_t *full_arena)
{
    size_t budget = flm_board_ram_size() - (flm_board_ram_used() - sizeof arena_mem);
    flm_engine_config_t c = *cfg;
    size_t need = 0;
    uint32_t lo = 0, hi = rt.model.cfg.seq_len; /* need(lo) fits; find the largest */
    while (lo < hi) {
        c.ctx_len = lo + (hi - lo + 1) / 2;
        if (flm_engine_ram(&rt.model, &c, &need) == FLM_OK && need <= budget)
            lo = c.ctx_len;
        else
            hi = c.ctx_len - 1;
    }
    *max_ctx = lo;
    c.ctx_len = rt.model.cfg.seq_len;
    if (flm_engine_ram(&rt.model, &c, full_arena) != FLM_OK)
        *full_arena = 0;
}

static int demo(const options_t *o)
{
    size_t image_size = (size_t)(flm_board_model_end - flm_board_model);
    if (image_size == 0) {
        flm_hal_log(FLM_LOG_ERROR, "no model image linked");
        return 3;
    }
    /* The linked image is the factory one: a confirmed slot runs instead
     * (core/update/update.h), and a slot on trial passes its self-test in
     * flm_runtime_engine_init or is rolled back. */
    flm_runtime_config_t rc = { .model_image = flm_board_model, .model_size = image_size,
                                .use_slots = FLM_BOARD_STORE_FLASH, .need_model = true };
    flm_err_t err = flm_runtime_init(&rt, &rc);
    if (err) {
        flm_hal_log(FLM_LOG_ERROR, "%s", rt.detail);
        return 1;
    }
    flm_engine_config_t cfg = {
        .ctx_len = o->ctx_len,
        .max_prompt_bytes = sizeof DEMO_PROMPT - 1,
        .sampler = { .temperature = o->temperature, .top_p = o->top_p, .seed = o->seed },
    };
    err = flm_runtime_engine_init(&rt, &cfg, arena_mem, sizeof arena_mem);
    if (!err)
        err = flm_engine_start(&rt.engine, (const uint8_t *)DEMO_PROMPT, sizeof DEMO_PROMPT - 1,
                               o->steps);
    if (err) {
        flm_hal_log(FLM_LOG_ERROR, "%s", rt.detail[0] ? rt.detail : flm_strerror(err));
        return 1;
    }

    /* tools/qemu-insn records the instruction count at each mark: one
     * before the first position, then one after each. */
    flm_engine_token_t t;
    uint32_t positions = 0, forced = 0;
    flm_board_mark();
    do {
        err = flm_engine_step(&rt.engine, &t);
        if (err)
            break;
        flm_board_mark();
        positions++;
        forced += t.forced;
        put_piece(t.piece, t.piece_len);
        if (positions == o->stall && flm_board_boots() == 0) {
            flm_hal_log(FLM_LOG_INFO, "stalling after %u positions", (unsigned)positions);
            for (;;) { /* no more kicks: the watchdog's to end this */
            }
        }
    } while (t.status == FLM_ENGINE_RUNNING);
    flm_hal_console_write("\n", 1);
    if (err)
        flm_hal_log(FLM_LOG_ERROR, "engine: %s", flm_strerror(err));

    flm_ram_usage_t ram;
    if (flm_transformer_ram(&rt.model.cfg, rt.engine.ctx_len, &ram) != FLM_OK)
        ram.kv_cache = 0;
    uint32_t max_ctx = 0;
    size_t full_arena = 0;
    longest_context(&cfg, &max_ctx, &full_arena);
    flm_hal_log(FLM_LOG_INFO,
                "stats ctx_len=%u positions=%u prompt_tokens=%u arena=%zu arena_used=%zu "
                "kv_cache=%zu stack=%zu stack_size=%zu ram_size=%zu max_ctx=%u seq_len=%u "
                "full_ctx_arena=%zu",
                (unsigned)rt.engine.ctx_len, (unsigned)positions, (unsigned)forced, sizeof arena_mem,
                flm_arena_high_water(&rt.arena), ram.kv_cache, flm_board_stack_high_water(),
                flm_board_stack_size(), flm_board_ram_size(), (unsigned)max_ctx,
                (unsigned)rt.model.cfg.seq_len, full_arena);
    flm_runtime_deinit(&rt);
    return err ? 1 : 0;
}

/* ---- the router's decisions ---------------------------------------------- */

extern const uint8_t flm_board_router_params[], flm_board_router_params_end[];
extern const char flm_board_route_prompts[], flm_board_route_prompts_end[];

/* One decision a line of the linked prompts (\n and \\ unescaped), printed
 * "score<TAB>route<TAB>reason" as `fieldlm route` prints it. */
static int route_check(void)
{
    size_t image_size = (size_t)(flm_board_model_end - flm_board_model);
    flm_runtime_config_t rc = {
        .model_image = flm_board_model, .model_size = image_size, .need_model = true,
        .router_params = flm_board_router_params,
        .router_params_size = (size_t)(flm_board_router_params_end - flm_board_router_params),
        .need_router = true,
    };
    flm_engine_config_t cfg = { .ctx_len = FLM_BOARD_CTX_LEN, .max_prompt_bytes = 512 };
    flm_err_t err = image_size ? flm_runtime_init(&rt, &rc) : FLM_ERR_ARG;
    if (!err)
        err = flm_runtime_engine_init(&rt, &cfg, arena_mem, sizeof arena_mem);
    if (err) {
        flm_hal_log(FLM_LOG_ERROR, "%s", rt.detail[0] ? rt.detail : "no model image linked");
        return 1;
    }
    static char line[512];
    for (const char *p = flm_board_route_prompts; p < flm_board_route_prompts_end;) {
        size_t n = 0;
        for (; p < flm_board_route_prompts_end && *p != '\n'; p++) {
            if (*p == '\\' && p + 1 < flm_board_route_prompts_end && (p[1] == 'n' || p[1] == '\\')) {
                p++;
                if (n < sizeof line)
                    line[n++] = *p == 'n' ? '\n' : '\\';
            } else if (n < sizeof line) {
                line[n++] = *p;
            }
        }
        p++; /* the line's end */
        flm_route_decision_t d;
        err = flm_router_decide(&rt.router, (const uint8_t *)line, n, 0, FLM_CLOUD_REACHABLE, &d);
        if (err && err != FLM_ERR_ENGINE_CONTEXT_FULL)
            break;
        err = FLM_OK;
        char score[8];
        flm_route_score_text(d.score, score);
        const char *route = d.route == FLM_ROUTE_CLOUD ? "\tcloud\t" : "\tlocal\t";
        const char *reason = flm_route_reason_name(d.reason);
        flm_hal_console_write(d.scored ? score : "-", d.scored ? strlen(score) : 1);
        flm_hal_console_write(route, strlen(route));
        flm_hal_console_write(reason, strlen(reason));
        flm_hal_console_write("\n", 1);
    }
    if (err)
        flm_hal_log(FLM_LOG_ERROR, "route: %s", flm_strerror(err));
    flm_runtime_deinit(&rt);
    return err ? 1 : 0;
}

/* ---- entry -------------------------------------------------------------- */

int main(void)
{
    if (flm_hal_init() != FLM_OK)
        return 1;
    if (flm_board_last_reset() == FLM_BOARD_RESET_WATCHDOG)
        flm_hal_log(FLM_LOG_WARN, "reset by the watchdog (boot %u)", (unsigned)flm_board_boots());
    static char line[256];
    options_t o = { .steps = 64, .temperature = 0, .top_p = 58982u, .seed = 42,
                    .ctx_len = FLM_BOARD_CTX_LEN, .selftest = false, .update_selftest = false,
                    .route = false, .stall = 0 };
    if (flm_board_cmdline(line, sizeof line) == FLM_OK && parse_options(line, &o) != FLM_OK)
        return 2;
#if FLM_BOARD_STORE_FLASH
    if (o.update_selftest)
        return flm_board_update_selftest(arena_mem, sizeof arena_mem, flm_board_model,
                                         (size_t)(flm_board_model_end - flm_board_model));
#else
    if (o.update_selftest) {
        flm_hal_log(FLM_LOG_ERROR, "--update-selftest needs the flash store (MPS2_STORE=flash)");
        return 2;
    }
#endif
    return o.selftest ? selftest() : o.route ? route_check() : demo(&o);
}
