#!/bin/sh
# Run libFuzzer harnesses one after another (nice, one job by default: the
# machine is shared), each for FUZZ_SECONDS or FUZZ_RUNS executions, from the
# committed seeds into a working corpus in DIR/corpus/<name>/. Prints one
# line per target with its execution count; exits 1 if any found a crash,
# leak, timeout or sanitizer report (the input is in DIR/artifacts/).
#
# FUZZ_JOBS=N runs N harnesses at a time (default 1). CI (.ci/run) has the
# machine to itself and passes its 2 cores: each harness still runs its
# FUZZ_SECONDS on a core of its own, so the executions are as many as one
# at a time, in half the wall time (~90 s of CI's ~3 minutes for its 17).
#
# usage: tests/fuzz/run.sh DIR NAME...
set -u
dir=$1; shift
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
jobs=${FUZZ_JOBS:-1}
status=0
mkdir -p "$dir/artifacts" "$dir/logs"
fails=$(mktemp); trap 'rm -f "$fails"' EXIT
# fuzz NAME: one harness; its lines printed in one write when it ends
fuzz() {
    name=$1
    bin="$dir/fuzz_$name"
    work="$dir/corpus/$name"
    mkdir -p "$work"
    limit="-max_total_time=$seconds"
    [ -z "$runs" ] || limit="-runs=$runs"
    dict=""
    [ -f "tests/fuzz/dict/$name.dict" ] && dict="-dict=tests/fuzz/dict/$name.dict"
    log="$dir/logs/$name.log"
    nice "$bin" $limit $dict -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    size=$(ls "$work" | wc -l)
    if [ $rc -eq 0 ]; then
        echo "ok   fuzz_$name: ${execs:-?} executions, corpus $size"
    else
        echo "$name" >>"$fails"
        out=$(echo "FAIL fuzz_$name (exit $rc) after ${execs:-?} executions; see $log"
              grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -n 8 | sed 's/^/    /')
        printf '%s\n' "$out"
    fi
}
n=0
for name in "$@"; do
    if [ "$jobs" -le 1 ]; then
        fuzz "$name"
    else
        fuzz "$name" &
        n=$((n + 1))
        [ $((n % jobs)) -ne 0 ] || wait # all of a batch take FUZZ_SECONDS
    fi
done
wait
[ -s "$fails" ] && status=1
exit $status
