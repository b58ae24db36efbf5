#!/usr/bin/env bash
# The main job: `switchyard lab demo`. As root it builds a lab in network namespaces (a client,
# a Linux bridge, three nodes each running the daemon and an HTTP server bound to the VIPs),
# sends traffic, kills the active node, shows the takeover, and tears everything down.
# Without root it says so and runs the same scenario on netsim.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if [ "$(id -u)" = 0 ]; then
  # iproute2 (ip, bridge) and util-linux's setpriv build and run the lab.
  SYSTEM_PACKAGES_ONLY="iproute2 procps" bash tooling/scripts/setup.sh --system
else
  bash tooling/scripts/setup.sh
fi
pnpm exec turbo run build --filter=switchyardd... --output-logs=errors-only >/dev/null
node apps/switchyardd/dist/bin.js lab demo "$@"
