#!/usr/bin/env bash
# Installs (first run, or when package-lock.json changed) and starts the product on its embedded defaults:
# PGlite under .data/, files on local disk, web app + worker in one process, a seeded demo project.
set -euo pipefail
cd "$(dirname "$0")"
# onnxruntime-node's postinstall downloads CUDA libraries from outside npm; its CPU binaries are already
# in the package, so the download is skipped everywhere.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec npm start -- "$@"
