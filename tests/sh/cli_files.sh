# Files the CLI reads and writes. convert refuses an --out that is its
# input (the same file by device and inode: another spelling, a hard or a
# symbolic link); every output is written to a temporary file and renamed,
# so an interrupted write (killed by a file size limit mid-write) leaves
# the old file intact. A bad path is one line: the path once and the
# system's reason, a directory reported as a directory, for every command
# and file role (model, device file, CA file, text, prompts, output).
set -u
cli="$BUILD/fieldlm"
BUILD_ABS=$(cd "$BUILD" && pwd)/fieldlm
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
shared=${FLM_SHARED:-../shared}/models
if [ -r "$shared/stories260K.bin" ] && [ -r "$shared/tok512.bin" ]; then
    cp "$shared/stories260K.bin" "$tmp/in.bin"; cp "$shared/tok512.bin" "$tmp/tok.bin"
elif command -v python3 >/dev/null 2>&1; then
    python3 tests/lib/tiny_llama2c.py "$tmp/in.bin" "$tmp/tok.bin" || fail "tiny checkpoint"
else
    echo "skipped: neither $shared/stories260K.bin nor python3 for a tiny checkpoint"; exit 77
fi
cp "$tmp/in.bin" "$tmp/in.orig"

# --- one line, the path once, the system's reason ----------------------------
mkdir "$tmp/dir"
one_line() { # WANT COMMAND...: exit 1 (or $rc_want), stderr exactly WANT
    want=$1; shift
    "$@" >/dev/null 2>"$tmp/err"; rc=$?
    [ $rc -eq "${rc_want:-1}" ] || fail "$* exit $rc (stderr: $(cat "$tmp/err"))"
    [ "$(cat "$tmp/err")" = "$want" ] || fail "$*:
  got:  $(cat "$tmp/err")
  want: $want"
}
one_line "fieldlm run: $tmp/dir: is a directory" "$cli" run -m "$tmp/dir" -p x
one_line "fieldlm run: $tmp/none.flm: no such file or directory" "$cli" run -m "$tmp/none.flm" -p x
one_line "fieldlm run: $tmp/dir: is a directory" "$cli" run -c "$tmp/dir" -p x
one_line "fieldlm info: $tmp/dir: is a directory" "$cli" info "$tmp/dir"
one_line "fieldlm ppl: $tmp/dir: is a directory" "$cli" ppl --text "$tmp/dir"
one_line "fieldlm ppl: $tmp/none.txt: no such file or directory" "$cli" ppl --text "$tmp/none.txt"
one_line "fieldlm run: /dev/null: not a regular file" "$cli" run -m /dev/null -p x
one_line "fieldlm convert: $tmp/dir: is a directory" "$cli" convert --in "$tmp/dir" --out "$tmp/o.flm"
one_line "fieldlm convert: $tmp/none.bin: no such file or directory" "$cli" convert --in "$tmp/none.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/o.flm"
one_line "fieldlm convert: $tmp/dir: is a directory" "$cli" convert --in "$tmp/in.bin" --tokenizer "$tmp/dir" --out "$tmp/o.flm"
one_line "fieldlm convert: $tmp/dir: is a directory" "$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/dir"
one_line "fieldlm convert: $tmp/nodir/o.flm: no such file or directory" "$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/nodir/o.flm"
one_line "fieldlm route: $tmp/dir: is a directory" "$cli" route -m models/fieldtales-800k.flm --features --prompts "$tmp/dir"
printf '[cloud]\nurl = https://127.0.0.1:9/v1\nmodel = m\napi_key = k\nca_file = %s\n' "$tmp/dir" >"$tmp/c.conf"
one_line "fieldlm cloud: ca_file $tmp/dir: is a directory" "$cli" cloud -c "$tmp/c.conf" -p hi
if [ "$(id -u)" -ne 0 ]; then # root reads everything
    printf 'x' >"$tmp/locked.flm"; chmod 000 "$tmp/locked.flm"
    one_line "fieldlm run: $tmp/locked.flm: permission denied" "$cli" run -m "$tmp/locked.flm" -p x
fi

# --- --out is the input: refused, whatever the spelling ----------------------
ln "$tmp/in.bin" "$tmp/hard.bin"; ln -s in.bin "$tmp/sym.bin"
for out in "$tmp/in.bin" "$tmp/./in.bin" "$tmp/dir/../in.bin" "$tmp/hard.bin" "$tmp/sym.bin"; do
    "$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] || fail "--out $out (the input): exit $rc"
    grep -q "^fieldlm convert: --out $out is the input $tmp/in.bin: refusing to overwrite it$" "$tmp/err" || fail "message: $(cat "$tmp/err")"
    cmp -s "$tmp/in.bin" "$tmp/in.orig" || fail "the input was changed through $out"
done
"$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/tok.bin" 2>/dev/null
[ $? -eq 2 ] || fail "--out the tokenizer"
(cd "$tmp" && "$BUILD_ABS" convert --quiet --in in.bin --tokenizer tok.bin --out ./in.bin 2>/dev/null)
[ $? -eq 2 ] || fail "--out ./in.bin from the input's folder"
cmp -s "$tmp/in.bin" "$tmp/in.orig" || fail "the input was changed"

# --- written whole or not at all --------------------------------------------
"$cli" convert --quiet --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/o.flm" >/dev/null || fail "convert"
cp "$tmp/o.flm" "$tmp/o.orig"
[ "$(stat -c %a "$tmp/o.flm")" = "$(umask 0022; : >"$tmp/ref"; stat -c %a "$tmp/ref")" ] || fail "mode $(stat -c %a "$tmp/o.flm") is not the umask's"
size=$(wc -c <"$tmp/o.flm")
# another conversion (other groups: other bytes) cut by a size limit below
# its size: SIGXFSZ kills it mid-write; the old image must stay as it was
limit=$((size / 1024 / 2)); [ $limit -ge 1 ] || limit=1
sh -c 'ulimit -f $1; "$2" convert --quiet --group-size 16 --in "$3/in.bin" --tokenizer "$3/tok.bin" --out "$3/o.flm"; rc=$?; exit $rc' \
    sh $limit "$cli" "$tmp" >/dev/null 2>&1
rc=$?
[ $rc -ne 0 ] || fail "the cut conversion succeeded (limit $limit KiB, image $size bytes)"
cmp -s "$tmp/o.flm" "$tmp/o.orig" || fail "an interrupted write changed the old image"
"$cli" info "$tmp/o.flm" | grep -q '^integrity: ok' || fail "the old image no longer loads"
# and a whole one replaces it
"$cli" convert --quiet --group-size 16 --in "$tmp/in.bin" --tokenizer "$tmp/tok.bin" --out "$tmp/o.flm" >/dev/null || fail "convert gs 16"
cmp -s "$tmp/o.flm" "$tmp/o.orig" && fail "the new image did not replace the old"
"$cli" info "$tmp/o.flm" | grep -q '^integrity: ok' || fail "the new image does not load"
echo "cli_files ok"
