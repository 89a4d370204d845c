#!/bin/sh
# Run libFuzzer harnesses one after another (nice, one job: the machine is
# shared), each for FUZZ_SECONDS or FUZZ_RUNS executions, from the
# committed seeds into a working corpus in DIR/corpus/<name>/. Prints one
# line per target with its execution count; exits 1 if any found a crash,
# leak, timeout or sanitizer report (the input is in DIR/artifacts/).
#
# usage: tests/fuzz/run.sh DIR NAME...
set -u
dir=$1; shift
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
status=0
mkdir -p "$dir/artifacts" "$dir/logs"
for name in "$@"; do
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
        status=1
        echo "FAIL fuzz_$name (exit $rc) after ${execs:-?} executions; see $log"
        grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -n 8 | sed 's/^/    /'
    fi
done
exit $status
