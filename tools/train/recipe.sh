#!/bin/sh
# The default model, models/fieldtales-800k.flm, from the reference files in
# ../shared (used here only as training inputs; nothing of them is shipped):
#
#   1. teacher: stories260K converted by fieldlm convert;
#   2. data: TinyStories head, lines 1-2029 for training, 2030-2502 held
#      out (the split falls between two stories);
#   3. distillation: one story per seed 1-12000 sampled through fieldlm run
#      at temperature 1, top-p 1 (two processes, seeds 1-9000 and
#      9001-12000), stories cut by the 512-position limit and exact
#      duplicates dropped;
#   4. tokenizer: BPE, 512 tokens, on the training text and the stories;
#   5. training: 804K parameters, seed 1337, one thread, STEPS steps;
#   6. fieldlm convert, and fieldlm ppl on the held-out and training text.
#
# usage: sh tools/train/recipe.sh     (from the repository root; OUT=build/train)
# Needs python3-torch; with Debian's libopenblas0-pthread installed training
# runs about 7x faster than on the reference BLAS (same recipe; float
# results may differ in the last bits between BLAS libraries).
set -eu
cd "$(dirname "$0")/../.."
py=${FLM_PYTHON:-/usr/bin/python3}
shared=${FLM_SHARED:-../shared}
out=${OUT:-build/train}
steps=${STEPS:-3000}
model=${MODEL_OUT:-models/fieldtales-800k.flm}
cli=build/host/fieldlm
mkdir -p "$out"
make -s cli

# 1, 2
$cli convert --quiet --in "$shared/models/stories260K.bin" --tokenizer "$shared/models/tok512.bin" \
    --out "$out/stories260K.flm"
head -n 2029 "$shared/data/tinystories_train_head_197k.txt" >"$out/tinystories-train.txt"
tail -n +2030 "$shared/data/tinystories_train_head_197k.txt" >"$out/tinystories-heldout.txt"

# 3 (each distill.py continues its file if interrupted)
$py tools/train/distill.py --fieldlm $cli --teacher "$out/stories260K.flm" --seeds 1-9000 \
    --out "$out/distill-1.jsonl" &
p1=$!
$py tools/train/distill.py --fieldlm $cli --teacher "$out/stories260K.flm" --seeds 9001-12000 \
    --out "$out/distill-2.jsonl" &
p2=$!
wait $p1
wait $p2
$py - "$out/distill-1.jsonl" "$out/distill-2.jsonl" "$out/distill.jsonl" <<'PY'
import json, sys
seen, n = set(), 0
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for p in sys.argv[1:3]:
        for line in open(p, encoding="utf-8"):
            t = json.loads(line)["text"]
            if t not in seen:
                seen.add(t)
                out.write(line)
                n += 1
print(f"recipe: {n} distinct stories", file=sys.stderr)
PY

# 4
$py tools/train/bpe.py train --vocab 512 --out "$out/tok-fieldtales.bin" \
    "$out/tinystories-train.txt" "$out/distill.jsonl"

# 5 (--resume after an interruption: add it to this command)
$py tools/train/train.py --tokenizer "$out/tok-fieldtales.bin" \
    --data "$out/tinystories-train.txt:2" --data "$out/distill.jsonl" --doc-mode lines \
    --eval "$out/tinystories-heldout.txt" --eval-every 500 --out-dir "$out/fieldtales" \
    --dim 128 --hidden-dim 352 --layers 4 --heads 4 --kv-heads 2 --seq-len 256 \
    --steps "$steps" --batch 16 --lr 2e-3 --warmup 150 --seed 1337 --threads 1 --ckpt-every 250 \
    ${TRAIN_EXTRA:-}

# 6
$cli convert --quiet --in "$out/fieldtales/model.bin" --tokenizer "$out/fieldtales/tokenizer.bin" --out "$model"
echo "held-out: $($cli ppl -m "$model" --text "$out/tinystories-heldout.txt" 2>/dev/null)"
echo "training: $($cli ppl -m "$model" --text "$out/tinystories-train.txt" 2>/dev/null)"
