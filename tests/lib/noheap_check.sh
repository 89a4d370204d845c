#!/bin/sh
# Lists every reference to a heap allocator (or a libc call known to
# allocate behind the caller's back) among the undefined symbols of the given
# objects or archives. Prints "file: symbol" per hit; exits 1 if any.
#
# usage: tests/lib/noheap_check.sh [-n NM] [-a OBJECT.o:SYMBOL]... FILE.o|FILE.a ...
#
# -a allows one banned symbol in one object, on purpose and with its reason
# at the caller (noheap.sh: the POSIX thread pool's pthread_create, called
# once per worker at init).
nm=nm
allow=
while :; do
    case "${1:-}" in
        -n) nm=$2; shift 2 ;;
        -a) allow="$allow $2"; shift 2 ;;
        *) break ;;
    esac
done
# The allocator itself, then libc calls that allocate behind the caller's
# back: time zones (gmtime/localtime/mktime/strftime run tzset: heap and
# /etc/localtime), stdio (a FILE, or a stream's first buffer), the printf
# and scanf families (glibc allocates for wide fields, %m, positional
# arguments), name service lookups (NSS), the environment's setters,
# strerror (its unknown-error text), locales, dynamic loading, threads,
# directories, path and temp-file helpers, atexit, backtraces. Fortified
# (__*_chk) and C99-scanf (__isoc99_*) spellings too.
alloc='malloc|calloc|realloc|free|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|__strdup|__strndup|asprintf|vasprintf|__asprintf_chk|__vasprintf_chk'
tz='tzset|gmtime|gmtime_r|localtime|localtime_r|mktime|timegm|timelocal|ctime|ctime_r|asctime|asctime_r|strftime|strptime|getdate|getdate_r'
stdio='fopen|fopen64|fdopen|freopen|fclose|popen|pclose|tmpfile|tmpfile64|open_memstream|open_wmemstream|fmemopen|getline|getdelim|fread|__fread_chk|fwrite|fgets|__fgets_chk|fgetc|getc|getchar|ungetc|fputc|putc|putchar|puts|fputs|setvbuf|setbuf|fflush|perror'
printf='printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|sprintf|snprintf|vsprintf|vsnprintf|__printf_chk|__fprintf_chk|__vprintf_chk|__vfprintf_chk|__dprintf_chk|__sprintf_chk|__snprintf_chk|__vsprintf_chk|__vsnprintf_chk|scanf|fscanf|sscanf|vscanf|vfscanf|vsscanf|__isoc99_scanf|__isoc99_fscanf|__isoc99_sscanf|__isoc99_vsscanf|__isoc99_vfscanf|err|errx|verr|warn|warnx|vwarn|syslog|vsyslog|openlog|__syslog_chk'
nss='getaddrinfo|freeaddrinfo|getnameinfo|gethostbyname|gethostbyname2|gethostbyname_r|gethostbyaddr|getservbyname|getservbyport|getprotobyname|getpwnam|getpwnam_r|getpwuid|getpwuid_r|getgrnam|getgrgid|getlogin|getifaddrs|if_nameindex|res_init|res_query'
misc='setenv|putenv|unsetenv|clearenv|strerror|strsignal|psignal|setlocale|newlocale|iconv_open|catopen|dlopen|dlerror|pthread_create|atexit|on_exit|backtrace|backtrace_symbols|opendir|fdopendir|scandir|glob|wordexp|ftw|nftw|realpath|__realpath_chk|getcwd|get_current_dir_name|tmpnam|tempnam|regcomp|qsort'
banned="$alloc|$tz|$stdio|$printf|$nss|$misc"
hits=$("$nm" -A -u "$@" 2>/dev/null | grep -E "[[:space:]]U[[:space:]]+($banned)(@.*)?\$")
for a in $allow; do
    obj=${a%%:*} sym=${a#*:}
    hits=$(printf '%s\n' "$hits" | grep -Ev "(^|[:/])$obj:[[:space:]]*U[[:space:]]+$sym(@.*)?\$")
done
hits=$(printf '%s\n' "$hits" | sed '/^$/d')
if [ -n "$hits" ]; then
    echo "$hits" | sed 's/[[:space:]]*U[[:space:]]*/ references /'
    exit 1
fi
exit 0
