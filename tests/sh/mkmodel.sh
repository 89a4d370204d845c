# fieldlm-mkmodel (the benchmark's random models): the same seed gives the
# same bytes, another seed others; the float32 checkpoint and the int8 ak42
# file (llama2.c's runq.c format) both convert with `fieldlm convert` (its
# ak42 reader checks the layout) to images of the same shape that `run`
# generates from; bad shapes are refused with exit 2.
set -u
mk="$BUILD/fieldlm-mkmodel"
cli="$BUILD/fieldlm"
tok=${FLM_SHARED:-../shared}/models/tok512.bin
tmp="$BUILD/mkmodel-test"
fail() { echo "FAIL: $*"; exit 1; }

"$mk" --shape 1,2,3 --out /dev/null 2>/dev/null; [ $? -eq 2 ] || fail "a bad shape should exit 2"
"$mk" --shape 15M 2>/dev/null; [ $? -eq 2 ] || fail "no output should exit 2"
[ -r "$tok" ] || { echo "skipped: $tok not found"; exit 77; }
rm -rf "$tmp" && mkdir -p "$tmp"
shape=64,172,2,4,512,128
"$mk" --shape $shape --seed 3 --out "$tmp/a.bin" --q80 "$tmp/a_q80.bin" || fail "mkmodel"
"$mk" --shape $shape --seed 3 --out "$tmp/b.bin" || fail "mkmodel again"
"$mk" --shape $shape --seed 4 --out "$tmp/c.bin" || fail "mkmodel seed 4"
cmp -s "$tmp/a.bin" "$tmp/b.bin" || fail "the same seed gave other bytes"
cmp -s "$tmp/a.bin" "$tmp/c.bin" && fail "another seed gave the same bytes"
# float32: 7 ints, the weights, freq_cis (seq x head_dim); ak42: 256-byte header, norms, int8 + scales (groups of 64)
d=64 h=172 l=2 v=512 s=128
w=$((v * d + l * (4 * d * d + 3 * d * h)))
[ "$(wc -c <"$tmp/a.bin")" -eq $((28 + 4 * (w + l * 2 * d + d + s * d / 4))) ] || fail "float32 size"
[ "$(wc -c <"$tmp/a_q80.bin")" -eq $((256 + 4 * (l * 2 * d + d) + w + w / 64 * 4)) ] || fail "ak42 size"
for m in a a_q80; do
    "$cli" convert --in "$tmp/$m.bin" --tokenizer "$tok" --out "$tmp/$m.flm" >"$tmp/$m.out" 2>&1 ||
        { cat "$tmp/$m.out"; fail "convert $m"; }
    "$cli" info "$tmp/$m.flm" | grep -q 'dim 64' || fail "info $m"
    "$cli" run -m "$tmp/$m.flm" -p "Once" -n 16 -t 0 >/dev/null 2>&1 || fail "run $m"
done
grep -q 'ak42 v2' "$tmp/a_q80.out" || fail "the ak42 file was not read as ak42 version 2"
rm -rf "$tmp"
echo "ok"
