#!/bin/sh
# openconnect's script for the client of ./run.sh --demo (scripts/run-demo.sh): gives the tunnel
# device its address and routes only OT_DEMO_ROUTE (the demo's internal subnet) through it; no
# DNS (Debian's vpnc-script would rewrite /etc/resolv.conf, which the demo's namespace shares with
# the machine). Writes OT_DEMO_STATE/tunnel-up when the tunnel is up and removes it at disconnect.
set -e
case "$reason" in
  connect)
    ip link set dev "$TUNDEV" up mtu "$INTERNAL_IP4_MTU"
    ip addr add "$INTERNAL_IP4_ADDRESS/32" peer "$INTERNAL_IP4_ADDRESS" dev "$TUNDEV"
    ip route replace "$OT_DEMO_ROUTE" dev "$TUNDEV"
    echo "Tunnel up: device $TUNDEV, address $INTERNAL_IP4_ADDRESS from the gateway $VPNGATEWAY, route $OT_DEMO_ROUTE through it." >"$OT_DEMO_STATE/tunnel-up"
    ;;
  disconnect)
    rm -f "$OT_DEMO_STATE/tunnel-up"
    ;;
esac
exit 0
