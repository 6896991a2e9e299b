#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ unit tests, the C ABI test and the examples
# (meson test), the Python package and CLI tests (pytest), the fuzz targets (a short run
# each), then everything again under ASan + UBSan and the parallel paths under TSan
# (scripts/sanitize.sh; VBK_SANITIZE=0 skips them locally, never in CI). Fails if any fails or if
# no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh

echo "== meson test"
meson test -C build --print-errorlogs --num-processes 2 | tee build/meson-test.txt
ran=$(grep -Eo '^Ok: +[0-9]+' build/meson-test.txt | grep -Eo '[0-9]+' || echo 0)
if [[ "$ran" -eq 0 ]]; then echo "no meson test ran" >&2; exit 1; fi

./scripts/packaging-test.sh build  # issue 15: meson install, exported symbols, pkg-config and subproject consumers, the wheel

echo "== pytest (Python package, CLI, examples)"
# Debian's interpreter: it is the one python3-pytest installs for (test-infrastructure.md §2).
# pytest exits 5 when it collects nothing, which fails this script as it should.
VBACKUP_LIBRARY="$PWD/build/capi/libvbackup.so" VBACKUP_CLI="$PWD/build/tools/vbackup/vbackup" \
  VBK_SOURCE_ROOT="$PWD" /usr/bin/python3 -m pytest -q -p no:cacheprovider bindings/python/tests tests/cli tests/examples tests/secrets tests/docs

echo "== Python example"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
VBACKUP_LIBRARY="$PWD/build/capi/libvbackup.so" /usr/bin/python3 examples/python/backup_demo.py \
  examples/manifests "file://$scratch/backups" >/dev/null
VBACKUP_LIBRARY="$PWD/build/capi/libvbackup.so" /usr/bin/python3 examples/python/restore_demo.py \
  examples/manifests "file://$scratch/backups" "$scratch/plans" >/dev/null

echo "== fuzz targets"
./scripts/fuzz.sh "${VBK_FUZZ_SECONDS:-15}"

# The sanitizer builds (scripts/sanitize.sh, docs/fuzzing.md), issue 16: the whole suite a second
# time under ASan + UBSan (every meson test, then the Python, CLI, examples and secrets tests), and
# the parallel paths under TSan.
if [[ "${VBK_SANITIZE:-1}" != 0 ]]; then
  echo "== sanitizers: ASan + UBSan (the whole suite)"
  ./scripts/sanitize.sh asan
  echo "== sanitizers: TSan (the parallel paths)"
  ./scripts/sanitize.sh tsan
fi
echo "all tests passed"
