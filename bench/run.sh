#!/usr/bin/env bash
# `pnpm bench` / `pnpm bench --quick`: raise the file-descriptor limit (10,000
# sessions and a 2,000-client storm need it), make sure the workspace packages'
# dist is built and not older than their sources, then run the orchestrator with
# --expose-gc (memory figures are taken after global.gc()).
set -euo pipefail
cd "$(dirname "$0")"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

stale=""
for pkg in protocol core node browser server testing; do
  out="../packages/$pkg/dist/index.mjs"
  if [ ! -f "$out" ] || [ -n "$(find "../packages/$pkg/src" -newer "$out" -type f -print -quit)" ]; then
    stale="$stale $pkg"
  fi
done
if [ ! -f ../packages/browser/dist/continuum.min.js ]; then stale="$stale browser-iife"; fi
if [ -n "$stale" ]; then
  echo "bench: building the workspace packages (missing or stale dist:$stale)"
  (cd .. && pnpm build)
fi

exec node --expose-gc src/main.mjs "$@"
