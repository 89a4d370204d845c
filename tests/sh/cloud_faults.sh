# Every cloudsim fault mode, over TLS on loopback, in both reply shapes:
# each ends in a clean, specific error (exit 1 and a message; under SAN=1
# also no sanitizer or leak report), never a hang, a crash or a wrong
# answer. The prompt marker [fault:MODE] picks the fault per request.
. tests/lib/cloud_lib.sh

https_sim faults server
conf="$work/faults.conf"
write_config "$conf" "https://localhost:$PORT/v1" "api_key = sk-faults" \
    "ca_file = $certs/ca.crt" "max_retries = 0" "read_timeout_ms = 1000" \
    "request_timeout_ms = 8000"

# fault shape expected-message
check() {
    fault=$1 shape=$2 msg=$3
    name="$fault-$shape" opt=""
    [ "$shape" = stream ] && opt=--stream
    run_cloud "$name" "$conf" -p "tell me [fault:$fault]" $opt
    expect_error "$name" "$msg"
    grep -Eq '^tls pool: .*, 0 in use$' "$work/$name.err" || fail "$name: TLS pool not empty after the error"
    echo "ok $name: $(grep 'fieldlm cloud' "$work/$name.err" | head -n 1)"
}
for shape in whole stream; do
    check slow       $shape "timed out"
    check stall      $shape "timed out"
    check reset:40   $shape "connection dropped"
    check 429        $shape "HTTP 429"
    check 429-quota  $shape "cloud quota exhausted"
    check 500        $shape "HTTP 500"
    check 503        $shape "HTTP 503"
    check 401        $shape "HTTP 401"
    check bad-chunk  $shape "malformed HTTP chunked encoding"
    check huge-chunk $shape "malformed HTTP chunked encoding"
done
check malformed       whole  "malformed JSON"
check malformed       stream "malformed JSON"
check oversized       whole  "HTTP body too large"
check oversized       stream "server-sent event too long"
check bad-length      whole  "connection dropped"
check short-length    whole  "malformed JSON"
check error-midstream stream "API error"
for shape in whole stream; do
    check endless-header  $shape "HTTP line too long"
    check endless-headers $shape "too many HTTP headers"
    check bad-utf8        $shape "invalid UTF-8 in JSON string"
done
check endless-chunked whole  "HTTP body too large"
check endless-chunked stream "server-sent event too long"
# Only keep-alives, forever: the request's deadline ends it, in time.
start=$(date +%s)
check endless-keepalive stream "timed out"
[ $(( $(date +%s) - start )) -le 12 ] || fail "endless keep-alives outlived the 8 s deadline"

# A slow first byte within the read timeout is just slow.
run_cloud slowok "$conf" -p "patience [fault:slow:300]"
expect_ok slowok
[ "$(cat "$work/slowok.out")" = "Echo: patience [fault:slow:300]" ] || fail "slow but in time"

# After all that, the server still answers the next request normally.
run_cloud after "$conf" -p "still fine" --stream
expect_ok after
[ "$(cat "$work/after.out")" = "Echo: still fine" ] || fail "answer after the faults"
echo "cloud faults ok"
