# The A/B model update through the CLI on the POSIX port (slot files, the
# boot record in the record store): `fieldlm model install` writes a new
# image to the inactive slot, verifies it and records its self-test; the
# next start runs it on trial and confirms it; a power cut in the middle of
# an install (FLM_POWER_CUT: the process dies inside a slot write) leaves
# the running model in place and the install resumes; bad images (corrupt,
# too big for the arena budget, unsigned when a signature is required, a
# signature by another key) are refused with the running model untouched;
# a good signature (openssl) is accepted; a slot whose self-test gives
# other tokens at its first boot is rolled back to the model before it; a
# slot corrupted after install is given up at boot; `model rollback` goes
# back. The new model is stories260K from ../shared's GGUF file when it is
# there (its text then shows which model answers), else the shipped model.
set -u
cli="$BUILD/fieldlm"
factory=$(pwd)/models/fieldtales-800k.flm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "python3 not installed (it edits a slot and the boot record)"; exit 77; }
export FLM_STORE_DIR="$work/store"
unset FLM_POWER_CUT

gguf=${FLM_SHARED:-../shared}/models/gguf/stories260K-f32.gguf
new="$work/new.flm"
if [ -f "$gguf" ]; then
    "$cli" convert --quiet --in "$gguf" --out "$new" >/dev/null 2>&1 || fail "convert $gguf"
else
    echo "no $gguf: the new image is the shipped model"
    cp "$factory" "$new"
fi
cat >"$work/dev.conf" <<EOF
[model]
path = $factory
context = 128
[update]
slots_dir = $work/slots
arena_max = 400000
checkpoint_kib = 64
EOF
story() { "$cli" run -c "$work/dev.conf" -p "Once upon a time" -n 24 -t 0 2>"$work/run.err"; }
running() { "$cli" model status -c "$work/dev.conf" | sed -n 's/^running: //p'; }

want_factory=$("$cli" run -m "$factory" -p "Once upon a time" -n 24 -t 0 2>/dev/null)
want_new=$("$cli" run -m "$new" -p "Once upon a time" -n 24 -t 0 2>/dev/null)
[ "$(story)" = "$want_factory" ] || fail "before any install the factory model must answer"
[ "$(running)" = factory ] || fail "status before install: $(running)"

# A power cut inside the third slot write: the install dies, the device
# still runs the factory model, the next install resumes and completes.
FLM_POWER_CUT=3 "$cli" model install "$new" -c "$work/dev.conf" >/dev/null 2>&1
rc=$?
[ $rc -eq 137 ] || fail "the cut install exited $rc, not 137"
"$cli" model status -c "$work/dev.conf" | grep -q '^slot A: writing, .*, [0-9]* written$' ||
    fail "after the cut: $("$cli" model status -c "$work/dev.conf")"
[ "$(story)" = "$want_factory" ] || fail "after the cut the factory model must still answer"
"$cli" model install "$new" -c "$work/dev.conf" >"$work/install.out" 2>"$work/install.err" ||
    fail "install after the cut: $(cat "$work/install.err")"
grep -q 'resuming the install at byte [1-9]' "$work/install.err" || fail "not resumed: $(cat "$work/install.err")"
grep -q '^slot A: .* installed (.*CRC ok); it runs from the next start, on trial; self-test tokens [0-9 ]*$' \
    "$work/install.out" || fail "install said: $(cat "$work/install.out")"
"$cli" model status -c "$work/dev.conf" | grep -q '^on trial: A (0 of 3' || fail "not on trial"
# The next start runs it, passes its self-test and confirms it.
[ "$(story)" = "$want_new" ] || fail "the installed model does not answer: $(story)"
[ "$(running)" = A ] || fail "A not confirmed: $("$cli" model status -c "$work/dev.conf")"
cmp -s "$work/slots/slot-a.flm" "$new" || fail "slot A differs from the image"

# Refused images: the running model (A) stays.
cp "$new" "$work/corrupt.flm"
printf '\125' | dd of="$work/corrupt.flm" bs=1 seek=$(( $(wc -c <"$new") - 100 )) conv=notrunc 2>/dev/null
sed 's/^arena_max = .*/arena_max = 20000/' "$work/dev.conf" >"$work/small.conf"
sed 's/^\[update\]$/[update]\nrequire_signature = true/' "$work/dev.conf" >"$work/signed.conf"
refuse() { # refuse WHAT PATTERN CMD...
    what=$1 pattern=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err" && fail "$what: accepted"
    grep -q "$pattern" "$work/err" || fail "$what: $(cat "$work/err")"
    [ "$(story)" = "$want_new" ] || fail "$what: the running model changed"
    echo "refused, $what: $(cat "$work/err")"
}
refuse "corrupt" 'refused: model image checksum mismatch' "$cli" model install "$work/corrupt.flm" -c "$work/dev.conf"
refuse "too big for the budget" "refused: model needs more RAM than the board's arena budget" \
    "$cli" model install "$new" -c "$work/small.conf"
refuse "unsigned" 'refused: model image has no signature' "$cli" model install "$new" -c "$work/signed.conf"
refuse "not an image" 'not a fieldlm model image' "$cli" model install "$work/dev.conf" -c "$work/dev.conf"

if command -v openssl >/dev/null && "$cli" model --help >/dev/null; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/other.pem" 2>/dev/null
    openssl dgst -sha256 -sign "$work/other.pem" -out "$work/other.sig" "$new"
    openssl dgst -sha256 -sign tools/update/dev-p256.pem -out "$work/good.sig" "$new"
    if "$cli" model install "$new" --sig "$work/good.sig" -c "$work/signed.conf" >"$work/out" 2>"$work/err"; then
        grep -q 'signature ok' "$work/out" || fail "signed install: $(cat "$work/out")"
        refuse "another key's signature" 'refused: model image signature does not verify' \
            "$cli" model install "$new" --sig "$work/other.sig" -c "$work/signed.conf"
        echo "signed by the development key: accepted; by another key: refused"
    else
        grep -q 'cannot check signatures' "$work/err" || fail "signed install: $(cat "$work/err")"
        echo "this build checks no signatures (TLS=0): $(cat "$work/err")"
    fi
fi

# A slot whose first boot gives other self-test tokens than the installer
# recorded (as a firmware whose engine computes differently would): B is
# given up and A answers. The boot record's tokens are edited in the
# store (its twin record repaired), as nothing else can make them differ.
"$cli" model install "$factory" -c "$work/dev.conf" >/dev/null 2>"$work/err" || fail "install B: $(cat "$work/err")"
python3 - "$FLM_STORE_DIR" <<'PY' || fail "editing the boot record"
import struct, sys, zlib
recs = []
for k in ('upd.0', 'upd.1'):
    b = bytearray(open(sys.argv[1] + '/' + k, 'rb').read())
    recs.append((struct.unpack_from('<Q', b, 8)[0], k, b))
gen, k, b = max(recs)
n, = struct.unpack_from('<I', b, 4)
tok = 16 + 12 + 64 + 32          # payload, its head, slot A, slot B's tokens
b[tok] ^= 1
struct.pack_into('<I', b, 16 + n, zlib.crc32(bytes(b[:16 + n])) & 0xFFFFFFFF)
open(sys.argv[1] + '/' + k, 'wb').write(b)
PY
[ "$(story)" = "$want_new" ] || fail "after a failed self-test the model before it must answer"
grep -q 'model update: slot B: .*self-test.*; running slot A' "$work/run.err" || fail "no notice: $(cat "$work/run.err")"
"$cli" model status -c "$work/dev.conf" | grep -q '^last given up: slot B, self-test failed' ||
    fail "status: $("$cli" model status -c "$work/dev.conf")"

# B again, properly: confirmed; then B's file corrupted behind the
# device's back: the next start gives B up and runs A, the GOOD slot
# before it; a rollback then goes to the factory image (a rolled-back slot
# is not taken again).
"$cli" model install "$factory" -c "$work/dev.conf" >/dev/null 2>&1 || fail "install B again"
[ "$(story)" = "$want_factory" ] && [ "$(running)" = B ] || fail "B not confirmed"
printf '\0\0\0\0' | dd of="$work/slots/slot-b.flm" bs=1 seek=4000 conv=notrunc 2>/dev/null
[ "$(story)" = "$want_new" ] || fail "corrupted B: not A's answer"
grep -q 'model update: slot B: .*; running slot A' "$work/run.err" || fail "no notice: $(cat "$work/run.err")"
"$cli" model rollback -c "$work/dev.conf" | grep -q 'running from the next start: factory' || fail "rollback to factory"
[ "$(running)" = factory ] || fail "status after rollback"
"$cli" model rollback -c "$work/dev.conf" 2>&1 | grep -q 'nothing to go back to' || fail "rollback past the factory"
"$cli" model status -c "$work/dev.conf"
echo "model update: install, cut and resume, refusals, trial, self-test rollback, fallback: ok"
