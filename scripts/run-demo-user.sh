#!/usr/bin/env bash
# Makes the quick start's demo user once: "demo" in the group "vpn-users", and the
# conditional-access policy "vpn" that lets that group into the site "default" (made by
# run-agent.sh). Its password is random, written to DATA/demo-password (mode 0600) and not printed.
# Makes the console's first administrator once too: "admin" in the group "opentunnel-admins"
# (run-management.sh names that group in Management:Console:FullAdminGroups), its password in
# DATA/admin-password (mode 0600), not printed. A second run finds them and changes nothing.
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

group_of() { # NAME: the id of the group of that name, made when there is none
  local id
  id=$(id_of groups "$1")
  [ -n "$id" ] || id=$(call POST /api/v1/groups "{\"name\":\"$1\"}" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  echo "$id"
}

site=$(id_of sites default)
group=$(group_of vpn-users)
if [ -z "$(id_of conditional-access-policies vpn)" ]; then
  call POST /api/v1/conditional-access-policies "{\"name\":\"vpn\",\"groupIds\":[\"$group\"],\"siteIds\":[\"$site\"]}" >/dev/null
fi
make_user() { # NAME DISPLAY-NAME GROUP-ID PASSWORD-FILE: makes the user once, with a random password kept in that file
  [ -z "$(id_of users "$1")" ] || return 0
  local user password
  user=$(call POST /api/v1/users "{\"name\":\"$1\",\"displayName\":\"$2\",\"enabled\":true,\"groupIds\":[\"$3\"]}" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  (umask 077 && printf '%s\n' "$password" >"$4")
  call PUT "/api/v1/users/$user/password" "{\"password\":\"$password\"}" >/dev/null
  echo "Made the user '$1' ($2); its password is in $4 (mode 0600), not printed."
}
make_user demo "Demo user" "$group" "$data/demo-password"
admins=$(group_of opentunnel-admins)
make_user admin "Administrator" "$admins" "$data/admin-password"
