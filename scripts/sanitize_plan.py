#!/usr/bin/env python3
"""Plans `scripts/sanitize.sh asan` in batches (from `meson introspect`): statically linked under ASan +
UBSan each test program is 150-500 MB (UBSan's check data: ~150 MB of .data and as much of
relocations), 16 GB for the ~100 of them, more than a CI machine may have free. So the test programs
are linked, run and removed a few at a time.

    scripts/sanitize_plan.py BUILD_DIR [BATCH_SIZE]

Prints one line of the targets everything else needs (library, CLI, C ABI, examples, test API
server, and whatever a test depends on), relative to BUILD_DIR; then one line per batch:
"<test programs> | <the tests that run them>"; then "| <tests that run no test program>" (pytest,
bash) last. Benchmarks are not built."""
import json
import os
import subprocess
import sys


def introspect(build, what):
    return json.loads(subprocess.run(["meson", "introspect", what, build], check=True, capture_output=True,
                                     text=True).stdout)


def main():
    build = os.path.abspath(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    tests = introspect(build, "--tests")
    targets = introspect(build, "--targets")
    programs_dir = os.path.join(build, "tests") + os.sep

    def is_program(path):  # a test program: build/tests/<name>_test
        return path.startswith(programs_dir) and os.sep not in path[len(programs_dir):]

    by_program = {}
    others = []
    for t in tests:
        (by_program.setdefault(t["cmd"][0], []) if is_program(t["cmd"][0]) else others).append(t["name"])
    needed = {d for t in tests for d in t["depends"]}
    base = []
    for t in targets:
        files = [f for f in t["filename"] if f.startswith(build + os.sep)]
        if not files or t["type"] == "run" or any(f in by_program for f in files):
            continue
        if t["defined_in"].endswith(os.path.join("bench", "meson.build")) and t["id"] not in needed:
            continue
        base += [os.path.relpath(f, build) for f in files]
    print(" ".join(sorted(set(base))))
    programs = sorted(by_program)
    for i in range(0, len(programs), size):
        batch = programs[i:i + size]
        print(" ".join(os.path.relpath(p, build) for p in batch), "|",
              " ".join(n for p in batch for n in by_program[p]))
    print("|", " ".join(others))


if __name__ == "__main__":
    main()
