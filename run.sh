#!/usr/bin/env bash
# Runs the standalone OpenTunnel stack on this machine.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build -c Release OpenTunnel.slnx -nologo -v quiet

# --- Management service (docs/management.md): SQLite in /var/lib/opentunnel/management,
# --- http://127.0.0.1:8080; prints the address and the first administrator key; Ctrl+C stops it.
exec scripts/run-management.sh "$@"
