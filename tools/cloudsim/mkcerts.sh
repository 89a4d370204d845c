#!/bin/sh
# Makes fresh test certificates for the cloud tests (EC P-256, 2 days):
#   ca.crt            the test CA the client trusts
#   server.crt/.key   localhost + 127.0.0.1, signed by the test CA
#   wronghost.crt/.key  wrong.example only, signed by the test CA
#   unknown.crt/.key  localhost + 127.0.0.1, signed by a CA nobody trusts
#
# usage: tools/cloudsim/mkcerts.sh DIR
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -f server.crt ] && [ -f .complete ] && exit 0

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
leaf unknown rogue localhost "DNS:localhost,IP:127.0.0.1"
touch .complete
