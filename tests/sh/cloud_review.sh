# The outside review's defects, end to end over TLS against cloudsim:
#  1. usage counts that overflow a sum are refused with a clear error (and,
#     under SAN=1, without undefined behaviour);
#  2. a server quoting a long API key back never shows any 8-byte run of it,
#     whether the key straddles the message's cut or outlives it;
#  3. a server's error text cannot forge a line or send escape sequences to
#     stderr, and answer text reaching a terminal is filtered (piped, it is
#     passed on as it came);
#  5. a URL with a query (Azure's api-version) asks for path + query.
. tests/lib/cloud_lib.sh

https_sim review server
conf="$work/review.conf"
write_config "$conf" "https://localhost:$PORT/v1" "api_key = sk-review" "ca_file = $certs/ca.crt" \
    "max_retries = 0" "request_timeout_ms = 8000"

# 1
for shape in whole stream; do
    opt=""; [ $shape = stream ] && opt=--stream
    run_cloud usage-$shape "$conf" -p "count me [fault:bad-usage]" $opt
    expect_error usage-$shape "negative or out-of-range token count"
    ! grep -q '^tokens:' "$work/usage-$shape.err" || fail "usage-$shape: bad usage printed"
done

# 2: keys of 40 and 250 characters quoted back after a prefix.
for len in 40 250; do
    key=$(head -c 400 /dev/zero | tr '\0' 'K' | sed "s/^/sk-proj-/" | cut -c 1-$len)
    kconf="$work/key$len.conf"
    write_config "$kconf" "https://localhost:$PORT/v1" "api_key = $key" "ca_file = $certs/ca.crt" \
        "max_retries = 0"
    run_cloud key$len "$kconf" -p "$(printf 'x%.0s' $(seq 1 100))[fault:echo-key]"
    expect_error key$len "HTTP 401"
    grep -q 'Incorrect API key provided (x' "$work/key$len.err" || fail "key$len: no message"
    ! grep -q 'sk-proj-' "$work/key$len.err" || { cat "$work/key$len.err"; fail "key$len: a key prefix reached stderr"; }
    ! grep -q 'KKKKKKKK' "$work/key$len.err" || { cat "$work/key$len.err"; fail "key$len: part of the key reached stderr"; }
done
# ... and a key straddling the 191-byte cut: the message is 30 bytes, the
# prompt, 3 bytes, then the key from byte 180 on.
key="sk-straddle-0123456789abcdefghijklmnopqrstuvwxyz"
kconf="$work/straddle.conf"
write_config "$kconf" "https://localhost:$PORT/v1" "api_key = $key" "ca_file = $certs/ca.crt" "max_retries = 0"
run_cloud straddle "$kconf" -p "$(printf 'y%.0s' $(seq 1 131))[fault:echo-key]"
expect_error straddle "HTTP 401"
grep -q 'yyy\[fault:echo-key\]): \*\*\*' "$work/straddle.err" || fail "straddle: $(cat "$work/straddle.err")"
! grep -q 'sk-strad' "$work/straddle.err" || fail "straddle: the key reached stderr"

# 3: ESC, BEL, CR and a forged line in the server's error text.
esc=$(printf '\033') bel=$(printf '\007')
run_cloud inject "$conf" -p "$(printf 'oops\nfieldlm cloud: forged success\r\033[2J\033]0;title\007 [fault:echo-error]')"
expect_error inject "HTTP 400"
[ "$(grep -c '^fieldlm cloud:' "$work/inject.err")" -eq 1 ] || { cat "$work/inject.err"; fail "a forged line on stderr"; }
! grep -q "[$esc$bel]" "$work/inject.err" || fail "control bytes reached stderr"
tr -d '\n' <"$work/inject.err" | grep -q '\\nfieldlm cloud: forged success\\r\\x1b\[2J' || fail "escaped text: $(cat "$work/inject.err")"

# Answer text with escapes: raw into a pipe, filtered on a terminal.
prompt=$(printf 'tty \033[31mred\007 \302\233 done')
run_cloud raw "$conf" -p "$prompt"
expect_ok raw
grep -q "$esc" "$work/raw.out" || fail "piped answer lost its bytes"
if command -v script >/dev/null 2>&1; then
    for opt in "" --stream; do
        printf '%s' "$prompt" >"$work/prompt"
        TERM=dumb timeout 40 script -qec "\"$cli\" cloud -c \"$conf\" -p \"\$(cat '$work/prompt')\" $opt 2>/dev/null" \
            /dev/null >"$work/tty.out" </dev/null
        grep -q 'Echo: tty \[31mred  done' "$work/tty.out" || { od -c "$work/tty.out" | head; fail "tty answer$opt"; }
        ! grep -q "[$esc$bel]" "$work/tty.out" || fail "escape bytes reached the terminal$opt"
        ! grep -q "$(printf '\302\233')" "$work/tty.out" || fail "a C1 control reached the terminal$opt"
    done
else
    echo "note: no script(1), the terminal half is not checked"
fi

# 5: the query stays after /chat/completions.
aconf="$work/azure.conf"
write_config "$aconf" "https://localhost:$PORT/openai/deployments/gpt?api-version=2024-02-01" \
    "api_key = sk-review" "ca_file = $certs/ca.crt" "max_retries = 0"
run_cloud azure "$aconf" -p "azure"
expect_error azure "HTTP 404"
grep -q '^POST /openai/deployments/gpt/chat/completions?api-version=2024-02-01 HTTP/1.1' "$work/review.rec" ||
    { grep '^POST' "$work/review.rec"; fail "azure: request line"; }
echo "review defects: usage, key masking, escapes, terminal filter, path and query"
