# The privacy guard end to end, with cloudsim's request log as the witness.
# Every case of tests/fixtures/privacy_cases.tsv is asked with mode = cloud
# (so without the guard every prompt would leave):
#  - local-only: a prompt with personal data stays (local:pii) and sends
#    nothing;
#  - a prompt without any goes up as it is;
#  - redact: it goes up with placeholders, no byte of any detected span is in
#    the request, and the answer (cloudsim echoes the prompt) comes back with
#    the values restored, whole.
need_tls=0
. tests/lib/cloud_lib.sh

use_stories260K
cases=tests/fixtures/privacy_cases.tsv
deny=$(sed -n 's/^#!deny_words=//p' "$cases")

SIM_SECONDS=1200 start_sim privsim --timeout 1200
for policy in local-only redact; do
    cat >"$work/$policy.conf" <<EOF
[model]
path = $model
[router]
params = tools/router/params/stories260K.router
mode = cloud
[privacy]
policy = $policy
deny_words = $deny
[cloud]
url = http://127.0.0.1:$PORT/v1
model = sim-model-1
max_retries = 0
EOF
done

rec="$work/privsim.rec"
n=0 leaks=0
# The rows: prompt TAB redacted TAB spans (byte offsets into the unescaped prompt).
grep -v '^#' "$cases" | while IFS='	' read -r prompt redacted spans; do
    n=$((n + 1))
    text=$(printf '%b' "$prompt")
    policies="local-only redact"
    [ "$spans" != - ] || policies=redact # a clean prompt is sent as it is either way
    for policy in $policies; do
        before=$(wc -c <"$rec")
        timeout 30 "$cli" ask -c "$work/$policy.conf" -p "$text" -n 8 >"$work/out" 2>"$work/err" ||
            { cat "$work/err"; fail "case $n ($policy): exit $?"; }
        sent=$(tail -c +$((before + 1)) "$rec")
        if [ "$spans" = - ]; then
            grep -q '^route=cloud reason=cloud:mode ' "$work/err" || { cat "$work/err"; fail "case $n ($policy): clean prompt did not go up"; }
            [ "$(cat "$work/out")" = "Echo: $text" ] || fail "case $n ($policy): answer changed: $(cat "$work/out")"
            continue
        fi
        if [ "$policy" = local-only ]; then
            grep -q '^route=local reason=local:pii ' "$work/err" || { cat "$work/err"; fail "case $n: not local:pii"; }
            [ -z "$sent" ] || fail "case $n: a local-only prompt reached the cloud"
            continue
        fi
        grep -q '^route=cloud reason=cloud:mode ' "$work/err" || { cat "$work/err"; fail "case $n (redact): not sent"; }
        [ -n "$sent" ] || fail "case $n (redact): nothing reached the cloud"
        # no byte of any span: each span's text is absent from the request
        for s in $spans; do
            off=${s#*:}; len=${off#*:}; off=${off%%:*}
            value=$(printf '%s' "$text" | tail -c +$((off + 1)) | head -c "$len")
            if printf '%s' "$sent" | grep -qF -- "$value"; then
                echo "case $n: '$value' reached the cloud"; exit 1
            fi
        done
        [ "$(cat "$work/out")" = "Echo: $text" ] ||
            fail "case $n (redact): the answer was not restored: $(cat "$work/out")"
    done
done || exit 1
rows=$(grep -vc '^#' "$cases")
echo "privacy end to end ok: $rows cases under local-only and redact, $(requests privsim) requests, no span sent"
