#!/bin/sh
# Entry point of the opentunnel-gateway image. As root it only prepares the volumes; then the
# gateway and the agent run as the user opentunnel with CAP_NET_ADMIN (TUN device, nftables) and
# CAP_NET_BIND_SERVICE (port 443) as their only capabilities, and no way to gain others.
#   run                 (default) the gateway and the agent; SIGTERM stops both (the gateway removes
#                       its nftables table)
#   enrol ARGS...       opentunnel-agent enrol ARGS... (the token file mounted read-only)
#   gateway ARGS...     opentunnel-gateway ARGS... (status, sessions, reload, pin, token ...)
#   agent ARGS...       opentunnel-agent ARGS...
set -eu
config=/etc/opentunnel/gateway.json
data=/var/lib/opentunnel

# setpriv keeps exactly the capabilities named (bounding, inheritable and ambient sets) for a
# non-root user: ambient capabilities are what carries them across exec into nft. The gateway
# gets CAP_NET_ADMIN and CAP_NET_BIND_SERVICE; the agent needs none.
as_user() { # CAPABILITIES (e.g. ",+net_admin" or "") COMMAND...
  caps=$1; shift
  exec setpriv --reuid=opentunnel --regid=opentunnel --clear-groups \
    --bounding-set="-all$caps" --inh-caps="-all$caps" --ambient-caps="-all$caps" \
    --no-new-privs -- "$@"
}
gateway_caps=,+net_admin,+net_bind_service

prepare() {
  mkdir -p "$data/gateway" "$data/agent" /etc/opentunnel
  [ -f "$config" ] || cp /opt/opentunnel/gateway.json "$config"
  chown -R opentunnel:opentunnel "$data" /etc/opentunnel
  chmod 0700 "$data/gateway" "$data/agent"
}

verb=${1:-run}
[ $# -gt 0 ] && shift
case "$verb" in
  run)
    prepare
    # A container sees /proc/sys read-only, so the gateway cannot switch forwarding on itself.
    if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ] && grep -q '"ManageFirewall": *true' "$config" \
       && ! (echo 1 >/proc/sys/net/ipv4/ip_forward) 2>/dev/null; then
      echo "IP forwarding is off in this network namespace and the container cannot switch it on:" >&2
      echo "  with its own network namespace: podman run --sysctl net.ipv4.ip_forward=1 ..." >&2
      echo "  with --network host: switch it on on the host (sysctl -w net.ipv4.ip_forward=1; opentunnel-setup does)" >&2
      exit 78
    fi
    if [ ! -f "$data/gateway/token-signing-jwks.json" ] && grep -q development-issuer "$config"; then
      # The quick-look token key, until the site's identity provider is pushed by the management
      # service (Management:Agents:GatewayAuth): the gateway refuses to start without a key set.
      (as_user "$gateway_caps" opentunnel-gateway token --config "$config" --user first-start --lifetime 60 >/dev/null)
    fi
    (as_user "$gateway_caps" opentunnel-gateway run --config "$config") &
    gateway=$!
    for _ in $(seq 100); do [ -S "$data/gateway/control.sock" ] && break; kill -0 "$gateway" 2>/dev/null || break; sleep 0.1; done
    agent=
    if [ ! -f "$data/agent/agent.json" ] && [ -n "${OPENTUNNEL_AGENT_TOKENFILE:-}" ] && [ -r "$OPENTUNNEL_AGENT_TOKENFILE" ]; then
      # First start with a token (compose: a secret file only root reads): the agent enrols by
      # itself, from a copy it alone can read; the copy is deleted once the enrolment is stored.
      (umask 077 && head -n1 "$OPENTUNNEL_AGENT_TOKENFILE" >"$data/agent/enrolment-token")
      chown opentunnel:opentunnel "$data/agent/enrolment-token"
      export OPENTUNNEL_AGENT_TOKENFILE="$data/agent/enrolment-token"
    else
      unset OPENTUNNEL_AGENT_TOKENFILE
    fi
    rm_token_when_enrolled() {
      while [ -f "$data/agent/enrolment-token" ] && [ ! -f "$data/agent/agent.json" ]; do sleep 1; done
      rm -f "$data/agent/enrolment-token"
    }
    if [ -f "$data/agent/agent.json" ] || [ -n "${OPENTUNNEL_AGENT_TOKENFILE:-}" ]; then
      (as_user "" opentunnel-agent run) &
      agent=$!
      rm_token_when_enrolled &
    fi
    trap 'kill -TERM $gateway $agent 2>/dev/null' TERM INT
    status=0
    wait "$gateway" || status=$?
    # wait returns early when a trapped signal arrives; wait again for the children to finish.
    while kill -0 "$gateway" 2>/dev/null; do wait "$gateway" || status=$?; done
    [ -n "$agent" ] && { kill -TERM "$agent" 2>/dev/null; wait "$agent" || true; }
    exit "$status"
    ;;
  enrol) prepare; as_user "" opentunnel-agent enrol "$@" ;;
  gateway) as_user "$gateway_caps" opentunnel-gateway "$@" ;;
  agent) as_user "" opentunnel-agent "$@" ;;
  *) echo "opentunnel-gateway image: unknown verb '$verb' (run, enrol, gateway, agent)" >&2; exit 64 ;;
esac
