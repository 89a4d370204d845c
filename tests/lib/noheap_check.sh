#!/bin/sh
# Lists every reference to a heap allocator (or a libc call known to
# allocate behind the caller's back) among the undefined symbols of the given
# objects or archives. Prints "file: symbol" per hit; exits 1 if any.
#
# usage: tests/lib/noheap_check.sh [-n NM] FILE.o|FILE.a ...
nm=nm
if [ "$1" = "-n" ]; then nm=$2; shift 2; fi
banned='malloc|calloc|realloc|free|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|asprintf|vasprintf|getaddrinfo|freeaddrinfo|gethostbyname|fopen|fdopen|freopen|popen|open_memstream|getline|getdelim|qsort|opendir|scandir|printf|fprintf|puts|fputs|fwrite|setvbuf'
hits=$("$nm" -A -u "$@" 2>/dev/null | grep -E "[[:space:]]U[[:space:]]+($banned)(@.*)?\$")
if [ -n "$hits" ]; then
    echo "$hits" | sed 's/[[:space:]]*U[[:space:]]*/ references /'
    exit 1
fi
exit 0
