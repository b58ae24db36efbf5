#!/usr/bin/env bash
# The main job until the daemon exists: decode the capture that @switchyard/wire ships
# and print one line per frame, through the package as users get it (built, imported by name).
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
bash tooling/scripts/setup.sh
pnpm exec turbo run build --filter=@switchyard/wire --output-logs=errors-only >/dev/null
pnpm --filter @switchyard/wire --silent run example "$@"
