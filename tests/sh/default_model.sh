# The shipped default model (models/fieldtales-800k.flm, trained by
# tools/train/recipe.sh; model card beside it): it loads and passes fieldlm
# info's integrity check, fits the Cortex-M budget, `fieldlm run` finds it
# without -m from any working directory, and it tells the expected greedy
# story (the demo's: "Once upon a time", 64 positions, context 256); its
# router parameters beside it (models/fieldtales-800k.router) route without
# -m: a story prompt stays here, a maths question is marked for the cloud.
set -u
cli="$BUILD/fieldlm"
model=models/fieldtales-800k.flm
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$model" ] || fail "no $model"
size=$(wc -c <"$model")
[ "$size" -lt 2000000 ] || fail "$model is $size bytes (2 MB at most)"
"$cli" info "$model" --ctx 256 >"$BUILD/default_model.info" || fail "info: $(cat "$BUILD/default_model.info")"
grep -q '^integrity: ok' "$BUILD/default_model.info" || fail "no 'integrity: ok'"
grep -q 'vocab_size 512' "$BUILD/default_model.info" || fail "vocab: $(head -n 5 "$BUILD/default_model.info")"
# flash: model + ~41 KB of firmware code within 1 MB; RAM: the MPS2 arena (160 KiB)
ram=$(sed -n 's/^ram (ctx 256): \([0-9]*\) bytes.*/\1/p' "$BUILD/default_model.info")
[ "$size" -lt 1000000 ] && [ -n "$ram" ] && [ "$ram" -lt 163840 ] || fail "budget: flash $size, RAM $ram"

golden='Once upon a time there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too hard.
Lily'\''s mommy said, "Let'\''s g'
abs=$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")
got=$(cd / && "$abs" run -p "Once upon a time" -n 64 -t 0 --ctx 256 2>/dev/null) || fail "run without -m (from /)"
[ "$got" = "$golden" ] || fail "greedy story differs:
  got:  $got
  want: $golden"
echo "greedy: $got"
got2=$("$cli" run -m "$model" -p "Once upon a time" -n 64 -t 0 --ctx 256 2>/dev/null)
[ "$got2" = "$golden" ] || fail "with -m: $got2"
# a sampled story is a story too
story=$("$cli" run -p "Once upon a time" -s 7 2>/dev/null) || fail "sampled run"
[ "$(printf %s "$story" | wc -w)" -ge 30 ] || fail "sampled story too short: $story"

FIELDLM_MODEL=/nonexistent.flm "$cli" run -p x 2>"$BUILD/default_model.err"
[ $? -eq 1 ] || fail "a missing FIELDLM_MODEL must exit 1"
grep -q 'FIELDLM_MODEL=/nonexistent.flm cannot be read' "$BUILD/default_model.err" || fail "$(cat "$BUILD/default_model.err")"
# the router's parameters for it, found beside it with neither -m nor [model]
router=models/fieldtales-800k.router
[ "$(wc -c <"$router")" -eq 96 ] || fail "$router: not 96 bytes"
printf 'Once upon a time, there was a little dog.\nWhat is 17 times 23?\n' >"$BUILD/default_model.prompts"
prompts=$(cd "$BUILD" && pwd)/default_model.prompts
(cd / && "$abs" route --prompts "$prompts") >"$BUILD/default_model.route" 2>&1 ||
    fail "route without -m: $(cat "$BUILD/default_model.route")"
sed -n 1p "$BUILD/default_model.route" | grep -q "local	local:confident" || fail "story not local: $(cat "$BUILD/default_model.route")"
sed -n 2p "$BUILD/default_model.route" | grep -q "cloud	cloud:difficulty" || fail "maths not cloud: $(cat "$BUILD/default_model.route")"
echo "default_model ok"
