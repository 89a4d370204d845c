# The official OpenAI SDK (npm `openai`, run with the machine's Node.js)
# pointed at `fieldlm serve` with baseURL: whole and streamed chat, text
# completions, the model list, its error classes, the bearer token; the
# hard prompt escalates to cloudsim through the server.
# lock: node (tests/run.sh: it installs the npm clients into build/node/ and runs them from there)
. tests/lib/serve_lib.sh
node_setup

start_sim sdksim
serve_conf sdk cloud "$PORT" "auth_token = sdk-token-1234"
start_serve sdk "$work/sdk.conf"
timeout 120 node "$NODEDIR/openai_sdk.mjs" "$BASE/v1" sdk-token-1234 "$easy" "$hard" >"$work/sdk.out" 2>&1
rc=$?
cat "$work/sdk.out"
[ $rc -eq 0 ] || fail "the OpenAI SDK's checks failed (exit $rc)"
grep -q '^openai sdk ok$' "$work/sdk.out" || fail "the SDK script did not finish"
stop_serve sdk "$SPID"
