#!/usr/bin/env bash
# Builds the real Pulumi CLI (engine) from the Go module proxy, pinned by the
# go.mod/go.sum beside this script, and the Node.js language host from the
# upstream source vendored in langhost/ (the proxy refuses that module), into
# a cache directory keyed by their hash. A later run with the same pins only
# checks that the binaries are there (well under a second).
#
#   test/pulumi-cli/build.sh            # prints the bin dir on stdout
#
# Environment:
#   KUBESLICE_IPAM_CACHE  cache root (default: $HOME/.cache/kubeslice-ipam)
#   GOCACHE / GOMODCACHE  honoured as usual (Go's own caches are shared)
#
# Everything but the final bin dir goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Bump when the way the binaries are built changes (flags, helper script),
# so that a stale cache entry is not reused.
RECIPE=5

export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0

hash="$(
  {
    echo "recipe $RECIPE"
    cat "$here/go.mod" "$here/go.sum"
    # The language host is vendored source (langhost/SOURCE.md): all of it is the pin.
    cat "$here"/langhost/go.mod "$here"/langhost/go.sum "$here"/langhost/*.go
    cat "$here/yaml/go.mod" "$here/yaml/go.sum"
  } | sha256sum | cut -c1-16
)"
root="${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/pulumi-cli"
dest="$root/$hash"
bin="$dest/bin"

complete() {
  [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ -x "$bin/pulumi-language-yaml" ] &&
    [ -x "$bin/pulumi-resource-pulumi-nodejs" ] && [ -f "$dest/.complete" ]
}

# shellcheck source=../support/cached-build.sh
source "$here/../support/cached-build.sh"
exit_if_built "$root" "$bin"

log() { echo "pulumi-cli/build.sh: $*" >&2; }

modversion() { # dir module
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

cli_version="$(modversion "$here" github.com/pulumi/pulumi/pkg/v3)"
host_version="$(modversion "$here/langhost" github.com/pulumi/pulumi/sdk/v3)"
yaml_version="$(modversion "$here/yaml" github.com/pulumi/pulumi-yaml)"

tmp="$(mktemp -d "$root/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"

start=$SECONDS
log "building pulumi $cli_version (pkg/v3) -> $bin (first build takes several minutes)"
(cd "$here" && nice -n 10 go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
  -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

log "building pulumi-language-nodejs $host_version (vendored source, langhost/)"
(cd "$here/langhost" && nice -n 10 go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
  -o "$tmp/bin/pulumi-language-nodejs" .)

# Pulumi YAML, for the native provider's YAML programs (README: Using it from
# YAML, Go, Python and C#), built against the CLI's SDK (yaml/go.mod says why).
log "building pulumi-language-yaml $yaml_version"
(cd "$here/yaml" && nice -n 10 go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$yaml_version" \
  -o "$tmp/bin/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)

# The dynamic-provider plugin. Upstream ships this as a shell script
# (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs) that resolves
# @pulumi/pulumi/cmd/dynamic-provider with node's require.resolve from the
# current directory; the engine starts provider plugins with the program's
# directory as cwd, so this finds the program's own node_modules.
cat >"$tmp/bin/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
# Same lookup as upstream sdk/nodejs/dist/pulumi-resource-pulumi-nodejs.
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
if [ -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
  echo "pulumi-resource-pulumi-nodejs: cannot resolve @pulumi/pulumi/cmd/dynamic-provider from $(pwd)" >&2
  exit 1
fi
exec node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" "$@"
EOF
chmod 755 "$tmp/bin/pulumi-resource-pulumi-nodejs"

{
  echo "pulumi $cli_version"
  echo "pulumi-language-nodejs $host_version"
  echo "pulumi-language-yaml $yaml_version"
  echo "recipe $RECIPE"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - start))s with $(go version)"
} >"$tmp/BUILDINFO"
touch "$tmp/.complete"

chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
log "done in $((SECONDS - start))s"
echo "$bin"
