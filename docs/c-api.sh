#!/usr/bin/env bash
# Builds the C API reference with Debian's Doxygen (scripts/setup.sh installs it) into
# $VBK_BUILD_DIR/docs/c-api (default build/docs/c-api): html/index.html. Fails, printing the
# warnings, when Doxygen warns (an undocumented vbk_* declaration, a broken comment).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath -m "${VBK_BUILD_DIR:-build}")
out="$build/docs/c-api"
src="$out/src"
# The headers documented; another folder with vbackup.h and vbackup_version.h.in for the docs test.
include=${VBK_DOCS_INCLUDE:-capi/include}
rm -rf "$out"
mkdir -p "$src"
# The headers as installed: vbackup.h and vbackup_version.h made from its .in with the project version.
version=$(sed -n "s/^ *version: *'\([0-9.]*\)'.*/\1/p" meson.build | head -1)
IFS=. read -r major minor patch <<<"$version"
cp "$include/vbackup.h" "$src/"
sed -e "s/@VBACKUP_VERSION_MAJOR@/$major/" -e "s/@VBACKUP_VERSION_MINOR@/$minor/" \
    -e "s/@VBACKUP_VERSION_PATCH@/$patch/" -e "s/@VBACKUP_VERSION@/\"$version\"/" \
    "$include/vbackup_version.h.in" >"$src/vbackup_version.h"
export VBK_VERSION="$version" VBK_DOCS_SRC="$src" VBK_DOCS_OUT="$out" VBK_DOCS_FILTER="$PWD/docs/doxygen_filter.py"
status=0
doxygen docs/Doxyfile || status=$?
if [[ -s "$out/warnings.log" || $status -ne 0 ]]; then
  cat "$out/warnings.log" >&2 || true
  echo "c-api: doxygen warned (exit $status); see above" >&2
  exit 1
fi
echo "c-api: $out/html/index.html"
