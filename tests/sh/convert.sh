# fieldlm convert / info end to end: both shared checkpoints and both
# tokenizers convert, info reports them, corrupted images fail with a
# non-zero exit status and a message naming the problem.
set -u
cli="$BUILD/fieldlm"
shared=${FLM_SHARED:-../shared}/models
tmp="$BUILD/convert-test"
fail() { echo "FAIL: $*"; exit 1; }

"$cli" convert --help | grep -q '^usage: fieldlm convert' || fail "convert --help"
"$cli" info --help | grep -q '^usage: fieldlm info' || fail "info --help"
"$cli" convert --in x 2>/dev/null; [ $? -eq 2 ] || fail "convert without --out should exit 2"
"$cli" convert --bogus 2>&1 | grep -q "unknown option '--bogus'" || fail "convert unknown option"
"$cli" info 2>/dev/null; [ $? -eq 2 ] || fail "info without a file should exit 2"
"$cli" info x.flm --ctx 0 2>/dev/null; [ $? -eq 2 ] || fail "info --ctx 0 should exit 2"

[ -r "$shared/stories260K.bin" ] && [ -r "$shared/tok512.bin" ] ||
    { echo "skipped: $shared/stories260K.bin or tok512.bin not found"; exit 77; }
rm -rf "$tmp" && mkdir -p "$tmp"

# --- the two shared checkpoints --------------------------------------------
"$cli" convert --in "$shared/stories260K.bin" --tokenizer "$shared/tok512.bin" \
    --out "$tmp/s.flm" >"$tmp/convert.out" 2>&1 || { cat "$tmp/convert.out"; fail "convert stories260K"; }
grep -q 'layer 4 w2 .*max_abs .*rms ' "$tmp/convert.out" || fail "convert prints per-tensor error"
grep -q '^wrote ' "$tmp/convert.out" || fail "convert summary line"
"$cli" convert --in "$shared/stories260K_q80.bin" --tokenizer "$shared/tok512.bin" \
    --out "$tmp/q.flm" >"$tmp/convert-q.out" 2>&1 || { cat "$tmp/convert-q.out"; fail "convert stories260K_q80"; }
grep -q 'ak42 v2' "$tmp/convert-q.out" || fail "q80 source not recognised"

for m in s q; do
    "$cli" info "$tmp/$m.flm" --ctx 256 >"$tmp/info.out" 2>&1 || { cat "$tmp/info.out"; fail "info $m.flm"; }
    for want in 'dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4' 'vocab_size 512, seq_len 512' \
                '^flash: [0-9]* bytes, used in place: tensors [0-9]*, tokenizer' '^ram (ctx 256): [0-9]* bytes: KV cache [0-9]*, activations' '^integrity: ok' \
                '^  w2  *5 q8  *64x172  *32 .* dim x hidden_dim$' 'tokenizer: 512 tokens' \
                '^format: fieldlm image 1\.2$' '^architecture: llama (id 0)$' \
                '^  classifier  *- shared with tok_embedding$'; do
        grep -q "$want" "$tmp/info.out" || { cat "$tmp/info.out"; fail "info $m.flm lacks '$want'"; }
    done
done

# --- the 32,000-token tokenizer, on an all-zero synthetic checkpoint -------
# (dim 8, hidden 8, 1 layer, 2 heads, 2 kv heads, vocab 32000, seq_len 8:
# also the zero-tensor edge case of the quantizer)
if [ -r "$shared/tokenizer.bin" ]; then
    { printf '\010\000\000\000\010\000\000\000\001\000\000\000\002\000\000\000'
      printf '\002\000\000\000\000\175\000\000\010\000\000\000'
      head -c $(( (32000*8 + 8 + 64*4 + 8 + 192 + 8 + 32) * 4 )) /dev/zero; } >"$tmp/zero.bin"
    "$cli" convert --in "$tmp/zero.bin" --tokenizer "$shared/tokenizer.bin" --out "$tmp/z.flm" --quiet \
        >"$tmp/z.out" 2>&1 || { cat "$tmp/z.out"; fail "convert with tokenizer.bin"; }
    "$cli" info "$tmp/z.flm" >"$tmp/z.info" 2>&1 || { cat "$tmp/z.info"; fail "info z.flm"; }
    grep -q 'tokenizer: 32000 tokens' "$tmp/z.info" || fail "32000-token tokenizer"
    "$cli" convert --in "$shared/stories260K.bin" --tokenizer "$shared/tokenizer.bin" --out "$tmp/x.flm" \
        2>"$tmp/err"; [ $? -eq 1 ] || fail "vocabulary mismatch should exit 1"
    grep -q 'vocabulary size mismatch' "$tmp/err" || { cat "$tmp/err"; fail "vocabulary mismatch message"; }
fi

# --- corrupted images: exit 1 and a message naming the problem -------------
size=$(wc -c <"$tmp/s.flm")
poke() { # poke FILE OFFSET OCTAL-BYTE
    printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
expect_bad() { # expect_bad FILE PATTERN WHAT
    "$cli" info "$1" >"$tmp/bad.out" 2>"$tmp/bad.err"; rc=$?
    [ $rc -eq 1 ] || fail "$3: exit $rc"
    grep -q "$2" "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "$3: message lacks '$2'"; }
}
cp "$tmp/s.flm" "$tmp/flip.flm"; poke "$tmp/flip.flm" $((size - 1000)) 177
expect_bad "$tmp/flip.flm" 'checksum mismatch.*image CRC-32' "flipped data byte"
# --header-only does not read the tensor data, as a device on slow flash would not
"$cli" info "$tmp/flip.flm" --header-only >"$tmp/ho.out" 2>&1 || { cat "$tmp/ho.out"; fail "info --header-only on a data flip"; }
grep -q 'tensor data not checked' "$tmp/ho.out" || fail "info --header-only says what it skipped"
cp "$tmp/s.flm" "$tmp/hflip.flm"; poke "$tmp/hflip.flm" 40 377
expect_bad "$tmp/hflip.flm" 'checksum mismatch.*header CRC-32' "flipped header byte"
head -c $((size - 1)) "$tmp/s.flm" >"$tmp/trunc.flm"
expect_bad "$tmp/trunc.flm" "truncated.*only $((size - 1)) present" "truncated file"
head -c 100 "$tmp/s.flm" >"$tmp/short.flm"
expect_bad "$tmp/short.flm" 'truncated' "shorter than the header"
: >"$tmp/empty.flm"
expect_bad "$tmp/empty.flm" 'truncated' "empty file"
cp "$tmp/s.flm" "$tmp/magic.flm"; poke "$tmp/magic.flm" 0 130
expect_bad "$tmp/magic.flm" 'bad magic' "bad magic"
cp "$tmp/s.flm" "$tmp/ver.flm"; poke "$tmp/ver.flm" 4 002
expect_bad "$tmp/ver.flm" 'format version 2.2' "wrong version" # the converter writes 1.2
cp "$tmp/s.flm" "$tmp/huge.flm"; poke "$tmp/huge.flm" 23 177
expect_bad "$tmp/huge.flm" 'truncated.*header says' "huge image_size"
expect_bad "$shared/stories260K.bin" 'bad magic' "a checkpoint is not an image"
"$cli" info "$tmp/missing.flm" 2>"$tmp/bad.err"; [ $? -eq 1 ] || fail "missing file exit"
grep -q 'no such file' "$tmp/bad.err" || fail "missing file message"
"$cli" convert --in "$tmp/trunc.flm" --tokenizer "$shared/tok512.bin" --out "$tmp/x.flm" 2>"$tmp/bad.err"
[ $? -eq 1 ] || fail "converting garbage should exit 1"
[ ! -e "$tmp/x.flm" ] || fail "a failed convert left an output file"
echo "convert ok"
