# fieldlm serve with the router behind it, against cloudsim: each answer
# says its route (model field, x-fieldlm-route, the "fieldlm" object), the
# usage is the engine's or the cloud's, the cloud sees exactly the
# escalated prompts (with the system message and temperature forwarded), a
# failing cloud leaves the answer to the device (local:cloud-failed,
# degraded); and `fieldlm cloud` pointed at `fieldlm serve`: one device
# escalating to another.
. tests/lib/serve_lib.sh

start_sim routesim
serve_conf routes cloud "$PORT" "slots = 4"
start_serve r "$work/routes.conf"
R=$BASE

c "$R/v1/models" >"$work/models"
jhas "$work/models" '"data":[{"id":"stories260K","object":"model","created":0,"owned_by":"fieldlm"},{"id":"sim-model-1","object":"model","created":0,"owned_by":"cloud"}]'
c "$R/health" >"$work/health"
jhas "$work/health" '"model":"stories260K","cloud":"sim-model-1"'

up=""
# an easy prompt stays on the device
c -i "$R/v1/chat/completions" -d "{\"messages\":[{\"role\":\"user\",\"content\":\"$easy\"}],\"max_tokens\":10}" >"$work/easy"
jhas "$work/easy" "x-fieldlm-route: local:confident"
jhas "$work/easy" '"model":"stories260K"'
jhas "$work/easy" '"completion_tokens":10,'

# a hard one goes up: the cloud's model, its answer once, its usage
c -i "$R/v1/chat/completions" -d "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"$hard\"}],\"temperature\":0.5}" \
    >"$work/hard"
jhas "$work/hard" "x-fieldlm-route: cloud:difficulty"
jhas "$work/hard" '"model":"sim-model-1"'
jhas "$work/hard" "\"message\":{\"role\":\"assistant\",\"content\":\"Echo: $hard\",\"refusal\":null}"
jhas "$work/hard" '"usage":{"prompt_tokens":6,"completion_tokens":7,"total_tokens":13}'
jhas "$work/hard" '"fieldlm":{"route":"cloud","reason":"cloud:difficulty","degraded":false,"score":0.'
up="$up|$hard"
grep -qF '{"role":"system","content":"Be brief."}' "$work/routesim.rec" || fail "the system message did not go up"
grep -qF '"temperature":0.500' "$work/routesim.rec" || fail "the temperature did not go up"

# streamed from the cloud: its pieces, the cloud's usage in the last chunk
q2="What is the tallest mountain on Earth?"
c -N "$R/v1/chat/completions" -d "{\"messages\":[{\"role\":\"user\",\"content\":\"$q2\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}" \
    >"$work/hardstream"
up="$up|$q2"
text=$(sed -n 's/.*"delta":{"content":"\(.*\)"},"logprobs".*/\1/p' "$work/hardstream" | tr -d '\n')
[ "$text" = "Echo: $q2" ] || fail "streamed cloud answer '$text'"
jhas "$work/hardstream" '"model":"sim-model-1"'
jhas "$work/hardstream" '"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":8,"total_tokens":15}'
grep '^data: ' "$work/hardstream" | tail -n 1 | grep -q '^data: \[DONE\]' || fail "no [DONE]"

# text completions take the same route
c -i "$R/v1/completions" -d "{\"prompt\":\"$hard Answer:\",\"max_tokens\":20}" >"$work/hardtext"
jhas "$work/hardtext" "x-fieldlm-route: cloud:difficulty"
jhas "$work/hardtext" "\"choices\":[{\"text\":\"Echo: $hard Answer:\""
up="$up|$hard Answer:"

# the cloud fails: the device answers, degraded, with its own usage
c -i "$R/v1/chat/completions" -d "{\"messages\":[{\"role\":\"user\",\"content\":\"[fault:500] $hard\"}],\"max_tokens\":9}" \
    >"$work/failed"
jhas "$work/failed" "x-fieldlm-route: local:cloud-failed"
jhas "$work/failed" "x-fieldlm-degraded: true"
jhas "$work/failed" '"model":"stories260K"'
jhas "$work/failed" '"completion_tokens":9,'
jhas "$work/failed" '"degraded":true'
up="$up|[fault:500] $hard"

# the cloud fails mid-stream, after text went out: an error event ends it
c -N "$R/v1/chat/completions" -d "{\"messages\":[{\"role\":\"user\",\"content\":\"[fault:error-midstream] $hard\"}],\"stream\":true}" \
    >"$work/midstream"
jhas "$work/midstream" '"delta":{"content":"Echo: "}'
jhas "$work/midstream" 'data: {"error":{"message":"The answer failed midway'
grep '^data: ' "$work/midstream" | tail -n 1 | grep -q '^data: \[DONE\]' || fail "no [DONE] after the error"
up="$up|[fault:error-midstream] $hard"

# exactly the escalated prompts reached the cloud
n=$(requests routesim)
want=$(printf '%s' "$up" | tr '|' '\n' | grep -c .)
[ "$n" -eq "$want" ] || fail "cloud saw $n requests, want $want"
! grep -qF "$easy" "$work/routesim.rec" || fail "an easy prompt went up"

# ---- fieldlm cloud -> fieldlm serve -> cloudsim ---------------------------------------------
printf 'url = %s/v1\nmodel = stories260K\n' "$R" >"$work/device2device.conf"
run_cloud d2d "$work/device2device.conf" -p "$easy" --max-tokens 12
expect_ok d2d
[ -s "$work/d2d.out" ] || fail "no story from the other device"
grep -q 'tokens: prompt [0-9]*, completion 12, total' "$work/d2d.err" || { cat "$work/d2d.err"; fail "usage"; }
run_cloud d2dstream "$work/device2device.conf" -p "$hard" --stream
expect_ok d2dstream
grep -qx "Echo: $hard" "$work/d2dstream.out" || { cat "$work/d2dstream.out"; fail "escalated twice: not the cloud's answer"; }
grep -q 'tokens: prompt 6, completion 7, total 13' "$work/d2dstream.err" || fail "the cloud's usage did not come through"

# a client that hangs up while the cloud streams: the cloud request is
# dropped and the slot freed at once (last: cloudsim stalls for a while)
curl -sS --noproxy '*' --max-time 1 -N "$R/v1/chat/completions" \
    -d "{\"messages\":[{\"role\":\"user\",\"content\":\"[fault:stall] $hard\"}],\"stream\":true}" \
    >"$work/stall" 2>/dev/null
sleep 0.3
c "$R/health" >"$work/stallhealth"
jhas "$work/stallhealth" '"busy":1,"queued":0,"generating":false' "slot freed after a hang-up mid-cloud-stream"
jhas "$work/stallhealth" '"hangups":1'
jhas "$work/stall" '"model":"sim-model-1"'
stop_serve r "$SPID"
echo "serve routes ok: $n prompts escalated"
