# The README's first commands work as written in a fresh clone, without
# ../shared: every fieldlm command line of "Running a prompt" and the
# quick start's story (the set-up commands themselves: tests/sh/setup.sh).
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ "$BUILD" = build/host ] || { echo "skipped: the README's commands use build/host"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the sh blocks of the two sections, in order
awk '/^## Quick start/ || /^## Running a prompt/ { on = 1; next }
     /^## / { on = 0 }
     on && /^```sh/ { code = 1; next }
     on && /^```/ { code = 0 }
     on && code' README.md >"$tmp/blocks"
grep -q 'fieldlm run' "$tmp/blocks" || fail "no fieldlm command found in the README"
n=0
while IFS= read -r line; do
    case $line in
        sh\ .ci/install\ host\ \&\&\ make\ \&\&\ *) cmd=${line#sh .ci/install host && make && } ;;
        sh\ .ci/install*) continue ;;
        *fieldlm*) cmd=$line ;;
        *) continue ;;
    esac
    n=$((n + 1))
    FLM_SHARED=/nonexistent sh -c "$cmd" >"$tmp/out" 2>"$tmp/err" </dev/null || fail "README command exits $?: $cmd
$(cat "$tmp/err")"
    [ -s "$tmp/out" ] || fail "README command printed nothing: $cmd"
    echo "ok: $cmd"
done <"$tmp/blocks"
[ $n -ge 6 ] || fail "only $n README commands found"
echo "readme ok ($n commands)"
