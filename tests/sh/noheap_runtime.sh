# No heap at run time, not only at link time (the outside review's defect
# 4): tests/noheap/alloc_probe replaces the C library's allocator with one
# that counts, arms it before flm_runtime_init() and fails if anything,
# glibc's internals included, calls it before flm_runtime_deinit(), across a
# whole and a streamed request over TLS to cloudsim (handshake, certificate
# dates, key exchange, records). Its self-test first shows the trap catching
# glibc's gmtime_r, whose first call (tzset) allocates.
. tests/lib/cloud_lib.sh
probe="$BUILD/tests/alloc_probe"
[ -x "$probe" ] || { echo "skipped: no $probe (SAN=1 builds bring their own allocator)"; exit 77; }

"$probe" --selftest || fail "the allocator trap does not see glibc allocate"

https_sim probe server --max-requests 4
conf="$work/probe.conf"
write_config "$conf" "https://localhost:$PORT/v1" "api_key = sk-probe" "ca_file = $certs/ca.crt" \
    "max_retries = 0"
TZ= timeout 30 "$probe" "$conf" "no heap here" >"$work/probe.out" 2>&1
rc=$?
cat "$work/probe.out"
[ $rc -eq 0 ] || fail "allocations during TLS requests (exit $rc)"
grep -q '^whole request: success$' "$work/probe.out" || fail "the whole request failed"
grep -q '^streamed request: success$' "$work/probe.out" || fail "the streamed request failed"
grep -q ': 0 allocator call(s) while armed' "$work/probe.out" || fail "no count"
echo "runtime: two TLS requests, no allocator call"
