#!/usr/bin/env bash
# Installs (when needed), builds and starts openlive on its embedded defaults: RTMP :1935, HTTP :8080, data in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The web console on the admin listener (console/dist): built once, rebuilt when its sources change.
if [ ! -f console/dist/index.html ] || [ -n "$(find console/src console/index.html console/package-lock.json -newer console/dist/index.html -print -quit)" ]; then
  npm run build:console --silent
fi
# The server as bundled JavaScript (build/, `npm run build`: esbuild): no TypeScript stripping at run time and
# fewer, smaller modules, about 77 MB idle (docs/performance.md "Idle memory (issue 17)"). Rebuilt when a source,
# the build script or an installed package is newer than the build.
if [ ! -f build/main.js ] || [ -n "$(find src scripts/build.ts node_modules/.package-lock.json -newer build/main.js -print -quit)" ]; then
  npm run build --silent
fi
exec npm start --silent -- "$@"
