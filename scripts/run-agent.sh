#!/usr/bin/env bash
# Enrols this machine's gateway into the management service's default site (made at the first
# run: a server configuration that matches deploy/gateway/gateway.sample.json, and a site named
# "default") and starts the management agent beside the gateway. Called by run.sh once the
# management service answers; returns at once, the agent keeps running (PID in AGENT_DATA/agent.pid).
#
#   $1  the gateway's configuration file (the agent rewrites it with each accepted configuration)
#   $2  the gateway's data directory (its control socket is control.sock there)
#   OPENTUNNEL_MANAGEMENT_API   the management API      (default https://127.0.0.1:9443, trusted by the deployment's CA file)
#   OPENTUNNEL_MANAGEMENT_DATA  its data directory      (default /var/lib/opentunnel/management)
#   AGENT_DATA                  the agent's data directory (default artifacts/run/agent in this checkout)
set -euo pipefail
cd "$(dirname "$0")/.."

gateway_config=$1
gateway_data=$2
api=${OPENTUNNEL_MANAGEMENT_API:-https://127.0.0.1:9443}
management_data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
agent_data=${AGENT_DATA:-$PWD/artifacts/run/agent}
key=$(cat "$management_data/admin-api-key")

call() { # METHOD PATH [JSON]
  curl -fsS --cacert "$management_data/agent-ca.pem" -X "$1" -H "X-Api-Key: $key" -H 'Content-Type: application/json' "$api$2" ${3:+-d "$3"}
}
field() { # NAME: the first string value of that name in the JSON on stdin
  grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4
}

[ "${OPENTUNNEL_SKIP_BUILD:-0}" = 1 ] || dotnet build -c Release src/OpenTunnel.Agent -nologo -v quiet
agent=(dotnet src/OpenTunnel.Agent/bin/Release/net10.0/opentunnel-agent.dll)
mkdir -p "$agent_data"
chmod 700 "$agent_data"

environment=(
  OPENTUNNEL_AGENT_DATADIRECTORY="$agent_data"
  OPENTUNNEL_AGENT_GATEWAYCONFIGURATIONFILE="$gateway_config"
  OPENTUNNEL_AGENT_GATEWAYCONTROLSOCKET="$gateway_data/control.sock"
)
if [ ! -f "$agent_data/agent.json" ]; then
  site=$(call GET "/api/v1/sites?name=default" | field id || true)
  if [ -z "$site" ]; then
    configuration=$(call POST /api/v1/configurations '{"name":"default","ipv4Range":"169.254.0.0/16","port":8443}' | field id)
    address=$(hostname -I 2>/dev/null | awk '{print $1}')
    site=$(call POST /api/v1/sites "{\"name\":\"default\",\"publicAddress\":\"${address:-127.0.0.1}\",\"serverConfigurationId\":\"$configuration\"}" | field id)
    echo "Created the site 'default' ($site) with the server configuration 'default' ($configuration)."
  fi
  answer=$(call POST "/api/v1/sites/$site/enrolment-tokens" '{"validForHours":1}')
  # The one-time token goes in a file only root can read, never on a command line (/proc/PID/cmdline
  # is readable by every user); the agent reads it at its first start and the file is deleted after.
  token_file=$agent_data/enrolment-token
  (umask 077 && field token <<<"$answer" >"$token_file")
  environment+=(
    OPENTUNNEL_AGENT_MANAGEMENTURL="https://127.0.0.1:8444"
    OPENTUNNEL_AGENT_TOKENFILE="$token_file"
    OPENTUNNEL_AGENT_CAPIN="$(field caPin <<<"$answer")"
    OPENTUNNEL_AGENT_SERVERNAME="$(hostname)"
  )
fi

log=$agent_data/agent.log
env "${environment[@]}" "${agent[@]}" run >>"$log" 2>&1 &
echo $! >"$agent_data/agent.pid"
for _ in $(seq 120); do
  if grep -q "Agent of server" "$log" 2>/dev/null; then break; fi
  if ! kill -0 "$(cat "$agent_data/agent.pid")" 2>/dev/null; then
    rm -f "$agent_data/enrolment-token"
    echo "The agent stopped; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
rm -f "$agent_data/enrolment-token"
grep "Agent of server" "$log" | tail -1
echo "Agent: log $log, PID $(cat "$agent_data/agent.pid"); status: ${agent[*]} status --data-dir $agent_data"
