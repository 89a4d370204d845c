# Host names from /etc/hosts reach the endpoint (the heap-free resolver
# reads the hosts file before asking DNS, as glibc's "files dns" does): a
# name of this machine's /etc/hosts for 127.0.0.1, other than localhost,
# dialled over plain HTTP to cloudsim. The lookup's rules themselves
# (aliases, case, comments, IPv6, long lines): unit test hosts_file_lookup.
need_tls=0
. tests/lib/cloud_lib.sh
hname=$(awk '!/^[ \t]*#/ && $1 == "127.0.0.1" { for (i = 2; i <= NF; i++) if ($i != "localhost" && $i !~ /^#/) { print $i; exit } }' /etc/hosts 2>/dev/null)
[ -n "$hname" ] || { echo "skipped: /etc/hosts names no host for 127.0.0.1 but localhost"; exit 77; }
start_sim hosts
write_config "$work/hosts.conf" "http://$hname:$PORT/v1" "api_key = sk-hosts" "allow_plain_tcp = true" "max_retries = 0"
run_cloud hosts "$work/hosts.conf" -p "from the hosts file"
expect_ok hosts
grep -q 'Echo: from the hosts file' "$work/hosts.out" || fail "answer: $(cat "$work/hosts.out")"
echo "cloud_hosts ok ($hname)"
