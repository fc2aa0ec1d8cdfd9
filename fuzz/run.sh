#!/usr/bin/env bash
# Runs one libFuzzer campaign against one target of fuzz/OpenTunnel.Fuzz.
# Usage: fuzz/run.sh TARGET [SECONDS] [more libFuzzer flags]
#   TARGET: http | auth-xml | cstp | dtls-record | dtls-demux | config
#   SECONDS: how long (default 3600)
# Builds the targets, instruments the assemblies under test with the sharpfuzz tool, compiles
# the libFuzzer driver with Debian's clang, and fuzzes from the checked-in corpus. New inputs go
# to artifacts/fuzz/corpus/TARGET, crashes and hangs to artifacts/fuzz/findings/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags]}
seconds=${2:-3600}
shift $(( $# >= 2 ? 2 : 1 ))

missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

work=artifacts/fuzz
bin=$work/bin
mkdir -p "$work/corpus/$target" "$work/findings/$target"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  rm -rf "$bin"
  dotnet build -c Release fuzz/OpenTunnel.Fuzz -nologo -v quiet -o "$bin"
  dotnet tool restore >/dev/null
  # Our own assemblies, and the configuration binder and JSON source the config target runs through.
  for dll in OpenTunnel.Protocol.dll OpenTunnel.Platform.Linux.dll opentunnel-gateway.dll Microsoft.Extensions.Configuration.Binder.dll Microsoft.Extensions.Configuration.Json.dll; do
    dotnet sharpfuzz "$bin/$dll"
  done
  clang-14 -O2 -Wall -Wextra -Werror -fsanitize=fuzzer -o "$work/dotnet-libfuzzer" fuzz/driver/dotnet-libfuzzer.c
fi

exec "$work/dotnet-libfuzzer" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$work/findings/$target/" "$@" "$work/corpus/$target" "fuzz/corpus/$target" \
  --target_path=dotnet --target_arg="$bin/OpenTunnel.Fuzz.dll" --target_arg="$target"
