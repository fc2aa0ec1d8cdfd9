#!/usr/bin/env bash
# The quick start's demo (./run.sh --demo calls it once the stack runs): on this machine, a
# "client" and an "internal" host in throw-away network namespaces, joined to this namespace by
# veth pairs, and the demo user going through what a real device does:
#
#   client  198.18.100.2/24 ── 198.18.100.1/24  this machine (the gateway)  198.18.101.1/24 ── 198.18.101.2/24  internal
#
# 1. the internal host is not reachable from the client (the client has no route to it);
# 2. the client signs in as "demo" with the Linux client (opentunnel signin, device flow), the
#    person's part of which (the verification page, its anti-forgery token, the consent) is done
#    here with curl, as a person would in a browser;
# 3. it enrols the device and signs in again for gateway tokens: conditional access decides;
# 4. it connects with openconnect (opentunnel connect) to the gateway's public side, 198.18.100.1;
# 5. it pings the internal host through the tunnel (the gateway translates the client's address);
# then it disconnects and removes everything it made: the processes it started (by PID), the
# namespaces and with them the veth pairs, and the client's state directory. The stack keeps running.
#
# The provider's verbs (signin, enrol, token) run in this namespace, where the provider's address is; only
# connect and ping run in the client namespace, whose one route besides its own subnet is the
# tunnel's. Nothing outside 198.18.100.0/24 and 198.18.101.0/24 is routed, no firewall rule or
# sysctl is changed by this script (the gateway's own nftables table translates the pool, as always).
#
#   $1 the issuer   $2 the deployment CA's pin   $3 the gateway's port   $4 the gateway certificate's pin
#   OPENTUNNEL_MANAGEMENT_DATA  the management data directory (default /var/lib/opentunnel/management): demo-password, agent-ca.pem
#   OPENTUNNEL_DEMO_PREFIX      the prefix of the namespaces and veth names (default otdemo; at most 12 characters)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 4 ]; then
  echo "usage: scripts/run-demo.sh ISSUER CA-PIN GATEWAY-PORT GATEWAY-PIN (./run.sh --demo passes them)" >&2
  exit 2
fi
issuer=$1
ca_pin=$2
gateway_port=$3
gateway_pin=$4
management_data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
prefix=${OPENTUNNEL_DEMO_PREFIX:-otdemo}
if [ "${#prefix}" -gt 12 ]; then
  echo "OPENTUNNEL_DEMO_PREFIX '$prefix' is longer than 12 characters (a veth name has at most 15)." >&2
  exit 2
fi
client_ns=$prefix-client
internal_ns=$prefix-internal
gateway_address=198.18.100.1
internal_address=198.18.101.2
for ns in "$client_ns" "$internal_ns"; do
  if [ -e "/run/netns/$ns" ]; then
    echo "The network namespace $ns exists already: another demo runs, or one was killed; remove it with: ip netns del $ns" >&2
    exit 1
  fi
done

step() { printf '\n== %s\n' "$*"; }

[ "${OPENTUNNEL_SKIP_BUILD:-0}" = 1 ] || dotnet build -c Release src/OpenTunnel.Client -nologo -v quiet
client=(dotnet "$PWD/src/OpenTunnel.Client/bin/Release/net10.0/opentunnel.dll")
home=$(mktemp -d /tmp/opentunnel-demo-client.XXXXXX)
export OPENTUNNEL_CLIENT_HOME=$home
signin_pid=
connect_pid=
made_namespaces=()
cleanup() {
  local status=$?
  step "Removing what the demo made"
  for pid in $signin_pid $connect_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # The veth pairs first, by their ends on this machine: deleting an end removes the pair at once,
  # while a pair whose peer is only in a deleted namespace goes later, when the kernel gets to it.
  for end in "$prefix-c0" "$prefix-i0"; do
    ip link del "$end" 2>/dev/null || true
  done
  for ns in "${made_namespaces[@]}"; do
    # Anything still running in a namespace the demo made was started by the demo (openconnect).
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf -- "$home"
  echo "Removed the namespaces ${made_namespaces[*]:-(none)} with their veth pairs, and the client's state directory $home."
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Making the client and the internal host (network namespaces $client_ns and $internal_ns)"
ip netns add "$client_ns"
made_namespaces+=("$client_ns")
ip netns add "$internal_ns"
made_namespaces+=("$internal_ns")
ip link add "$prefix-c0" type veth peer name "$prefix-c1" netns "$client_ns"
ip addr add "$gateway_address/24" dev "$prefix-c0"
ip link set "$prefix-c0" up
ip -n "$client_ns" link set lo up
ip -n "$client_ns" addr add 198.18.100.2/24 dev "$prefix-c1"
ip -n "$client_ns" link set "$prefix-c1" up
ip link add "$prefix-i0" type veth peer name "$prefix-i1" netns "$internal_ns"
ip addr add 198.18.101.1/24 dev "$prefix-i0"
ip link set "$prefix-i0" up
ip -n "$internal_ns" link set lo up
ip -n "$internal_ns" addr add "$internal_address/24" dev "$prefix-i1"
ip -n "$internal_ns" link set "$prefix-i1" up
echo "client 198.18.100.2 ── $gateway_address gateway (this machine) 198.18.101.1 ── $internal_address internal"

step "Before the tunnel, the client cannot reach the internal host $internal_address"
if ip netns exec "$client_ns" ping -c 1 -W 1 "$internal_address" >/dev/null 2>&1; then
  echo "The internal host answered without the tunnel: this machine routes 198.18.100.0/24 to it by other means; the demo proves nothing here." >&2
  exit 1
fi
echo "No route to it: right."

html_field() { # NAME: the decoded value of that hidden field of the HTML page on stdin
  local value
  value=$(grep -o "<input type=\"hidden\" name=\"$1\" value=\"[^\"]*\">" | head -1 | sed 's/.*value="\([^"]*\)">/\1/') || true
  value=$(sed -e 's/&#x\([0-9A-Fa-f][0-9A-Fa-f]\);/\\x\1/g' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' <<<"$value")
  printf '%b' "${value//&amp;/\&}"
}

# Runs opentunnel signin ARGS… and, when it shows its code, approves it as the demo user on the
# provider's verification page (what a person does in a browser: the code, the user name and
# password, then Allow), then waits for signin to get its tokens.
sign_in() {
  local output=$home/signin.out jar=$home/browser-cookies page=$home/verify.html code token ticket status
  "${client[@]}" signin "$@" >"$output" 2>&1 &
  signin_pid=$!
  for _ in $(seq 120); do
    grep -q "enter the code" "$output" && break
    kill -0 "$signin_pid" 2>/dev/null || break
    sleep 0.25
  done
  cat "$output"
  code=$(sed -n 's/.*enter the code \([^ ]*\).*/\1/p' "$output" | head -1)
  if [ -z "$code" ]; then
    echo "opentunnel signin showed no code." >&2
    return 1
  fi
  local browser=(curl -sS --cacert "$management_data/agent-ca.pem" -b "$jar" -c "$jar" -o "$page" -w '%{http_code}')
  rm -f "$jar"
  # The page answers 400 with the form for a code it does not know; its anti-forgery token is there either way.
  "${browser[@]}" "${issuer%/}/connect/verify?user_code=$code" >/dev/null
  token=$(html_field __RequestVerificationToken <"$page")
  # The password goes to curl on its standard input, never on a command line.
  tr -d '\n' <"$management_data/demo-password" | "${browser[@]}" --data-urlencode "user_code=$code" --data-urlencode "username=demo" \
    --data-urlencode "password@-" --data-urlencode "__RequestVerificationToken=$token" "${issuer%/}/connect/verify" >/dev/null
  ticket=$(html_field consent_ticket <"$page")
  if [ -z "$ticket" ]; then
    echo "The verification page did not accept demo's sign-in; it answered:" >&2
    sed 's/<[^>]*>/ /g' "$page" | tr -s ' \n' | head -c 600 >&2
    return 1
  fi
  token=$(html_field __RequestVerificationToken <"$page")
  status=$("${browser[@]}" --data-urlencode "user_code=$code" --data-urlencode "consent_ticket=$ticket" \
    --data-urlencode "__RequestVerificationToken=$token" --data-urlencode "consent=allow" "${issuer%/}/connect/verify")
  if [ "$status" != 302 ]; then
    echo "The consent was not taken (HTTP $status)." >&2
    return 1
  fi
  echo "(approved as demo on ${issuer%/}/connect/verify, as a person would in a browser)"
  wait "$signin_pid"
  signin_pid=
  sed '1,/enter the code/d' "$output"
}

step "The demo user signs in on the client: opentunnel signin --server $issuer --ca-pin $ca_pin"
sign_in --server "$issuer" --ca-pin "$ca_pin"

step "The client enrols the device with its posture: opentunnel enrol"
"${client[@]}" enrol --name demo-client

step "It signs in again, now as an enrolled device, for gateway tokens; conditional access decides: opentunnel signin --site default"
sign_in --server "$issuer" --site default

step "It takes a gateway token for the site (opentunnel token --site default) and connects through the gateway: opentunnel connect --gateway https://$gateway_address:$gateway_port"
# The token is taken here, where the provider is; connect, in the client namespace, gets it as a
# file (mode 0600) and needs no way to the provider. openconnect runs scripts/demo-vpnc-script.sh,
# which gives the tunnel its address and routes only the internal subnet through it (Debian's
# vpnc-script would also rewrite /etc/resolv.conf, which the namespace shares with this machine).
"${client[@]}" token --site default --out "$home/gateway-token-for-connect"
connect_log=$home/connect.log
ip netns exec "$client_ns" env OPENTUNNEL_CLIENT_HOME="$home" OT_DEMO_ROUTE=198.18.101.0/24 OT_DEMO_STATE="$home" \
  "${client[@]}" connect --engine openconnect --gateway "https://$gateway_address:$gateway_port" --token-file "$home/gateway-token-for-connect" \
  --servercert "$gateway_pin" --script "$PWD/scripts/demo-vpnc-script.sh" -- --non-inter >"$connect_log" 2>&1 &
connect_pid=$!
for _ in $(seq 120); do
  [ -f "$home/tunnel-up" ] && break
  if ! kill -0 "$connect_pid" 2>/dev/null; then
    echo "opentunnel connect ended before the tunnel was up:" >&2
    cat "$connect_log" >&2
    exit 1
  fi
  sleep 0.25
done
if [ ! -f "$home/tunnel-up" ]; then
  echo "The tunnel was not up within 30 s:" >&2
  cat "$connect_log" >&2
  exit 1
fi
cat "$home/tunnel-up"

step "Through the tunnel, the client pings the internal host: ping $internal_address"
if ! ip netns exec "$client_ns" ping -c 3 -i 0.3 -W 2 "$internal_address"; then
  echo "The internal host did not answer through the tunnel. If this machine's firewall drops forwarded traffic (a forward chain with policy drop), let the gateway's TUN device forward to 198.18.101.0/24." >&2
  exit 1
fi
echo "Reached the internal host $internal_address through the gateway as user demo."

step "Disconnecting"
kill -TERM "$connect_pid"
wait "$connect_pid" || true
connect_pid=
echo "opentunnel connect ended; openconnect said goodbye to the gateway."
