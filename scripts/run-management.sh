#!/usr/bin/env bash
# Starts the OpenTunnel management service on this machine with SQLite, prints its address and
# where the first administrator API key is (the file, mode 0600; the key itself is never printed,
# so it stays out of terminals, logs and the journal), and keeps running until Ctrl+C (or returns
# at once with --detach). Data stays in the data directory, so a second run finds every object again.
#
#   OPENTUNNEL_MANAGEMENT_URL   where it listens    (default http://127.0.0.1:8080)
#   OPENTUNNEL_MANAGEMENT_DATA  its data directory  (default /var/lib/opentunnel/management)
set -euo pipefail
cd "$(dirname "$0")/.."

url=${OPENTUNNEL_MANAGEMENT_URL:-http://127.0.0.1:8080}
data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
detach=false
[ "${1:-}" = "--detach" ] && detach=true

dotnet build -c Release src/OpenTunnel.Management -nologo -v quiet
bin=src/OpenTunnel.Management/bin/Release/net10.0/opentunnel-management
mkdir -p "$data"
chmod 0700 "$data"
log="$data/management.log"

Management__DataDirectory="$data" "$bin" --urls "$url" >>"$log" 2>&1 &
pid=$!
echo "$pid" >"$data/management.pid"
if [ "$detach" = false ]; then trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT INT TERM; fi

for _ in $(seq 120); do
  if curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "The management service stopped; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done

echo "Management service: $url  (REST API $url/api/v1, OpenAPI $url/openapi/v1.json, PID $pid, log $log)"
echo "Administrator API key: in $data/admin-api-key (mode 0600; not printed)"
echo "CLI: OPENTUNNEL_API_KEY_FILE=$data/admin-api-key $bin sites list --url $url"
if [ "$detach" = true ]; then exit 0; fi
wait "$pid"
