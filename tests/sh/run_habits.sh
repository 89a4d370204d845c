# fieldlm run the way users of llama.cpp, llama2.c and Ollama type it: the
# text, its newline, then the statistics in any capture (2>&1); --quiet /
# --log-disable; --no-display-prompt; the drawn seed printed and repeating
# the run, different in the same second; the prompt piped, from -p -, from
# -f FILE, as a positional argument with or without the model; -n cutting a
# long prompt says so; --n-predict; Ctrl-C stops at the next token with
# the text, a newline, the statistics and exit 130 (run and ppl).
set -u
cli="$BUILD/fieldlm"
model=models/fieldtales-800k.flm
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Capture order: the text ends with its newline before stderr starts.
"$cli" run -p "Once upon a time" -n 40 >"$tmp/all" 2>&1 || fail "run exit $?"
line1=$(sed -n 1p "$tmp/all"); line2=$(sed -n 2p "$tmp/all")
case $line1 in "Once upon a time"*) ;; *) fail "line 1 is not the story: $line1" ;; esac
case $line1 in *achieved*|*arena*|*seed*) fail "statistics inside the text: $line1" ;; esac
case $line2 in "achieved tok/s: "[0-9]*) ;; *) fail "line 2 is not the statistics: $line2" ;; esac
grep -q '^arena bytes: [0-9]' "$tmp/all" || fail "no arena line: $(cat "$tmp/all")"
# through a pipe too (make demo, tee)
"$cli" run -p "Once upon a time" -n 40 2>&1 | cat >"$tmp/pipe"
sed -n 2p "$tmp/pipe" | grep -q '^achieved tok/s: [0-9]' || fail "pipe order: $(cat "$tmp/pipe")"

# --quiet and its llama.cpp spelling: stdout only, stderr empty
for q in --quiet --log-disable -q; do
    "$cli" run -p "Once upon a time" -n 20 $q >"$tmp/out" 2>"$tmp/err" || fail "$q exit"
    [ -s "$tmp/err" ] && fail "$q wrote to stderr: $(cat "$tmp/err")"
    grep -q '^Once upon a time' "$tmp/out" || fail "$q: no text"
done

# --no-display-prompt: only what was generated
"$cli" run -p "Once upon a time" -n 30 -t 0 -q --no-display-prompt >"$tmp/gen" || fail "--no-display-prompt"
"$cli" run -p "Once upon a time" -n 30 -t 0 -q >"$tmp/full"
grep -q 'Once upon' "$tmp/gen" && fail "the prompt was echoed: $(cat "$tmp/gen")"
[ "Once upon a time$(cat "$tmp/gen")" = "$(cat "$tmp/full")" ] || fail "generated part differs: $(cat "$tmp/gen") vs $(cat "$tmp/full")"

# The drawn seed is printed, repeats the run, and differs between runs in one second.
seeds=
for i in 1 2 3; do
    "$cli" run -p "Once upon a time" -n 40 >"$tmp/s$i" 2>"$tmp/e$i" || fail "seeded run $i"
    s=$(sed -n 's/^seed: \([0-9]*\) (drawn; -s \1 repeats this run)$/\1/p' "$tmp/e$i")
    [ -n "$s" ] || fail "no drawn seed on stderr: $(cat "$tmp/e$i")"
    case " $seeds " in *" $s "*) fail "the same seed twice: $seeds $s" ;; esac
    seeds="$seeds $s"
done
set -- $seeds
"$cli" run -p "Once upon a time" -n 40 -s "$1" >"$tmp/again" 2>"$tmp/again.err"
cmp -s "$tmp/s1" "$tmp/again" || fail "-s $1 does not repeat the run"
grep -q '^seed:' "$tmp/again.err" && fail "a given seed is printed as drawn"
"$cli" run -p "Once" -n 10 -t 0 2>"$tmp/g.err" >/dev/null
grep -q '^seed:' "$tmp/g.err" && fail "greedy prints a seed it does not use"

# The prompt from a pipe, -p -, -f FILE, a positional argument, with the model.
"$cli" run -p "The dog" -n 24 -t 0 -q >"$tmp/want"
grep -q '^The dog' "$tmp/want" || fail "-p: $(cat "$tmp/want")"
echo "The dog" | "$cli" run -n 24 -t 0 -q >"$tmp/got" || fail "piped prompt exit"
cmp -s "$tmp/want" "$tmp/got" || fail "piped prompt ignored: $(cat "$tmp/got")"
echo "The dog" | "$cli" run -p - -n 24 -t 0 -q >"$tmp/got" || fail "-p -"
cmp -s "$tmp/want" "$tmp/got" || fail "-p -: $(cat "$tmp/got")"
printf 'The dog\n' >"$tmp/prompt.txt"
"$cli" run -f "$tmp/prompt.txt" -n 24 -t 0 -q >"$tmp/got" || fail "-f"
cmp -s "$tmp/want" "$tmp/got" || fail "-f: $(cat "$tmp/got")"
"$cli" run "The dog" -n 24 -t 0 -q >"$tmp/got" || fail "positional prompt"
cmp -s "$tmp/want" "$tmp/got" || fail "positional prompt: $(cat "$tmp/got")"
"$cli" run "$model" "The dog" -n 24 -t 0 -q >"$tmp/got" || fail "positional model and prompt"
cmp -s "$tmp/want" "$tmp/got" || fail "positional model and prompt: $(cat "$tmp/got")"
"$cli" run --model "$model" --prompt "The dog" --steps 24 --temp 0 --seed 1 --ctx-size 256 -q >"$tmp/got" || fail "long options"
cmp -s "$tmp/want" "$tmp/got" || fail "long options: $(cat "$tmp/got")"
# llama.cpp's -c N: the context size when N names no file
"$cli" run -p "The dog" -n 24 -t 0 -q -c 256 >"$tmp/got" || fail "-c 256"
cmp -s "$tmp/want" "$tmp/got" || fail "-c 256: $(cat "$tmp/got")"
"$cli" run -p "The dog" -n 0 -t 0 -q -c 16 --json >"$tmp/c16" || fail "-c 16"
grep -q '"stop":"context"' "$tmp/c16" || fail "-c 16 is not the context: $(cat "$tmp/c16")"
# /dev/null on stdin is no prompt
"$cli" run -n 8 -t 0 -q </dev/null >"$tmp/got" || fail "stdin /dev/null"
"$cli" run -f "$tmp/none.txt" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "-f missing file: exit $rc"
grep -qx "fieldlm run: $tmp/none.txt: no such file or directory" "$tmp/err" || fail "-f missing: $(cat "$tmp/err")"
"$cli" run -p x -f "$tmp/prompt.txt" 2>/dev/null; [ $? -eq 2 ] || fail "-p with -f must be a usage error"

# -n counts positions (BOS + prompt + generated); a prompt longer is cut, and said so
"$cli" run -p "Once upon a time there was a little girl" -n 5 -t 0 >"$tmp/out" 2>"$tmp/err"
grep -q "warning: -n 5 counts the prompt's [0-9]* tokens too: the prompt is cut and nothing generated" "$tmp/err" || fail "no cut warning: $(cat "$tmp/err")"
# --n-predict counts generated tokens: 0 makes none, each one more adds one piece
"$cli" run -p "Once upon a time" --n-predict 0 -t 0 -q --no-display-prompt >"$tmp/p0"
[ "$(cat "$tmp/p0")" = "" ] || fail "--n-predict 0 made '$(cat "$tmp/p0")'"
"$cli" run -p "Once upon a time" --n-predict 1 -t 0 -q --no-display-prompt >"$tmp/p1"
"$cli" run -p "Once upon a time" --n-predict 2 -t 0 -q --no-display-prompt >"$tmp/p2"
a=$(cat "$tmp/p1"); b=$(cat "$tmp/p2")
[ -n "$a" ] && [ "$a" != "$b" ] || fail "--n-predict 1 '$a', 2 '$b'"
case $b in "$a"*) ;; *) fail "--n-predict 2 '$b' does not extend 1 '$a'" ;; esac
[ "$(wc -w <"$tmp/p2")" -le 2 ] || fail "--n-predict 2 made more than two words: $b"

# Ctrl-C: stop at the next token, the text so far, its newline, the statistics, 130.
# (--foreground: timeout sends the signal to the command only, once; without
# it the whole process group gets it a second time, the usual kill)
timeout --foreground --preserve-status -s INT 1 "$cli" run -p "Once upon a time" -n 0 --pace-ms 40 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 130 ] || fail "run after Ctrl-C: exit $rc, stderr: $(cat "$tmp/err")"
grep -q '^Once upon a time' "$tmp/out" || fail "no text after Ctrl-C"
[ "$(tail -c 1 "$tmp/out" | od -An -c | tr -d ' ')" = '\n' ] || fail "the text does not end with a newline"
grep -q '^fieldlm run: interrupted$' "$tmp/err" || fail "no 'interrupted': $(cat "$tmp/err")"
grep -q '^achieved tok/s: ' "$tmp/err" || fail "no statistics after Ctrl-C: $(cat "$tmp/err")"
[ "$(wc -w <"$tmp/out")" -lt 100 ] || fail "ran to the end despite Ctrl-C"

# ppl: the lines scored so far, exit 130
i=0; while [ $i -lt 3000 ]; do
    echo "Once upon a time there was a little girl named Lily. She loved to play outside in the park."
    i=$((i + 1))
done >"$tmp/text"
timeout --foreground --preserve-status -s INT 3 "$cli" ppl --text "$tmp/text" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 130 ] || fail "ppl after Ctrl-C: exit $rc: $(cat "$tmp/err")"
grep -q '^tokens [0-9]* nll [0-9.]* ppl [0-9.]*$' "$tmp/out" || fail "ppl printed nothing: $(cat "$tmp/out" "$tmp/err")"
grep -q 'interrupted after [0-9]* lines' "$tmp/err" || fail "ppl: $(cat "$tmp/err")"
echo "run_habits ok"
