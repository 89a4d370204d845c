# fieldlm serve delivers the store-and-forward queue: prompts kept while
# the link was down (two asks, local:offline, queued) go to the cloud
# between requests once serve runs with the link up, one at a time, each
# with its Idempotency-Key; requests are still answered meanwhile, and the
# answers wait in the queue for `fieldlm queue collect`. Against a dead
# endpoint the delivery fails, backs off (2 s, then 4 s ...) and leaves
# the items queued.
. tests/lib/serve_lib.sh

store="$work/store"
mkdir -p "$store"
export FLM_STORE_DIR="$store" FLM_LINK=up

start_sim qsim
serve_conf q cloud "$PORT" "[queue]" "enabled = true" "device_id = kiosk-9"
p1=$hard
p2="Translate good morning into French."
for p in "$p1" "$p2"; do
    FLM_LINK=down timeout 30 "$cli" ask -c "$work/q.conf" -p "$p" -n 8 >"$work/ask.out" 2>"$work/ask.err" ||
        { cat "$work/ask.err"; fail "ask offline"; }
    grep -q 'reason=local:offline .* queued=[0-9]' "$work/ask.err" ||
        { cat "$work/ask.err"; fail "ask offline: not queued"; }
done
[ "$(requests qsim)" -eq 0 ] || fail "offline asks reached the cloud"

# ---- serve with the link up: both delivered, oldest first ---------------------------
start_serve s "$work/q.conf"
until_file "$work/s.log" "serve: queue: delivered 1, pending 0" ||
    fail "serve did not deliver the queue within 5 s"
grep -q "serve: queue: delivered 1, pending 1" "$work/s.log" || fail "not one delivery at a time"
[ "$(requests qsim)" -eq 2 ] || fail "the cloud saw $(requests qsim) requests, want 2"
[ "$(grep -c '^=== request [0-9]* idempotency-key kiosk-9-[0-9a-f]\{8\}-0000000[12]$' "$work/qsim.rec")" -eq 2 ] ||
    { grep '^=== request' "$work/qsim.rec"; fail "deliveries without their keys"; }
# requests are answered as ever
c "$BASE/health" >"$work/health"
jhas "$work/health" '"status":"ok"'
stop_serve s "$SPID"

timeout 30 "$cli" queue collect -c "$work/q.conf" >"$work/collect.out" 2>&1 ||
    { cat "$work/collect.out"; fail "collect"; }
grep -qF "Echo: $p1" "$work/collect.out" || { cat "$work/collect.out"; fail "first answer not collected"; }
grep -qF "Echo: $p2" "$work/collect.out" || { cat "$work/collect.out"; fail "second answer not collected"; }

# ---- a dead endpoint: the delivery fails, backs off, nothing is lost -----------------
dead=$(cat "$work/qsim.port")
kill $(echo "$pids" | awk '{ print $1 }') 2>/dev/null || true # cloudsim, started first
sleep 0.2
FLM_LINK=down timeout 30 "$cli" ask -c "$work/q.conf" -p "$p1" -n 8 >"$work/ask.out" 2>"$work/ask.err" ||
    { cat "$work/ask.err"; fail "ask offline (2)"; }
grep -q 'queued=3' "$work/ask.err" || { cat "$work/ask.err"; fail "third not queued"; }
start_serve d "$work/q.conf"
until_file "$work/d.log" "next try in 2 s" || fail "no failed delivery with back-off"
until_body "$BASE/health" '"status":"ok"' || fail "serve does not answer while the cloud is dead"
stop_serve d "$SPID"
grep -q "delivered" "$work/d.log" && ! grep -q "delivery failed" "$work/d.log" && fail "delivered to a dead port"
timeout 30 "$cli" queue list -c "$work/q.conf" >"$work/list.out" 2>&1 || { cat "$work/list.out"; fail "list"; }
[ "$(grep -c '	queued	' "$work/list.out")" -eq 1 ] || { cat "$work/list.out"; fail "the failed item is not still queued"; }
echo "serve delivered 2 queued prompts one at a time with their keys; a dead endpoint backed off (port $dead)"
