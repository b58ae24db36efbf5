#!/usr/bin/env bash
# The whole test suite, as the README's quick start and CI run it: installs what it needs,
# then lint, build, typecheck, package checks (publint, attw), and every vitest project
# with coverage. Ends with one line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 FORCE_COLOR=${FORCE_COLOR:-1}

bash tooling/scripts/setup.sh --system

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "lint and format (biome)"
pnpm exec biome check .

step "build, typecheck, publint and attw (turbo)"
pnpm exec turbo run build typecheck check:package --output-logs=errors-only

step "tests with coverage (vitest)"
status=0
pnpm exec vitest run --coverage || status=$?

node tooling/scripts/test-summary.mjs test-results/vitest.json || status=$?
exit "$status"
