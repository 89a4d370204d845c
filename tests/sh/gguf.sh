# fieldlm convert on llama.cpp's GGUF files (../shared/models/gguf/): each
# converts with its own tokenizer and runs; --bits 4 halves the weights;
# `run` and `info` on a .gguf say how to convert it; what cannot be
# converted is named and exits 1.
set -u
cli="$BUILD/fieldlm"
shared=${FLM_SHARED:-../shared}/models/gguf
tmp="$BUILD/gguf-test"
fail() { echo "FAIL: $*"; exit 1; }
[ -r "$shared/stories260K-f32.gguf" ] || { echo "skipped: $shared not found"; exit 77; }
rm -rf "$tmp" && mkdir -p "$tmp"

for f in stories260K-f32 stories260K-f16 llama2xs-f32 llama2xs-Q8_0 llama2xs-Q4_0; do
    "$cli" convert --in "$shared/$f.gguf" --out "$tmp/$f.flm" >"$tmp/c.out" 2>&1 || { cat "$tmp/c.out"; fail "convert $f"; }
    grep -q 'GGUF v3 (llama.cpp), llama' "$tmp/c.out" || fail "$f: source line"
    grep -q 'tokenizer SentencePiece' "$tmp/c.out" || fail "$f: tokenizer from the metadata"
    "$cli" run -m "$tmp/$f.flm" -p "Once upon a time" -n 24 -t 0 >"$tmp/r.out" 2>&1 || { cat "$tmp/r.out"; fail "run $f"; }
    grep -q '^Once upon a time' "$tmp/r.out" || fail "$f: no story"
done
grep -q 'output.weight is a copy of token_embd.weight: stored once' "$tmp/c.out" 2>/dev/null ||
    "$cli" convert --in "$shared/stories260K-f32.gguf" --out "$tmp/x.flm" | grep -q 'stored once' || fail "tied classifier note"
"$cli" convert --in "$shared/llama2xs-Q4_0.gguf" --out "$tmp/q4.flm" --bits 4 >"$tmp/c4.out" 2>&1 || { cat "$tmp/c4.out"; fail "convert --bits 4"; }
grep -q 'wq .* q4 gs 32 .*(Q4_0 blocks copied)' "$tmp/c4.out" || { cat "$tmp/c4.out"; fail "Q4_0 blocks copied"; }
grep -q 'classifier .* q4 gs 32' "$tmp/c4.out" || fail "Q8_0 classifier re-quantized to int4"
"$cli" info "$tmp/q4.flm" | grep -q '^  wq  *5 q4 ' || fail "info shows q4"
[ "$(wc -c <"$tmp/q4.flm")" -lt "$(wc -c <"$tmp/llama2xs-Q4_0.flm")" ] || fail "int4 image not smaller"
"$cli" run -m "$tmp/q4.flm" -p "Once upon a time" -n 24 -t 0 | grep -q '^Once upon a time' || fail "run int4"
"$cli" convert --in "$shared/llama2xs-f32.gguf" --out "$tmp/e.flm" --bits 4 --embed-bits 8 >"$tmp/e.out" 2>&1 || fail "--embed-bits"
grep -q 'tok_embedding .* q8 gs 32' "$tmp/e.out" && grep -q 'layer 0 wq .* q4 gs 32' "$tmp/e.out" || fail "--embed-bits 8 keeps the embedding int8"

# a .gguf where a .flm belongs: the message says how to convert it
"$cli" run -m "$shared/llama2xs-f32.gguf" -p x 2>"$tmp/err"; [ $? -eq 1 ] || fail "run on a .gguf should exit 1"
grep -q 'a GGUF file (llama.cpp): convert it: fieldlm convert --in X.gguf --out X.flm' "$tmp/err" || { cat "$tmp/err"; fail "run hint"; }
"$cli" info "$shared/llama2xs-f32.gguf" 2>"$tmp/err"; [ $? -eq 1 ] || fail "info on a .gguf should exit 1"
grep -q 'convert it' "$tmp/err" || fail "info hint"

# usage errors: exit 2
"$cli" convert --in "$shared/llama2xs-f32.gguf" --tokenizer x --out "$tmp/y.flm" 2>/dev/null; [ $? -eq 2 ] || fail "--tokenizer with a GGUF"
"$cli" convert --in "$shared/llama2xs-f32.gguf" --out "$tmp/y.flm" --bits 5 2>/dev/null; [ $? -eq 2 ] || fail "--bits 5"
"$cli" convert --in "$shared/llama2xs-f32.gguf" --out "$tmp/y.flm" --bits 4 --group-size 33 2>/dev/null; [ $? -eq 2 ] || fail "odd int4 groups"

# a truncated file and a foreign architecture: one clear line, exit 1
head -c 20000 "$shared/llama2xs-f32.gguf" >"$tmp/cut.gguf"
"$cli" convert --in "$tmp/cut.gguf" --out "$tmp/y.flm" 2>"$tmp/err"; [ $? -eq 1 ] || fail "truncated GGUF should exit 1"
grep -q "run past the end of the file" "$tmp/err" || { cat "$tmp/err"; fail "truncated GGUF message"; }
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "one line for a truncated GGUF"
cp "$shared/llama2xs-f32.gguf" "$tmp/arch.gguf"
# general.architecture's value "llama" -> "qwen2" is another length: overwrite "llama" with "lxama"
off=$(grep -abo 'general.architecture' "$tmp/arch.gguf" | head -1 | cut -d: -f1)
printf 'x' | dd of="$tmp/arch.gguf" bs=1 seek=$((off + 20 + 4 + 8 + 1)) conv=notrunc 2>/dev/null
"$cli" convert --in "$tmp/arch.gguf" --out "$tmp/y.flm" 2>"$tmp/err"; [ $? -eq 1 ] || fail "foreign architecture should exit 1"
grep -q "general.architecture = 'lxama' is not supported" "$tmp/err" || { cat "$tmp/err"; fail "architecture named"; }
echo "gguf ok"
