# [model] verify = once / --verify once on a model file: the first start
# checks the whole image and leaves a record in the store (FLM_STORE_DIR);
# a file changed in place (same size, a flipped byte) is checked again and
# refused, as is one replaced by another; a file changed within the last
# 2 s is checked every time and not recorded (its timestamps cannot yet
# tell a later write apart); --verify full and header still work, and a
# bad word is a usage error.
set -u
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export FLM_STORE_DIR="$tmp/store"
cp models/fieldtales-800k.flm "$tmp/m.flm"
run() { "$cli" run -m "$tmp/m.flm" -p "Once upon a time" -n 8 -t 0 -q "$@"; }
records() { ls "$FLM_STORE_DIR" 2>/dev/null | grep -c '^model-verified\.' ; }

# fresh: verified, not recorded
run --verify once >"$tmp/a" || fail "fresh file: exit $?"
[ "$(records)" = 0 ] || fail "a file written just now was recorded"
sleep 3
run --verify once >"$tmp/b" || fail "first start: exit $?"
[ "$(records)" = 1 ] || fail "no record after the first start: $(ls "$FLM_STORE_DIR" 2>&1)"
run --verify once >"$tmp/c" || fail "second start: exit $?"
cmp -s "$tmp/a" "$tmp/c" || fail "other text after the record"
printf '[model]\npath = %s\nverify = once\n' "$tmp/m.flm" >"$tmp/device.conf"
"$cli" run -c "$tmp/device.conf" -p "Once upon a time" -n 8 -t 0 -q >"$tmp/d" || fail "[model] verify = once"
cmp -s "$tmp/a" "$tmp/d" || fail "[model] verify = once: other text"

# a byte flipped in place, in the tensor data, the header untouched
size=$(wc -c <"$tmp/m.flm")
printf '\125' | dd of="$tmp/m.flm" bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
run --verify once >/dev/null 2>"$tmp/err" && fail "a corrupted file was trusted"
grep -q 'checksum mismatch' "$tmp/err" || fail "corrupted: $(cat "$tmp/err")"
sleep 3 # old enough to be recorded, were it not corrupt
run --verify once >/dev/null 2>"$tmp/err" && fail "a corrupted file was trusted later"
grep -q 'checksum mismatch' "$tmp/err" || fail "corrupted, later: $(cat "$tmp/err")"
run --verify header >/dev/null || fail "--verify header reads the tensor data"

# replaced by a good copy: verified again and recorded again
cp models/fieldtales-800k.flm "$tmp/m2.flm" && mv "$tmp/m2.flm" "$tmp/m.flm"
sleep 3
run --verify once >/dev/null || fail "replaced file"
run --verify full >/dev/null || fail "--verify full"

"$cli" run -m "$tmp/m.flm" -p x --verify twice >/dev/null 2>"$tmp/err" && fail "--verify twice accepted"
grep -q "full, once or header" "$tmp/err" || fail "--verify twice: $(cat "$tmp/err")"
printf '[model]\nverify = onse\n' >"$tmp/bad.conf"
"$cli" run -c "$tmp/bad.conf" -m "$tmp/m.flm" -p x >/dev/null 2>"$tmp/err" && fail "verify = onse accepted"
grep -q "once" "$tmp/err" || fail "verify = onse: $(cat "$tmp/err")"
echo "verify once: recorded after the first start, a changed file checked again"
