#!/usr/bin/env bash
# Makes the quick start's demo user once: "demo" in the group "vpn-users", and the
# conditional-access policy "vpn" that lets that group into the site "default" (made by
# run-agent.sh). Its password is random, written to DATA/demo-password (mode 0600) and not printed.
# A second run finds them and changes nothing.
#
#   OPENTUNNEL_MANAGEMENT_API   the management API      (default https://127.0.0.1:9443, trusted by the deployment's CA file)
#   OPENTUNNEL_MANAGEMENT_DATA  its data directory      (default /var/lib/opentunnel/management)
set -euo pipefail

api=${OPENTUNNEL_MANAGEMENT_API:-https://127.0.0.1:9443}
data=${OPENTUNNEL_MANAGEMENT_DATA:-/var/lib/opentunnel/management}
key=$(cat "$data/admin-api-key")
call() { # METHOD PATH [JSON]
  curl -fsS --cacert "$data/agent-ca.pem" -X "$1" -H "X-Api-Key: $key" -H 'Content-Type: application/json' "$api$2" ${3:+-d "$3"}
}
id_of() { # RESOURCE NAME: the id of the object of that name, empty when there is none
  call GET "/api/v1/$1?name=$2" | { grep -o '"id":"[^"]*"' || true; } | head -1 | cut -d'"' -f4
}

site=$(id_of sites default)
group=$(id_of groups vpn-users)
[ -n "$group" ] || group=$(call POST /api/v1/groups '{"name":"vpn-users"}' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
if [ -z "$(id_of conditional-access-policies vpn)" ]; then
  call POST /api/v1/conditional-access-policies "{\"name\":\"vpn\",\"groupIds\":[\"$group\"],\"siteIds\":[\"$site\"]}" >/dev/null
fi
if [ -z "$(id_of users demo)" ]; then
  user=$(call POST /api/v1/users "{\"name\":\"demo\",\"displayName\":\"Demo user\",\"enabled\":true,\"groupIds\":[\"$group\"]}" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  (umask 077 && printf '%s\n' "$password" >"$data/demo-password")
  call PUT "/api/v1/users/$user/password" "{\"password\":\"$password\"}" >/dev/null
  echo "Made the user 'demo' in the group 'vpn-users', allowed into the site 'default'; its password is in $data/demo-password (mode 0600)."
fi
