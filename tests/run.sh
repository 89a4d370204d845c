#!/bin/sh
# Runs every test: the unit-test binary and each script in tests/sh/.
# A script passes with exit 0, is skipped with exit 77, fails otherwise.
# Ends with the line "N passed, M failed, K skipped"; exits 1 on any failure.
#
# In the sanitizer pass (a BUILD_DIR ending in -san) a script whose header
# has the line "# san: skip (why)" is skipped: it tests cross-built board
# images, Python or object files, which SAN=1 does not change, or what the
# sanitized unit tests cover already; the plain pass has run it.
#
# Nothing may hang the run: each script runs under `timeout`, 600 s
# (TEST_TIMEOUT), twice that for a "# long:" one, and the unit tests 1200 s;
# one that overruns is killed and fails with the end of its output, which
# says where it stood.
#
# TEST_JOBS (default 2, the CI machine's cores) workers run them side by
# side: the unit tests and most scripts each use one core (a qemu run, the
# CLI), so one after another they left the second core idle for most of
# the ~12 minutes. Each worker takes the first test of the queue nobody
# has taken and that may start now. The queue: the scripts whose header
# has the line "# long: (why)" (a minute or more in CI: started first, so
# that no worker is left with one at the end while the other idles), the
# unit tests, the scripts that lock something, the rest; each group in
# name order. Two header lines say when a script may start:
#   "# lock: NAME... (why)"  it holds those named locks while it runs, and
#       no two scripts holding the same lock run at once: it is how the
#       scripts that build and relink one board folder (build/<board>/,
#       its firmware linked with the model and options of that run), or
#       share another folder (build/node/), stay out of each other's way;
#   "# after: SCRIPT... (why)"  it waits until those scripts (when this
#       run has them) have ended: integer_only reads the objects of every
#       board folder cross_port builds.
# The unit tests run the same binary under the same filter as before; they
# and every script make their own temporary folders and servers on ports
# the kernel picks, so two of them side by side see nothing of each other.
# The test certificates the cloud scripts share ($BUILD/certs) are made
# once here, before any of them starts. TEST_JOBS=1 runs one test at a time.
#
# Each test prints one line when it ends ("ok name (N s)", "SKIP name:
# why", or "FAIL name" and the last 40 lines of its output), in the order
# they end; the unit tests' own lines come in one block when they end.
#
# usage: tests/run.sh BUILD_DIR [FILTER]
build=${1:?usage: tests/run.sh BUILD_DIR [FILTER]}
filter=${2:-}
jobs=${TEST_JOBS:-2}
limit=${TEST_TIMEOUT:-600}
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir "$state/claim" "$state/lock" "$state/done" "$state/meta"

# header SCRIPT KEY: the words of its "# KEY:" header line, before "(why)"
header() { sed -n "s/^# $2: *\([^(]*\).*/\1/p" "$1" | head -n 1; }

# The queue; each script's locks and the scripts it waits for, read once
# into $state/meta/ (the workers look at them on every pass).
long= locked= rest=
for t in tests/sh/*.sh; do
    [ -e "$t" ] || continue
    id=$(basename "$t" .sh)
    case "$id" in "$filter"*) ;; *) continue ;; esac
    locks=$(header "$t" lock) after=$(header "$t" after)
    echo $locks >"$state/meta/$id.lock"
    echo $after >"$state/meta/$id.after"
    if [ -n "$(sed -n '/^# long:/p' "$t")" ]; then long="$long $t"
    elif [ -n "$locks" ]; then locked="$locked $t"
    else rest="$rest $t"; fi
done
: >"$state/meta/unit.lock"; : >"$state/meta/unit.after"
queue="$long unit $locked $rest"

# The cloud scripts' certificates (tests/lib/cloud_lib.sh), valid for the
# next 4 hours: a script making them when they expire within the hour
# (tools/cloudsim/mkcerts.sh) would remove the files another one is using.
command -v openssl >/dev/null 2>&1 &&
    MKCERTS_VALID_FOR=14400 sh tools/cloudsim/mkcerts.sh "$build/certs" >/dev/null 2>&1

# result KIND: one line in the worker's tally (passed, failed, skipped)
result() { echo "$1" >>"$state/tally.$me"; }

run_unit() {
    log="$state/unit.log"
    t0=$(date +%s)
    timeout -k 10 $((2 * limit)) "$build/tests/unit" $filter >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    summary=$(tail -n 1 "$log")
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || summary="killed after ${secs} s"
    { echo "== unit tests ($build/tests/unit, ${secs} s) =="; cat "$log"; } >"$state/unit.out"
    cat "$state/unit.out"
    case "$summary" in
        *" passed, "*" failed"*)
            set -- $summary
            echo "unit $1 $3 ${5:-0}" >>"$state/tally.$me" ;;
        *)  echo "FAIL unit (the unit-test binary crashed or hung before its summary: $summary)"
            result failed ;;
    esac
}

run_script() {
    t=$1 name=$(basename "$1" .sh)
    log="$state/log.$name"
    case "$build" in *-san)
        why=$(sed -n 's/^# san: skip *//p' "$t" | head -n 1)
        if [ -n "$why" ]; then
            result skipped; echo "SKIP $name: not in the sanitizer pass $why"; return
        fi ;;
    esac
    bound=$limit
    [ -z "$(sed -n '/^# long:/p' "$t")" ] || bound=$((2 * limit))
    t0=$(date +%s)
    # a prompt is never read from make's stdin
    BUILD="$build" timeout -k 10 $bound sh "$t" >"$log" 2>&1 </dev/null
    rc=$?
    secs=$(($(date +%s) - t0))
    if [ $rc -eq 0 ]; then
        result passed; echo "ok   $name (${secs} s)"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        result failed
        out=$(echo "FAIL $name (hung: killed after ${secs} s, its bound ${bound} s)"; sed 's/^/    /' "$log" | tail -n 40)
        printf '%s\n' "$out"
    elif [ $rc -eq 77 ]; then
        result skipped; echo "SKIP $name: $(tail -n 1 "$log")"
    else
        result failed
        # one write, so another worker's line does not land inside it
        out=$(echo "FAIL $name (exit $rc, ${secs} s)"; sed 's/^/    /' "$log" | tail -n 40)
        printf '%s\n' "$out"
    fi
}

# take_locks NAME...: all of them or none (mkdir is atomic)
take_locks() {
    taken=
    for l in "$@"; do
        if mkdir "$state/lock/$l" 2>/dev/null; then
            taken="$taken $l"
        else
            for k in $taken; do rmdir "$state/lock/$k"; done
            return 1
        fi
    done
}
drop_locks() { for l in "$@"; do rmdir "$state/lock/$l"; done; }

# ready ID: every script it waits for has ended (or is not in this run)
ready() {
    read -r after <"$state/meta/$1.after" || after=
    for a in $after; do
        [ -e "$state/meta/$a.lock" ] || continue
        [ -d "$state/done/$a" ] || return 1
    done
}

worker() {
    me=$1
    : >"$state/tally.$me"
    while :; do
        ran=0 left=0
        for item in $queue; do
            id=$(basename "$item" .sh)
            [ -d "$state/claim/$id" ] && continue
            left=1
            ready "$id" || continue
            read -r locks <"$state/meta/$id.lock" || locks=
            take_locks $locks || continue
            if mkdir "$state/claim/$id" 2>/dev/null; then
                if [ "$item" = unit ]; then run_unit; else run_script "$item"; fi
                mkdir "$state/done/$id"
                ran=1
            fi
            drop_locks $locks
            [ $ran -eq 0 ] || break # from the top: the earlier ones may be free now
        done
        [ $left -eq 1 ] || return 0
        # what is left waits for a lock another worker holds, or a script
        # another worker runs
        [ $ran -eq 1 ] || sleep 1
    done
}

[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
i=1
while [ $i -lt "$jobs" ]; do
    worker $i &
    i=$((i + 1))
done
worker 0
wait

passed=0 failed=0 skipped=0
for f in "$state"/tally.*; do
    while read -r kind a b c; do
        case $kind in
            unit)    passed=$((passed + a)) failed=$((failed + b)) skipped=$((skipped + c)) ;;
            passed)  passed=$((passed + 1)) ;;
            failed)  failed=$((failed + 1)) ;;
            skipped) skipped=$((skipped + 1)) ;;
        esac
    done <"$f"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
