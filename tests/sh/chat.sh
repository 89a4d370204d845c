# fieldlm chat: a prompt per line, each answered as run's continuation
# (greedy: byte for byte run's --no-display-prompt text), blank lines
# skipped, end of input ends with 0; Ctrl-C stops the answer being made and
# the loop takes the next prompt (the input is a FIFO kept open, the signal
# sent while the first answer is still paced out).
set -u
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

printf 'Once upon a time\n\nThe dog\n' | "$cli" chat -t 0 -n 30 >"$tmp/out" 2>"$tmp/err" || fail "chat exit $?: $(cat "$tmp/err")"
{ "$cli" run -p "Once upon a time" -t 0 -n 30 -q --no-display-prompt
  "$cli" run -p "The dog" -t 0 -n 30 -q --no-display-prompt; } >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want" || fail "answers differ from run's:
$(cat "$tmp/out")
want:
$(cat "$tmp/want")"
[ -s "$tmp/err" ] && fail "stderr without a terminal: $(cat "$tmp/err")"

# Ctrl-C stops the first answer; the second prompt is still answered
mkfifo "$tmp/in"; : >"$tmp/out2"
"$cli" chat -t 0 -n 0 --pace-ms 50 <"$tmp/in" >"$tmp/out2" 2>"$tmp/err2" &
pid=$!
exec 3>"$tmp/in"
echo "Once upon a time" >&3
i=0; while [ "$(wc -c <"$tmp/out2")" -lt 20 ]; do
    i=$((i + 1)); [ $i -le 200 ] || fail "no answer after 10 s"; sleep 0.05
done
kill -INT $pid
sleep 0.3
echo "The dog" >&3
exec 3>&-
i=0; while kill -0 $pid 2>/dev/null; do
    i=$((i + 1)); [ $i -le 400 ] || fail "chat did not end at end of input"; sleep 0.05
done
wait $pid; rc=$?; pid=
[ $rc -eq 0 ] || fail "chat exit $rc after Ctrl-C and Ctrl-D: $(cat "$tmp/err2")"
[ "$(wc -l <"$tmp/out2")" -ge 2 ] || fail "not two answers: $(cat "$tmp/out2")"
first=$(sed -n 1p "$tmp/out2")
[ "$(printf %s "$first" | wc -w)" -lt 60 ] || fail "the first answer ran on: $first"
full=$("$cli" run -p "Once upon a time" -t 0 -n 0 -q --no-display-prompt)
[ "$first" != "$full" ] || fail "the first answer was not stopped"
tail -n 1 "$tmp/out2" | grep -q "jumped out of the water" || fail "no answer to the second prompt: $(cat "$tmp/out2")"
echo "chat ok"
