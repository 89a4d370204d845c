# Reliability end to end, over TLS: retries on 5xx and 429 honour
# Retry-After and end in the right answer; no retry on a quota 429 or other
# 4xx; connect failures are retried; the request deadline bounds slow
# servers; Ctrl-C cancels a stalled request cleanly.
. tests/lib/cloud_lib.sh

# conf NAME PORT [extra lines]
conf() {
    name=$1 port=$2
    shift 2
    write_config "$work/$name.conf" "https://localhost:$port/v1" "api_key = sk-retry" \
        "ca_file = $certs/ca.crt" "$@"
}

# Two 503s with Retry-After: 1, then the answer.
https_sim r503 server --fault 503 --fault-times 2
conf r503 "$PORT" "max_retries = 3"
run_cloud r503 "$work/r503.conf" -p "after two failures" --stream
expect_ok r503
[ "$(cat "$work/r503.out")" = "Echo: after two failures" ] || fail "answer after retries"
[ "$(requests r503)" -eq 3 ] || fail "503: $(requests r503) requests, want 3"
waited=$(sed -n 's/^attempts: 3, waited \([0-9]*\) ms$/\1/p' "$work/r503.err")
[ -n "$waited" ] && [ "$waited" -ge 2000 ] || fail "503: Retry-After not honoured: $(cat "$work/r503.err")"

# One 429 with Retry-After, then the answer.
https_sim r429 server --fault 429 --fault-times 1
conf r429 "$PORT" "max_retries = 3"
run_cloud r429 "$work/r429.conf" -p "rate limited once"
expect_ok r429
[ "$(requests r429)" -eq 2 ] || fail "429: $(requests r429) requests, want 2"

# One 429 without Retry-After: retried after the client's own back-off.
https_sim r429b server --fault 429-bare --fault-times 1
conf r429b "$PORT" "max_retries = 3"
run_cloud r429b "$work/r429b.conf" -p "rate limited, no hint"
expect_ok r429b
[ "$(requests r429b)" -eq 2 ] || fail "429 without Retry-After: $(requests r429b) requests, want 2"
grep -q '^attempts: 2, waited [0-9]* ms$' "$work/r429b.err" || fail "429-bare: $(cat "$work/r429b.err")"

# A 429 that says the quota is gone, and a 401: one request each, no retry.
https_sim final server
conf final "$PORT" "max_retries = 3"
run_cloud quota "$work/final.conf" -p "[fault:429-quota]"
expect_error quota "cloud quota exhausted"
run_cloud unauth "$work/final.conf" -p "[fault:401]"
expect_error unauth "HTTP 401"
[ "$(requests final)" -eq 2 ] || fail "quota/401 were retried: $(requests final) requests"

# A 500 that persists: max_retries + 1 attempts, then the error.
https_sim r500 server --fault 500
conf r500 "$PORT" "max_retries = 2"
run_cloud r500 "$work/r500.conf" -p x
expect_error r500 "HTTP 500"
[ "$(requests r500)" -eq 3 ] || fail "500: $(requests r500) requests, want 3"
grep -q '^attempts: 3' "$work/r500.err" || fail "500 attempts"

# Nothing listening: connect errors are retried, then reported.
conf dead 1 "max_retries = 2"
run_cloud dead "$work/dead.conf" -p x
expect_error dead "connection failed"
grep -q '^attempts: 3' "$work/dead.err" || fail "connect errors not retried: $(cat "$work/dead.err")"

# The deadline bounds a slow server, retries included.
https_sim slow server --fault slow
conf slow "$PORT" "max_retries = 3" "request_timeout_ms = 1500"
start=$(date +%s)
run_cloud slow "$work/slow.conf" -p x
expect_error slow "timed out"
[ $(($(date +%s) - start)) -le 5 ] || fail "the deadline did not bound the request"

# The circuit breaker: after 4 failures in a row (two requests of two
# attempts each) it opens, and the next requests fail at once without
# reaching the server.
https_sim breaker server --fault 500
conf breaker "$PORT" "max_retries = 1" "breaker_threshold = 4" "breaker_cooldown_ms = 60000"
run_cloud breaker "$work/breaker.conf" -p x --repeat 4
expect_error breaker "HTTP 500"
[ "$(grep -c 'cloud circuit breaker open' "$work/breaker.err")" -eq 2 ] || fail "breaker: $(cat "$work/breaker.err")"
[ "$(requests breaker)" -eq 4 ] || fail "breaker let $(requests breaker) requests through, want 4"

# Ctrl-C during a stalled stream: a clean "cancelled", promptly. (No
# `timeout` wrapper here, it would take the signal; the 20 s request
# deadline bounds the run instead.)
https_sim stall server --fault stall
conf stall "$PORT" "max_retries = 0" "read_timeout_ms = 20000" "request_timeout_ms = 20000"
"$cli" cloud -c "$work/stall.conf" -p "wait for it" --stream >"$work/cancel.out" 2>"$work/cancel.err" &
cpid=$!
pids="$pids $cpid"
i=0
while [ "$(requests stall)" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
start=$(date +%s)
kill -INT $cpid
wait $cpid
RC=$?
expect_error cancel "cancelled"
[ $(($(date +%s) - start)) -le 3 ] || fail "cancellation was not prompt"
! grep -q Sanitizer "$work/cancel.err" || fail "sanitizer report on cancel"
echo "cloud retry ok"
