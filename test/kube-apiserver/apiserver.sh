#!/usr/bin/env bash
# Real Kubernetes API server (apiextensions-apiserver + embedded etcd) for
# integration tests. Needs only the Go toolchain, openssl and the Go module proxy.
#
#   apiserver.sh build              build once into the cache, print binary path
#   apiserver.sh start <dir> [port] start in background, print <dir>/kubeconfig
#   apiserver.sh stop  <dir>        stop it and delete its etcd data
#   apiserver.sh kill  <dir>        stop the process only (data, certificates, port kept)
#   apiserver.sh resume <dir>       start a killed server again on the same port with its data
#
# Cache: ${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/kube-apiserver/<hash>/
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT="${KUBESLICE_IPAM_CACHE:-$HOME/.cache/kubeslice-ipam}/kube-apiserver"
READY_TIMEOUT=${KUBE_TEST_APISERVER_TIMEOUT:-60}
# Never let `go` fetch another toolchain: only the module proxy is reachable.
export GOTOOLCHAIN=local

log() { echo "apiserver.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# go build flags. -buildvcs=false: the module sits in a git checkout whose state
# must not matter. -trimpath: build-cache keys independent of the checkout path.
# -X ...version: /version reports the Kubernetes release of the pinned
# k8s.io/apiserver (v0.X.Y -> v1.X.Y) instead of "v0.0.0-master+$Format:%H$",
# which kubectl refuses to parse.
build_flags() {
	local minor patch v=k8s.io/component-base/version
	read -r minor patch < <(sed -n 's#^[[:space:]]*k8s.io/apiserver v0\.\([0-9]*\)\.\([0-9]*\)$#\1 \2#p' "$HERE/go.mod")
	[[ -n $minor ]] || die "cannot find the k8s.io/apiserver version in $HERE/go.mod"
	echo "-buildvcs=false -trimpath -ldflags=-s -X $v.gitVersion=v1.$minor.$patch -X $v.gitMajor=1 -X $v.gitMinor=$minor"
}

binary_path() {
	# The binary depends only on these inputs (go.sum pins every module), the
	# build flags and the Go version, so their hash names the cache entry.
	local hash
	hash=$({ cat "$HERE/go.mod" "$HERE/go.sum" "$HERE"/*.go; build_flags; go version; } | sha256sum | cut -c1-16)
	echo "$CACHE_ROOT/$hash/kube-test-apiserver"
}

cmd_build() {
	command -v go >/dev/null || die "go not found in PATH"
	local bin tmp flags
	bin=$(binary_path)
	if [[ ! -x $bin ]]; then
		mkdir -p "$(dirname "$bin")"
		# Parallel callers wait for one build instead of each compiling for minutes.
		if command -v flock >/dev/null; then exec 9>"$(dirname "$bin")/.lock" && flock 9; fi
	fi
	if [[ ! -x $bin ]]; then
		tmp="$bin.tmp.$$"
		flags=$(build_flags)
		log "building $bin (first build compiles ~1500 packages: minutes; later builds reuse the Go build cache)"
		# -ldflags value holds spaces, so it is split off and passed as one argument.
		(cd "$HERE" && nice -n 10 go build ${flags%% -ldflags=*} "-ldflags=${flags#* -ldflags=}" -o "$tmp" .) ||
			{ rm -f "$tmp"; die "go build failed"; }
		mv -f "$tmp" "$bin" # atomic: concurrent builders never see a half-written file
	fi
	echo "$bin"
}

# One HTTPS GET with the client certificate, using only openssl (no curl/kubectl
# on a fresh machine). Prints the HTTP status code.
https_status() {
	local wd=$1 port=$2 path=$3
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" |
		timeout 5 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$wd/ca.crt" -verify_return_error -cert "$wd/client.crt" -key "$wd/client.key" 2>/dev/null |
		head -n1 | awk '{print $2}' || true
}

gen_certs() {
	local wd=$1
	# Minimal config so the result does not depend on the system openssl.cnf.
	cat >"$wd/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
[serving]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF
	local ossl=(openssl req -config "$wd/openssl.cnf" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	"${ossl[@]}" -x509 -days 3650 -subj "/CN=kube-test-apiserver-ca" -extensions ca \
		-keyout "$wd/ca.key" -out "$wd/ca.crt" 2>/dev/null
	local name subj
	for name in client serving; do
		# Group system:masters = the organisation of the client cert: allowed everything.
		[[ $name == client ]] && subj="/O=system:masters/CN=kubeslice-ipam-test" || subj="/CN=localhost"
		"${ossl[@]}" -subj "$subj" -keyout "$wd/$name.key" -out "$wd/$name.csr" 2>/dev/null
		openssl x509 -req -in "$wd/$name.csr" -CA "$wd/ca.crt" -CAkey "$wd/ca.key" -CAcreateserial \
			-days 3650 -extfile "$wd/openssl.cnf" -extensions "$name" -out "$wd/$name.crt" 2>/dev/null
	done
	rm -f "$wd"/*.csr "$wd/ca.srl"
}

# True while the process exists and is not a zombie (an exited child that the
# reaper - init, after setsid - has not collected yet still answers kill -0).
alive() {
	local st
	read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" || return 1
	[[ $st != Z ]]
}

# PID from the pid file, only if that process is still our server for this workdir.
running_pid() {
	local wd=$1 pid
	[[ -f $wd/apiserver.pid ]] || return 1
	pid=$(<"$wd/apiserver.pid")
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "kube-test-apiserver --data-dir $wd/data " || return 1
	echo "$pid"
}

fail_start() {
	local wd=$1
	log "$2; last lines of $wd/apiserver.log:"
	tail -n 40 "$wd/apiserver.log" >&2 || true
	cmd_stop "$wd" >/dev/null 2>&1 || true
	exit 1
}

cmd_start() {
	[[ $# -ge 1 ]] || die "usage: $0 start <workdir> [port]"
	mkdir -p "$1"
	local wd port_arg=${2:-0} bin pid port="" status deadline
	wd=$(cd "$1" && pwd)
	if pid=$(running_pid "$wd"); then die "already running in $wd (pid $pid); run: $0 stop $wd"; fi
	bin=$(cmd_build)
	if [[ ${KEEP_STATE:-0} != 1 ]]; then
		gen_certs "$wd"
		rm -rf "$wd/data" && mkdir -p "$wd/data"
	fi
	mkdir -p "$wd/rbac"

	# Truncate here, not in the background child: the wait loop below must never
	# read the previous run's port from a not-yet-truncated log.
	: >"$wd/apiserver.log"
	# Own session + all fds redirected: callers (e.g. node's execFile) return at once
	# and a Ctrl-C in the caller's terminal does not reach the server.
	setsid "$bin" --data-dir "$wd/data" --secure-port "$port_arg" \
		--client-ca-file "$wd/ca.crt" --rbac-dir "$wd/rbac" --tls-cert-file "$wd/serving.crt" --tls-private-key-file "$wd/serving.key" \
		</dev/null >>"$wd/apiserver.log" 2>&1 &
	echo $! >"$wd/apiserver.pid"

	deadline=$((SECONDS + READY_TIMEOUT))
	while :; do
		((SECONDS < deadline)) || fail_start "$wd" "not ready after ${READY_TIMEOUT}s"
		alive "$(<"$wd/apiserver.pid")" || fail_start "$wd" "server exited"
		[[ -n $port ]] || port=$(sed -n 's/^KUBE_TEST_APISERVER_PORT=\([0-9]*\)$/\1/p' "$wd/apiserver.log")
		# informer-sync is excluded: it waits for informers on a core apiserver that
		# does not exist here (see main.go); every other check (etcd, CRD controllers) counts.
		if [[ -n $port && $(https_status "$wd" "$port" "/readyz?exclude=informer-sync") == 200 ]]; then break; fi
		sleep 0.2
	done
	# Prove the client certificate is authenticated and authorized (anonymous gets 403).
	status=$(https_status "$wd" "$port" "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?limit=1")
	[[ $status == 200 ]] || fail_start "$wd" "client-cert request got HTTP '$status', want 200"

	b64() { base64 -w0 <"$1"; }
	(umask 077 && : >"$wd/kubeconfig.tmp") # holds the client key
	cat >"$wd/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$wd/ca.crt")
users:
- name: test
  user:
    client-certificate-data: $(b64 "$wd/client.crt")
    client-key-data: $(b64 "$wd/client.key")
contexts:
- name: test
  context:
    cluster: test
    user: test
current-context: test
EOF
	mv -f "$wd/kubeconfig.tmp" "$wd/kubeconfig"
	echo "$wd/kubeconfig"
}

# Stops the server process only: data, certificates and kubeconfig stay, for `resume`.
cmd_kill() {
	[[ $# -eq 1 ]] || die "usage: $0 kill <workdir>"
	[[ -d $1 ]] || return 0
	local wd pid i
	wd=$(cd "$1" && pwd)
	if pid=$(running_pid "$wd"); then
		kill -TERM "$pid" || true # graceful: the apiserver drains its requests
		# The server caps its own shutdown at ~1 s (main.go); SIGKILL only as a backstop.
		for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.05; done
		if alive "$pid"; then log "pid $pid ignored SIGTERM for 5s; SIGKILL"; kill -KILL "$pid" || true; fi
	fi
	rm -f "$wd/apiserver.pid"
}

# Starts a killed server again with its data, certificates and port: clients'
# kubeconfig stays valid, and what was stored before the kill is still there.
cmd_resume() {
	[[ $# -eq 1 ]] || die "usage: $0 resume <workdir>"
	local wd port
	wd=$(cd "$1" && pwd)
	port=$(sed -n 's#^ *server: https://127.0.0.1:\([0-9]*\)$#\1#p' "$wd/kubeconfig")
	[[ -n $port ]] || die "no server port in $wd/kubeconfig; was it started with $0 start?"
	KEEP_STATE=1 cmd_start "$wd" "$port"
}

cmd_stop() {
	[[ $# -eq 1 ]] || die "usage: $0 stop <workdir>"
	[[ -d $1 ]] || return 0
	cmd_kill "$1"
	rm -rf "$1/data"
}

case "${1:-}" in
build) shift; cmd_build "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
kill) shift; cmd_kill "$@" ;;
resume) shift; cmd_resume "$@" ;;
*) die "usage: $0 {build | start <workdir> [port] | stop <workdir>}" ;;
esac
