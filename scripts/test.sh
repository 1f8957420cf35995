#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v ffprobe >/dev/null || need+=(ffmpeg)
# TLS tests make their certificates with openssl.
command -v openssl >/dev/null || need+=(openssl)
# The HLS browser tests drive Debian's Chromium (playwright-core downloads no browser).
command -v chromium >/dev/null || need+=(chromium fonts-liberation)
# Cluster adapters are tested against real engines; the tests start their own instances on free ports.
command -v redis-server >/dev/null || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# SRT interop: libsrt's own client publishes to the TypeScript listener.
command -v srt-live-transmit >/dev/null || need+=(srt-tools)
# OBS interop: Debian's OBS Studio runs headless on an Xvfb display (test/interop/obs.test.ts).
command -v obs >/dev/null || need+=(obs-studio)
command -v Xvfb >/dev/null || need+=(xvfb)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# npm ci brings Node 24 (the registry's `node` package) into node_modules/.bin; npm scripts run on it.
npm ci --no-audit --no-fund
# The console's own packages and build (console/dist is not committed); its browser test serves it.
npm run build:console
npm test
