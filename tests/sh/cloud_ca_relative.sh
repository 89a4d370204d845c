# A relative ca_file names a file beside the configuration file, from
# whatever folder fieldlm runs in; an absolute one is taken as it is; a
# missing one is reported by the path that was tried.
. tests/lib/cloud_lib.sh
cli_abs=$(cd "$(dirname "$cli")" && pwd)/fieldlm

mkdir -p "$work/etc/certs"
cp "$certs/ca.crt" "$work/etc/certs/ca.crt"
https_sim rel server
write_config "$work/etc/device.conf" "https://localhost:$PORT/v1" "api_key = sk-rel" \
    "ca_file = certs/ca.crt" "max_retries = 0"
(cd / && timeout 40 "$cli_abs" cloud -c "$work/etc/device.conf" -p "relative") >"$work/rel.out" 2>"$work/rel.err"
RC=$?; expect_ok rel
grep -q 'Echo: relative' "$work/rel.out" || fail "no answer: $(cat "$work/rel.out")"
# a relative configuration path too: the folder is relative to the caller's
(cd "$work" && timeout 40 "$cli_abs" cloud -c etc/device.conf -p "relative again") >"$work/rel2.out" 2>"$work/rel2.err"
RC=$?; expect_ok rel2

write_config "$work/etc/missing.conf" "https://localhost:$PORT/v1" "api_key = sk-rel" "ca_file = certs/none.crt"
run_cloud missing "$work/etc/missing.conf" -p x
expect_error missing "ca_file $work/etc/certs/none.crt: no such file or directory"
echo "cloud_ca_relative ok"
