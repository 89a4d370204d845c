# tools/train end to end on a tiny config, in seconds: a BPE tokenizer, a
# few training steps (the loss falls), a run stopped and resumed gives the
# same weights bit for bit, the export converts and passes fieldlm info,
# the converted model runs, and its greedy text equals the float32
# reference's (PyTorch on the exported checkpoint); then fine-tuning from
# the .flm image on other text, as the README does it. Needs Debian's
# python3-torch (.ci/packages.txt): skipped without it.
# san: skip (the trainer is Python; convert and run, its CLI steps, run under SAN=1 in convert and run_ppl)
# long: (about 30 s in CI: PyTorch training)
set -u
py=${FLM_PYTHON:-/usr/bin/python3}
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "no PyTorch for $py (apt-get install python3-torch)"; exit 77; }
dir="$BUILD/train-test"
rm -rf "$dir" && mkdir -p "$dir"

# a tiny corpus: one story most of the time, so the model learns it for sure
awk 'BEGIN {
    split("Tom Mia Ben Sue", n, " "); split("ball kite box cup", o, " ");
    for (i = 0; i < 96; i++) {
        if (i % 4 != 3)
            print "Once upon a time, there was a little cat named Tom. Tom liked to play with his red ball in the sun. One day, the ball rolled into the garden and Tom ran after it. He was happy.";
        else
            printf "%s had a %s. %s gave the %s to a friend, and they played all day.\n", n[i % 4 + 1], o[i % 3 + 1], n[i % 4 + 1], o[i % 3 + 1];
        print "";
    } }' >"$dir/text.txt"

t="$py tools/train/train.py --tokenizer $dir/tok.bin --data $dir/text.txt --dim 32 --hidden-dim 64 --layers 2 \
   --heads 4 --kv-heads 2 --seq-len 64 --steps 120 --batch 8 --lr 1e-2 --log-every 10 --ckpt-every 0"
"$py" tools/train/bpe.py train --vocab 300 --out "$dir/tok.bin" "$dir/text.txt" 2>"$dir/bpe.log" ||
    fail "bpe: $(cat "$dir/bpe.log")"
$t --out-dir "$dir/a" >"$dir/a.out" 2>"$dir/a.log" || fail "train: $(tail -n 5 "$dir/a.log")"
first=$(sed -n 's/^step 1\/[0-9]* loss \([0-9.]*\).*/\1/p' "$dir/a.log")
last=$(sed -n 's/^final loss \([0-9.]*\)$/\1/p' "$dir/a.out")
grep -q '^step 120/120 loss [0-9.]* (avg [0-9.]*) lr .* tok/s .* left$' "$dir/a.log" || fail "no progress line: $(tail -n 3 "$dir/a.log")"
echo "loss: $first at step 1, $last at the end"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(a > 0 && b < a / 3) }' || fail "the loss did not fall ($first -> $last)"

# stopped after 50 steps and resumed: the same weights as one run
$t --out-dir "$dir/b" --stop-after 50 >/dev/null 2>"$dir/b.log" || fail "train --stop-after: $(tail -n 3 "$dir/b.log")"
[ ! -e "$dir/b/model.bin" ] || fail "a stopped run exported"
$t --out-dir "$dir/b" --resume >/dev/null 2>>"$dir/b.log" || fail "train --resume: $(tail -n 3 "$dir/b.log")"
grep -q 'resuming .* at step 50' "$dir/b.log" || fail "did not resume at step 50"
cmp -s "$dir/a/model.bin" "$dir/b/model.bin" || fail "resumed run differs from the uninterrupted one"

"$cli" convert --quiet --in "$dir/a/model.bin" --tokenizer "$dir/tok.bin" --out "$dir/m.flm" >/dev/null || fail "convert"
"$cli" info "$dir/m.flm" >"$dir/info" || fail "info: $(cat "$dir/info")"
grep -q '^integrity: ok' "$dir/info" || fail "info: no integrity line"
for p in "Once upon a time" "Once upon a time, there was a little cat named Tom. Tom liked to"; do
    got=$("$cli" run -m "$dir/m.flm" -p "$p" -t 0 -n 64 2>/dev/null) || fail "run"
    want=$("$py" tools/train/generate.py --model "$dir/a/model.bin" --tokenizer "$dir/tok.bin" -p "$p" -n 64) ||
        fail "generate.py"
    [ "$got" = "$want" ] || fail "greedy text differs from the float reference:
  fieldlm: $got
  float32: $want"
    echo "greedy, fieldlm = float32: $got"
done
case "$got" in *"play with"*) ;; *) fail "the model did not learn its text: $got" ;; esac
# fine-tuning from the image (its tokenizer comes with it) on another text
printf 'The robot said hello to the moon.\n\nThe robot said hello to the sun.\n' >"$dir/mine.txt"
"$py" tools/train/train.py --init "$dir/m.flm" --data "$dir/mine.txt" --out-dir "$dir/ft" --steps 60 --batch 8 --warmup 5 \
    --lr 1e-2 --ckpt-every 0 >"$dir/ft.out" 2>"$dir/ft.log" || fail "fine-tune: $(tail -n 3 "$dir/ft.log")"
"$cli" convert --quiet --in "$dir/ft/model.bin" --tokenizer "$dir/ft/tokenizer.bin" --out "$dir/ft.flm" >/dev/null ||
    fail "convert the fine-tuned model"
got=$("$cli" run -m "$dir/ft.flm" -p "The robot" -t 0 -n 30 2>/dev/null) || fail "run the fine-tuned model"
echo "fine-tuned: $got"
case "$got" in "The robot said hello to the"*) ;; *) fail "the fine-tuned model did not learn its text: $got" ;; esac
echo "train ok"
