#!/bin/sh
# fieldlm beside llama2.c's runq.c (int8, single thread) on seeded
# random-weight models of the llama2.c 15M and 110M shapes, made by
# fieldlm-mkmodel: decode tokens/s of each engine, rounds alternating the
# engines, medians with min-max, the ratio of the medians, and fieldlm's
# fraction of the machine's memory-bandwidth limit (weight bytes per token
# over the measured single-thread read bandwidth).
#
#   sh tools/bench/peers.sh            (make bench-peers)
#
# Environment: FLM_PEERS (default ../peers beside the clone) holds a clone of
# github.com/karpathy/llama2.c in llama2.c/; runq is built there, outside the
# repo, with cc -Ofast -march=native (no OpenMP: one thread). Without it only
# fieldlm runs. FLM_BASE=path/to/another/fieldlm adds that binary as a third
# engine (a "before" build). ROUNDS (default 5), SHAPES (default "15M 110M"),
# STEPS (positions, default 256), BUILD (default build/host).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/host}
PEERS=${FLM_PEERS:-$(cd .. && pwd)/peers}
ROUNDS=${ROUNDS:-5}
SHAPES=${SHAPES:-15M 110M}
STEPS=${STEPS:-256}
PROMPT="Once upon a time"
FLM=$BUILD/fieldlm
OUT=$BUILD/bench/rand
mkdir -p "$OUT"

# a 32000-token llama2 tokenizer: llama2.c's own, else ../shared's
TOK=
for t in "$PEERS/llama2.c/tokenizer.bin" "${FLM_SHARED:-../shared}/models/tokenizer.bin"; do
    [ -f "$t" ] && { TOK=$t; break; }
done
if [ -z "$TOK" ]; then
    echo "peers: no 32000-token tokenizer.bin (clone llama2.c into $PEERS/llama2.c): skipped"
    exit 0
fi

RUNQ=
if [ -f "$PEERS/llama2.c/runq.c" ]; then
    mkdir -p "$PEERS/build"
    RUNQ=$PEERS/build/runq
    if [ ! -x "$RUNQ" ] || [ "$PEERS/llama2.c/runq.c" -nt "$RUNQ" ]; then
        ${CC:-cc} -Ofast -march=native -o "$RUNQ" "$PEERS/llama2.c/runq.c" -lm
    fi
else
    echo "peers: no $PEERS/llama2.c/runq.c: fieldlm alone (git clone https://github.com/karpathy/llama2.c $PEERS/llama2.c)"
fi

# tok/s of one run: both print llama2.c's "achieved tok/s" on stderr
rate() {
    "$@" 2>&1 >/dev/null | sed -n 's/^achieved tok\/s: *//p'
}

# median min max of the numbers on stdin
stats() {
    sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                                         printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

BW=$("$BUILD/fieldlm-bench" --bandwidth | sed -n 's/^read bandwidth: \([0-9.]*\) GB.*/\1/p')
echo "machine: $(uname -m), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -1), single-thread read bandwidth $BW GB/s"
printf "%-5s %-12s %26s %12s %10s %10s\n" shape engine "decode tok/s med (min-max)" "vs fieldlm" "limit" "of limit"
for shape in $SHAPES; do
    m=$OUT/r$shape
    if [ ! -f "$m.flm" ] || [ ! -f "${m}_q80.bin" ]; then
        "$BUILD/fieldlm-mkmodel" --shape "$shape" --seed 1 --out "$m.bin" --q80 "${m}_q80.bin"
        "$FLM" convert --in "$m.bin" --tokenizer "$TOK" --out "$m.flm" --quiet >/dev/null
        rm -f "$m.bin"
    fi
    WB=$("$BUILD/fieldlm-bench" "$m.flm" --ctx 1 --forward-only | sed -n 's/^ *weight bytes per token: //p')
    : >"$m.fieldlm" ; : >"$m.runq" ; : >"$m.base"
    r=0
    while [ "$r" -lt "$ROUNDS" ]; do
        rate "$FLM" run -m "$m.flm" -p "$PROMPT" -n "$STEPS" -t 0 >>"$m.fieldlm"
        [ -n "$RUNQ" ] && rate "$RUNQ" "${m}_q80.bin" -z "$TOK" -i "$PROMPT" -n "$STEPS" -t 0 >>"$m.runq"
        [ -n "${FLM_BASE:-}" ] && rate "$FLM_BASE" run -m "$m.flm" -p "$PROMPT" -n "$STEPS" -t 0 >>"$m.base"
        r=$((r + 1))
    done
    set -- $(stats <"$m.fieldlm")
    F=$1
    LIM=$(awk -v b="$BW" -v w="$WB" 'BEGIN { printf "%.0f", b * 1e9 / w }')
    printf "%-5s %-12s %12s (%s-%s) %12s %10s %9.1f%%\n" "$shape" fieldlm "$1" "$2" "$3" 1.00 "$LIM" \
        "$(awk -v f="$F" -v l="$LIM" 'BEGIN { print 100 * f / l }')"
    for e in runq base; do
        [ -s "$m.$e" ] || continue
        set -- $(stats <"$m.$e")
        name=$e
        [ "$e" = runq ] && name=runq.c
        [ "$e" = base ] && name=FLM_BASE
        printf "%-5s %-12s %12s (%s-%s) %12.2f %10s %9.1f%%\n" "$shape" "$name" "$1" "$2" "$3" \
            "$(awk -v a="$1" -v f="$F" 'BEGIN { print a / f }')" "$LIM" \
            "$(awk -v a="$1" -v l="$LIM" 'BEGIN { print 100 * a / l }')"
    done
    echo "      weight bytes per token $WB, ${STEPS} positions, greedy, prompt \"$PROMPT\""
done
