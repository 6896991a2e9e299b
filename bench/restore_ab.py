#!/usr/bin/env python3
"""A/B of the restore between builds or malloc settings, in one run (issue 17, session 7).

Each variant is BINARY[@MALLOC_ARENA_MAX], e.g. /tmp/restore_bench.base or build/bench/restore_bench@2
(a copy of build/bench/restore_bench from another checkout is a binary to compare against). The
generated managed set of N objects is backed up once (bench/restore_bench.py's prepare); then every
round restores it once with each variant, interleaved, each against a fresh kube-test-server, with
--parallel 8 and the client's QPS lifted, and prints wall time, client and server CPU, when the
first item was restored (what comes before it is serial: discovery, the spool of the tarball) and
peak RSS (VmHWM), then the medians.

    bench/restore_ab.py N ROUNDS VARIANT [VARIANT ...]

VBK_AB_OBJECTS=plain restores the plain set instead (no managedFields, so no patch after a create).
"""
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import restore_bench as rb  # noqa: E402


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    n, rounds, variants = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    scratch = Path(tempfile.mkdtemp(prefix=f"vbk-restore-ab-{n}-"))
    p = rb.prepare(n, scratch, kubectl_files=False, objects=os.environ.get("VBK_AB_OBJECTS", "managed"))
    results = {v: [] for v in variants}
    for r in range(rounds):
        for i, v in enumerate(variants):
            binary, _, arenas = v.partition("@")
            env = dict(os.environ)
            env.pop("MALLOC_ARENA_MAX", None)
            if arenas:
                env["MALLOC_ARENA_MAX"] = arenas
            with rb.Server(scratch, f"ab-{r}-{i}") as s:
                o = rb.run_json([binary, "restore", "--location", p["location"], "--backup", p["backup"], "--name",
                                 f"r-ab-{r}-{i}", "--kubeconfig", str(s.kubeconfig), "--qps", str(rb.LIFTED),
                                 "--burst", str(rb.LIFTED), "--parallel", "8", "--spool", str(scratch)], s, env=env)
            if o["created"] != p["objects"] or o["phase"] != "Completed":
                raise SystemExit(f"{v}: restored {o['created']} of {p['objects']} objects: {o}")
            results[v].append(o)
            print(f"{v} round {r}: {o['seconds']:.2f} s, {p['objects'] / o['seconds']:.0f} items/s, client CPU "
                  f"{o['cpu']:.2f} s, server CPU {o['serverCpu']:.2f} s, first item at {o['firstItemSeconds']:.2f} s, "
                  f"peak RSS {o['vmhwmKiB'] / 1024:.1f} MiB",
                  flush=True)
    for v, runs in results.items():
        rss = [x["vmhwmKiB"] / 1024 for x in runs]
        print(f"{v}: median {statistics.median(x['seconds'] for x in runs):.2f} s, client CPU "
              f"{statistics.median(x['cpu'] for x in runs):.2f} s, server CPU "
              f"{statistics.median(x['serverCpu'] for x in runs):.2f} s, first item at "
              f"{statistics.median(x['firstItemSeconds'] for x in runs):.2f} s, peak RSS {statistics.median(rss):.1f} MiB "
              f"(runs: {', '.join(f'{x:.1f}' for x in rss)})")


if __name__ == "__main__":
    main()
