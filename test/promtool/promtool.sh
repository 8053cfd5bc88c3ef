#!/usr/bin/env bash
# Real Prometheus `promtool` (rule checks and rule unit tests) for the alert
# tests, built from the Go module proxy at the version pinned in go.mod.
#
#   promtool.sh build    build once into the cache, print the binary path
#
# Cache: ${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/promtool/<hash>/
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT="${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/promtool"
# Never let `go` fetch another toolchain: only the module proxy is reachable.
export GOTOOLCHAIN=local

log() { echo "promtool.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# -tags remove_all_sd: leaves out the cloud service-discovery plugins (AWS,
# Azure, GCE, ...), which rule checks and rule tests never use and which are
# most of what a full promtool compiles. -buildvcs=false and -trimpath: the
# checkout's git state and path must not matter.
BUILD_FLAGS=(-tags remove_all_sd -buildvcs=false -trimpath -ldflags=-s)

binary_path() {
	# go.sum pins every module, so these inputs, the flags and the Go version
	# determine the binary; their hash names the cache entry.
	local hash
	hash=$({ cat "$HERE/go.mod" "$HERE/go.sum"; echo "${BUILD_FLAGS[*]}"; go version; } | sha256sum | cut -c1-16)
	echo "$CACHE_ROOT/$hash/promtool"
}

cmd_build() {
	command -v go >/dev/null || die "go not found in PATH"
	local bin tmp
	bin=$(binary_path)
	if [[ ! -x $bin ]]; then
		mkdir -p "$(dirname "$bin")"
		# Parallel callers wait for one build instead of each compiling for minutes.
		if command -v flock >/dev/null; then exec 9>"$(dirname "$bin")/.lock" && flock 9; fi
	fi
	if [[ ! -x $bin ]]; then
		tmp="$bin.tmp.$$"
		log "building $bin (first build: minutes; later builds reuse the Go build cache)"
		(cd "$HERE" && nice -n 10 go build "${BUILD_FLAGS[@]}" -o "$tmp" github.com/prometheus/prometheus/cmd/promtool) ||
			{ rm -f "$tmp"; die "go build failed"; }
		mv -f "$tmp" "$bin" # atomic: concurrent builders never see a half-written file
	fi
	echo "$bin"
}

case "${1:-}" in
build) shift; cmd_build "$@" ;;
*) die "usage: $0 build" ;;
esac
