/*
 * The MPS2 boards' application (Cortex-M4 AN386, Cortex-M3 AN385).
 *
 * Options come from the semihosting command line (QEMU -append), spelled as
 * for `fieldlm run`; the console then carries exactly what `fieldlm run`
 * prints on stdout, and statistics go to the log (semihosting stderr):
 *
 *   -n N         positions, counting BOS and the prompt (default 64)
 *   -t T         temperature, decimal (default 0: greedy)
 *   --top-p P    nucleus mass, decimal (default 0.9)
 *   -s SEED      sampling seed (default 42)
 *   --selftest   exercise the HAL port instead (tests/sh/cortexm_hal.sh)
 */
#include <string.h>

#include "boards/common/mps2/board.h"
#include "core/arena.h"
#include "port/cortexm/hal_cortexm.h"

typedef struct {
    uint32_t steps;
    uint32_t temperature; /* Q16.16 */
    uint32_t top_p;       /* Q16.16 */
    uint64_t seed;
    bool     selftest;
} options_t;

/* A whole decimal number "12" or "0.75" as Q16.16, rounded to nearest;
 * false on junk or overflow. Integer-only: the firmware has no FPU path. */
static bool parse_q16(const char *s, uint32_t *out)
{
    uint64_t ip = 0, num = 0, den = 1;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        ip = ip * 10u + (uint64_t)(*p - '0');
        if (ip > 0xFFFFu)
            return false;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (den < 1000000000u) { /* digits past 1e-9 cannot change Q16.16 */
                num = num * 10u + (uint64_t)(*p - '0');
                den *= 10u;
            }
        }
    }
    if (*p || p == s)
        return false;
    uint64_t q = (ip << 16) + ((num << 16) + den / 2u) / den;
    if (q > UINT32_MAX)
        return false;
    *out = (uint32_t)q;
    return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10u)
            return false;
        v = v * 10u + d;
    }
    *out = v;
    return true;
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
        } else if (strcmp(opt, "-n") == 0) {
            ok = parse_u64(val, UINT32_MAX, &v) && v > 0;
            o->steps = (uint32_t)v;
        } else if (strcmp(opt, "-t") == 0) {
            ok = parse_q16(val, &o->temperature);
        } else if (strcmp(opt, "--top-p") == 0) {
            ok = parse_q16(val, &o->top_p);
        } else if (strcmp(opt, "-s") == 0) {
            ok = parse_u64(val, UINT64_MAX, &o->seed);
        } else {
            flm_hal_log(FLM_LOG_ERROR, "unknown option '%s' (want -n, -t, --top-p, -s, --selftest)", opt);
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

/* Checks the port's contract; tests/sh/cortexm_hal.sh compares the log
 * lines it prints with the formatter's expected output. */
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
    EXPECT(flm_hal_store_put("big", buf, sizeof buf) == FLM_ERR_NOMEM);
    EXPECT(flm_hal_store_del("k1") == FLM_OK);
    EXPECT(flm_hal_store_del("k1") == FLM_ERR_NOT_FOUND);

    EXPECT(flm_hal_entropy(buf, 4) == FLM_ERR_UNSUPPORTED);
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    EXPECT(flm_hal_tcp_connect(&c, "127.0.0.1", 80, 10) == FLM_ERR_UNSUPPORTED);
    EXPECT(flm_hal_tcp_send(&c, buf, 1, 10) == FLM_ERR_STATE);
    EXPECT(!flm_hal_link_up());

    uint64_t t0 = flm_hal_time_us();
    flm_hal_sleep_ms(2);
    EXPECT(flm_hal_time_us() >= t0 + 2000u);
    uint64_t k = flm_hal_cortexm_watchdog_kicks();
    flm_hal_watchdog_kick();
    EXPECT(flm_hal_cortexm_watchdog_kicks() == k + 1);

    flm_hal_log(FLM_LOG_INFO, "fmt [%d] [%5u] [%-4s] [%04x] [%lld] [%zu] [%.3s] [%c%%]",
                -42, 7u, "ab", 0xBEEFu, -9000000000LL, (size_t)123, "abcdef", 'z');
    flm_hal_log(FLM_LOG_INFO, "fmt [%llu] [%X] [%*s] [%05d] [%ld]", 18446744073709551615ULL,
                255u, -3, "x", -12, -2147483647L - 1);
    flm_hal_log(FLM_LOG_DEBUG, "not shown at the default level");
    return 0;
}

/* ---- entry -------------------------------------------------------------- */

static uint8_t arena_mem[4096];

int main(void)
{
    if (flm_hal_init() != FLM_OK)
        return 1;
    static char line[256];
    options_t o = { .steps = 64, .temperature = 0, .top_p = 58982u, .seed = 42, .selftest = false };
    if (flm_hal_cortexm_cmdline(line, sizeof line) == FLM_OK && parse_options(line, &o) != FLM_OK)
        return 2;
    if (o.selftest)
        return selftest();

    flm_arena_t arena;
    flm_arena_init(&arena, arena_mem, sizeof arena_mem);
    flm_board_mark();
    static const char hello[] = "fieldlm on " FLM_BOARD_NAME "\n";
    flm_hal_console_write(hello, strlen(hello));
    flm_board_mark();
    flm_hal_log(FLM_LOG_INFO, "stats arena=%zu arena_used=%zu stack=%zu stack_size=%zu",
                sizeof arena_mem, flm_arena_high_water(&arena), flm_board_stack_high_water(),
                flm_board_stack_size());
    return 0;
}
