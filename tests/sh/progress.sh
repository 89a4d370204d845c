# Long work shows a progress line on stderr when it is a terminal (ppl over
# a data file, convert reading and quantizing), redrawn in place and erased
# at the end; when stderr is a file or a pipe there is none (no carriage
# return, no escape in a capture). The terminal comes from script(1).
set -u
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "skipped: script(1) is not installed (bsdutils)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
i=0; while [ $i -lt 1500 ]; do
    echo "Once upon a time there was a little girl named Lily. She loved to play outside in the park."
    i=$((i + 1))
done >"$tmp/text"
cr=$(printf '\r')

# not a terminal: the result and nothing that redraws
"$cli" ppl --text "$tmp/text" >"$tmp/out" 2>"$tmp/err" || fail "ppl exit $?"
grep -q '^tokens [0-9]* nll' "$tmp/out" || fail "ppl: $(cat "$tmp/out")"
grep -q "$cr" "$tmp/err" && fail "a progress line in a capture: $(od -c "$tmp/err" | head -3)"
grep -q 'lines, ' "$tmp/err" && fail "progress text in a capture"

# a terminal: the line appears, counts up, and is erased at the end
script -qec "\"$cli\" ppl --text \"$tmp/text\"" /dev/null >"$tmp/tty" </dev/null || fail "ppl on a terminal"
grep -q "fieldlm ppl: [0-9]* lines, [0-9]*%, [0-9]* tokens, ppl [0-9.]* so far" "$tmp/tty" || fail "no progress line: $(od -c "$tmp/tty" | head -5)"
grep -q 'tokens [0-9]* nll [0-9.]* ppl' "$tmp/tty" || fail "no result on the terminal"

if command -v python3 >/dev/null 2>&1; then
    python3 tests/lib/tiny_llama2c.py "$tmp/in.bin" "$tmp/tok.bin" || fail "tiny checkpoint"
    script -qec "\"$cli\" convert --quiet --in \"$tmp/in.bin\" --tokenizer \"$tmp/tok.bin\" --out \"$tmp/o.flm\"" /dev/null >"$tmp/tty" </dev/null || fail "convert on a terminal"
    grep -q 'fieldlm convert: tensor [0-9]* of [0-9]*' "$tmp/tty" || grep -q 'fieldlm convert: reading ' "$tmp/tty" || fail "no convert progress: $(od -c "$tmp/tty" | head -5)"
    "$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/o2.flm" >/dev/null 2>"$tmp/err" || fail "convert"
    [ -s "$tmp/err" ] && fail "convert wrote to a captured stderr: $(od -c "$tmp/err" | head -3)"
fi
echo "progress ok"
