#!/usr/bin/env bash
# Starts the standalone OpenTunnel stack on this machine, as root:
# - the management service with SQLite (scripts/run-management.sh: http://127.0.0.1:8080, data in
#   /var/lib/opentunnel/management), which says where the first administrator API key is (the
#   file admin-api-key there; the key is not printed);
# - the gateway: a self-signed certificate and a development token key are made in its data
#   directory, a test token is minted, and the openconnect command that uses them is printed;
# - the management agent beside it (scripts/run-agent.sh), enrolled at the first run into the
#   site "default", which keeps the gateway's configuration in step with the management service.
# Ctrl-C stops all three; the gateway then removes its nftables table and puts IP forwarding back.
#   GATEWAY_DATA      the gateway's data directory (default: artifacts/run/gateway in this checkout)
#   Any OPENTUNNEL_GATEWAY_Section__Setting overrides the gateway configuration,
#   e.g. OPENTUNNEL_GATEWAY_Listener__Port=443.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh needs root: the gateway creates a TUN device and its nftables table." >&2
  exit 1
fi

scripts/run-management.sh --detach
management_pid=$(cat "${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}/management.pid")
trap 'kill "$management_pid" 2>/dev/null || true' EXIT INT TERM

data=${GATEWAY_DATA:-$PWD/artifacts/run/gateway}
config=$data/gateway.json
mkdir -p "$data"
chmod 700 "$data"
if [ ! -f "$config" ]; then
  sed "s|@DATA@|$data|g" deploy/gateway/gateway.sample.json > "$config"
  echo "Wrote $config from deploy/gateway/gateway.sample.json (edit it, or see docs/gateway.md)."
fi

dotnet build -c Release src/OpenTunnel.Gateway -nologo -v quiet
gateway=(dotnet src/OpenTunnel.Gateway/bin/Release/net10.0/opentunnel-gateway.dll)

"${gateway[@]}" check --config "$config"
"${gateway[@]}" token --config "$config" --user alice --device quick-look > "$data/alice.token"
chmod 600 "$data/alice.token"
pin=$("${gateway[@]}" pin --config "$config")
port=${OPENTUNNEL_GATEWAY_Listener__Port:-$(sed -n 's/.*"Port": *\([0-9]*\).*/\1/p' "$config" | head -1)}

scripts/run-agent.sh "$config" "$data"
agent_pid=$(cat "${AGENT_DATA:-$PWD/artifacts/run/agent}/agent.pid")
trap 'kill "$agent_pid" "$management_pid" 2>/dev/null || true' EXIT INT TERM

cat <<TEXT

OpenTunnel gateway on port $port. From a client machine (Debian: apt-get install openconnect):

  openconnect --token-mode=oidc --token-secret=@alice.token --servercert $pin https://THIS-HOST:$port

  alice.token is $data/alice.token (valid 1 h). Mint another token:
    ${gateway[*]} token --config $config --user bob [--device ID] [--lifetime SECONDS]
  Watch it:  ${gateway[*]} status --config $config      (also: sessions, disconnect, terminate, reload)
  Metrics:   curl http://127.0.0.1:9464/metrics
  Health:    curl -H "X-Api-Key: \$(cat ${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}/admin-api-key)" http://127.0.0.1:8080/api/v1/sites  (then /api/v1/servers/ID/health)

TEXT
"${gateway[@]}" run --config "$config"
