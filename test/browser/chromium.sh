#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the browser tests
# (test/browser), installing Debian's `chromium` package first when it is
# missing. Idempotent: when the browser is there it only prints its path.
# Needs root (CI runs as root) for the install.
set -euo pipefail

find_chromium() {
    local candidate
    for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! find_chromium >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "chromium is not installed and installing it needs root: run 'apt-get install -y --no-install-recommends chromium' as root" >&2
        exit 1
    fi
    echo "installing Debian's chromium package (once per machine)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium >&2
fi
find_chromium
