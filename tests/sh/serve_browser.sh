# The kiosk page at GET / in a real browser: Debian's headless chromium
# driven by playwright-core (npm) types a prompt, waits for the streamed
# answer, checks the route label (device or cloud, and why) and takes a
# screenshot ($BUILD/serve-kiosk.png).
# lock: node (tests/run.sh: it installs the npm clients into build/node/ and runs them from there)
. tests/lib/serve_lib.sh
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || missing "no $chromium (Debian's chromium package)"
node_setup

start_sim kiosksim
serve_conf kiosk cloud "$PORT" "max_tokens = 64"
start_serve kiosk "$work/kiosk.conf" --pace-ms 15
mkdir -p "$work/profile"
shot="$BUILD/serve-kiosk.png"
rm -f "$shot"
CHROMIUM=$chromium timeout 120 node "$NODEDIR/kiosk.mjs" "$BASE/" "$shot" "$work/profile" "$easy" "$hard" \
    >"$work/kiosk.out" 2>&1
rc=$?
cat "$work/kiosk.out"
[ $rc -eq 0 ] || fail "the browser's checks failed (exit $rc)"
grep -q '^kiosk ok$' "$work/kiosk.out" || fail "the browser script did not finish"
[ -s "$shot" ] || fail "no screenshot"
stop_serve kiosk "$SPID"
