# shellcheck shell=bash
# Source this (bash) to run the locally built Pulumi CLI with no network:
#
#   . test/pulumi-cli/env.sh            # builds on first use (minutes), then ~0.1s
#
# After sourcing: `pulumi` on PATH is the pinned build, state goes to a local
# file backend, and no plugin can be downloaded. Override before sourcing:
#   KUBESLICE_IPAM_PULUMI_STATE   dir for backend state + PULUMI_HOME
#                                 (default: a fresh mktemp -d per shell)
#   KUBESLICE_IPAM_CACHE          build cache root (see build.sh)

_ksi_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_ksi_bin="$("$_ksi_here/build.sh")" || return 1 2>/dev/null || exit 1

: "${KUBESLICE_IPAM_PULUMI_STATE:=$(mktemp -d "${TMPDIR:-/tmp}/kubeslice-ipam-pulumi.XXXXXX")}"
mkdir -p "$KUBESLICE_IPAM_PULUMI_STATE/backend" "$KUBESLICE_IPAM_PULUMI_STATE/home"
export KUBESLICE_IPAM_PULUMI_STATE

# The pinned pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs
# come first; the engine finds the language host and the dynamic provider
# next to its own executable / on PATH ("bundled"/ambient plugins), so
# PULUMI_IGNORE_AMBIENT_PLUGINS must NOT be set.
export PATH="$_ksi_bin:$PATH"
unset PULUMI_IGNORE_AMBIENT_PLUGINS

# Local file ("DIY") backend: no Pulumi Cloud, no login token.
export PULUMI_BACKEND_URL="file://$KUBESLICE_IPAM_PULUMI_STATE/backend"
unset PULUMI_ACCESS_TOKEN
# Isolated ~/.pulumi (plugin cache, credentials.json, workspaces): nothing
# ambient from the machine's own ~/.pulumi is picked up.
export PULUMI_HOME="$KUBESLICE_IPAM_PULUMI_STATE/home"
# Secrets provider "passphrase" is the DIY default; a fixed test passphrase
# keeps `stack init`/`up` non-interactive.
export PULUMI_CONFIG_PASSPHRASE="kubeslice-ipam-e2e"
# No call to the update-check endpoint.
export PULUMI_SKIP_UPDATE_CHECK=true
# Never try to download a missing plugin (it cannot succeed here; fail fast).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK is not needed: build.sh stamps
# the version, and the Automation API only requires CLI >= v3.2.0-alpha.
# Plain (uncoloured) output for logs.
export NO_COLOR=1

unset _ksi_here _ksi_bin
