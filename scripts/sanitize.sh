#!/usr/bin/env bash
# The sanitizer builds (issue 15 "Bad input at the boundary", issue 16 "Fuzzing and sanitizers"):
#
#   scripts/sanitize.sh asan   build-asan/: gcc, -fsanitize=address,undefined, -O1 -g1. Runs the whole
#                              meson test suite again (the C ABI tests included), then the Python
#                              package and CLI tests (pytest) against that build's libvbackup.so and CLI.
#   scripts/sanitize.sh boundary  build-asan/ as asan, but only the C ABI, the CLI, the examples and the
#                              test API server: the C ABI tests (capi_*) and the Python, CLI and examples
#                              tests under ASan + UBSan (issue 15); a quicker local check. CI runs asan.
#   scripts/sanitize.sh tsan   build-tsan/: gcc, -fsanitize=thread, -O2 -g1. Builds and runs only the
#                              tests of the parallel paths (TSAN_TESTS below).
#
# Any sanitizer report fails the run (halt_on_error, and meson test fails on the non-zero exit).
# Called from scripts/test.sh after the plain build's tests; docs/fuzzing.md says how to run them
# locally and what each costs.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: scripts/sanitize.sh boundary|asan|tsan}
jobs=${VBK_SANITIZE_JOBS:-2}

# One stack trace per finding and stop at the first one; the report says where.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:abort_on_error=1:print_summary=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"

configure() {  # dir, meson options...
  local dir=$1
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    # -g1 as in scripts/build.sh (line tables: reports keep file and line, the disk stays small).
    # b_lundef=false: a sanitized shared library leaves the runtime's symbols to the executable.
    meson setup "$dir" -Dc_args=-g1 -Dcpp_args=-g1 -Db_lundef=false "$@" >/dev/null
  fi
}

run_pytest_asan() {
  echo "== pytest (ASan + UBSan: Python package, CLI, examples)"
  # /usr/bin/python3 is not built with ASan: the runtime has to come first in the process, so it is
  # preloaded (else libasan aborts with "ASan runtime does not come first in initial library list").
  # The interpreter itself keeps memory until exit by design, so leak checking is off for it (and for
  # the CLI and emulators it starts, which inherit the environment); everything else stays on.
  asan_rt=$(gcc -print-file-name=libasan.so)
  ubsan_rt=$(gcc -print-file-name=libubsan.so)
  LD_PRELOAD="$asan_rt $ubsan_rt" \
  ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=0 \
  VBACKUP_LIBRARY="$PWD/build-asan/capi/libvbackup.so" VBACKUP_CLI="$PWD/build-asan/tools/vbackup/vbackup" \
  VBK_BUILD_ROOT="$PWD/build-asan" VBK_SOURCE_ROOT="$PWD" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider bindings/python/tests tests/cli tests/examples tests/secrets
}

case "$mode" in
boundary)
  configure build-asan -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined
  CAPI_TESTS=($(sed -n "s/^test('\\(capi[a-z_]*\\)'.*/\\1/p" tests/meson.build))
  ninja -C build-asan -j"$jobs" capi/libvbackup.so.0.1.0 tools/vbackup/vbackup tests/support/kube-test-server \
    $(printf 'tests/%s_test ' "${CAPI_TESTS[@]}") \
    $(grep -o "executable('[a-z_]*'" examples/meson.build | sed "s/executable('\(.*\)'/examples\/\1/")
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
  echo "== meson test (ASan + UBSan: ${CAPI_TESTS[*]})"
  meson test -C build-asan --no-rebuild --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3 "${CAPI_TESTS[@]}"
  run_pytest_asan
  ;;
asan)
  # -O1: UBSan's checks make gcc's -O2 slow, 5.6x the plain build's compile time for
  # src/restore/plan/backup_contents.cpp (14.5 s against 2.6 s user); -O1 takes 7.0 s.
  configure build-asan -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined
  # Statically linked under ASan + UBSan, each test program is 150-500 MB (UBSan's check data), 16 GB
  # for all of them: more than a CI machine may have free. So the library, the CLI, the C ABI, the
  # examples and the test API server are built first, then the test programs are linked, run and
  # removed four at a time (scripts/sanitize_plan.py); the tests that run no test program of their
  # own (pytest-driven examples, the C API docs) come last. Benchmarks are not built.
  plan=build-asan/sanitize-plan.txt
  python3 scripts/sanitize_plan.py build-asan 4 >"$plan"
  read -r -a base <"$plan"
  ninja -C build-asan -j"$jobs" "${base[@]}"
  # Leak checking stays on for our programs (they exit normally; a leak is a finding).
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
  echo "== meson test (ASan + UBSan), in batches"
  : >build-asan/meson-test.txt
  ran=0
  # The plan is read on fd 3 and the tests get /dev/null: a test that reads its standard input
  # would otherwise eat the plan's next lines.
  while IFS='|' read -r -u 3 programs names; do
    read -r -a programs <<<"$programs"
    read -r -a names <<<"$names"
    [[ ${#programs[@]} -gt 0 ]] && ninja -C build-asan -j"$jobs" "${programs[@]}" </dev/null >/dev/null
    # Everything runs 2-5x slower under ASan: the timeouts stretch by 3.
    meson test -C build-asan --no-rebuild --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3 \
      "${names[@]}" </dev/null | tee -a build-asan/meson-test.txt
    ok=$(grep -Eo '^Ok: +[0-9]+' build-asan/meson-test.txt | tail -1 | grep -Eo '[0-9]+' || echo 0)
    ran=$((ran + ok))
    for p in "${programs[@]}"; do rm -rf "build-asan/$p" "build-asan/$p.p"; done
  done 3< <(tail -n +2 "$plan")
  expected=$(tail -n +2 "$plan" | cut -d'|' -f2 | wc -w)
  echo "== $ran of $expected meson tests passed under ASan + UBSan"
  if [[ "$ran" -ne "$expected" ]]; then echo "not every meson test ran under ASan" >&2; exit 1; fi

  run_pytest_asan
  ;;
tsan)
  # The parallel paths: gzip (stream: ParallelGzipOutputStream), decoding ahead (archive: ReadAhead),
  # the stores' parallel multipart and block uploads (s3, azure: moto, s3rver, Azurite), the HTTP
  # client's connection pool and resolver thread (http), the parallel restore (restore_parallel), the
  # server's informers, work queues and controllers (server, server_controllers), the checksum
  # manifest's hashing thread (item_hasher), the restore spool's writer thread (restore_spool_index).
  # VBK_TSAN_EXTRA adds more.
  TSAN_TESTS=(stream archive s3 azure http restore_parallel server server_controllers item_hasher restore_spool_index
              ${VBK_TSAN_EXTRA:-})
  configure build-tsan --buildtype=debugoptimized -Db_sanitize=thread
  ninja -C build-tsan -j"$jobs" $(printf 'tests/%s_test ' "${TSAN_TESTS[@]}") tests/support/kube-test-server
  echo "== meson test (TSan: ${TSAN_TESTS[*]})"
  meson test -C build-tsan --no-rebuild --print-errorlogs --num-processes "$jobs" --timeout-multiplier 4 "${TSAN_TESTS[@]}"
  ;;
*)
  echo "usage: scripts/sanitize.sh asan|tsan" >&2
  exit 2
  ;;
esac
