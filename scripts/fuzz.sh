#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each (or only the
# TARGETs named: scripts/fuzz.sh SECONDS [TARGET...], e.g. `scripts/fuzz.sh 600 cron`) for
# SECONDS (default 60) from its seed corpus in tests/fuzz/corpus/<target>/; an input that runs
# longer than 10 s is a hang and fails the run. New inputs go to a
# scratch folder, so the committed seeds stay as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
# VBK_FUZZ_LOGS=<dir> keeps each run's libFuzzer output as <dir>/<target>.log (docs/fuzzing.md's
# figures: the final stat:: lines and the last "cov:" line).
logs=${VBK_FUZZ_LOGS:-}
if [[ $# -gt 0 ]]; then
  sources=()
  for t in "$@"; do sources+=("tests/fuzz/${t}_fuzz.cpp"); done
else
  sources=(tests/fuzz/*_fuzz.cpp)
fi
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false --buildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz $(printf '%s\n' "${sources[@]}" | sed 's|\.cpp$||')
for src in "${sources[@]}"; do
  name=$(basename "$src" .cpp)
  target=${name%_fuzz}
  scratch=$(mktemp -d)
  seeds=tests/fuzz/corpus/$target
  [[ -d "$seeds" ]] || seeds=
  echo "-- $name (${seconds}s)"
  log=$scratch.log
  status=0
  ./build-fuzz/tests/fuzz/"$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "$scratch" $seeds >"$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$log" || true
  if [[ -n "$logs" ]]; then mkdir -p "$logs" && cp "$log" "$logs/$target.log"; fi
  if [[ $status -ne 0 ]]; then
    tail -n 40 "$log" >&2
    echo "$name failed (exit $status)" >&2
    rm -rf "$scratch" "$log"
    exit 1
  fi
  rm -rf "$scratch" "$log"
done
