// kube-test-apiserver: a real Kubernetes API server for integration tests.
//
// It is the upstream k8s.io/apiextensions-apiserver (the code that serves
// CustomResourceDefinitions and custom resources inside every kube-apiserver:
// OpenAPI schema validation + pruning, CEL x-kubernetes-validations, the
// status subresource, optimistic concurrency) backed by an etcd that is
// embedded in the same process, so a test needs one binary and no network.
//
// The option defaults below mirror upstream's own integration fixture
// (apiextensions-apiserver/test/integration/fixtures/server.go); every
// upstream flag still works and overrides them, e.g. --client-ca-file,
// --tls-cert-file, --tls-private-key-file, --secure-port, -v. The only new
// flags are --data-dir and --rbac-dir (rbac.go). Started and stopped by
// apiserver.sh next to this file.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	extensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	"k8s.io/apiserver/pkg/authorization/union"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/klog/v2"
)

// The apiextensions server insists on a "core API" kubeconfig for its shared
// informers (it only looks up Services, for conversion webhooks, which the
// tests do not use). Upstream's fixture hands it this unreachable placeholder;
// those informers then just retry in the background, which is why /readyz
// must be asked with ?exclude=informer-sync (or use /healthz, as upstream does).
const placeholderKubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster: {server: "http://127.1.2.3:12345"}
  name: placeholder
contexts:
- context: {cluster: placeholder, user: placeholder}
  name: placeholder
current-context: placeholder
users:
- name: placeholder
  user: {username: placeholder, password: placeholder}
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-test-apiserver:", err)
		os.Exit(1)
	}
}

func run() error {
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	r := o.RecommendedOptions

	// Defaults (before flag parsing, so flags can override them).
	r.SecureServing.BindAddress = net.ParseIP("127.0.0.1") // loopback only
	r.SecureServing.BindPort = 0                           // 0 = pick a free port (handled below)
	// Authenticate only by client certificate (--client-ca-file); never ask a
	// "core" apiserver for TokenReviews or the extension-apiserver-authentication
	// ConfigMap - there is none.
	r.Authentication.RemoteKubeConfigFileOptional = true
	r.Authentication.SkipInClusterLookup = true
	// Without a kubeconfig the delegating authorizer keeps only its local parts:
	// group system:masters may do anything, /healthz,/readyz,/livez are open,
	// everything else is 403 - no SubjectAccessReview calls to a missing server.
	r.Authorization.RemoteKubeConfigFileOptional = true
	// No core apiserver to delegate APF config to.
	r.Features.EnablePriorityAndFairness = false
	// NamespaceLifecycle would need core `namespaces` (not served here), and the
	// webhook/policy plugins need informers on a core server. Same list as upstream.
	r.Admission.DisablePlugins = []string{"NamespaceLifecycle", "MutatingAdmissionWebhook",
		"ValidatingAdmissionWebhook", "ValidatingAdmissionPolicy"}

	fs := pflag.NewFlagSet(os.Args[0], pflag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "directory for etcd data and scratch files (required)")
	rbacDir := fs.String("rbac-dir", "", "directory of <group>.yaml files whose ClusterRole/Role rules that certificate group is granted (rbac.go)")
	o.AddFlags(fs)
	klog.InitFlags(nil) // -v, --logtostderr ...
	fs.AddGoFlagSet(flag.CommandLine)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}
	// Feature gates / emulated version (what upstream's cobra PersistentPreRunE does).
	if err := o.ServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}

	if r.CoreAPI.CoreAPIKubeconfigPath == "" {
		p := filepath.Join(*dataDir, "placeholder-kubeconfig")
		if err := os.WriteFile(p, []byte(placeholderKubeconfig), 0o600); err != nil {
			return err
		}
		r.CoreAPI.CoreAPIKubeconfigPath = p
	}
	// If no --tls-cert-file is given, the self-signed cert goes here instead of
	// upstream's default relative "apiserver.local.config/certificates".
	r.SecureServing.ServerCert.CertDirectory = filepath.Join(*dataDir, "serving-certs")

	// Embedded etcd, loopback only, ephemeral ports so parallel test runs never
	// clash. It replaces whatever --etcd-servers says.
	etcd, err := startEtcd(filepath.Join(*dataDir, "etcd"))
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	// No etcd.Close() on the way out: its graceful gRPC drain waits ~2 s for the
	// apiserver's still-open client connections, and the data is thrown away
	// anyway (start always begins empty). Process exit releases everything.
	r.Etcd.StorageConfig.Transport.ServerList = []string{"http://" + etcd.Clients[0].Addr().String()}

	// Port 0: open the listener ourselves (upstream's validation rejects
	// --secure-port=0) and hand it to the server, as upstream's testserver does.
	if r.SecureServing.BindPort == 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(r.SecureServing.BindAddress.String(), "0"))
		if err != nil {
			return err
		}
		r.SecureServing.Listener = ln
		r.SecureServing.BindPort = ln.Addr().(*net.TCPAddr).Port
	}
	// The start script greps this line to learn the port.
	fmt.Printf("KUBE_TEST_APISERVER_PORT=%d\n", r.SecureServing.BindPort)

	if err := o.Complete(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	// What upstream's server.Run does, plus two changes (see below).
	config, err := o.Config()
	if err != nil {
		return err
	}
	// As upstream's testserver does: options.Config() sets up only OpenAPI v3,
	// but the CRD OpenAPI controllers (which publish each CRD's schema under
	// /openapi/v2 and /openapi/v3/apis/<group>/<version>) only run when the v2
	// config exists too. kubectl's client-side validation needs those specs.
	config.GenericConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(
		openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions),
		openapinamer.NewDefinitionNamer(extensionsapiserver.Scheme))
	if *rbacDir != "" {
		// Checked first; what it does not allow falls through to system:masters.
		config.GenericConfig.Authorization.Authorizer = union.New(fileRoleAuthorizer{dir: *rbacDir}, config.GenericConfig.Authorization.Authorizer)
	}
	completed := config.Complete()
	// Complete() switches root discovery off because inside kube-apiserver the
	// aggregator serves GET /apis. Standalone nothing would, and kubectl /
	// client-go discovery fail on a 404 there. Re-enabled, /apis lists
	// apiextensions.k8s.io, and its aggregated form (discovery v2, what
	// kubectl asks for) also lists every CRD group, fed by the CRD
	// DiscoveryController. /api (core group) stays 404, which clients tolerate.
	completed.GenericConfig.EnableDiscovery = true
	server, err := completed.New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	ctx := genericapiserver.SetupSignalContext() // cancelled by SIGTERM/SIGINT
	go func() {
		<-ctx.Done()
		// Graceful shutdown takes milliseconds, except that the Service informer
		// of the placeholder kubeconfig may be stuck in client-go's
		// uninterruptible retry back-off (up to 30 s). Nothing here needs a
		// clean exit (the data is deleted), so cap it.
		time.Sleep(time.Second)
		os.Exit(0)
	}()
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}

func startEtcd(dir string) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "kube-test-apiserver"
	cfg.Dir = dir
	cfg.LogLevel = "warn"
	// NewConfig leaves this 0 (only etcd's own flag parsing sets the default),
	// which would log every request as "expensive".
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	// Test data is throw-away: skip fsync (much faster on slow disks).
	cfg.UnsafeNoFsync = true
	// Concrete free loopback ports, not ":0": etcd dials its own advertised
	// client URL internally, and a ":0" URL would never connect.
	client, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peer, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("not ready after 60s")
	}
}

// freeLoopbackURL asks the kernel for a free port on 127.0.0.1. The port is
// released before etcd binds it; the tiny race is acceptable for tests.
func freeLoopbackURL() (url.URL, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, err
	}
	defer ln.Close()
	return url.URL{Scheme: "http", Host: ln.Addr().String()}, nil
}
