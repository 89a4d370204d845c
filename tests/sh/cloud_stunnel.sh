# Interop with a TLS stack that is not mbedTLS: stunnel4 (OpenSSL)
# terminates TLS in front of a plain-HTTP cloudsim, and fieldlm's mbedTLS
# client talks to it: handshake, verification, both reply shapes. A
# certificate stunnel presents for the wrong host is refused the same way.
. tests/lib/cloud_lib.sh

stunnel=$(command -v stunnel4 || command -v stunnel) ||
    { echo "skipped: stunnel4 is not installed"; exit 77; }

start_sim backend
backend=$PORT

# start_stunnel NAME CERTNAME: stunnel on a free port in front of the
# backend; sets SPORT. Ports are tried until one binds.
tries=0
start_stunnel() {
    name=$1 cert=$2
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        tries=$((tries + 1))
        SPORT=$((20000 + ($$ * 7 + tries * 997) % 40000))
        cat >"$work/$name.stunnel.conf" <<CONF
foreground = yes
pid =
debug = notice
[cloudsim]
accept = 127.0.0.1:$SPORT
connect = 127.0.0.1:$backend
cert = $certs/$cert.crt
key = $certs/$cert.key
CONF
        timeout 120 "$stunnel" "$work/$name.stunnel.conf" 2>"$work/$name.stunnel.log" &
        spid=$!
        i=0
        while [ $i -lt 100 ]; do
            if grep -q 'Configuration successful' "$work/$name.stunnel.log"; then
                sleep 0.3 # it binds after configuring, and exits if it cannot
                if kill -0 $spid 2>/dev/null && ! grep -q 'failed' "$work/$name.stunnel.log"; then
                    pids="$pids $spid"
                    return 0
                fi
                break
            fi
            kill -0 $spid 2>/dev/null || break
            i=$((i + 1))
            sleep 0.05
        done
        kill $spid 2>/dev/null
        wait $spid 2>/dev/null
    done
    fail "stunnel did not start: $(tail -n 5 "$work/$name.stunnel.log")"
}

start_stunnel good server
write_config "$work/st.conf" "https://localhost:$SPORT/v1" "api_key = sk-stunnel" \
    "ca_file = $certs/ca.crt" "max_retries = 0"
run_cloud st-whole "$work/st.conf" -p "through openssl"
expect_ok st-whole
run_cloud st-stream "$work/st.conf" -p "through openssl" --stream
expect_ok st-stream
[ "$(cat "$work/st-whole.out")" = "Echo: through openssl" ] || fail "answer via stunnel"
cmp -s "$work/st-whole.out" "$work/st-stream.out" || fail "streamed answer via stunnel differs"
[ "$(requests backend)" -eq 2 ] || fail "backend saw $(requests backend) requests"
grep -q '^Authorization: Bearer sk-stunnel' "$work/backend.rec" || fail "request through the tunnel"

start_stunnel bad wronghost
write_config "$work/stbad.conf" "https://localhost:$SPORT/v1" "ca_file = $certs/ca.crt" "max_retries = 0"
run_cloud st-bad "$work/stbad.conf" -p "must not leave"
expect_error st-bad "does not match the host name"
[ "$(requests backend)" -eq 2 ] || fail "a refused handshake reached the backend"
echo "stunnel interop ok"
