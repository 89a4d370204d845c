# fieldlm log with the shipped model and cloudsim: asks that go up are
# logged (" logged=N"), status counts them, export writes JSON lines,
# clear --through deletes the oldest, when_full = stop keeps the oldest
# and says " not logged (...)" while the answer goes out as usual, off
# logs nothing, and the command's usage errors (exit 2) and a device file
# without [log] (exit 1).
need_tls=0
. tests/lib/cloud_lib.sh
export FLM_STORE_DIR="$work/store"
start_sim logsim
conf() {
    name=$1
    shift
    {
        echo "[router]"
        echo "mode = cloud"
        echo "[cloud]"
        echo "url = http://127.0.0.1:$PORT/v1"
        echo "model = sim-model-1"
        echo "max_retries = 0"
        for line in "$@"; do echo "$line"; done
    } >"$work/$name.conf"
}
conf on "[log]" "escalations = on" "max_records = 2" "when_full = stop"
conf off "[log]" "escalations = off"
conf none
ask() {
    timeout 30 "$cli" ask -c "$work/$1.conf" -p "$2" -n 16 >"$work/ask.out" 2>"$work/ask.err" </dev/null ||
        { cat "$work/ask.err"; fail "ask '$2': exit $?"; }
    [ "$(cat "$work/ask.out")" = "Echo: $2" ] || fail "ask '$2': $(cat "$work/ask.out")"
}
ask on "Name a red fruit."
grep -q '^route=cloud reason=cloud:mode score=- logged=1$' "$work/ask.err" || fail "first: $(cat "$work/ask.err")"
ask on "Name a yellow fruit."
grep -q ' logged=2$' "$work/ask.err" || fail "second: $(cat "$work/ask.err")"
ask on "Name a green fruit."
grep -q ' not logged (record store full)$' "$work/ask.err" || fail "stop: $(cat "$work/ask.err")"
ask off "Name a blue fruit."
! grep -q 'logged' "$work/ask.err" || fail "off: $(cat "$work/ask.err")"

"$cli" log status -c "$work/on.conf" >"$work/status" || fail "status"
grep -q '^escalation log: on; 2 entries (at most 2), [0-9]* bytes of records (at most 1048576); when full: stop$' \
    "$work/status" || fail "status: $(cat "$work/status")"
"$cli" log export -c "$work/off.conf" >"$work/all.jsonl" 2>"$work/export.err" || fail "export: $(cat "$work/export.err")"
[ "$(wc -l <"$work/all.jsonl")" -eq 2 ] || fail "export: $(cat "$work/all.jsonl")"
grep -q '^{"seq":1,.*"reason":"cloud:mode","score":null,"redacted":false,"prompt":"Name a red fruit.","answer":"Echo: Name a red fruit.","usage":{"prompt_tokens":4,"completion_tokens":5}}$' \
    "$work/all.jsonl" || fail "export line 1: $(head -n 1 "$work/all.jsonl")"
grep -q '"prompt":"Name a yellow fruit."' "$work/all.jsonl" || fail "export line 2"
grep -q '^exported 2 entries$' "$work/export.err" || fail "export: $(cat "$work/export.err")"
"$cli" log clear -c "$work/on.conf" --through 1 >"$work/clear" || fail "clear"
grep -q '^cleared 1$' "$work/clear" || fail "clear: $(cat "$work/clear")"
"$cli" log export -c "$work/on.conf" -o "$work/left.jsonl" 2>/dev/null || fail "export -o"
[ "$(wc -l <"$work/left.jsonl")" -eq 1 ] && grep -q '"seq":2,' "$work/left.jsonl" || fail "after clear: $(cat "$work/left.jsonl")"
ask on "Name a purple fruit."
grep -q ' logged=3$' "$work/ask.err" || fail "room again: $(cat "$work/ask.err")"
"$cli" log clear -c "$work/on.conf" >"$work/clear" && grep -q '^cleared 2$' "$work/clear" || fail "clear all"

# mistakes
for args in "" "frob -c $work/on.conf" "export" "clear -c $work/on.conf -o x" \
            "export -c $work/on.conf --through 3" "status -c $work/on.conf --clear"; do
    "$cli" log $args >/dev/null 2>"$work/err"
    rc=$?
    [ $rc -eq 2 ] || fail "fieldlm log $args: exit $rc, want 2 ($(cat "$work/err"))"
done
"$cli" log export -c "$work/none.conf" >/dev/null 2>"$work/err" && fail "no [log]: exit 0"
grep -q "has no \[log\] section" "$work/err" || fail "no [log]: $(cat "$work/err")"
echo "log cli ok"
