# mbedTLS allocates only from the static pool: the copies of its static
# libraries the runtime links (see port/mbedtls/rules.mk) reference no heap
# allocator and no libc call that allocates behind the caller's back (their
# time goes through the HAL), and do reference the pool.
set -u
grep -q 'FLM_HAL_HAS_TLS 1' "$BUILD/gen/flm_build_config.h" 2>/dev/null ||
    { echo "skipped: this build has no TLS (make TLS=0)"; exit 77; }
libs="$BUILD/mbedtls/libmbedtls.a $BUILD/mbedtls/libmbedx509.a $BUILD/mbedtls/libmbedcrypto.a"
for lib in $libs; do
    [ -f "$lib" ] || { echo "no $lib: run make"; exit 1; }
done
# The runtime's whole no-heap check (the allocator and every libc call
# that allocates behind the caller's back: gmtime_r, stdio, printf, ...).
if ! sh tests/lib/noheap_check.sh $libs; then
    echo "mbedTLS objects still reference the heap or an allocating libc call (port/mbedtls/libc.syms)"
    exit 1
fi
# Before the rename they did: the check is not vacuous.
sys=/usr/lib/$(${CC:-cc} -dumpmachine)/libmbedx509.a
if [ -f "$sys" ] && sh tests/lib/noheap_check.sh "$sys" >/dev/null; then
    echo "the check finds nothing in Debian's own libmbedx509.a: it would miss gmtime_r"; exit 1
fi
n=$(nm -u $libs 2>/dev/null | grep -c 'U flm_tls_gmtime_r$')
[ "$n" -gt 0 ] || { echo "mbedTLS does not take its time from the HAL: the rewrite did not happen"; exit 1; }
n=$(nm -u $libs 2>/dev/null | grep -c 'U flm_tls_pool_calloc$')
[ "$n" -gt 0 ] || { echo "mbedTLS does not reference the pool: the rewrite did not happen"; exit 1; }
# The linked program gets its TLS allocations from the pool, not from libc.
nm "$BUILD/fieldlm" | grep -q ' T flm_tls_pool_calloc$' || { echo "fieldlm lacks the pool"; exit 1; }
echo "mbedTLS: $n objects allocate from the pool, none from the heap"
