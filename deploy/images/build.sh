#!/bin/sh
# Builds OpenTunnel's two OCI images on this machine with podman and no registry:
#   1. a Debian 12 root file system made with mmdebstrap from Debian's archive (cached in
#      artifacts/images/base-*.tar, keyed by its package list, and reused),
#   2. podman import of it as localhost/opentunnel-base,
#   3. the applications published self-contained for linux-x64 (the runtime pack from NuGet), the
#      gateway as one native executable (Native AOT, compiled with clang),
#   4. podman build --pull=never of opentunnel-gateway (gateway + agent) and opentunnel-management
#      (management service + identity provider), saved as oci-archive files:
#      artifacts/images/opentunnel-gateway.oci.tar and artifacts/images/opentunnel-management.oci.tar.
# Usage: deploy/images/build.sh [--tag TAG]   (as root; TAG defaults to "latest")
# Uses deploy/images/containers.conf (CONTAINERS_CONF) unless CONTAINERS_CONF is set already.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/artifacts/images
tag=latest
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    *) echo "build.sh: unknown option '$1' (--tag TAG)" >&2; exit 64 ;;
  esac
done
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
for tool in podman mmdebstrap clang dotnet; do
  command -v "$tool" >/dev/null || { echo "build.sh: '$tool' is missing (apt-get install podman runc mmdebstrap clang zlib1g-dev; the .NET 10 SDK for dotnet)" >&2; exit 1; }
done
mkdir -p "$out"

# libicu72 and libssl3: what a self-contained .NET application still loads from the system;
# nftables and iproute2 for the gateway; util-linux's setpriv (in the base) drops root.
packages=ca-certificates,libicu72,libssl3,nftables,iproute2,tzdata
key=$(printf '%s' "bookworm $packages" | sha256sum | cut -c1-12)
base=$out/base-bookworm-$key.tar
if [ ! -f "$base" ]; then
  echo "Building the Debian 12 base ($packages) into $base"
  mmdebstrap --variant=minbase --include="$packages" --quiet \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
    bookworm "$out/partial-base.tar" http://deb.debian.org/debian
  mv "$out/partial-base.tar" "$base"
fi
if ! podman image exists "localhost/opentunnel-base:$key"; then
  podman import --quiet "$base" "localhost/opentunnel-base:$key" >/dev/null
fi
podman tag "localhost/opentunnel-base:$key" localhost/opentunnel-base:current

# The images are made again only when their inputs changed: the sources, this folder, the
# install script (embedded in the management service) and the build settings. Contents, names and
# modes only: times and owners are left out, or a build of the checkout (which makes bin/ and
# obj/ and so changes their folders' times) would count as a change.
stamp=$( (cd "$root" && tar --exclude=bin --exclude=obj --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  -cf - src deploy/images deploy/install Directory.Build.props Directory.Packages.props global.json .editorconfig) | sha256sum | cut -c1-64)
if [ "$(cat "$out/images.stamp" 2>/dev/null)" = "$tag $stamp" ] \
   && [ -f "$out/opentunnel-gateway.oci.tar" ] && [ -f "$out/opentunnel-management.oci.tar" ]; then
  for image in gateway management; do
    podman image exists "localhost/opentunnel-$image:$tag" || podman load --quiet -i "$out/opentunnel-$image.oci.tar" >/dev/null
  done
  echo "The images are up to date with the sources ($out/opentunnel-{gateway,management}.oci.tar)."
  exit 0
fi
rm -f "$out/images.stamp"

context=$out/context
rm -rf "$context"
mkdir -p "$context/publish"
# Publish from a copy of the sources: a publish for linux-x64 restores into obj/, which would race
# with a build of the checkout running at the same time (the tests build while this runs).
source=$out/source
rm -rf "$source"
mkdir -p "$source"
(cd "$root" && tar --exclude=bin --exclude=obj -cf - src deploy/install Directory.Build.props Directory.Packages.props global.json .editorconfig) | tar -C "$source" -xf -
publish() { # PROJECT NAME [MSBUILD-PROPERTY…]
  project=$1 name=$2
  shift 2
  dotnet publish "$source/src/$project" -c Release -r linux-x64 --self-contained -nologo -v quiet \
    -p:DebugType=none -o "$context/publish/$name" "$@"
  # A native executable's symbols (opentunnel-gateway.dbg, twice its size) stay out of the image.
  rm -f "$context/publish/$name"/*.dbg
}
# The gateway ships as one native executable (PublishAot in its project): its first packets and
# sign-ins after a start run final code (docs/gateway.md, "Performance").
publish OpenTunnel.Gateway gateway
publish OpenTunnel.Agent agent
publish OpenTunnel.Management management
cp "$here/gateway.json" "$here/gateway-entrypoint.sh" "$context/"

for image in gateway management; do
  previous=$(podman image inspect --format '{{.Id}}' "localhost/opentunnel-$image:$tag" 2>/dev/null || true)
  podman build --pull=never --quiet --network=none -f "$here/$image.Containerfile" \
    -t "localhost/opentunnel-$image:$tag" "$context" >/dev/null
  rm -f "$out/opentunnel-$image.oci.tar"
  podman save --quiet --format oci-archive -o "$out/opentunnel-$image.oci.tar" "localhost/opentunnel-$image:$tag"
  # The image this build replaced, left without a name, goes (unless a container still uses it).
  current=$(podman image inspect --format '{{.Id}}' "localhost/opentunnel-$image:$tag")
  if [ -n "$previous" ] && [ "$previous" != "$current" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
  size=$(podman image inspect --format '{{.Size}}' "localhost/opentunnel-$image:$tag")
  echo "opentunnel-$image:$tag  $((size / 1000000)) MB  -> $out/opentunnel-$image.oci.tar"
done
rm -rf "$context"
rm -rf "$source"
echo "$tag $stamp" >"$out/images.stamp"
