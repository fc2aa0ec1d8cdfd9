#!/usr/bin/env bash
# Installs what the tests need (Debian packages) and runs every test of OpenTunnel.
# Usage: ./test.sh [extra dotnet test arguments, for example --filter Category=Unit]
# Run as root: the EndToEnd tests build network namespaces and TUN devices.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use; only the missing ones are installed.
# ocserv: the benchmark's load generator is tested against it.
# podman, runc, mmdebstrap, podman-compose, openssl: the images and the install script (the
# Debian base root file system is cached in artifacts/images and reused).
# chromium: the console's Browser tests (Playwright cannot download a browser here).
# faketime: the install script's clock-skew check (the script alone sees a shifted clock) and the
# gateway's clock-jump test (GatewayClockJumpTests: the gateway alone sees its clock stepped).
# haproxy: the management replicas behind a balancer (ManagementReplicaFailoverTests), and with
# nginx and libnginx-mod-stream the balancers of the several-gateways site test (run from a
# temporary folder in a namespace, never as the system's services).
packages=(iproute2 iputils-ping nftables openconnect iperf3 curl procps postgresql ocserv podman runc mmdebstrap podman-compose uidmap openssl chromium faketime haproxy nginx libnginx-mod-stream clang zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  # On a systemd host Debian starts ocserv.service (on :443), nginx.service (on :80) and
  # haproxy.service in the root namespace; the tests run their own.
  for service in ocserv nginx haproxy; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$service" 2>/dev/null; then
      systemctl stop "$service" || true
    fi
  done
fi

# A throw-away PostgreSQL server for the management Integration tests, owned by this run: a
# fresh cluster in a temporary folder on 127.0.0.1 and a free port, without durability (it is
# thrown away), stopped and deleted on exit. Tests reach it through OPENTUNNEL_TEST_POSTGRES and
# create one database each.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_dir=$(mktemp -d /tmp/opentunnel-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
stop_postgres() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
# A signal ends the script through exit, so the EXIT trap above still stops the cluster.
trap 'exit 130' INT
trap 'exit 143' TERM
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync -E UTF8 >"$pg_dir/initdb.log"
# A port found free can be taken before the server binds it: then it tries another, three times
# at most, and shows the server's log if the last try fails too.
for attempt in 1 2 3; do
  # Below the kernel's range of ephemeral ports (32768 up), and held by no TCP socket at all.
  pg_port=$((20000 + RANDOM % 12000))
  while ss -tanH "sport = :$pg_port" | grep -q .; do pg_port=$((20000 + RANDOM % 12000)); done
  if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null; then
    break
  fi
  if [ "$attempt" -eq 3 ]; then
    echo "test.sh: PostgreSQL for the tests did not start; its log:" >&2
    tail -20 "$pg_dir/server.log" >&2
    exit 1
  fi
done
export OPENTUNNEL_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
echo "PostgreSQL for tests: 127.0.0.1:$pg_port ($pg_dir)"

results=artifacts/test-results
rm -rf "$results"
dotnet build -c Release OpenTunnel.slnx -warnaserror -nologo -v quiet
set +e
dotnet test OpenTunnel.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
set -e

# One summary over every test project, from the TRX reports.
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${fl:-0})); skipped=$((skipped + ${n:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
# The failed tests' names again, next to the summary, where a log's tail shows them.
if [ "$failed" -gt 0 ]; then
  echo "Failed tests:"
  cat "$results"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' \
    | sed -n 's/.* testName="\([^"]*\)".*/  \1/p' | sed 's/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g' || true
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
