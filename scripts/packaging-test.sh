#!/usr/bin/env bash
# Issue 15: libvbackup installed, linked and embedded as a user would (docs/embedding.md).
#   scripts/packaging-test.sh [BUILD_DIR]     (default build/, configured by scripts/build.sh)
# 1. `meson install` into a DESTDIR: the files, the soname, the exported symbols (vbk_* only), the C ABI
#    in libvbackup.a, the C headers compiled as C99 and C++17 with -Werror, the pkg-config files.
# 2. tests/packaging/consumer, copied out of the source tree, built with the C and C++ entry points
#    (a) against the installed library through pkg-config, with meson and with a bare `cc`, and
#    (b) with libvbackup as a meson subproject; each program prints the version and backs up
#    examples/manifests into a file location.
# 3. pip install bindings/python (meson-python) into a venv, (c) carrying the installed libvbackup.so,
#    (d) building it from source: import vbackup with no VBACKUP_LIBRARY, __version__, a backup;
#    VBACKUP_LIBRARY still overrides.
# Fails on the first check that fails, naming it.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(realpath "${1:-build}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "packaging-test: FAIL: $*" >&2; exit 1; }
step() { echo "== packaging: $*"; }
start=$SECONDS

step "build and install the installed targets into a DESTDIR"
mapfile -t installed < <(meson introspect "$build" --targets | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t["installed"]:
        for f in t["filename"]:
            print(os.path.relpath(f, sys.argv[1]))' "$build")
ninja -C "$build" "${installed[@]}" >"$tmp/ninja.log" 2>&1 || { tail -30 "$tmp/ninja.log"; fail "building ${installed[*]}"; }
dest=$tmp/dest
meson install -C "$build" --no-rebuild --destdir "$dest" --quiet || fail "meson install --destdir"
prefix=$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libdir"], o["includedir"], o["bindir"])')
read -r p_prefix p_libdir p_inc p_bin <<<"$prefix"
root=$dest$p_prefix
libdir=$root/$p_libdir
inc=$root/$p_inc
version=$(meson introspect "$build" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
abi=${version%%.*}

for f in "$libdir/libvbackup.so.$version" "$libdir/libvbackup.a" "$inc/vbackup.h" "$inc/vbackup_version.h" \
  "$inc/vbackup/vbackup.hpp" "$inc/vbackup/backup.hpp" "$libdir/pkgconfig/vbackup.pc" \
  "$libdir/pkgconfig/vbackup-cpp.pc" "$root/$p_bin/vbackup"; do
  [[ -f $f ]] || fail "meson install did not install $f"
done
[[ "$(readlink "$libdir/libvbackup.so.$abi")" == "libvbackup.so.$version" ]] || fail "no libvbackup.so.$abi -> .so.$version"
[[ "$(readlink "$libdir/libvbackup.so")" == "libvbackup.so.$abi" ]] || fail "no libvbackup.so -> libvbackup.so.$abi"
[[ -z "$(find "$inc" -path '*src*')" ]] || fail "internal headers installed"

step "soname, exported symbols, the C ABI in the static library"
soname=$(readelf -d "$libdir/libvbackup.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ "$soname" == "libvbackup.so.$abi" ]] || fail "soname is '$soname', not libvbackup.so.$abi"
# Every defined dynamic symbol but the version node (type A) is vbk_*.
exported=$(nm -D --defined-only "$libdir/libvbackup.so.$version" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}')
others=$(grep -v '^vbk_' <<<"$exported" || true)
[[ -z "$others" ]] || fail "libvbackup.so exports symbols other than vbk_*: $(head -5 <<<"$others" | tr '\n' ' ')"
# Each function the header declares is exported, and is in the static library.
declared=$(grep -oE '^VBK_API [^(]*\b(vbk_[a-z0-9_]+)\(' "$inc/vbackup.h" | grep -oE 'vbk_[a-z0-9_]+\($' | tr -d '(' | sort -u)
[[ $(wc -l <<<"$declared") -ge 20 ]] || fail "could not read the functions of vbackup.h"
missing=$(comm -23 <(echo "$declared") <(sort -u <<<"$exported"))
[[ -z "$missing" ]] || fail "declared in vbackup.h but not exported by libvbackup.so: $missing"
in_static=$(nm -g --defined-only "$libdir/libvbackup.a" 2>/dev/null | awk '$2 == "T" && $3 ~ /^vbk_/ {print $3}' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$in_static"))
[[ -z "$missing" ]] || fail "declared in vbackup.h but not in libvbackup.a: $missing"

step "the C headers compile as C99 and as C++17"
printf '#include <vbackup.h>\n#include <vbackup_version.h>\nint main(void) { return VBACKUP_VERSION_MAJOR != VBK_VERSION_MAJOR || VBACKUP_VERSION_MINOR != VBK_VERSION_MINOR || VBACKUP_VERSION_PATCH != VBK_VERSION_PATCH; }\n' >"$tmp/h.c"
cp "$tmp/h.c" "$tmp/h.cpp"
cc -std=c99 -Wall -Wextra -Werror -pedantic -I"$inc" "$tmp/h.c" -o "$tmp/h_c" || fail "vbackup.h is not C99"
c++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$inc" "$tmp/h.cpp" -o "$tmp/h_cpp" || fail "vbackup.h is not C++17"
"$tmp/h_c" || fail "vbackup_version.h and vbackup.h disagree on the version"

export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
[[ "$(pkg-config --modversion vbackup)" == "$version" ]] || fail "pkg-config vbackup: not version $version"
[[ "$(pkg-config --modversion vbackup-cpp)" == "$version" ]] || fail "pkg-config vbackup-cpp: not version $version"

run_consumers() {  # $1: a label, $2: the folder of consumer_c and consumer_cpp
  local bin=$2 loc="file://$tmp/backups-$1"
  for p in consumer_c consumer_cpp; do
    local name=${p/_/-}-$1  # a Backup's name is an RFC 1123 subdomain
    out=$(LD_LIBRARY_PATH=$libdir "$bin/$p" "$src/examples/manifests" "$loc" "$name" 2>&1) || fail "$1: $p: $out"
    grep -qx "libvbackup $version (headers $version)" <<<"$out" || fail "$1: $p printed no version: $out"
    [[ -f "$tmp/backups-$1/backups/$name/velero-backup.json" && -f "$tmp/backups-$1/backups/$name/$name.tar.gz" ]] ||
      fail "$1: $p left no backup in $loc"
  done
}

step "(a) the installed library through pkg-config: cc, then a meson project"
cc -std=c99 -Wall -Werror -pedantic "$src/tests/packaging/consumer/consumer.c" -o "$tmp/bare_c" $(pkg-config --cflags --libs vbackup) ||
  fail "cc \$(pkg-config --cflags --libs vbackup)"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/bare_c" "$src/examples/manifests" "file://$tmp/backups-bare" bare 2>&1) || fail "bare cc consumer: $out"
readelf -d "$tmp/bare_c" | grep -q "NEEDED.*\[libvbackup.so.$abi\]" || fail "the C consumer does not need libvbackup.so.$abi"
# The C ABI from the static library: a C program linked with vbackup-cpp (the C++ driver, for its runtime).
cc -std=c99 -c $(pkg-config --cflags vbackup) "$src/tests/packaging/consumer/consumer.c" -o "$tmp/static_c.o"
c++ "$tmp/static_c.o" -o "$tmp/static_c" $(pkg-config --libs vbackup-cpp) || fail "a C program does not link with libvbackup.a"
readelf -d "$tmp/static_c" | grep -q "NEEDED.*libvbackup" && fail "the static C consumer needs libvbackup.so"
out=$(env -u LD_LIBRARY_PATH "$tmp/static_c" "$src/examples/manifests" "file://$tmp/backups-static" static 2>&1) ||
  fail "static C consumer: $out"
cp -r "$src/tests/packaging/consumer" "$tmp/pc"
meson setup "$tmp/pc/build" "$tmp/pc" --wrap-mode=nofallback --buildtype=plain >"$tmp/pc.log" 2>&1 || { cat "$tmp/pc.log"; fail "(a) meson setup"; }
ninja -C "$tmp/pc/build" >>"$tmp/pc.log" 2>&1 || { cat "$tmp/pc.log"; fail "(a) build"; }
run_consumers pkgconfig "$tmp/pc/build"
readelf -d "$tmp/pc/build/consumer_cpp" | grep -q "NEEDED.*libvbackup" && fail "the C++ consumer links libvbackup.so, not libvbackup.a"
echo "   $((SECONDS - start)) s"

step "(b) libvbackup as a meson subproject"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cp -r "$src/tests/packaging/consumer" "$tmp/sub"
mkdir "$tmp/sub/subprojects"
ln -s "$src" "$tmp/sub/subprojects/vbackup"
# -Db_ndebug=if-release as meson-python sets it: (d) then compiles the same commands and ccache serves them.
meson setup "$tmp/sub/build" "$tmp/sub" --wrap-mode=forcefallback --buildtype=plain -Db_ndebug=if-release >"$tmp/sub.log" 2>&1 || { cat "$tmp/sub.log"; fail "(b) meson setup"; }
ninja -C "$tmp/sub/build" ${VBK_PACKAGING_JOBS:+-j "$VBK_PACKAGING_JOBS"} consumer_c consumer_cpp >>"$tmp/sub.log" 2>&1 || { tail -50 "$tmp/sub.log"; fail "(b) build"; }
grep -q "tests/unit" "$tmp/sub/build/build.ninja" && fail "(b) the subproject declares libvbackup's tests"
run_consumers subproject "$tmp/sub/build"
echo "   $((SECONDS - start)) s"

step "(c) pip install bindings/python into a venv: a wheel that carries the installed libvbackup.so"
# Debian's interpreter (python3-mesonpy); offline: no build isolation, no index.
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/pip" install -q --no-build-isolation --no-index \
  --config-settings=setup-args=-Dlibrary="$libdir/libvbackup.so.$version" "$src/bindings/python" >"$tmp/pip.log" 2>&1 ||
  { cat "$tmp/pip.log"; fail "(c) pip install bindings/python"; }
site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
[[ -f $site/vbackup/libvbackup.so && -f $site/vbackup/py.typed ]] || fail "(c) the wheel lacks vbackup/libvbackup.so or py.typed"
check_wheel() {  # $1: the venv, $2: a label; import vbackup as installed, back up, check the version
  (cd "$tmp" && env -u VBACKUP_LIBRARY "$1/bin/python" - "$version" "$src/examples/manifests" "file://$tmp/backups-$2" <<'PY'
import os, sys
import vbackup, vbackup._lib
version, manifests, location = sys.argv[1:]
assert vbackup.__version__ == version, vbackup.__version__
import importlib.metadata  # pyproject.toml's version is the library's
assert importlib.metadata.version("vbackup") == version, importlib.metadata.version("vbackup")
assert vbackup._lib.lib._name == os.path.join(os.path.dirname(vbackup.__file__), "libvbackup.so"), vbackup._lib.lib._name
r = vbackup.backup({}, name="wheel", location=location, from_manifests=manifests)
assert r["status"]["phase"] == "Completed", r["status"]
print("vbackup", vbackup.__version__, "from", vbackup._lib.lib._name, ":", r["status"]["phase"])
PY
) || fail "($2) import vbackup from the wheel and back up"
  [[ -f $tmp/backups-$2/backups/wheel/velero-backup.json ]] || fail "($2) no backup in file://$tmp/backups-$2"
}
check_wheel "$tmp/venv" wheel
got=$(cd "$tmp" && VBACKUP_LIBRARY=$build/capi/libvbackup.so "$tmp/venv/bin/python" -c 'import vbackup._lib as l; print(l.lib._name)')
[[ "$got" == "$build/capi/libvbackup.so" ]] || fail "(c) VBACKUP_LIBRARY does not override the wheel's library: $got"
echo "   $((SECONDS - start)) s"

step "(d) pip install bindings/python from source: the wheel builds libvbackup as a subproject"
# buildtype plain and a build folder beside the sources, as (b)'s: the same compile commands, so ccache
# reuses (b)'s objects (a cold build is the library's, some minutes on two cores).
wheel_build=$src/bindings/python/build-packaging-test
rm -rf "$wheel_build"
trap 'rm -rf "$tmp" "$wheel_build"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv-src"
"$tmp/venv-src/bin/pip" install -q --no-build-isolation --no-index --config-settings=builddir="$wheel_build" \
  --config-settings=setup-args=-Dbuildtype=plain "$src/bindings/python" >"$tmp/pip-src.log" 2>&1 ||
  { tail -40 "$tmp/pip-src.log"; fail "(d) pip install bindings/python (from source)"; }
check_wheel "$tmp/venv-src" wheel-src
echo "packaging tests passed in $((SECONDS - start)) s"
