#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian/Ubuntu machine that has
# only Node (>= 20.19) and npm. Idempotent: a second run only checks.
#   setup.sh            pnpm and the workspace's npm packages
#   setup.sh --system   also the Debian packages the test suite uses (root)
set -euo pipefail
cd "$(dirname "$0")/../.."

PNPM_VERSION=10.34.8
# tshark and scapy are the codec oracles; the rest build and probe the network namespaces of the
# netns tests (ip, bridge, sysctl, nft, ping; setpriv comes with util-linux).
SYSTEM_PACKAGES=(tshark python3-scapy iproute2 procps nftables iputils-ping)
# The demo needs only the lab's tools.
if [ -n "${SYSTEM_PACKAGES_ONLY:-}" ]; then read -r -a SYSTEM_PACKAGES <<<"$SYSTEM_PACKAGES_ONLY"; fi

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.stdout.write(a>20||(a===20&&b>=19)?"1":"0")')
if [ "$node_ok" != 1 ]; then
  echo "setup: Node >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

if [ "${1:-}" = "--system" ]; then
  missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: needs root to apt-get install: ${missing[*]}" >&2
      exit 1
    fi
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  log "npm install -g pnpm@$PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi

log "pnpm install"
pnpm install --frozen-lockfile --reporter=silent
