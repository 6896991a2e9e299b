#!/usr/bin/env bash
# Installs what libvbackup needs to build and test on Debian 12 (bookworm).
# Idempotent and quiet: when everything is present it only runs dpkg-query.
# Never installs the unversioned libboost-dev (it pulls Boost 1.74, which has no Boost.JSON
# and conflicts with libboost1.81-dev; ../shared/reference/test-infrastructure.md §1).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config g++ cmake
  libboost1.81-dev libboost-json1.81-dev
  libarchive-dev libzstd-dev libssl-dev zlib1g-dev libexpat1-dev libisal-dev
  libyaml-cpp-dev doctest-dev libcli11-dev libspdlog-dev
  libhowardhinnant-date-dev
  python3-pytest
  python3-mesonpy python3-venv python3-pip  # the wheel of bindings/python (scripts/packaging-test.sh)
  clang libclang-rt-14-dev
  tar gzip zstd
  awscli
  age openssh-client  # age -d / -e and ssh-keygen -Y: the crypto room's interop tests
  doxygen  # the C API reference, docs/Doxyfile (brief s3-docs)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Object-storage emulators for the tests (s3rver, Azurite), pinned by tests/support/package-lock.json.
if [[ ! -x tests/support/node_modules/.bin/azurite-blob || ! -x tests/support/node_modules/.bin/s3rver ]]; then
  echo "setup: installing the storage emulators (npm)" >&2
  (cd tests/support && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
