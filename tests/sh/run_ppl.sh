# fieldlm run and ppl on stories260K: a story from "Once upon a time", the
# greedy start of each reference prompt, perplexity on the first 200 lines.
set -u
shared=${FLM_SHARED:-../shared}
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }
for f in models/stories260K.bin models/tok512.bin data/tinystories_train_head_197k.txt \
         reference/stories260K.greedy.tsv; do
    [ -r "$shared/$f" ] || { echo "needs $shared/$f"; exit 77; }
done
model="$BUILD/run_ppl.flm"
out="$BUILD/run_ppl.out"
err="$BUILD/run_ppl.err"
"$cli" convert --quiet --in "$shared/models/stories260K.bin" \
    --tokenizer "$shared/models/tok512.bin" --out "$model" >/dev/null || fail "convert"

# a sampled story
"$cli" run -m "$model" -p "Once upon a time" -s 7 >"$out" 2>"$err" || fail "run exit $?"
grep -q '^Once upon a time' "$out" || fail "story does not start with the prompt: $(head -c 200 "$out")"
[ "$(wc -w <"$out")" -ge 30 ] || fail "story too short: $(cat "$out")"
grep -q '^achieved tok/s: [0-9]' "$err" || fail "no tok/s on stderr"
grep -q '^arena bytes: [0-9]' "$err" || fail "no arena bytes on stderr"
"$cli" run -m "$model" -p "Once upon a time" -s 7 >"$out.2" 2>/dev/null
cmp -s "$out" "$out.2" || fail "same seed, different story"

# greedy: the first 40 characters of each continuation match the float reference
n=0
while IFS="$(printf '\t')" read -r prompt want; do
    got=$("$cli" run -m "$model" -p "$prompt" -t 0 -n 40 2>/dev/null | tr '\n' ' ')
    len=$((${#prompt} + 40))
    [ "$(printf %s "$got" | cut -c1-$len)" = "$(printf %s "$want" | cut -c1-$len)" ] && n=$((n + 1))
done <"$shared/reference/stories260K.greedy.tsv"
echo "greedy: $n of 8 prompts match the float reference for 40 characters"
[ $n -ge 4 ] || fail "only $n greedy prompts match"

# perplexity on the first 200 lines (easier than the whole file: float 6.72 there)
"$cli" ppl -m "$model" --text "$shared/data/tinystories_train_head_197k.txt" --lines 200 \
    >"$out" 2>"$err" || fail "ppl exit $?"
cat "$out"
line=$(grep '^tokens [0-9]* nll [0-9.]* ppl [0-9.]*$' "$out") || fail "ppl output: $(cat "$out" "$err")"
set -- $line
awk -v p="$6" 'BEGIN { exit !(p > 3.5 && p < 5.5) }' || fail "ppl $6 out of bounds"
# the engine's fixed-point confidence agrees with the NLL computed in double
diff=$(sed -n 's/.*(differs by \(.*\))$/\1/p' "$err")
awk -v d="$diff" 'BEGIN { exit !(d != "" && d + 0 < 1e-4) }' || fail "fixed-point nll differs: $(cat "$err")"

# usage errors
"$cli" run -m "$model" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "run --bogus"
"$cli" ppl -m "$model" 2>/dev/null; [ $? -eq 2 ] || fail "ppl without --text"
"$cli" run -m /nonexistent.flm 2>/dev/null; [ $? -eq 1 ] || fail "run missing model"
echo "run_ppl ok"
