#!/bin/sh
# CI: the host demo and an end-to-end cloud request (TLS to cloudsim, whole
# and streamed) under valgrind's memcheck: no error, and no leak of any kind
# (definite, indirect, possible, reachable). Needs the demo model (make
# demo-build, from ../shared) and a plain (not SAN=1) host build.
#
# usage: BUILD=build/host sh tests/ci/valgrind.sh
set -u
BUILD=${BUILD:-build/host}
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed"; exit 1; }
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --track-fds=no"

model=build/models/stories260K.flm
[ -f "$model" ] || { echo "no $model: run make demo-build"; exit 1; }
out=$($vg "$BUILD/fieldlm" run -m "$model" -p "Once upon a time" -n 64 -t 0 --ctx 256 2>"$BUILD/vg-demo.err")
rc=$?
cat "$BUILD/vg-demo.err" | grep -v '^achieved tok/s\|^arena' | head -n 40
[ $rc -eq 0 ] || { echo "FAIL valgrind: the demo (exit $rc)"; exit 1; }
echo "$out" | grep -q '^Once upon a time' || { echo "FAIL valgrind: the demo's text"; exit 1; }
echo "ok   valgrind: demo, no errors, no leaks"

. tests/lib/cloud_lib.sh
https_sim vg server --max-requests 6
conf="$work/vg.conf"
write_config "$conf" "https://localhost:$PORT/v1" "api_key = sk-valgrind" "ca_file = $certs/ca.crt" \
    "max_retries = 0" "request_timeout_ms = 60000" "read_timeout_ms = 30000" "connect_timeout_ms = 30000"
for opt in "" --stream; do
    timeout 300 $vg "$cli" cloud -c "$conf" -p "under valgrind" $opt >"$work/vg.out" 2>"$work/vg.err"
    rc=$?
    grep -v '^tokens:\|^time:\|^tls pool:' "$work/vg.err" | head -n 40
    [ $rc -eq 0 ] || fail "valgrind: cloud $opt (exit $rc)"
    [ "$(cat "$work/vg.out")" = "Echo: under valgrind" ] || fail "valgrind: cloud $opt answer"
    echo "ok   valgrind: cloud over TLS $opt, no errors, no leaks"
done
# And a failing request (an HTTP error with a body), whose paths differ.
timeout 300 $vg "$cli" cloud -c "$conf" -p "[fault:echo-key]" >"$work/vg.out" 2>"$work/vg.err"
rc=$?
[ $rc -eq 1 ] || { cat "$work/vg.err" | head -n 40; fail "valgrind: failing request (exit $rc, want 1)"; }
echo "ok   valgrind: a failing cloud request, no errors, no leaks"
