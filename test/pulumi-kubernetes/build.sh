#!/usr/bin/env bash
# Builds the real pulumi-kubernetes resource provider from the Go module proxy,
# pinned below, into a cache directory keyed by the pin. A later run with the
# same pin only checks that the binary is there.
#
#   test/pulumi-kubernetes/build.sh     # prints the bin dir on stdout
#
# The module zip on the proxy is the provider's source without what upstream's
# `go generate` writes, and with a local `replace` of its Go SDK. The recipe:
#   1. download the pinned module (verified against the checksum database) and
#      check its h1 hash against the pin below;
#   2. copy it somewhere writable and drop the `replace …/sdk/v4 => ../sdk`
#      line, so the SDK comes from the proxy at the version go.mod requires;
#   3. write schema-embed.json and terraform-mapping-embed.json the way
#      upstream's cmd/pulumi-resource-kubernetes/generate.go does (that very
#      program, run with VERSION set);
#   4. build ./cmd/pulumi-resource-kubernetes with the version stamped, so the
#      engine sees the version the npm SDK (@pulumi/kubernetes) asks for.
#
# Cold: 14 minutes on a quiet 2-core machine (816 s measured), 33 with other
# work on it (1,951 s), and ~300 MB of Go caches. Environment:
#   KUBESLICE_IPAM_CACHE  cache root (default: $HOME/.cache/kubeslice-ipam)
#   GOCACHE / GOMODCACHE  honoured as usual
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
MODULE_SUM="h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4="
# The version of the npm SDK in package-lock.json; the SDK asks the engine for
# exactly this plugin version.
PROVIDER_VERSION=4.34.2
# Bump when the recipe changes, so a stale cache entry is not reused.
RECIPE=1

export GOTOOLCHAIN=local
export GOFLAGS="-buildvcs=false"
export CGO_ENABLED=0

hash="$(printf '%s\n' "$MODULE@$MODULE_VERSION" "$MODULE_SUM" "$PROVIDER_VERSION" "recipe $RECIPE" | sha256sum | cut -c1-16)"
root="${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/pulumi-kubernetes"
dest="$root/$hash"
bin="$dest/bin"
plugin="$bin/pulumi-resource-kubernetes"

complete() { [ -x "$plugin" ] && [ -f "$dest/.complete" ]; }

# shellcheck source=../support/cached-build.sh
source "$here/../support/cached-build.sh"
exit_if_built "$root" "$bin"

log() { echo "pulumi-kubernetes/build.sh: $*" >&2; }
start=$SECONDS

tmp="$(mktemp -d "$root/.build.XXXXXX")"
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

log "downloading $MODULE@$MODULE_VERSION"
info="$(go mod download -json "$MODULE@$MODULE_VERSION")"
src="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
sum="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')"
if [ "$sum" != "$MODULE_SUM" ]; then
  log "module hash is $sum, pinned $MODULE_SUM; refusing to build"
  exit 1
fi

work="$tmp/src"
cp -R "$src" "$work"
chmod -R u+w "$work"
# Upstream builds inside its monorepo; outside it the SDK comes from the proxy.
sed -i '\#^replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk$#d' "$work/go.mod"
if grep -q '^replace github.com/pulumi/pulumi-kubernetes/sdk/v4' "$work/go.mod"; then
  log "go.mod still replaces the SDK; the recipe no longer matches the module"
  exit 1
fi

cd "$work"
# The go.sum upstream ships has no line for the SDK (it was a local path);
# -mod=mod lets go add it, verified against the checksum database.
log "generating schema-embed.json and terraform-mapping-embed.json (version $PROVIDER_VERSION)"
(cd cmd/pulumi-resource-kubernetes && VERSION="$PROVIDER_VERSION" nice -n 10 go run -mod=mod generate.go)

log "building pulumi-resource-kubernetes $PROVIDER_VERSION (the first build takes about 25 minutes)"
mkdir -p "$tmp/bin"
nice -n 10 go build -mod=mod -trimpath \
  -ldflags "-s -w -X $MODULE/pkg/version.Version=$PROVIDER_VERSION" \
  -o "$tmp/bin/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes

{
  echo "$MODULE@$MODULE_VERSION $MODULE_SUM"
  echo "pulumi-resource-kubernetes $PROVIDER_VERSION"
  echo "recipe $RECIPE"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - start))s with $(go version)"
} >"$tmp/BUILDINFO"
cd /
chmod -R u+w "$work"
rm -rf "$work"
touch "$tmp/.complete"
chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
log "done in $((SECONDS - start))s"
echo "$bin"
