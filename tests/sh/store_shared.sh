# Programs sharing one record store (FLM_HAL_HAS_STORAGE_SHARED: the
# POSIX store's folder): `fieldlm serve` runs while `fieldlm ask`s start
# beside it, all at once. With the link down, every prompt each of them
# queues is in the queue once, with a number of its own (before the store
# lock, the server's number, taken when it started, was handed out again
# and the ask's prompt overwritten). With the link up, every cloud answer
# of every program is counted in the one budget ledger, and `fieldlm stats`
# shows their sum.
. tests/lib/serve_lib.sh

store="$work/store"
mkdir -p "$store"
export FLM_STORE_DIR="$store"
N_ASK=6 N_SERVE=4

# ask NAME CONF PROMPT: one `fieldlm ask` in the background (its pid in $bg)
bg=""
ask() {
    timeout -k 5 60 "$cli" ask -c "$2" -p "$3" -n 8 >"$work/$1.out" 2>"$work/$1.err" </dev/null &
    bg="$bg $!"
}
# chat I: one request to the server in the background
chat() {
    c "$BASE/v1/chat/completions" -o "$work/chat$1.json" \
        -d "{\"messages\":[{\"role\":\"user\",\"content\":\"Question $1: $hard\"}],\"max_tokens\":8}" &
    bg="$bg $!"
}
wait_all() {
    for p in $bg; do wait "$p" || fail "a program beside the server failed (exit $?)"; done
    bg=""
}
# all_at_once NAME CONF TAG: serve NAME on CONF; beside it N_ASK asks and
# N_SERVE requests to the server, all started at once ("TAG i: ..."), waited
# for; then the server stopped
all_at_once() {
    start_serve "$1" "$2"
    i=1
    while [ $i -le $N_ASK ]; do
        ask "$1$i" "$2" "$3 $i: $hard"
        [ $i -gt $N_SERVE ] || chat $i
        i=$((i + 1))
    done
    wait_all
    stop_serve "$1" "$SPID"
}
no_sanitizer() {
    ! grep -l Sanitizer "$work"/*.err "$work"/*.log 2>/dev/null || fail "sanitizer report"
}

# ---- link down: every queued prompt kept once ---------------------------------------
serve_conf q cloud 9 "[queue]" "enabled = true" "max_records = 64" "device_id = shared-1"
export FLM_LINK=down
all_at_once q "$work/q.conf" Ask
for i in $(seq 1 $N_ASK); do
    grep -q 'reason=local:offline .* queued=[0-9]' "$work/q$i.err" ||
        { cat "$work/q$i.err"; fail "ask $i: not queued"; }
done
timeout 30 "$cli" queue list -c "$work/q.conf" >"$work/list.out" 2>&1 || { cat "$work/list.out"; fail "queue list"; }
want=$((N_ASK + N_SERVE))
n=$(grep -c '	queued	' "$work/list.out")
[ "$n" -eq $want ] || { cat "$work/list.out"; fail "$n items queued, want $want (one per prompt)"; }
[ "$(awk -F '\t' '$2 == "queued" { print $1 }' "$work/list.out" | sort -u | wc -l)" -eq $want ] ||
    { cat "$work/list.out"; fail "an item number taken twice"; }
for i in $(seq 1 $N_ASK); do
    grep -qF "Ask $i: " "$work/list.out" || { cat "$work/list.out"; fail "ask $i's prompt is not in the queue"; }
done
for i in $(seq 1 $N_SERVE); do
    grep -qF "Question $i: " "$work/list.out" || { cat "$work/list.out"; fail "request $i's prompt is not in the queue"; }
done
no_sanitizer
echo "link down: $want prompts from $((N_ASK + 1)) programs queued, each once"

# ---- link up: every cloud answer counted once in the one ledger ---------------------
rm -rf "$store"
mkdir -p "$store"
start_sim bud
{
    echo "[model]"; echo "path = $model"
    echo "[router]"; echo "params = $params"; echo "mode = cloud"
    echo "[cloud]"; echo "url = http://127.0.0.1:$PORT/v1"; echo "model = sim-model-1"; echo "max_retries = 0"
    echo "[budget]"; echo "daily_tokens = 1000000"
    echo "[server]"; echo "port = 0"
} >"$work/b.conf"
export FLM_LINK=up
all_at_once b "$work/b.conf" Spend
sent=$(requests bud)
[ "$sent" -eq $want ] || fail "the cloud saw $sent requests, want $want"
timeout 30 "$cli" stats -c "$work/b.conf" >"$work/stats.out" 2>&1 || { cat "$work/stats.out"; fail "stats"; }
grep -q "^  cloud requests  *$want  *$want  *$want\$" "$work/stats.out" ||
    { cat "$work/stats.out"; fail "the ledger does not count all $want cloud answers"; }
no_sanitizer
echo "link up: $want cloud answers from $((N_ASK + 1)) programs, all $want in the ledger"
