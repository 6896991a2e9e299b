#!/usr/bin/env bash
# Configures (once) and builds libvbackup into build/ (or $VBK_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VBK_BUILD_DIR:-build}
if [[ ! -f "$build/build.ninja" ]]; then
  # -g1 (line tables only): backtraces keep file and line, and the build stays near 1 GB instead of
  # 6 GB of full DWARF in ~90 statically linked test programs, which filled a CI machine's disk once
  # (Azurite answered 500 to every write). Configure your own build dir for full debug information.
  meson setup "$build" --buildtype=debugoptimized -Dc_args=-g1 -Dcpp_args=-g1 >/dev/null
fi
ninja -C "$build" "$@"
