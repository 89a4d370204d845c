# fieldlm serve, HTTP/1.1 with real clients (curl, and httpload for bytes
# curl will not send): the endpoints, whole and streamed answers, usage,
# keep-alive, chunked bodies, Expect: 100-continue, pipelining, HTTP/1.0,
# HEAD, 413, 400 with an OpenAI error object, 404, 405, 401 with a bearer
# token, 503 with Retry-After beyond the slots, idle keep-alive given up
# for a newcomer, a client that hangs up mid-stream, --listen's rule.
. tests/lib/serve_lib.sh

serve_conf plain "slots = 3"
start_serve a "$work/plain.conf"
A=$BASE APID=$SPID

# ---- the endpoints -------------------------------------------------------------
c -i "$A/health" >"$work/health" || fail "health"
jhas "$work/health" "HTTP/1.1 200 OK"
jhas "$work/health" '"status":"ok","model":"stories260K","cloud":null,"slots":3'
c "$A/v1/models" >"$work/models"
jhas "$work/models" '{"object":"list","data":[{"id":"stories260K","object":"model"'
c -i "$A/v1/models/stories260K" >"$work/model1"
jhas "$work/model1" '200 OK'
c -i "$A/v1/models/gpt-9" >"$work/model2"
jhas "$work/model2" '404 Not Found'
jhas "$work/model2" '"code":"model_not_found"'

# a whole chat answer: route, model, usage counted by the engine
chat() { printf '{"model":"any","messages":[{"role":"user","content":"%s"}],"max_tokens":%s%s}' "$1" "$2" "${3:-}"; }
c -i "$A/v1/chat/completions" -H 'Content-Type: application/json' -d "$(chat "$easy" 12)" >"$work/whole"
jhas "$work/whole" "HTTP/1.1 200 OK"
jhas "$work/whole" "x-fieldlm-route: local:confident"
jhas "$work/whole" '"object":"chat.completion"'
jhas "$work/whole" '"model":"stories260K"'
jhas "$work/whole" '"finish_reason":"length"'
jhas "$work/whole" '"fieldlm":{"route":"local","reason":"local:confident","degraded":false'
usage=$(sed -n 's/.*"usage":{"prompt_tokens":\([0-9]*\),"completion_tokens":\([0-9]*\),"total_tokens":\([0-9]*\)}.*/\1 \2 \3/p' "$work/whole")
set -- $usage
[ "${2:-}" = 12 ] || fail "completion_tokens ${2:-?}, want max_tokens 12"
[ "$3" -eq $(($1 + $2)) ] && [ "$1" -gt 10 ] || fail "usage $usage"
whole=$(sed -n 's/.*"message":{"role":"assistant","content":"\(.*\)","refusal".*/\1/p' "$work/whole")
[ -n "$whole" ] || fail "no answer text"

# the same answer streamed (greedy): chunks, finish, usage, [DONE]
c -N -i "$A/v1/chat/completions" -d "$(chat "$easy" 12 ',"stream":true,"stream_options":{"include_usage":true}')" \
    >"$work/stream"
jhas "$work/stream" "Content-Type: text/event-stream"
jhas "$work/stream" "Transfer-Encoding: chunked"
jhas "$work/stream" "x-fieldlm-route: local:confident"
head -n 20 "$work/stream" | grep '^data: ' | head -n 1 | grep -q '"delta":{"role":"assistant","content":""}' ||
    fail "the first event is not the role chunk"
pieces=$(grep -c '"delta":{"content":' "$work/stream")
[ "$pieces" -ge 2 ] || fail "streamed in $pieces pieces"
jhas "$work/stream" '"object":"chat.completion.chunk"'
jhas "$work/stream" '"delta":{},"logprobs":null,"finish_reason":"length"}]'
jhas "$work/stream" "\"choices\":[],\"usage\":{\"prompt_tokens\":$1,\"completion_tokens\":12,"
[ "$(grep '^data: ' "$work/stream" | tail -n 1 | tr -d '\r')" = "data: [DONE]" ] || fail "stream does not end in [DONE]"
streamed=$(sed -n 's/.*"delta":{"content":"\(.*\)"},"logprobs".*/\1/p' "$work/stream" | tr -d '\n')
[ "$streamed" = "$whole" ] || fail "streamed '$streamed' is not the whole answer '$whole'"

# text completions: echo, stop sequences
c "$A/v1/completions" -d '{"prompt":"Once upon a time","max_tokens":8,"echo":true}' >"$work/text"
jhas "$work/text" '"object":"text_completion"'
jhas "$work/text" '"choices":[{"text":"Once upon a time,'
c "$A/v1/completions" -d '{"prompt":"Once upon a time","max_tokens":40,"stop":[" little"," park"]}' >"$work/stop"
jhas "$work/stop" '"finish_reason":"stop"'
! grep -q '"text":"[^"]* little' "$work/stop" || fail "the stop sequence was shown: $(cat "$work/stop")"
c "$A/v1/completions" -d '{"prompt":["Once upon a time"],"max_tokens":3,"temperature":1.2,"top_p":0.5,"seed":7}' \
    >"$work/sampled"
jhas "$work/sampled" '"completion_tokens":3'

# ---- HTTP/1.1 ------------------------------------------------------------------
c -v "$A/health" "$A/v1/models" >/dev/null 2>"$work/keep"
grep -qi 're-\{0,1\}using existing connection' "$work/keep" || { cat "$work/keep"; fail "no keep-alive"; }
chat "$easy" 4 >"$work/body.json"
c -i -H 'Transfer-Encoding: chunked' --data-binary @"$work/body.json" "$A/v1/chat/completions" >"$work/chunked"
jhas "$work/chunked" "200 OK" "chunked request body"
c -v -H 'Expect: 100-continue' --data-binary @"$work/body.json" "$A/v1/chat/completions" \
    >"$work/expect" 2>"$work/expect.err"
grep -q '< HTTP/1.1 100 Continue' "$work/expect.err" || fail "no 100 Continue"
grep -q '< HTTP/1.1 200 OK' "$work/expect.err" || fail "Expect: no 200 after 100"

# pipelined: three requests in one write, answered in order, then closed
b='{"prompt":"Once upon a time","max_tokens":3}'
printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n%sGET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
    "${#b}" "$b" | timeout 20 "$load" raw "$SPORT" >"$work/pipe" || fail "raw client"
order=$(grep -o '"status":"ok"\|"object":"text_completion"\|"object":"list"\|\[closed\]' "$work/pipe" | tr '\n' ' ')
[ "$order" = '"status":"ok" "object":"text_completion" "object":"list" [closed] ' ] ||
    { cat "$work/pipe"; fail "pipelined answers: $order"; }

# HTTP/1.0 closes; HEAD has the length and no body
c -0 -i "$A/health" >"$work/h10"
jhas "$work/h10" "Connection: close"
c -I "$A/" >"$work/head"
jhas "$work/head" "Content-Type: text/html"
jhas "$work/head" "Content-Length: "
c "$A/" >"$work/page"
jhas "$work/page" "<title>fieldlm</title>"
! grep -qi 'src="http\|href="http\|@import\|url(http' "$work/page" || fail "the page loads something from outside"

# ---- refusals ------------------------------------------------------------------
# 413: too large, announced (no 100 Continue is sent) or not
awk 'BEGIN { printf "{\"prompt\":\""; for (i = 0; i < 40000; i++) printf "a"; printf "\"}" }' >"$work/big.json"
c -v -H 'Expect: 100-continue' --data-binary @"$work/big.json" "$A/v1/completions" >"$work/413a" 2>"$work/413a.err"
grep -q '< HTTP/1.1 413' "$work/413a.err" || fail "no 413 (Expect)"
! grep -q '100 Continue' "$work/413a.err" || fail "100 Continue for a body over the limit"
jhas "$work/413a" '"code":"request_too_large"'
c -i -H 'Expect:' --data-binary @"$work/big.json" "$A/v1/completions" >"$work/413b"
jhas "$work/413b" "413 Content Too Large"

# 400: the OpenAI error object, with param and code
bad() { # NAME BODY PARAM CODE
    c -i "$A/v1/chat/completions" -d "$2" >"$work/400$1"
    jhas "$work/400$1" "400 Bad Request" "$1"
    jhas "$work/400$1" "{\"error\":{\"message\":\"" "$1"
    jhas "$work/400$1" "\"type\":\"invalid_request_error\",\"param\":$3,\"code\":\"$4\"}}" "$1"
}
bad json '{"messages":[' null invalid_json
bad type '{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}' '"temperature"' invalid_type
bad range '{"messages":[{"role":"user","content":"hi"}],"temperature":3}' '"temperature"' invalid_value
bad missing '{"model":"x"}' '"messages"' missing_required_parameter
bad role '{"messages":[{"content":"hi"}]}' '"messages[0].role"' missing_required_parameter
bad n '{"messages":[{"role":"user","content":"hi"}],"n":2}' '"n"' unsupported_parameter
bad image '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}' \
    '"messages[0].content"' unsupported_parameter
bad stopmany '{"messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}' '"stop"' invalid_value
printf 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}' |
    timeout 20 "$load" raw "$SPORT" --silence 1000 >"$work/400text"
jhas "$work/400text" '"param":"prompt","code":"missing_required_parameter"'

# 404, 405 with Allow, no Host, garbage, another HTTP version
c -i "$A/v2/nothing" >"$work/404"
jhas "$work/404" "404 Not Found"
jhas "$work/404" '"code":"not_found"'
c -i "$A/v1/chat/completions" >"$work/405a"
jhas "$work/405a" "405 Method Not Allowed"
jhas "$work/405a" "Allow: POST"
c -i -X DELETE "$A/v1/models" >"$work/405b"
jhas "$work/405b" "Allow: GET, HEAD"
printf 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n' | timeout 20 "$load" raw "$SPORT" --silence 1000 \
    >"$work/nohost"
jhas "$work/nohost" "400 Bad Request"
printf 'HELLO THERE\r\n\r\n' | timeout 20 "$load" raw "$SPORT" --silence 1000 >"$work/garbage"
jhas "$work/garbage" "400 Bad Request"
jhas "$work/garbage" "[closed]"
printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' | timeout 20 "$load" raw "$SPORT" --silence 1000 >"$work/h2"
jhas "$work/h2" "505 HTTP Version Not Supported"

# the server still serves after all of it
c "$A/health" >"$work/health2"
jhas "$work/health2" '"status":"ok"'
stop_serve a "$APID"

# ---- a bearer token --------------------------------------------------------------
serve_conf auth "auth_token = s3cret-token-42"
start_serve auth "$work/auth.conf"
c -i "$BASE/v1/models" >"$work/401a"
jhas "$work/401a" "401 Unauthorized"
jhas "$work/401a" "WWW-Authenticate: Bearer"
jhas "$work/401a" '"code":"invalid_api_key"'
c -i -H 'Authorization: Bearer s3cret-token-4' "$BASE/v1/models" >"$work/401b"
jhas "$work/401b" "401 Unauthorized" "a token one byte short"
c -i -H 'Authorization: Bearer s3cret-token-42' "$BASE/v1/models" >"$work/200auth"
jhas "$work/200auth" "200 OK" "the right token"
c -i -H 'Authorization: bearer s3cret-token-42' -d "$(chat "$easy" 2)" "$BASE/v1/chat/completions" >"$work/200auth2"
jhas "$work/200auth2" "200 OK" "the scheme is case-blind"
c -i "$BASE/health" >"$work/healthauth"
jhas "$work/healthauth" "200 OK" "health needs no token"
! grep -q 's3cret' "$work/auth.log" || fail "the token reached the log"
stop_serve auth "$SPID"

# ---- slots: 503 beyond them, idle keep-alive given up, a client hanging up -----------
serve_conf two "slots = 2"
start_serve two "$work/two.conf" --pace-ms 40
slow=$(chat "$easy" 30 ',"stream":true')
curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/chat/completions" -d "$slow" >"$work/slow1" &
s1=$!
until_file "$work/slow1" '"delta":{"content":' || fail "the first slow answer did not start"
# (the /health polls below hold a slot for a moment: a second answer that
# meets one is refused and asks again, as a client told Retry-After would)
(for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/chat/completions" -d "$slow" >"$work/slow2"
    grep -q server_busy "$work/slow2" || break
    sleep 0.1
done) &
s2=$!
# once the second holds its slot (queued behind the first), a third is refused
until_body "$BASE/health" "503 Service Unavailable" || { cat "$work/until"; fail "no 503 beyond the slots"; }
cp "$work/until" "$work/503"
jhas "$work/503" "Retry-After: 1"
jhas "$work/503" '"type":"server_error","param":null,"code":"server_busy"'
wait $s1 $s2
grep -q '^data: \[DONE\]' "$work/slow1" && grep -q '^data: \[DONE\]' "$work/slow2" ||
    fail "the two answers in the slots did not finish"
c "$BASE/health" >"$work/after503"
jhas "$work/after503" '"busy":1,"queued":0,"generating":false'

# two idle keep-alive connections hold both slots; a newcomer is still served
idle=""
for i in 1 2; do
    printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 "$load" raw "$SPORT" --silence 1500 \
        >"$work/idle$i" &
    idle="$idle $!"
done
until_file "$work/idle1" "200 OK" && until_file "$work/idle2" "200 OK" || fail "idle clients"
c -i "$BASE/health" >"$work/evict"
jhas "$work/evict" "200 OK" "a newcomer while idle connections hold the slots"
# at least one idle connection given up (two when a closing connection of
# the checks before still held a slot as the second idle client came)
grep -Eq '"evicted":[12],' "$work/evict" || { cat "$work/evict"; fail "no idle connection given up for the newcomer"; }
wait $idle

# a streaming client that hangs up: its slot is free at once, the generation stops
curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/chat/completions" \
    -d "$(chat "$easy" 200 ',"stream":true')" >"$work/gone" &
g=$!
until_file "$work/gone" '"delta":{"content":' || fail "the answer to hang up on did not start"
sleep 0.3
kill $g 2>/dev/null
wait $g 2>/dev/null
until_body "$BASE/health" '"busy":1,"queued":0,"generating":false' 10 ||
    { cat "$work/until"; fail "slot not freed within 1 s of the hang-up"; }
jhas "$work/until" '"hangups":1'
grep -q 'the client went away after [0-9]* tokens; generation stopped' "$work/two.log" || fail "no hang-up in the log"
n=$(sed -n 's/.*the client went away after \([0-9]*\) tokens.*/\1/p' "$work/two.log")
[ "$n" -lt 100 ] || fail "generation ran on to $n of 200 tokens after the hang-up"
stop_serve two "$SPID"

# ---- --listen: loopback from the command line; beyond it only from the file --------------
timeout 20 "$cli" serve -c "$work/plain.conf" --listen 0.0.0.0:0 >"$work/wide.out" 2>&1
[ $? -eq 2 ] || { cat "$work/wide.out"; fail "--listen 0.0.0.0 was taken from the command line"; }
grep -q 'listening beyond this machine takes \[server\] listen' "$work/wide.out" || fail "no reason given"
start_serve lo "$work/plain.conf" --listen 127.0.0.1:0
c "$BASE/health" >/dev/null || fail "--listen 127.0.0.1:0"
stop_serve lo "$SPID"
echo "serve http ok"
