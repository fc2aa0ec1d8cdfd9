#!/usr/bin/env bash
# Starts the standalone OpenTunnel stack on this machine, as root:
# - the management service and its identity provider with SQLite, over HTTPS with a certificate of
#   the deployment's CA (scripts/run-management.sh: https://0.0.0.0:9443, data in
#   /var/lib/opentunnel/management; the CA's pin is printed and kept in ca-pin there; the first
#   administrator API key is in the file admin-api-key there, not printed);
# - a demo user "demo" in the group "vpn-users", which a conditional-access policy lets into the
#   site "default"; its password is in the file demo-password there (mode 0600), not printed;
# - a console administrator "admin" in the group "opentunnel-admins", which the service is started
#   with as Management:Console:FullAdminGroups; its password is in admin-password there (0600);
# - the gateway, trusting the embedded identity provider (Auth:Issuer, with Auth:CaFile the
#   deployment's CA), and the management agent beside it (scripts/run-agent.sh), enrolled at the
#   first run into the site "default", which keeps the gateway's configuration in step;
# and prints the console's address and the commands a client machine runs to sign in, enrol and connect.
# With --demo it then runs scripts/run-demo.sh: a client and an internal host in throw-away network
# namespaces of this machine, the demo user signing in, enrolling, connecting and pinging the
# internal host; the demo removes what it made and the stack keeps running.
# Ctrl-C stops all three; the gateway then removes its nftables table and puts IP forwarding back.
#   GATEWAY_DATA      the gateway's data directory (default: artifacts/run/gateway in this checkout)
#   OPENTUNNEL_SKIP_BUILD=1  use the Release binaries of an earlier build instead of building each
#                     project first (here and in scripts/run-*.sh)
#   Any OPENTUNNEL_GATEWAY_Section__Setting overrides the gateway configuration,
#   e.g. OPENTUNNEL_GATEWAY_Listener__Port=443.
set -euo pipefail
cd "$(dirname "$0")"

demo=false
case "${1:-}" in
  "") ;;
  --demo) demo=true ;;
  *) echo "usage: ./run.sh [--demo]   (unknown argument '$1')" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh needs root: the gateway creates a TUN device and its nftables table." >&2
  exit 1
fi

management_data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
scripts/run-management.sh --detach
management_pid=$(cat "$management_data/management.pid")
agent_pid=
gateway_pid=
# Each process this script started, by its PID; the gateway first, so that it leaves while the agent still watches.
stop() {
  for pid in $gateway_pid $agent_pid $management_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  done
}
trap stop EXIT
trap 'exit 130' INT TERM
management_port=$(url=${OPENTUNNEL_MANAGEMENT_URL:-https://0.0.0.0:9443}; echo "${url##*:}")
address=$(hostname -I 2>/dev/null | awk '{print $1}')
host=${address:-127.0.0.1}
issuer=${OPENTUNNEL_ISSUER:-https://$host:$management_port/}
ca_pin=$(cat "$management_data/ca-pin")

data=${GATEWAY_DATA:-$PWD/artifacts/run/gateway}
config=$data/gateway.json
mkdir -p "$data"
chmod 700 "$data"
if [ ! -f "$config" ]; then
  sed "s|@DATA@|$data|g" deploy/gateway/gateway.sample.json > "$config"
  echo "Wrote $config from deploy/gateway/gateway.sample.json (edit it, or see docs/gateway.md)."
fi
# The gateway takes the embedded provider's tokens, fetching its keys over HTTPS trusting the
# deployment's CA by its file (no development token key); a configuration of an earlier run is moved over too.
sed -i -e "s|\"Issuer\": *\"[^\"]*\"|\"Issuer\": \"$issuer\"|" \
  -e "s|\"JwksFile\": *\"[^\"]*\"|\"CaFile\": \"$management_data/agent-ca.pem\"|" \
  -e "s|\"CaFile\": *\"[^\"]*\"|\"CaFile\": \"$management_data/agent-ca.pem\"|" "$config"

[ "${OPENTUNNEL_SKIP_BUILD:-0}" = 1 ] || dotnet build -c Release src/OpenTunnel.Gateway -nologo -v quiet
gateway=(dotnet src/OpenTunnel.Gateway/bin/Release/net10.0/opentunnel-gateway.dll)

"${gateway[@]}" check --config "$config"
pin=$("${gateway[@]}" pin --config "$config")
port=${OPENTUNNEL_GATEWAY_Listener__Port:-$(sed -n 's/.*"Port": *\([0-9]*\).*/\1/p' "$config" | head -1)}

scripts/run-agent.sh "$config" "$data"
agent_pid=$(cat "${AGENT_DATA:-$PWD/artifacts/run/agent}/agent.pid")

scripts/run-demo-user.sh

cat <<TEXT

OpenTunnel: identity provider $issuer, gateway on port $port.
Console: ${issuer}console  (user admin, password: sudo cat $management_data/admin-password; the browser
  must trust the deployment's CA, below)
From a client machine (Debian: apt-get install openconnect; the client is src/OpenTunnel.Client,
'dotnet publish' it or run it with 'dotnet opentunnel.dll'), as user demo (password: sudo cat $management_data/demo-password):

  opentunnel signin --server $issuer --ca-pin $ca_pin
  opentunnel enrol
  opentunnel signin --server $issuer --site default
  sudo opentunnel connect --gateway https://$host:$port --site default --servercert $pin

  signin prints a page to open in a browser; the browser does not know the deployment's CA
  ($management_data/agent-ca.pem): import it, or compare its pin with $ca_pin.
  Watch it:  ${gateway[*]} status --config $config      (also: sessions, disconnect, terminate, reload)
  Metrics:   curl http://127.0.0.1:9464/metrics
  Health:    curl --cacert $management_data/agent-ca.pem -H "X-Api-Key: \$(cat $management_data/admin-api-key)" https://127.0.0.1:$management_port/api/v1/sites  (then /api/v1/servers/ID/health)

TEXT
# In the background, so that Ctrl-C (which a background process of a script ignores) reaches this
# script while it waits, and stop() ends the gateway by its PID.
"${gateway[@]}" run --config "$config" &
gateway_pid=$!
if [ "$demo" = true ]; then
  for _ in $(seq 120); do
    if "${gateway[@]}" status --config "$config" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$gateway_pid" 2>/dev/null; then echo "The gateway stopped (its log is above); no demo." >&2; exit 1; fi
    sleep 0.5
  done
  if scripts/run-demo.sh "$issuer" "$ca_pin" "$port" "$pin"; then
    printf '\nThe demo is over and removed what it made; the stack keeps running (Ctrl-C stops it).\n'
  else
    printf '\nThe demo failed (above) and removed what it made; the stack keeps running (Ctrl-C stops it).\n'
  fi
fi
wait "$gateway_pid"
