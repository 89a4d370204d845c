# Plain TCP (http://) is for loopback tests: it works to 127.0.0.1 and is
# refused for any other host unless allow_plain_tcp says so; the key never
# leaves in clear for a remote host. Runs with TLS=0 too, where https is
# refused as unsupported.
need_tls=0
. tests/lib/cloud_lib.sh

start_sim plainsim
write_config "$work/plain.conf" "http://127.0.0.1:$PORT/v1" "api_key = sk-plain"
run_cloud plainok "$work/plain.conf" -p "over plain tcp"
expect_ok plainok
run_cloud plainstream "$work/plain.conf" -p "over plain tcp" --stream
expect_ok plainstream
[ "$(cat "$work/plainok.out")" = "Echo: over plain tcp" ] || fail "plain answer"
cmp -s "$work/plainok.out" "$work/plainstream.out" || fail "plain streamed answer differs"
! grep -q '^tls pool' "$work/plainok.err" || fail "a pool report without TLS"

write_config "$work/remote.conf" "http://192.0.2.1:$PORT/v1" "api_key = sk-plain" "max_retries = 2"
run_cloud remote "$work/remote.conf" -p "must not leave"
expect_error remote "plain TCP refused for a non-loopback host"
! grep -q '^attempts' "$work/remote.err" || fail "a refused plain connection was retried"
[ "$(requests plainsim)" -eq 2 ] || fail "requests: $(requests plainsim)"

if [ $have_tls = 0 ]; then
    write_config "$work/https.conf" "https://localhost:$PORT/v1" "ca_file = $certs/ca.crt"
    run_cloud notls "$work/https.conf" -p x
    expect_error notls "not supported by this build"
fi
echo "plain tcp ok"
