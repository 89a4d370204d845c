#!/bin/sh
# Train and evaluate the router's parameters for a model, from scratch:
#   tools/router/evaluate.sh MODEL.flm OUT.router [SHARED_DIR] [WORK_DIR]
# 1. the prompt sets, split into training and held-out parts (make_sets.py);
# 2. the features of every training prompt from the device's integer engine
#    (fieldlm route --features);
# 3. the weights (train.py weights), then every prompt scored with them by
#    the integer engine, the threshold chosen on the training scores (at most
#    5% of easy prompts escalated), and the held-out report with its ROC
#    curves (train.py report; the PNG needs gnuplot).
# 4. cascade mode's case (train.py cascade): the held-out prompts again with
#    the mean NLL of the first 8 generated tokens (--probe 8).
# Deterministic: the same model and data give the same parameters.
set -eu
model=${1:?usage: evaluate.sh MODEL.flm OUT.router [SHARED_DIR] [WORK_DIR]}
out=${2:?usage: evaluate.sh MODEL.flm OUT.router [SHARED_DIR] [WORK_DIR]}
shared=${3:-../shared}
work=${4:-build/router}
cli=${FIELDLM:-build/host/fieldlm}
here=$(dirname "$0")
sets="$work/sets"
rm -rf "$sets"
python3 "$here/make_sets.py" --shared "$shared" --out "$sets" --windows 4
route() { # part source [params]: one fieldlm route over one file, in the background
    "$cli" route -m "$model" ${3:+--params "$3"} --prompts "$sets/$1/$2.txt" --features \
        >"$sets/$1/$2${3:+.scored}.tsv" &
}
for s in easy gsm8k mmlu own; do route train $s; done; wait
python3 "$here/train.py" weights --sets "$sets" --out "$out"
for part in train test; do for s in easy gsm8k mmlu own; do route $part $s "$out"; done; wait; done
python3 "$here/train.py" threshold --sets "$sets" --params "$out"
if command -v gnuplot >/dev/null 2>&1; then
    python3 "$here/train.py" report --sets "$sets" --params "$out" --plot "$work/roc.png"
else
    python3 "$here/train.py" report --sets "$sets" --params "$out"
fi
for s in easy gsm8k mmlu own; do
    "$cli" route -m "$model" --params "$out" --prompts "$sets/test/$s.txt" --features --probe 8 \
        >"$sets/test/$s.probe.tsv" &
done; wait
python3 "$here/train.py" cascade --sets "$sets" --params "$out"
