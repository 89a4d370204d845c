# fieldlm serve stops gracefully on SIGTERM and SIGINT: no new connection,
# the running answer finishes within shutdown_timeout_ms or is cut (its
# stream ends with an error event and [DONE]), a second signal cuts it at
# once, a queued request gets 503, and the process exits 0 within a bounded
# time.
. tests/lib/serve_lib.sh

now_ms() { date +%s%3N; }

# a long answer is cut at the grace's end; the queued one is told to come back
serve_conf cut "slots = 3" "shutdown_timeout_ms = 800"
start_serve cut "$work/cut.conf" --pace-ms 40
body="{\"messages\":[{\"role\":\"user\",\"content\":\"$easy\"}],\"max_tokens\":200"
curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/chat/completions" -d "$body,\"stream\":true}" >"$work/running" &
r=$!
until_file "$work/running" '"delta":{"content":' || fail "the long answer did not start"
curl -sS --noproxy '*' --max-time 30 -i "$BASE/v1/chat/completions" -d "$body}" >"$work/queued" &
q=$!
until_body "$BASE/health" '"queued":1' || fail "the second request was not queued"
t0=$(now_ms)
kill -TERM "$SPID"
sleep 0.2
if curl -sS --noproxy '*' --max-time 2 "$BASE/health" >"$work/late" 2>&1; then
    fail "a new connection was served after SIGTERM: $(cat "$work/late")"
fi
wait $r || fail "the running stream did not end cleanly (curl $?)"
wait $q
jhas "$work/queued" "503 Service Unavailable" "the queued request"
jhas "$work/queued" '"code":"shutting_down"'
jhas "$work/running" '"code":"shutting_down"'
grep '^data: ' "$work/running" | tail -n 1 | grep -q '^data: \[DONE\]' || fail "the cut stream has no [DONE]"
n=$(grep -c '"delta":{"content":' "$work/running")
[ "$n" -ge 5 ] && [ "$n" -lt 150 ] || fail "cut after $n pieces"
stop_serve cut "$SPID" signalled # waits for exit 0
t1=$(now_ms)
[ $((t1 - t0)) -lt 3000 ] || fail "stopping took $((t1 - t0)) ms (grace 800 ms)"
echo "cut: exit 0 after $((t1 - t0)) ms, $n pieces out"

# an answer that fits the grace finishes whole
serve_conf finish "shutdown_timeout_ms = 5000"
start_serve finish "$work/finish.conf" --pace-ms 20
curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/completions" \
    -d '{"prompt":"Once upon a time","max_tokens":25,"stream":true}' >"$work/whole" &
r=$!
until_file "$work/whole" '"text":' || fail "the answer did not start"
t0=$(now_ms)
stop_serve finish "$SPID"
t1=$(now_ms)
wait $r || fail "the finishing stream failed"
jhas "$work/whole" '"finish_reason":"length"'
grep -q '^data: \[DONE\]' "$work/whole" || fail "no [DONE]"
! grep -q '"error"' "$work/whole" || fail "an answer within the grace was cut"
echo "finish: exit 0 after $((t1 - t0)) ms, the answer whole"

# a second SIGTERM ends a long grace at once: the stream is cut, exit 0
serve_conf again "shutdown_timeout_ms = 8000"
start_serve again "$work/again.conf" --pace-ms 40
curl -sS --noproxy '*' --max-time 30 -N "$BASE/v1/chat/completions" -d "$body,\"stream\":true}" >"$work/again" &
r=$!
until_file "$work/again" '"delta":{"content":' || fail "the answer did not start"
kill -TERM "$SPID"
until_file "$work/again.log" 'serve: stopping' || fail "the first SIGTERM did not start the stop"
t0=$(now_ms)
kill -TERM "$SPID"
wait $r || fail "the stream cut by the second signal did not end cleanly (curl $?)"
stop_serve again "$SPID" signalled
t1=$(now_ms)
[ $((t1 - t0)) -lt 3000 ] || fail "the second SIGTERM took $((t1 - t0)) ms (grace 8 s)"
jhas "$work/again" '"code":"shutting_down"'
grep -q 'serve: asked again' "$work/again.log" || fail "no 'asked again' line"
echo "again: exit 0 after $((t1 - t0)) ms"

# SIGINT on an idle server
serve_conf idle
start_serve idle "$work/idle.conf"
c "$BASE/health" >/dev/null || fail "idle server"
kill -INT "$SPID"
t0=$(now_ms)
stop_serve idle "$SPID" signalled
t1=$(now_ms)
[ $((t1 - t0)) -lt 1500 ] || fail "SIGINT took $((t1 - t0)) ms"
grep -q 'fieldlm serve: stopped (' "$work/idle.log" || fail "no stop line"
echo "serve stop ok"
