#!/bin/sh
# Runs every test: the unit-test binary, then each script in tests/sh/.
# A script passes with exit 0, is skipped with exit 77, fails otherwise.
# Ends with the line "N passed, M failed, K skipped"; exits 1 on any failure.
#
# In the sanitizer pass (a BUILD_DIR ending in -san) a script whose header
# has the line "# san: skip (why)" is skipped: it tests cross-built board
# images, Python or object files, which SAN=1 does not change, or what the
# sanitized unit tests cover already; the plain pass has run it.
#
# usage: tests/run.sh BUILD_DIR [FILTER]
build=${1:?usage: tests/run.sh BUILD_DIR [FILTER]}
filter=${2:-}
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests ($build/tests/unit) =="
"$build/tests/unit" $filter | tee "$log"
summary=$(tail -n 1 "$log")
case "$summary" in
    *" passed, "*" failed"*)
        set -- $summary
        passed=$1 failed=$3 skipped=${5:-0} ;;
    *)  echo "FAIL unit (the unit-test binary crashed before its summary)"
        failed=1 ;;
esac

echo "== script tests (tests/sh) =="
for t in tests/sh/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    case "$name" in "$filter"*) ;; *) continue ;; esac
    case "$build" in *-san)
        why=$(sed -n 's/^# san: skip *//p' "$t" | head -n 1)
        if [ -n "$why" ]; then
            skipped=$((skipped + 1)); echo "SKIP $name: not in the sanitizer pass $why"; continue
        fi ;;
    esac
    t0=$(date +%s)
    BUILD="$build" sh "$t" >"$log" 2>&1 </dev/null # a prompt is never read from make's stdin
    rc=$?
    secs=$(($(date +%s) - t0))
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); echo "ok   $name (${secs} s)"
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
    else
        failed=$((failed + 1)); echo "FAIL $name (exit $rc, ${secs} s)"; sed 's/^/    /' "$log" | tail -n 40
    fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
