# fieldlm cloud's command line and config errors: usage errors exit 2,
# a bad config exits 1 naming the file, line, key and problem, and no key
# is echoed.
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
grep -q 'none.conf: no such file' "$work/e" || fail "missing file message"

printf 'url = http://127.0.0.1:9/v1\nmodel = m\napi_key = sk-cli-secret\nmax_retries = lots\n' >"$work/bad.conf"
"$cli" cloud -c "$work/bad.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "bad config exit"
grep -qx "fieldlm cloud: $work/bad.conf:4: max_retries: 'lots' is not a decimal number" "$work/e" ||
    fail "bad config message: $(cat "$work/e")"
! grep -q 'sk-cli-secret' "$work/e" || fail "key echoed"

printf '[cloud]\nurl = http://127.0.0.1:9/v1\nmodle = m\n' >"$work/typo.conf"
"$cli" cloud -c "$work/typo.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "typo exit"
grep -q "typo.conf:3: unknown key 'modle' in \[cloud\] (did you mean 'model'?)" "$work/e" ||
    fail "typo message: $(cat "$work/e")"

printf 'url = http://127.0.0.1:9/v1\napi_key = sk cli secret\n' >"$work/badkey.conf"
"$cli" cloud -c "$work/badkey.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "bad key exit"
grep -q 'badkey.conf:2: api_key: .*(the value is not shown)' "$work/e" || fail "bad key message: $(cat "$work/e")"
! grep -q 'secret' "$work/e" || fail "bad key echoed"

printf 'url = http://127.0.0.1:9/v1\n' >"$work/nomodel.conf"
"$cli" cloud -c "$work/nomodel.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "no model exit"
grep -q "nomodel.conf: \[cloud\]: missing required key 'model'" "$work/e" || fail "no model message: $(cat "$work/e")"

printf 'url = https://localhost:9/v1\nmodel = m\n' >"$work/noca.conf"
"$cli" cloud -c "$work/noca.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "https without CA"
grep -q 'https needs ca_file or ca_pem' "$work/e" || fail "https without CA message"

head -c 3000 /dev/urandom >"$work/random.conf"
"$cli" cloud -c "$work/random.conf" -p x >/dev/null 2>"$work/e"; [ $? -eq 1 ] || fail "random config"
echo "cloud cli ok"
