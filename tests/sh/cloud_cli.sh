# fieldlm cloud's command line and config errors: usage errors exit 2,
# a bad config exits 1 naming the file and line, and no key is echoed.
need_tls=0
. tests/lib/cloud_lib.sh

"$cli" cloud --help | grep -q '^usage: fieldlm cloud -c CONFIG -p PROMPT' || fail "--help"
"$cli" help cloud | grep -q 'api_key_env' || fail "help cloud"
"$cli" cloud -p x >/dev/null 2>"$work/e"; [ $? -eq 2 ] || fail "missing -c"
"$cli" cloud -c x >/dev/null 2>"$work/e"; [ $? -eq 2 ] || fail "missing -p"
"$cli" cloud -c x -p y --bogus >/dev/null 2>"$work/e"; [ $? -eq 2 ] || fail "unknown option"
grep -q "unknown option '--bogus'" "$work/e" || fail "unknown option message"
"$cli" cloud -c x -p y --repeat 0 >/dev/null 2>"$work/e"; [ $? -eq 2 ] || fail "--repeat 0"

"$cli" cloud -c "$work/none.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "missing file"
grep -q 'none.conf: No such file' "$work/e" || fail "missing file message"

printf 'url = http://127.0.0.1:9/v1\nmodel = m\napi_key = sk-cli-secret\nmax_retries = lots\n' >"$work/bad.conf"
"$cli" cloud -c "$work/bad.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "bad config exit"
grep -q 'bad.conf:4: malformed configuration' "$work/e" || fail "bad config message: $(cat "$work/e")"
! grep -q 'sk-cli-secret' "$work/e" || fail "key echoed"

printf 'url = https://localhost:9/v1\nmodel = m\n' >"$work/noca.conf"
"$cli" cloud -c "$work/noca.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "https without CA"
grep -q 'https needs ca_file or ca_pem' "$work/e" || fail "https without CA message"

head -c 3000 /dev/urandom >"$work/random.conf"
"$cli" cloud -c "$work/random.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "random config"
echo "cloud cli ok"
