#!/usr/bin/env bash
# Captures openconnect 9.01's sign-in, CONNECT, CSTP stream and DTLS ClientHello in a network
# namespace of its own (198.18.0.1 on its loopback), for the fuzz corpus.
# Usage: fuzz/capture/capture.sh OUT-FOLDER   (as root)
set -euo pipefail
out=$(realpath -m "${1:?usage: capture.sh OUT-FOLDER}")
here=$(dirname "$(realpath "$0")")
ns=otcap$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 198.18.0.1/32 dev lo
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=198.18.0.1 -days 1 2>/dev/null
pin=$(openssl x509 -in "$tmp/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
ip netns exec "$ns" python3 "$here/capture.py" 198.18.0.1 8443 "$tmp/cert.pem" "$tmp/key.pem" "$out" &
server=$!
sleep 2
# The sign-in: init, the token form, the auth-reply with the token, success and cookie; then the CONNECT and the tunnel.
echo "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl" |
  ip netns exec "$ns" timeout 12 openconnect -v --servercert "pin-sha256:$pin" --script /bin/true --passwd-on-stdin \
    --interface "ot$$" https://198.18.0.1:8443/ >"$out.openconnect.log" 2>&1 || true
wait "$server" || true
ls -l "$out"
