# The runtime (core/ and port/) must never reference the heap. Checks the
# undefined symbols of every object in libfieldlm.a, after first proving the
# check itself catches a planted malloc call.
set -u
lib="$BUILD/libfieldlm.a"
[ -f "$lib" ] || { echo "no $lib: run make first"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <stdlib.h>\nvoid *planted(void) { return malloc(4); }\n' > "$tmp/planted.c"
${CC:-cc} -c "$tmp/planted.c" -o "$tmp/planted.o" || exit 1
if sh tests/lib/noheap_check.sh "$tmp/planted.o" >/dev/null; then
    echo "the no-heap check missed a planted malloc call"; exit 1
fi

# The one exception: the POSIX port's thread pool creates its workers with
# pthread_create (glibc allocates each thread's descriptor), once each at
# init (flm_hal_parallel_init), never per token.
allow="-a hal_posix_parallel.o:pthread_create"
if sh tests/lib/noheap_check.sh $allow "$tmp/planted.o" >/dev/null; then
    echo "the exception for the thread pool hides a planted malloc call"; exit 1
fi
if ! sh tests/lib/noheap_check.sh $allow "$lib"; then
    echo "heap use in the runtime (core/ or port/): see the lines above"; exit 1
fi
echo "no heap references in $(ar t "$lib" | wc -l) runtime objects"
