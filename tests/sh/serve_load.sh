# fieldlm serve under a bounded load on loopback (httpload): many more
# concurrent clients than slots for a fixed time, with keep-alive and
# without. Every request must be answered completely or refused with 503
# and Retry-After; afterwards no slot is held and nothing is queued; the
# resident memory at the end is the one after warm-up (all memory is taken
# at start). FLM_LOAD_SECONDS sets the long phase (default 10; the issue's
# figure is 30), FLM_LOAD_CLIENTS its clients (64).
. tests/lib/serve_lib.sh
secs=${FLM_LOAD_SECONDS:-10}
clients=${FLM_LOAD_CLIENTS:-64}
[ "$san" = 1 ] && secs=$(( secs < 6 ? secs : 6 ))

serve_conf load "slots = 8" "max_tokens = 16" "idle_timeout_ms = 2000"
start_serve load "$work/load.conf" --quiet
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SPID/status"; }
health() { c "$BASE/health"; }

# warm-up: every slot, every path, every buffer touched once
timeout 60 "$load" load "$SPORT" --clients 16 --seconds 3 --keep-alive >"$work/warm" 2>&1 ||
    { cat "$work/warm"; fail "warm-up"; }
sleep 0.5
rss0=$(rss)

# the long phase: $clients keep-alive clients on 8 slots
timeout $((secs + 60)) "$load" load "$SPORT" --clients "$clients" --seconds "$secs" --keep-alive \
    >"$work/long" 2>&1
rc=$?
cat "$work/long"
[ $rc -eq 0 ] || fail "keep-alive load: a request was neither answered nor refused cleanly"
# and 3x the slots with a new connection per request
timeout 60 "$load" load "$SPORT" --clients 24 --seconds 4 >"$work/short" 2>&1
rc=$?
cat "$work/short"
[ $rc -eq 0 ] || fail "connection-per-request load: a request was neither answered nor refused cleanly"
for f in long short; do
    grep -q ' ok=[1-9]' "$work/$f" || fail "$f: nothing answered"
done
grep -q ' busy=[1-9]' "$work/long" "$work/short" || fail "more clients than slots, yet no 503"

# nothing leaked: only this request's connection, nothing queued, no generation
sleep 0.3
health >"$work/after"
cat "$work/after"
jhas "$work/after" '"busy":1,"queued":0,"generating":false' "slots after the load"
rss1=$(rss)
echo "rss: ${rss0} kB after warm-up, ${rss1} kB at the end ($((rss1 - rss0)) kB)"
if [ "$san" = 0 ]; then
    [ $((rss1 - rss0)) -le 16 ] || fail "resident memory grew by $((rss1 - rss0)) kB under load"
fi
stop_serve load "$SPID"
echo "serve load ok"
