# mbedTLS allocates only from the static pool: the copies of its static
# libraries the runtime links (see port/mbedtls/rules.mk) reference no heap
# allocator, and do reference the pool.
set -u
grep -q 'FLM_HAL_HAS_TLS 1' "$BUILD/gen/flm_build_config.h" 2>/dev/null ||
    { echo "skipped: this build has no TLS (make TLS=0)"; exit 77; }
libs="$BUILD/mbedtls/libmbedtls.a $BUILD/mbedtls/libmbedx509.a $BUILD/mbedtls/libmbedcrypto.a"
for lib in $libs; do
    [ -f "$lib" ] || { echo "no $lib: run make"; exit 1; }
done
heap=$(nm -A -u $libs 2>/dev/null | grep -E '[[:space:]]U[[:space:]]+(malloc|calloc|realloc|free)(@.*)?$')
if [ -n "$heap" ]; then
    echo "$heap"
    echo "mbedTLS objects still reference the heap"
    exit 1
fi
n=$(nm -u $libs 2>/dev/null | grep -c 'U flm_tls_pool_calloc$')
[ "$n" -gt 0 ] || { echo "mbedTLS does not reference the pool: the rewrite did not happen"; exit 1; }
# The linked program gets its TLS allocations from the pool, not from libc.
nm "$BUILD/fieldlm" | grep -q ' T flm_tls_pool_calloc$' || { echo "fieldlm lacks the pool"; exit 1; }
echo "mbedTLS: $n objects allocate from the pool, none from the heap"
