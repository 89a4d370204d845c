#!/bin/sh
# Makes fresh test certificates for the cloud tests (EC P-256, 2 days):
#   ca.crt            the test CA the client trusts
#   server.crt/.key   localhost + 127.0.0.1, signed by the test CA
#   wronghost.crt/.key  wrong.example only, signed by the test CA
#   otherip.crt/.key  localhost + 127.0.0.2 (not the address dialled), by the test CA
#   unknown.crt/.key  localhost + 127.0.0.1, signed by a CA nobody trusts
#   expired.crt/.key  localhost, signed by the test CA, expired in 2020
#
# A set that stays valid for the next MKCERTS_VALID_FOR seconds (default
# 3600) is kept. tests/run.sh makes them before its scripts start, asking
# for 4 hours, so that no script of that run starts over (removing the
# files another script is reading) when they expire within the hour.
#
# usage: tools/cloudsim/mkcerts.sh DIR
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
# Reuse a complete set that stays valid long enough; else start over.
if [ -f .complete ] && [ -f otherip.crt ] && openssl x509 -checkend "${MKCERTS_VALID_FOR:-3600}" -noout -in server.crt >/dev/null 2>&1; then
    exit 0
fi
rm -rf ./*.crt ./*.key ./*.srl .complete cadb

cat > openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SAN
CNF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name CN
    key "$1.key"
    SAN=none openssl req -config openssl.cnf -new -x509 -key "$1.key" -out "$1.crt" \
        -days 2 -subj "/CN=$2" -extensions ca
}
leaf() { # name CA CN SAN
    key "$1.key"
    SAN=$4 openssl req -config openssl.cnf -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    SAN=$4 openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
        -days 2 -extfile openssl.cnf -extensions leaf -out "$1.crt" 2>/dev/null
    rm -f "$1.csr"
}

ca ca "fieldlm test CA"
ca rogue "fieldlm rogue CA"
leaf server ca localhost "DNS:localhost,IP:127.0.0.1"
leaf wronghost ca wrong.example "DNS:wrong.example"
leaf otherip ca localhost "DNS:localhost,IP:127.0.0.2"
leaf unknown rogue localhost "DNS:localhost,IP:127.0.0.1"

# `openssl x509` cannot date a certificate in the past; `openssl ca` can.
mkdir -p cadb
: >cadb/index.txt
echo 1000 >cadb/serial
cat > ca.cnf <<'CNF'
[ca]
default_ca = test
[test]
database = cadb/index.txt
serial = cadb/serial
new_certs_dir = cadb
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
CNF
key expired.key
SAN=none openssl req -config openssl.cnf -new -key expired.key -subj /CN=localhost -out expired.csr
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
    -startdate 20200101000000Z -enddate 20200102000000Z -extensions leaf -notext 2>/dev/null
rm -f expired.csr
touch .complete
