# The guards around the router end to end against cloudsim, its request log
# the witness:
#  - local:offline: the link known down, the answer is local and marked
#    degraded at once (the endpoint would stall 20 s: no time goes on it);
#  - queued, then delivered once the link is back: each with its
#    Idempotency-Key, a retried delivery (the client's own retry, and a
#    delivery cut after the server answered, sent again by the next flush)
#    with the same key, each answer collected exactly once;
#  - local:budget once a [budget] cap is reached (nothing more reaches the
#    cloud), and `fieldlm stats`' figures against the asks' own counts;
#  - `fieldlm route --prompts` applies the privacy guard (local:pii).
need_tls=0
. tests/lib/cloud_lib.sh

use_stories260K

# conf NAME PORT [more lines]: [model], [router] (mode = cloud), [cloud] on PORT
conf() {
    name=$1 port=$2
    shift 2
    {
        echo "[model]"
        echo "path = $model"
        echo "[router]"
        echo "params = $params"
        echo "mode = cloud"
        echo "[cloud]"
        echo "url = http://127.0.0.1:$port/v1"
        echo "model = sim-model-1"
        echo "max_retries = 1"
        echo "read_timeout_ms = 30000"
        for line in "$@"; do echo "$line"; done
    } >"$work/$name.conf"
}
# run NAME STORE CMD...: a bounded fieldlm run on record store STORE, the
# link as $link says (up or down); sets RC
link=up
run() {
    name=$1 store=$2
    shift 2
    env FLM_STORE_DIR="$work/$store" FLM_LINK=$link timeout 15 "$cli" "$@" >"$work/$name.out" 2>"$work/$name.err"
    RC=$?
    [ $RC -ne 124 ] || { cat "$work/$name.err"; fail "$name: hung (killed after 15 s: it waited for a timeout)"; }
    ! grep -q Sanitizer "$work/$name.err" || { cat "$work/$name.err"; fail "$name: sanitizer"; }
}
ok() { [ "$RC" -eq 0 ] || { cat "$work/$1.out" "$work/$1.err"; fail "$1: exit $RC"; }; }
# key_of SEQ: the idempotency key `queue list` shows for item SEQ
key_of() { awk -F '\t' -v s="$1" '$1 == s { print $4 }' "$work/list.out"; }

# ---- local:offline, no waiting: the endpoint would stall 20 s -------------------
start_sim stall --fault slow:20000
conf stall "$PORT" "[queue]" "enabled = true" "device_id = kiosk-7"
p1="What is the capital of Australia?"
p2="Translate good morning into French."
p3="How many legs does a spider have?"
link=down
for p in "$p1" "$p2"; do
    run offline q ask -c "$work/stall.conf" -p "$p" -n 24
    ok offline
    grep -q '^route=local reason=local:offline .* degraded (offline) queued=[0-9]' "$work/offline.err" ||
        { cat "$work/offline.err"; fail "offline: not local:offline, degraded and queued"; }
    [ -s "$work/offline.out" ] || fail "offline: no local answer"
done
[ "$(requests stall)" -eq 0 ] || fail "offline: something reached the cloud"
link=up
run list q queue list -c "$work/stall.conf"
ok list
[ "$(grep -c '	queued	' "$work/list.out")" -eq 2 ] || { cat "$work/list.out"; fail "list: want 2 queued"; }
key1=$(key_of 1) key2=$(key_of 2)
case "$key1" in kiosk-7-????????-00000001) ;; *) fail "key of 1: '$key1'" ;; esac
[ "$key2" != "$key1" ] || fail "two items share a key"
grep -qF "$p2" "$work/list.out" || fail "list: the prompt is not shown"

# ---- delivered when the link is back: the first attempt gets a 503, the
# client retries with the same key ------------------------------------------------
start_sim back --fault 503 --fault-times 1
conf back "$PORT" "[queue]" "enabled = true" "device_id = kiosk-7" "[log]" "escalations = on"
run flush1 q queue flush -c "$work/back.conf"
ok flush1
grep -q '^delivered 2, failed 0, refused 0, pending 0; logged 2 (0 not)$' "$work/flush1.out" || { cat "$work/flush1.out" "$work/flush1.err"; fail "flush1"; }
# the deliveries are in the escalation log, as the queue kept them
run export q log export -c "$work/back.conf"
ok export
[ "$(grep -c '"route":"cloud","reason":"cloud:queued","score":null' "$work/export.out")" -eq 2 ] ||
    { cat "$work/export.out"; fail "the deliveries are not in the escalation log"; }
grep -qF "\"prompt\":\"$p1\"" "$work/export.out" || fail "1's prompt is not in the escalation log"
rec="$work/back.rec"
[ "$(grep -c "^=== request [0-9]* idempotency-key $key1\$" "$rec")" -eq 2 ] ||
    { grep '^=== request' "$rec"; fail "the retried delivery of 1 did not carry its key twice"; }
[ "$(grep -c "^=== request [0-9]* idempotency-key $key2\$" "$rec")" -eq 1 ] || fail "2 not sent once"
tr -d '\r' <"$rec" | grep -qx "Idempotency-Key: $key1" || fail "no Idempotency-Key header in the request"
grep -qF "\"content\":\"$p1\"" "$rec" || fail "1's prompt not sent"

# ---- a delivery cut after the server answered: the next flush sends it again,
# same key ---------------------------------------------------------------------------
link=down
run offline3 q ask -c "$work/stall.conf" -p "$p3" -n 24
ok offline3
link=up
grep -q 'queued=3' "$work/offline3.err" || { cat "$work/offline3.err"; fail "3 not queued"; }
start_sim cut --fault reset:5 --fault-times 1
conf cut "$PORT" "[queue]" "enabled = true" "device_id = kiosk-7"
run flush2 q queue flush -c "$work/cut.conf"
[ "$RC" -eq 1 ] || { cat "$work/flush2.out" "$work/flush2.err"; fail "flush2: exit $RC, want 1"; }
grep -q '^delivered 0, failed 1, refused 0, pending 1$' "$work/flush2.out" || { cat "$work/flush2.out"; fail "flush2"; }
run list q queue list -c "$work/cut.conf"
key3=$(key_of 3)
run flush3 q queue flush -c "$work/cut.conf"
ok flush3
grep -q '^delivered 1, failed 0, refused 0, pending 0$' "$work/flush3.out" || { cat "$work/flush3.out"; fail "flush3"; }
[ "$(grep -c "^=== request [0-9]* idempotency-key $key3\$" "$work/cut.rec")" -eq 2 ] ||
    { grep '^=== request' "$work/cut.rec"; fail "3 was not sent again with the same key"; }

# ---- the application takes each answer exactly once ------------------------------
run collect q queue collect -c "$work/cut.conf"
ok collect
[ "$(wc -l <"$work/collect.out")" -eq 3 ] || { cat "$work/collect.out"; fail "collect: want 3 answers"; }
for i in 1 2 3; do
    eval "p=\$p$i key=\$key$i"
    [ "$(grep -c "^$i	$key	Echo: $p\$" "$work/collect.out")" -eq 1 ] ||
        { cat "$work/collect.out"; fail "collect: answer $i not there once"; }
done
run collect2 q queue collect -c "$work/cut.conf"
ok collect2
[ ! -s "$work/collect2.out" ] || { cat "$work/collect2.out"; fail "an answer was collected twice"; }
run list q queue list -c "$work/cut.conf"
grep -q '^0 items' "$work/list.out" || { cat "$work/list.out"; fail "the queue is not empty"; }

# ---- ask delivers what waited, once it finds the link up --------------------------
link=down
run offline4 q ask -c "$work/stall.conf" -p "$p1 Be brief." -n 24
ok offline4
link=up
grep -q 'queued=4' "$work/offline4.err" || { cat "$work/offline4.err"; fail "4 not queued"; }
run askup q ask -c "$work/cut.conf" -p "Tell me a story about a cat." -n 24
ok askup
grep -q '^queue: delivered 1, pending 0$' "$work/askup.err" || { cat "$work/askup.err"; fail "ask did not deliver the queue"; }
run collect4 q queue collect -c "$work/cut.conf" --seq 4
ok collect4
[ "$(cat "$work/collect4.out")" = "Echo: $p1 Be brief." ] || { cat "$work/collect4.out"; fail "collect --seq 4"; }
run drop q queue drop -c "$work/cut.conf" --seq 4
[ "$RC" -eq 1 ] && grep -q 'no item 4' "$work/drop.err" || { cat "$work/drop.err"; fail "drop of a collected item"; }
run usage q queue frob -c "$work/cut.conf"
[ "$RC" -eq 2 ] || fail "queue frob: exit $RC, want 2"

# ---- local:budget at a cap, and the stats ----------------------------------------
start_sim budget
conf budget "$PORT" "[budget]" "price_input_per_1k = 0.5" "price_output_per_1k = 1.5" "daily_tokens = 60"
asked=0 cloud=0 capped=0
lin=0 lout=0 cin=0 cout=0 spend=0 lreq=0
for i in 1 2 3 4 5 6 7 8; do
    run b$i b ask -c "$work/budget.conf" -p "Name $i animals that live in the sea." -n 24
    ok b$i
    asked=$((asked + 1))
    if grep -q '^route=cloud reason=cloud:mode ' "$work/b$i.err"; then
        [ $capped -eq 0 ] || fail "a cloud answer after the cap was reached"
        cloud=$((cloud + 1))
        set -- $(sed -n 's/^tokens: prompt \([0-9]*\), completion \([0-9]*\), total .*(cloud)$/\1 \2/p' "$work/b$i.err")
        [ $# -eq 2 ] || { cat "$work/b$i.err"; fail "b$i: no cloud usage"; }
        cin=$((cin + $1)) cout=$((cout + $2))
        spend=$((spend + ($1 * 500000 + $2 * 1500000 + 999) / 1000))
    else
        grep -q '^route=local reason=local:budget score=- cap=daily_tokens$' "$work/b$i.err" ||
            { cat "$work/b$i.err"; fail "b$i: neither the cloud nor local:budget"; }
        capped=$((capped + 1))
    fi
    if grep -q '(local)$' "$work/b$i.err"; then
        set -- $(sed -n 's/^tokens: prompt \([0-9]*\), completion \([0-9]*\) (local)$/\1 \2/p' "$work/b$i.err")
        lreq=$((lreq + 1)) lin=$((lin + $1)) lout=$((lout + $2))
    fi
done
[ $cloud -ge 1 ] && [ $capped -ge 1 ] || fail "budget: $cloud cloud answers, $capped capped; want both"
[ "$(requests budget)" -eq $cloud ] || fail "budget: the cloud saw $(requests budget) requests, want $cloud"

run stats b stats -c "$work/budget.conf"
ok stats
# money: micro-units as the ledger prints them (at least 2 decimals, zeros trimmed)
money() {
    awk -v m="$1" 'BEGIN { s = sprintf("%d.%06d", int(m / 1000000), m % 1000000);
                           sub(/0+$/, "", s); if (s ~ /\.$/) s = s "00"; else if (s ~ /\.[0-9]$/) s = s "0"; print s }'
}
allcost=$(( ((lin + cin) * 500000 + (lout + cout) * 1500000 + 999) / 1000 ))
saving=$((allcost - spend))
# row NAME VALUE: the row's three columns (today, month, all time) are VALUE
row() {
    grep -q "^  $1  *$2  *$2  *$2\$" "$work/stats.out" || { cat "$work/stats.out"; fail "stats: $1 is not $2"; }
}
row "local requests" $lreq
row "cloud requests" $cloud
row "local tokens in" $lin
row "local tokens out" $lout
row "cloud tokens in" $cin
row "cloud tokens out" $cout
share=$(awk -v c=$cloud -v a=$((cloud + lreq)) 'BEGIN { bp = int(c * 10000 / a); printf "%d.%02d%%", int(bp / 100), bp % 100 }')
row "cloud share, requests" "$share"
row "cloud spend" "$(money $spend)"
row "all-cloud cost" "$(money $allcost)"
row "saving" "$(money $saving)"
grep -q '^caps: daily_tokens 60, ' "$work/stats.out" || fail "stats: caps"
run nobudget q stats -c "$work/cut.conf"
[ "$RC" -eq 1 ] && grep -q 'no \[budget\] section' "$work/nobudget.err" || fail "stats without [budget]"

# ---- fieldlm route applies the privacy guard -------------------------------------
printf '%s\n' "Mail the story to anna.berg@example.com please." "Tell the story of a bird." \
    "Call me on +44 20 7946 0958 tonight." >"$work/prompts"
for policy in local-only redact; do
    conf "route-$policy" 9 "[privacy]" "policy = $policy"
    run route-$policy q route -c "$work/route-$policy.conf" --prompts "$work/prompts"
    ok route-$policy
    cut -f2,3 "$work/route-$policy.out" >"$work/route.got"
    if [ $policy = local-only ]; then
        printf 'local\tlocal:pii\ncloud\tcloud:mode\nlocal\tlocal:pii\n' >"$work/route.want"
    else
        printf 'cloud\tcloud:mode\ncloud\tcloud:mode\ncloud\tcloud:mode\n' >"$work/route.want"
    fi
    cmp -s "$work/route.got" "$work/route.want" || { cat "$work/route-$policy.out"; fail "route ($policy)"; }
done

echo "guards ok: local:offline without waiting, $(grep -c '^=== request' "$work/back.rec") + $(grep -c '^=== request' "$work/cut.rec") deliveries (retries with their keys), each answer collected once; local:budget after $cloud cloud answers; stats; route applies local:pii"
