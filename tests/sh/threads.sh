# --threads N (and [model] threads) give the same text as one thread: the
# default model greedy and sampled, and a ragged random shape made by
# fieldlm-mkmodel (dim 392, hidden 1000: every matrix product is split, the
# last piece of each short); a bad count is a usage error. The logits
# themselves: tests/unit/infer/test_transformer_threads.c.
set -u
cli="$BUILD/fieldlm"
model=models/fieldtales-800k.flm
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for t in 1 2 3; do
    "$cli" run -m "$model" -p "Once upon a time" -n 80 -t 0 --threads $t -q >"$tmp/greedy.$t" ||
        fail "greedy --threads $t: exit $?"
    "$cli" run -m "$model" -p "The dog" -n 80 -t 0.8 -s 7 --threads $t -q >"$tmp/sampled.$t" ||
        fail "sampled --threads $t: exit $?"
    printf '[model]\npath = %s\nthreads = %s\n' "$model" $t >"$tmp/device.conf"
    "$cli" run -c "$tmp/device.conf" -p "Once upon a time" -n 80 -t 0 -q >"$tmp/conf.$t" ||
        fail "[model] threads = $t: exit $?"
done
for t in 2 3; do
    cmp -s "$tmp/greedy.1" "$tmp/greedy.$t" || fail "greedy text differs with $t threads"
    cmp -s "$tmp/sampled.1" "$tmp/sampled.$t" || fail "sampled text differs with $t threads"
    cmp -s "$tmp/greedy.1" "$tmp/conf.$t" || fail "[model] threads = $t: other text"
done
"$cli" run -m "$model" -p "Once upon a time" -n 80 -t 0 --threads 0 -q >"$tmp/auto" || fail "--threads 0"
cmp -s "$tmp/greedy.1" "$tmp/auto" || fail "one thread per CPU: other text"

# a ragged shape with a 32000-token vocabulary needs a tokenizer: ../shared's
tok=${FLM_SHARED:-../shared}/models/tokenizer.bin
if [ -f "$tok" ] && [ -x "$BUILD/fieldlm-mkmodel" ]; then
    "$BUILD/fieldlm-mkmodel" --shape 392,1000,2,7,32000,64 --seed 3 --out "$tmp/r.bin" >/dev/null ||
        fail "fieldlm-mkmodel"
    if [ -f "$tmp/r.bin" ]; then
        "$cli" convert --in "$tmp/r.bin" --tokenizer "$tok" --out "$tmp/r.flm" --quiet >/dev/null ||
            fail "convert the ragged shape"
        for t in 1 2 3; do
            "$cli" run -m "$tmp/r.flm" -p "Once upon a time" -n 40 -t 0 --threads $t -q >"$tmp/ragged.$t" ||
                fail "ragged --threads $t"
        done
        cmp -s "$tmp/ragged.1" "$tmp/ragged.2" && cmp -s "$tmp/ragged.1" "$tmp/ragged.3" ||
            fail "ragged shape: text differs across threads"
    fi
fi

"$cli" run -m "$model" -p x --threads 999 >/dev/null 2>"$tmp/err" && fail "--threads 999 accepted"
[ $? -eq 2 ] || fail "--threads 999: not a usage error"
printf '[model]\npath = %s\nthreads = 999\n' "$model" >"$tmp/bad.conf"
"$cli" run -c "$tmp/bad.conf" -p x >/dev/null 2>"$tmp/err" && fail "threads = 999 accepted"
grep -q 'threads' "$tmp/err" || fail "threads = 999: $(cat "$tmp/err")"
echo "threads: the same text with 1, 2, 3 and one per CPU"
