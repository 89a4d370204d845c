#!/bin/sh
# The table of `make bench`: fieldlm on one thread and on N, beside
# llama2.c's int8 runq.c and float32 run.c and llama.cpp's Q8_0 CPU path
# (one thread; where its build is in ../peers/llama.cpp/build/bin: its
# llama-bench's tg and pp rates on GGUF files its own converter and
# quantizer make from the same checkpoint; stories260K's hidden size 172
# is not a multiple of Q8_0's 32, so that shape has no llama.cpp row), on stories260K (when ../shared
# has it) and on seeded random-weight models of the llama2.c 15M and 110M
# shapes made by fieldlm-mkmodel. For each shape and engine: decode tokens/s
# (median, min-max over rounds that alternate the engines), the ratio to
# fieldlm's one thread, prefill tokens/s (fieldlm's batched prefill,
# fieldlm-bench --prefill; llama2.c's prefill is its decode), peak RSS, and
# the fraction of the memory-bandwidth limit (weight bytes one token reads
# over the single-thread read bandwidth fieldlm-bench --bandwidth measures
# over a buffer of the weights' size, once per round: its median; where the
# last-level cache holds the weights that is the cache's rate, so the limit
# is what a token could really stream; DRAM's rate is printed beside it). Then the Cortex-M4 instructions per
# generated token and per prompt position for stories260K (`make
# BOARD=mps2-an386 footprint`, deterministic: counted by QEMU). The rows go
# to $OUT/table.txt and $OUT/table.dat too (tools/bench/chart.gp plots it).
#
#   sh tools/bench/peers.sh            (make bench; make bench QUICK=1)
#
# Environment: FLM_PEERS (default ../peers beside the clone) holds a clone of
# github.com/karpathy/llama2.c in llama2.c/; runq and run are built there,
# outside the repo, with cc -Ofast -march=native (no OpenMP: one thread).
# Without it only fieldlm runs. FLM_BASE=path/to/another/fieldlm adds that
# binary as one more engine (a "before" build). ROUNDS (default 5), SHAPES
# (default "260K 15M 110M"), STEPS (positions, default 256), THREADS (the N,
# default the CPUs), M4=0 (no Cortex-M4 row), QUICK=1 (3 rounds of 128
# positions, no 110M, no M4), BUILD (default build/host).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/host}
PEERS=${FLM_PEERS:-$(cd .. && pwd)/peers}
SHARED=${FLM_SHARED:-../shared}
if [ "${QUICK:-0}" = 1 ]; then
    ROUNDS=${ROUNDS:-3} STEPS=${STEPS:-128} SHAPES=${SHAPES:-260K 15M} M4=${M4:-0}
fi
ROUNDS=${ROUNDS:-5}
SHAPES=${SHAPES:-260K 15M 110M}
STEPS=${STEPS:-256}
NT=${THREADS:-$(nproc 2>/dev/null || echo 1)}
M4=${M4:-1}
PROMPT="Once upon a time"
FLM=$BUILD/fieldlm
BENCH=$BUILD/fieldlm-bench
OUT=$BUILD/bench/rand
mkdir -p "$OUT"

# a 32000-token llama2 tokenizer for the random shapes: llama2.c's own, else ../shared's
TOK=
for t in "$PEERS/llama2.c/tokenizer.bin" "$SHARED/models/tokenizer.bin"; do
    [ -f "$t" ] && { TOK=$t; break; }
done

RUNQ= RUNF=
if [ -f "$PEERS/llama2.c/runq.c" ]; then
    mkdir -p "$PEERS/build"
    for p in runq run; do
        if [ ! -x "$PEERS/build/$p" ] || [ "$PEERS/llama2.c/$p.c" -nt "$PEERS/build/$p" ]; then
            ${CC:-cc} -Ofast -march=native -o "$PEERS/build/$p" "$PEERS/llama2.c/$p.c" -lm
        fi
    done
    RUNQ=$PEERS/build/runq RUNF=$PEERS/build/run
else
    echo "peers: no $PEERS/llama2.c/runq.c: fieldlm alone (git clone https://github.com/karpathy/llama2.c $PEERS/llama2.c)"
fi
# llama.cpp (optional): its CPU build in $PEERS/llama.cpp/build/bin (cmake
# -B build -DCMAKE_BUILD_TYPE=Release; the targets llama-bench,
# llama-quantize and llama-convert-llama2c-to-ggml), its Q8_0 weights
# made from the same float32 checkpoint, one thread, decode (tg) and
# prefill (pp) rates from llama-bench
LBIN=$PEERS/llama.cpp/build/bin LLAMA=
if [ -x "$LBIN/llama-bench" ] && [ -x "$LBIN/llama-quantize" ] &&
    [ -x "$LBIN/llama-convert-llama2c-to-ggml" ]; then
    LLAMA=$LBIN/llama-bench
else
    echo "peers: no llama.cpp build in $LBIN: without it (see tools/bench/peers.sh)"
fi
TIME=
[ -x /usr/bin/time ] && TIME=/usr/bin/time

# one run of an engine: "tok/s peak-RSS-KiB" (both print llama2.c's
# "achieved tok/s" on stderr; RSS from /usr/bin/time, "-" without it)
rate() {
    if [ -n "$TIME" ]; then
        $TIME -f 'rss %M' -o "$OUT/time.txt" "$@" 2>"$OUT/err.txt" >/dev/null || true
    else
        "$@" 2>"$OUT/err.txt" >/dev/null || true
    fi
    _rate=$(sed -n 's/^achieved tok\/s: *//p' "$OUT/err.txt")
    [ -n "$_rate" ] || { echo "peers: no rate from: $*" >&2; sed 's/^/    /' "$OUT/err.txt" >&2; _rate=0; }
    _rss=-
    [ -n "$TIME" ] && _rss=$(sed -n 's/^rss //p' "$OUT/time.txt")
    echo "$_rate $_rss"
}

# one llama-bench run: "tok/s peak-RSS-KiB"; $1 is pp or tg
lrate() {
    what=$1 g=$2
    set -- -m "$g" -t 1 -r 1 -o csv
    [ "$what" = tg ] && set -- "$@" -p 0 -n "$STEPS" || set -- "$@" -p "$STEPS" -n 0
    if [ -n "$TIME" ]; then
        $TIME -f 'rss %M' -o "$OUT/time.txt" "$LLAMA" "$@" >"$OUT/err.txt" 2>/dev/null || true
    else
        "$LLAMA" "$@" >"$OUT/err.txt" 2>/dev/null || true
    fi
    # csv: the header names the columns; avg_ts is tokens/s
    _rate=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /avg_ts/) c = i; next }
                     c { gsub(/"/, "", $c); print $c; exit }' "$OUT/err.txt")
    [ -n "$_rate" ] || { echo "peers: no rate from llama-bench $*" >&2; _rate=0; }
    _rss=-
    [ -n "$TIME" ] && _rss=$(sed -n 's/^rss //p' "$OUT/time.txt")
    echo "$_rate $_rss"
}

# median min max of column $1 of stdin
stats() {
    awk -v c="$1" '{ print $c }' | sort -g | awk '{ v[NR] = $1 }
        END { if (!NR) { print "- - -"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# the files of a shape: $m.flm (fieldlm), $m.bin (float32, run.c), ${m}_q80.bin (runq.c), $tok
prepare() {
    case $1 in
    260K)
        m=$BUILD/bench/stories260K tok=$SHARED/models/tok512.bin
        [ -f "$SHARED/models/stories260K.bin" ] || return 1
        [ -f "$m.flm" ] || "$FLM" convert --in "$SHARED/models/stories260K.bin" --tokenizer "$tok" \
            --out "$m.flm" --quiet >/dev/null
        ln -sf "$(cd "$SHARED/models" && pwd)/stories260K.bin" "$m.bin"
        ln -sf "$(cd "$SHARED/models" && pwd)/stories260K_q80.bin" "${m}_q80.bin" ;;
    *)
        m=$OUT/r$1 tok=$TOK
        [ -n "$tok" ] || { echo "peers: no 32000-token tokenizer.bin for the $1 shape: skipped" >&2; return 1; }
        if [ ! -f "$m.flm" ] || [ ! -f "$m.bin" ] || [ ! -f "${m}_q80.bin" ]; then
            "$BUILD/fieldlm-mkmodel" --shape "$1" --seed 1 --out "$m.bin" --q80 "${m}_q80.bin"
            "$FLM" convert --in "$m.bin" --tokenizer "$tok" --out "$m.flm" --quiet >/dev/null
        fi ;;
    esac
    if [ -n "$LLAMA" ] && [ ! -f "${m}_q8_0.gguf" ]; then
        "$LBIN/llama-convert-llama2c-to-ggml" --copy-vocab-from-model "$tok" --llama2c-model "$m.bin" \
            --llama2c-output-model "${m}_f32.gguf" >"$OUT/conv.log" 2>&1 &&
            "$LBIN/llama-quantize" "${m}_f32.gguf" "${m}_q8_0.gguf" Q8_0 >>"$OUT/conv.log" 2>&1 ||
            { echo "peers: llama.cpp could not convert $m.bin (no llama.cpp row for it):" >&2
              grep -i 'error\|not divisible' "$OUT/conv.log" | head -3 | sed 's/^/    /' >&2
              rm -f "${m}_q8_0.gguf"; }
        rm -f "${m}_f32.gguf"
    fi
    return 0
}

ENGINES="f1"
[ "$NT" -gt 1 ] && ENGINES="$ENGINES fN"
[ -n "$RUNQ" ] && ENGINES="$ENGINES runq runf"
[ -n "$LLAMA" ] && ENGINES="$ENGINES lcpp"
[ -n "${FLM_BASE:-}" ] && ENGINES="$ENGINES base"
name() {
    case $1 in
    f1) echo "fieldlm 1 thread" ;; fN) echo "fieldlm $NT threads" ;;
    runq) echo "runq.c (int8)" ;; runf) echo "run.c (float32)" ;; base) echo "FLM_BASE" ;;
    lcpp) echo "llama.cpp Q8_0" ;;
    esac
}
run_engine() { # engine model tok
    case $1 in
    f1) rate "$FLM" run -m "$2.flm" -p "$PROMPT" -n "$STEPS" -t 0 --threads 1 ;;
    fN) rate "$FLM" run -m "$2.flm" -p "$PROMPT" -n "$STEPS" -t 0 --threads "$NT" ;;
    runq) rate "$RUNQ" "${2}_q80.bin" -z "$3" -i "$PROMPT" -n "$STEPS" -t 0 ;;
    runf) rate "$RUNF" "$2.bin" -z "$3" -i "$PROMPT" -n "$STEPS" -t 0 ;;
    base) rate "$FLM_BASE" run -m "$2.flm" -p "$PROMPT" -n "$STEPS" -t 0 ;;
    lcpp) if [ -f "${2}_q8_0.gguf" ]; then lrate tg "${2}_q8_0.gguf"; else echo "0 -"; fi ;;
    esac
}
prefill() { # threads model
    "$BENCH" "$2.flm" --prefill --ctx "$STEPS" --threads "$1" | sed -n 's/^prefill tok\/s: \([0-9.]*\).*/\1/p'
}

CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
HEAD="$(date -u +%Y-%m-%d), $(uname -m), ${CPU:-unknown CPU}, $(nproc 2>/dev/null || echo '?') CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $ROUNDS rounds of $STEPS positions, greedy, \"$PROMPT\""
TABLE=$OUT/table.txt DAT=$OUT/table.dat
fmt="%-5s %-18s %26s %8s %26s %9s %9s\n"
{
    echo "$HEAD"
    printf "$fmt" shape engine "decode tok/s med (min-max)" "x 1 thr" "prefill tok/s med" "peak RSS" "of limit"
} >"$TABLE"
echo "# shape engine decode_med decode_min decode_max prefill_med" >"$DAT"
cat "$TABLE"

for shape in $SHAPES; do
    prepare "$shape" || continue
    WB=$("$BENCH" "$m.flm" --ctx 1 --forward-only | sed -n 's/^ *weight bytes per token: //p')
    for e in $ENGINES bw bwd p1 pN pL; do : >"$m.$e"; done
    r=0
    while [ "$r" -lt "$ROUNDS" ]; do
        # the limit: read bandwidth over a buffer the size of the weights
        # (cache-resident where the last-level cache holds them); DRAM's
        # over 512 MiB beside it
        "$BENCH" --bandwidth "$WB" | sed -n 's/^read bandwidth: \([0-9.]*\) GB.*/\1/p' >>"$m.bw"
        "$BENCH" --bandwidth | sed -n 's/^read bandwidth: \([0-9.]*\) GB.*/\1/p' >>"$m.bwd"
        for e in $ENGINES; do
            [ "$e" = lcpp ] && [ ! -f "${m}_q8_0.gguf" ] && continue
            run_engine "$e" "$m" "$tok" >>"$m.$e"
        done
        prefill 1 "$m" >>"$m.p1"
        [ "$NT" -gt 1 ] && prefill "$NT" "$m" >>"$m.pN"
        [ -n "$LLAMA" ] && [ -f "${m}_q8_0.gguf" ] && lrate pp "${m}_q8_0.gguf" >>"$m.pL"
        r=$((r + 1))
    done
    set -- $(stats 1 <"$m.bw")
    BW=$1 BWLO=$2 BWHI=$3
    LIM=$(awk -v b="$BW" -v w="$WB" 'BEGIN { printf "%.1f", b * 1e9 / w }')
    set -- $(stats 1 <"$m.f1")
    F=$1
    for e in $ENGINES; do
        [ "$e" = lcpp ] && [ ! -f "${m}_q8_0.gguf" ] && continue
        set -- $(stats 1 <"$m.$e")
        med=$1 lo=$2 hi=$3
        rss=-
        [ -n "$TIME" ] && rss=$(stats 2 <"$m.$e" | awk '{ printf "%.1f MB", $1 * 1024 / 1e6 }')
        pf="="
        case $e in f1) pf=$(stats 1 <"$m.p1") ;; fN) pf=$(stats 1 <"$m.pN") ;; lcpp) pf=$(stats 1 <"$m.pL") ;; base) pf="-" ;; esac
        [ "$pf" = "=" ] || pf=$(echo "$pf" | awk '{ printf "%s (%s-%s)", $1, $2, $3 }')
        [ "$pf" = "=" ] && pf="= decode"
        row=$(printf "$fmt" "$shape" "$(name "$e")" "$med ($lo-$hi)" \
            "$(awk -v a="$med" -v f="$F" 'BEGIN { printf "%.2f", (f > 0 ? a / f : 0) }')" "$pf" "$rss" \
            "$(awk -v a="$med" -v l="$LIM" 'BEGIN { printf "%.1f%%", 100 * a / l }')")
        echo "$row" | tee -a "$TABLE"
        echo "$shape \"$(name "$e")\" $med $lo $hi $(echo "$pf" | awk '{ print $1 == "=" ? "0" : $1 }')" >>"$DAT"
    done
    BWD=$(stats 1 <"$m.bwd" | cut -d' ' -f1)
    line="      weight bytes/token $WB, read bandwidth $BW GB/s ($BWLO-$BWHI) over a buffer of that size (DRAM $BWD GB/s), limit $LIM tok/s"
    echo "$line" | tee -a "$TABLE"
done

if [ "$M4" = 1 ] && [ -f "$SHARED/models/stories260K.bin" ] && command -v arm-none-eabi-gcc >/dev/null &&
    command -v qemu-system-arm >/dev/null; then
    fp=$(make -s BOARD=mps2-an386 footprint 2>&1) || { echo "$fp" | tail -5; fp=; }
    per_tok=$(echo "$fp" | sed -n 's/^ *instructions per generated token *\([0-9]*\) *\(.*\)/\1 (\2)/p')
    per_pos=$(echo "$fp" | sed -n 's/^ *instructions per prompt position *\([0-9]*\).*/\1/p')
    [ -n "$per_tok" ] && echo "Cortex-M4 (mps2-an386, QEMU, stories260K, 64-position greedy demo): $per_tok instructions per generated token, $per_pos per prompt position" | tee -a "$TABLE"
fi
echo "(table: $TABLE, chart data: $DAT; make bench-chart draws $BUILD/bench/bench.png)"
