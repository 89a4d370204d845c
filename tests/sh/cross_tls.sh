# The ARM Linux boards (Raspberry-Pi-class) reach a real endpoint: built
# with Debian's multiarch mbedTLS (libmbedtls-dev:arm64 / :armhf), their
# fieldlm cloud makes a verified TLS request under qemu-user to cloudsim
# on loopback (by name and by address), and refuses a certificate for
# another host before any request byte leaves.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: linux-aarch64 linux-armhf (tests/run.sh: it builds and relinks these boards' folders in build/)
case "${BUILD:-}" in
    *-san) echo "skipped: the ARM builds run once, in the plain pass"; exit 77 ;;
esac
. tests/lib/cloud_lib.sh
unset MAKEFLAGS MFLAGS MAKELEVEL
for pair in linux-aarch64:aarch64-linux-gnu:qemu-aarch64 linux-armhf:arm-linux-gnueabihf:qemu-arm; do
    board=${pair%%:*} rest=${pair#*:}; triple=${rest%%:*} qemu=${rest#*:}
    for tool in $triple-gcc $qemu; do
        command -v $tool >/dev/null || { echo "skipped: $tool not installed (sh .ci/install test)"; exit 77; }
    done
    [ -f /usr/lib/$triple/libmbedtls.a ] ||
        { echo "skipped: no /usr/lib/$triple/libmbedtls.a (libmbedtls-dev for $board: sh .ci/install test)"; exit 77; }
    make -s -j2 BOARD=$board SAN=0 >"$work/$board.build" 2>&1 || { tail -n 20 "$work/$board.build"; fail "make BOARD=$board"; }
    grep -q 'FLM_HAL_HAS_TLS 1' build/$board/gen/flm_build_config.h || fail "$board built without TLS"
    arm=build/$board/fieldlm
    for host in localhost 127.0.0.1; do
        https_sim "$board-$host" server
        write_config "$work/$board-$host.conf" "https://$host:$PORT/v1" "api_key = sk-arm" \
            "ca_file = $certs/ca.crt" "max_retries = 0" "connect_timeout_ms = 20000" "request_timeout_ms = 60000"
        timeout 120 $qemu "$arm" cloud -c "$work/$board-$host.conf" -p "hello from $board" \
            >"$work/$board-$host.out" 2>"$work/$board-$host.err"
        RC=$?; expect_ok "$board-$host"
        grep -q "Echo: hello from $board" "$work/$board-$host.out" || fail "$board via $host: $(cat "$work/$board-$host.out")"
        grep -q '^tls pool: high-water [1-9]' "$work/$board-$host.err" || fail "$board: no pool line: $(cat "$work/$board-$host.err")"
    done
    https_sim "$board-wrong" wronghost
    write_config "$work/$board-wrong.conf" "https://localhost:$PORT/v1" "api_key = sk-arm" \
        "ca_file = $certs/ca.crt" "max_retries = 0" "connect_timeout_ms = 20000"
    timeout 120 $qemu "$arm" cloud -c "$work/$board-wrong.conf" -p "must not leave" >"$work/$board-wrong.out" 2>"$work/$board-wrong.err"
    RC=$?; expect_error "$board-wrong" "server certificate does not match the host name"
    [ "$(requests "$board-wrong")" -eq 0 ] || fail "$board: a request reached the wrong host"
    echo "$board: $(grep '^tls pool' "$work/$board-localhost.err")"
done
echo "cross_tls ok"
