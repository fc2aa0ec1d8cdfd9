#!/usr/bin/env bash
# Installs what the tests need (Debian packages) and runs every test of OpenTunnel.
# Usage: ./test.sh [extra dotnet test arguments, for example --filter Category=Unit]
# Run as root: the EndToEnd tests build network namespaces and TUN devices.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use; only the missing ones are installed.
packages=(iproute2 iputils-ping nftables openconnect iperf3 curl procps)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

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
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
