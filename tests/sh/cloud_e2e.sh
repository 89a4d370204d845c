# fieldlm cloud against cloudsim over TLS on loopback: streaming and
# non-streaming give the same answer, the request that left the device is
# exactly what we expect (the key only in the Authorization header), the
# TLS pool's high-water mark is reported and the pool is empty afterwards.
. tests/lib/cloud_lib.sh

key="sk-test-$$-secret"
https_sim main server --api-key "$key"
conf="$work/main.conf"
write_config "$conf" "https://localhost:$PORT/v1" "api_key_env = FLM_TEST_KEY" \
    "ca_file = $certs/ca.crt" "read_timeout_ms = 5000" "max_retries = 0"
export FLM_TEST_KEY="$key"

prompt='Why is the sky blue? "quotes" \ and ünïcödé'
run_cloud plain "$conf" -p "$prompt"
expect_ok plain
run_cloud streamed "$conf" -p "$prompt" --stream
expect_ok streamed
want="Echo: $prompt"
[ "$(cat "$work/plain.out")" = "$want" ] || fail "non-streaming answer: $(cat "$work/plain.out")"
cmp -s "$work/plain.out" "$work/streamed.out" || fail "streaming and non-streaming answers differ"
grep -q '^tokens: prompt 9, completion 10, total 19$' "$work/plain.err" || fail "usage: $(cat "$work/plain.err")"
grep -q '^tokens: prompt 9, completion 10, total 19$' "$work/streamed.err" || fail "streamed usage"
for run in plain streamed; do
    grep -Eq '^tls pool: high-water [1-9][0-9]* of [0-9]+ bytes, 0 in use$' "$work/$run.err" ||
        fail "$run: pool report: $(cat "$work/$run.err")"
done
echo "pool: $(grep '^tls pool' "$work/plain.err")"

# What left the device, byte for byte apart from the port.
rec="$work/main.rec"
[ "$(requests main)" -eq 2 ] || fail "recorded $(requests main) requests, want 2"
tr -d '\r' <"$rec" | sed -n '/^=== request 1$/,/^=== end 1$/p' >"$work/req1"
cat >"$work/want1" <<WANT
=== request 1
POST /v1/chat/completions HTTP/1.1
Host: localhost:$PORT
User-Agent: fieldlm/0.1.0
Authorization: Bearer $key
Content-Type: application/json
Accept: application/json
Content-Length: 130
Connection: close

{"model":"sim-model-1","messages":[{"role":"user","content":"Why is the sky blue? \"quotes\" \\\\ and ünïcödé"}],"stream":false}
=== end 1
WANT
diff "$work/want1" "$work/req1" || fail "request 1 differs from the expected bytes"
grep -q '"stream":true,"stream_options":{"include_usage":true}' "$rec" || fail "streamed request body"
grep -q '^Accept: text/event-stream' "$rec" || fail "streamed request Accept"
# The key: once per request, only in the Authorization header, nowhere in
# the CLI's output.
[ "$(grep -c -- "$key" "$rec")" -eq 2 ] || fail "key appears $(grep -c -- "$key" "$rec") times"
[ "$(grep -- "$key" "$rec" | grep -vc "^Authorization: Bearer $key")" -eq 0 ] || fail "key outside the header"
! grep -q -- "$key" "$work"/plain.* "$work"/streamed.* || fail "key in the CLI output"

# A wrong key: the server's refusal, with the key masked if it is quoted.
FLM_TEST_KEY=sk-wrong-key run_cloud wrongkey "$conf" -p hi
expect_error wrongkey "HTTP 401"
! grep -q 'sk-wrong-key' "$work/wrongkey.err" || fail "key echoed"

# The key variable unset.
env -u FLM_TEST_KEY "$cli" cloud -c "$conf" -p hi >/dev/null 2>"$work/nokey.err"
[ $? -eq 1 ] && grep -q 'FLM_TEST_KEY (api_key_env) is not set' "$work/nokey.err" || fail "missing key variable"

# A pinned CA inline in the config instead of a CA file.
{
    echo "url = https://localhost:$PORT/v1"
    echo "model = sim-model-1"
    echo "api_key = $key"
    printf 'ca_pem = '
    cat "$certs/ca.crt"
} >"$work/pinned.conf"
run_cloud pinned "$work/pinned.conf" -p "pinned"
expect_ok pinned
[ "$(cat "$work/pinned.out")" = "Echo: pinned" ] || fail "pinned answer"
echo "cloud e2e ok"
