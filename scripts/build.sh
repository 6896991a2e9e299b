#!/usr/bin/env bash
# Configures (once) and builds libvbackup into build/ (or $VBK_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VBK_BUILD_DIR:-build}
if [[ ! -f "$build/build.ninja" ]]; then
  meson setup "$build" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" "$@"
