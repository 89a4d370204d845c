# Certificate verification is never optional: a server certificate for
# another host, from a CA we do not trust, or expired ends the handshake
# with a specific error before a single request byte leaves the device.
. tests/lib/cloud_lib.sh

key="sk-verify-$$"
# name cert expected-message
check_refused() {
    name=$1 cert=$2 msg=$3
    https_sim "$name" "$cert"
    write_config "$work/$name.conf" "https://localhost:$PORT/v1" "api_key = $key" \
        "ca_file = $certs/ca.crt" "max_retries = 0" "connect_timeout_ms = 5000"
    run_cloud "$name" "$work/$name.conf" -p "must not leave"
    expect_error "$name" "$msg"
    [ "$(requests "$name")" -eq 0 ] || fail "$name: a request reached the server"
    wait_grep 'handshake failed' "$work/$name.simlog" || fail "$name: server saw no refused handshake"
    ! grep -q -- "$key" "$work/$name.err" || fail "$name: key in the error"
}
check_refused wronghost wronghost "server certificate does not match the host name"
check_refused unknownca unknown "server certificate is not signed by a trusted CA"
check_refused expired expired "server certificate refused (expired"

# Dialled by address: the certificate must carry that address in an
# iPAddress subjectAltName (mbedTLS 2.28 checks DNS names only; the verify
# step checks the addresses): server.crt has IP:127.0.0.1 and is accepted,
# a certificate with another address or none is refused.
https_sim byip server
write_config "$work/byip.conf" "https://127.0.0.1:$PORT/v1" "ca_file = $certs/ca.crt" "max_retries = 0" \
    "api_key = sk-byip"
run_cloud byip "$work/byip.conf" -p "by address"
expect_ok byip
grep -q 'Echo: by address' "$work/byip.out" || fail "byip: $(cat "$work/byip.out")"
for c in otherip wronghost; do
    https_sim "byip-$c" "$c"
    write_config "$work/byip-$c.conf" "https://127.0.0.1:$PORT/v1" "ca_file = $certs/ca.crt" "max_retries = 0" \
        "api_key = sk-byip"
    run_cloud "byip-$c" "$work/byip-$c.conf" -p x
    expect_error "byip-$c" "does not match the host name"
    [ "$(requests "byip-$c")" -eq 0 ] || fail "byip-$c: a request reached the server"
done

# The whole system CA bundle fits the pool (and does not trust our test CA).
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -s "$bundle" ]; then
    write_config "$work/bundle.conf" "https://localhost:$PORT/v1" "ca_file = $bundle" "max_retries = 0"
    run_cloud bundle "$work/bundle.conf" -p x
    expect_error bundle "not signed by a trusted CA"
    echo "system bundle: $(grep '^tls pool' "$work/bundle.err")"
fi

# A server that never answers the handshake: the connect timeout ends it.
https_sim mute server --fault handshake-stall
write_config "$work/mute.conf" "https://localhost:$PORT/v1" "ca_file = $certs/ca.crt" \
    "max_retries = 0" "connect_timeout_ms = 800"
run_cloud mute "$work/mute.conf" -p x
expect_error mute "timed out"

# A server that answers the ClientHello with a fatal alert: final, not retried.
https_sim alert server --fault tls-alert
write_config "$work/alert.conf" "https://localhost:$PORT/v1" "ca_file = $certs/ca.crt" "max_retries = 2"
run_cloud alert "$work/alert.conf" -p x
expect_error alert "TLS handshake failed"
! grep -q '^attempts' "$work/alert.err" || fail "a TLS alert was retried"

# A server that does not speak TLS at all (plain HTTP on the port).
start_sim plainport
write_config "$work/notls.conf" "https://localhost:$PORT/v1" "ca_file = $certs/ca.crt" "max_retries = 0"
run_cloud notls "$work/notls.conf" -p x
expect_error notls "TLS handshake failed"
[ "$(requests plainport)" -le 1 ] || fail "handshake garbage was retried"

# A CA file that holds no certificate.
echo "not a certificate" >"$work/junk.pem"
write_config "$work/junkca.conf" "https://localhost:$PORT/v1" "ca_file = $work/junk.pem" "max_retries = 0"
run_cloud junkca "$work/junkca.conf" -p x
expect_error junkca "no usable CA certificate"

echo "tls verify ok"
