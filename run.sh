#!/usr/bin/env bash
# Runs the standalone OpenTunnel stack on this machine.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build -c Release OpenTunnel.slnx -nologo -v quiet
echo "Built. No OpenTunnel service exists yet to start: the gateway is the next part to land."
