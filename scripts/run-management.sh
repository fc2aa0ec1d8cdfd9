#!/usr/bin/env bash
# Starts the OpenTunnel management service and its identity provider on this machine with SQLite,
# over HTTPS with a certificate of the deployment's CA, prints its address, the CA's pin and where
# the first administrator API key is (the file, mode 0600; the key itself is never printed, so it
# stays out of terminals, logs and the journal), and keeps running until Ctrl+C (or returns at once
# with --detach). Data stays in the data directory, so a second run finds every object again.
#
#   OPENTUNNEL_MANAGEMENT_URL   where it listens    (default https://0.0.0.0:9443)
#   OPENTUNNEL_MANAGEMENT_DATA  its data directory  (default /var/lib/opentunnel/management)
#   OPENTUNNEL_ISSUER           the identity provider's issuer (default https://THIS-HOST'S-FIRST-ADDRESS:PORT/)
# The members of the group "opentunnel-admins" (run-demo-user.sh makes it, with the user "admin")
# are full administrators in the console (Management:Console:FullAdminGroups).
set -euo pipefail
cd "$(dirname "$0")/.."

url=${OPENTUNNEL_MANAGEMENT_URL:-https://0.0.0.0:9443}
data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
port=${url##*:}
address=$(hostname -I 2>/dev/null | awk '{print $1}')
issuer=${OPENTUNNEL_ISSUER:-https://${address:-127.0.0.1}:$port/}
# The service's certificate names loopback, so the checks below reach it there, trusting only the deployment's CA.
local_url=https://127.0.0.1:$port
detach=false
[ "${1:-}" = "--detach" ] && detach=true

[ "${OPENTUNNEL_SKIP_BUILD:-0}" = 1 ] || dotnet build -c Release src/OpenTunnel.Management -nologo -v quiet
bin=src/OpenTunnel.Management/bin/Release/net10.0/opentunnel-management
mkdir -p "$data"
chmod 0700 "$data"
log="$data/management.log"

Management__DataDirectory="$data" Identity__Issuer="$issuer" Management__Console__FullAdminGroups__0=opentunnel-admins "$bin" serve --urls "$url" >>"$log" 2>&1 &
pid=$!
echo "$pid" >"$data/management.pid"
if [ "$detach" = false ]; then trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT INT TERM; fi

for _ in $(seq 120); do
  if [ -f "$data/agent-ca.pem" ] && curl -fsS --cacert "$data/agent-ca.pem" "$local_url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "The management service stopped; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done

echo "Management service and identity provider: $url, issuer $issuer (REST API /api/v1, OpenAPI /openapi/v1.json, PID $pid, log $log)"
echo "Deployment CA: pin $(cat "$data/ca-pin") (in $data/ca-pin), certificate $data/agent-ca.pem"
echo "Administrator API key: in $data/admin-api-key (mode 0600; not printed)"
echo "Console: ${issuer}console (for the members of the group opentunnel-admins)"
echo "API: curl --cacert $data/agent-ca.pem -H \"X-Api-Key: \$(cat $data/admin-api-key)\" $local_url/api/v1/sites"
if [ "$detach" = true ]; then exit 0; fi
wait "$pid"
