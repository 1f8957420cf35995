#!/usr/bin/env bash
# Installs (when needed) and starts openlive on its embedded defaults: RTMP :1935, HTTP :8080, data in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec npm start --silent -- "$@"
