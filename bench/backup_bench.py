#!/usr/bin/env python3
"""Issue 17's backup benchmark: a live backup of the test API server seeded with N realistic objects
(bench/gen_objects.py: ConfigMaps, Secrets, Deployments and Pods with managedFields, custom resources;
about 3.8 KB on average), on both wire encodings, measured in the same run against two baselines:

  (a) a bare paged LIST of every listable resource with curl (one curl per page, page 500);
  (b) `kubectl get <every listable resource> -A -o json --chunk-size=500 | gzip`;
  (c) `vbackup backup create` to the file store (and once to moto, S3, unless --skip-s3).

Wires: "plain" — the server's gzip is off (a --gzip-threshold of 2^40), whatever the clients ask;
"gzip" — the server compresses answers of at least 128 KiB (its default threshold, kube-apiserver's
too) at zlib level 1, and every client asks for gzip, as client-go, kubectl and vbackup do by default
(curl gets --compressed). A server per size and wire: kubectl asks for gzip even with
--disable-compression or `disable-compression: true` in its kubeconfig (v1.33, seen with strace), so
only the server can keep its wire plain.

(a) and (c) are run --repeat times, interleaved, and their medians compared. Targets (issue 17):
(c)/(a) <= 1.1 on each wire, (b)/(c) >= 5, peak RSS <= 64 MiB (the file store's, and moto's apart:
its multipart buffers, 4 parts of 10 MiB by default, come on top), and the file-store backup's peak
RSS within 10% across the sizes run (per wire).

    bench/backup_bench.py [N ...] [--wire plain,gzip] [--repeat R] [--skip-kubectl] [--skip-s3]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("VBK_BUILD_ROOT", ROOT / "build"))
sys.path.insert(0, str(ROOT / "tests" / "support"))
import emulators  # noqa: E402

VBACKUP = BUILD / "tools" / "vbackup" / "vbackup"
SERVER = BUILD / "tests" / "support" / "kube-test-server"
CONTINUE = re.compile(rb'"continue":"([^"]*)"')
VELERO_ITEMS_PER_S = 165  # velero#9169: a backup of 300k objects
WIRES = ("plain", "gzip")


def seed_dir(n):
    d = Path(tempfile.gettempdir()) / f"vbk-bench-objects-{n}"
    if not (d / "000-setup.json").exists():
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_objects.py"), str(d), str(n)], check=True)
    return d


def listable_resources(url, env):
    """Every resource the server can list, as kubectl names it and by URL path."""
    out = subprocess.run(["kubectl", "api-resources", "--verbs=list", "-o", "name"], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    paths = []
    for group_doc in [("", "/api/v1")] + [
            (g["name"], "/apis/" + g["preferredVersion"]["groupVersion"])
            for g in json.loads(subprocess.run(["curl", "-s", url + "/apis"], capture_output=True, check=True).stdout)["groups"]]:
        doc = json.loads(subprocess.run(["curl", "-s", url + group_doc[1]], capture_output=True, check=True).stdout)
        for r in doc["resources"]:
            if "/" not in r["name"] and "list" in r.get("verbs", []):
                paths.append(f"{group_doc[1]}/{r['name']}")
    return out, paths


def curl_list_everything(url, paths, scratch, wire):
    """(a): page through every resource with curl, one process per page (--compressed on the gzip wire)."""
    t = time.monotonic()
    body = scratch / "page.json"
    extra = ["--compressed"] if wire == "gzip" else []
    for p in paths:
        token = ""
        while True:
            q = "?limit=500" + (f"&continue={token}" if token else "")
            subprocess.run(["curl", "-s", *extra, "-o", str(body), url + p + q], check=True)
            with open(body, "rb") as f:
                head = f.read(4096)
            m = CONTINUE.search(head)
            token = m.group(1).decode() if m else ""
            if not token:
                break
    return time.monotonic() - t


LAST_CPU = [0.0]  # user + system seconds of the last timed_rss command (printed per run)


def timed_rss(cmd, env):
    """Wall time and peak RSS (MiB) of a command, with GNU time (its CPU seconds in LAST_CPU)."""
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True, env=env)
    wall = time.monotonic() - t
    if p.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
    rss, user, system = p.stderr.strip().splitlines()[-1].split()
    LAST_CPU[0] = float(user) + float(system)
    return wall, int(rss) / 1024


def bench_wire(n, wire, url, kinds, paths, kc, a, moto, scratch):
    """(a), (b) and (c) against a server whose wire is `wire`."""
    env = dict(os.environ, KUBECONFIG=str(kc), HOME=str(scratch / "home"))
    row = {"n": n, "wire": wire, "load_before": os.getloadavg()[0]}
    loc = scratch / f"bucket-{n}-{wire}"
    backup = lambda name, location, extra_env: timed_rss(  # noqa: E731
        [str(VBACKUP), "backup", "create", name, "-q", "--kubeconfig", str(kc), "--storage-location", location],
        dict(env, **extra_env))
    a_s, c_s, rss = [], [], []
    for i in range(a.repeat):
        a_s.append(curl_list_everything(url, paths, scratch, wire))
        c, r = backup(f"b{n}-{wire}-{i}", f"file://{loc}", {})
        c_s.append(c)
        rss.append(r)
        print(f"  {n:,} {wire}: (a) curl LIST {a_s[-1]:.2f} s, (c) vbackup → file {c:.2f} s, {r:.1f} MiB, "
              f"{LAST_CPU[0]:.2f} CPU-s, load {os.getloadavg()[0]:.1f}",
              flush=True)
    row.update(a=statistics.median(a_s), c=statistics.median(c_s), rss=max(rss), runs=len(a_s))
    row["tarball_mb"] = (loc / "backups" / f"b{n}-{wire}-0" / f"b{n}-{wire}-0.tar.gz").stat().st_size / 1e6
    shutil.rmtree(loc, ignore_errors=True)
    if not a.skip_kubectl:
        t = time.monotonic()
        subprocess.run(f"kubectl get {','.join(kinds)} -A -o json --chunk-size=500 | gzip > /dev/null",
                       shell=True, env=env, check=True, stderr=subprocess.DEVNULL)
        row["b"] = time.monotonic() - t
        print(f"  {n:,} {wire}: (b) kubectl | gzip {row['b']:.1f} s", flush=True)
    if moto is not None:
        row["c_s3"], row["rss_s3"] = backup(f"b{n}-{wire}-s3", moto.location, moto.env)
        print(f"  {n:,} {wire}: (c) vbackup → moto {row['c_s3']:.1f} s, {row['rss_s3']:.1f} MiB, "
              f"{LAST_CPU[0]:.2f} CPU-s, load {os.getloadavg()[0]:.1f}", flush=True)
    row["load_after"] = os.getloadavg()[0]
    return row


def bench(n, wire, a, moto, scratch):
    seeds = seed_dir(n)
    port = emulators.free_port()
    kubeconfig = scratch / f"kubeconfig-{n}-{wire}"
    cmd = [str(SERVER), "--port", str(port), "--seed", str(seeds), "--write-kubeconfig", str(kubeconfig)]
    if wire == "plain":
        cmd += ["--gzip-threshold", str(1 << 40)]  # else the default, 128 KiB
    t = time.monotonic()
    with emulators.process(cmd, port, "kube-test-server", timeout=1800):
        while not kubeconfig.exists():
            time.sleep(0.05)
        print(f"{n:,} objects, {wire} wire: server seeded in {time.monotonic() - t:.0f} s", flush=True)
        url = f"http://127.0.0.1:{port}"
        (scratch / "home").mkdir(exist_ok=True)
        kinds, paths = listable_resources(url, dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(scratch / "home")))
        return bench_wire(n, wire, url, kinds, paths, kubeconfig, a, moto, scratch)


def report(rows, a):
    print()
    print("| objects | wire | (a) curl LIST | (b) kubectl \\| gzip | (c) vbackup → file | (c)/(a) | (b)/(c) | items/s "
          "(×Velero) | (c) → moto | peak RSS file / moto | tarball | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    dash = "—"
    for r in rows:
        b = f"{r['b']:.1f} s" if "b" in r else dash
        bc = f"{r['b'] / r['c']:.1f}" if "b" in r else dash
        s3 = f"{r['c_s3']:.1f} s" if "c_s3" in r else dash
        rss_s3 = f"{r['rss_s3']:.0f}" if "rss_s3" in r else dash
        ips = r["n"] / r["c"]
        print(f"| {r['n']:,} | {r['wire']} | {r['a']:.2f} s | {b} | {r['c']:.2f} s | {r['c'] / r['a']:.2f} | {bc} "
              f"| {ips:,.0f} ({ips / VELERO_ITEMS_PER_S:,.0f}×) | {s3} | {r['rss']:.1f} / {rss_s3} MiB "
              f"| {r['tarball_mb']:.1f} MB | {r['load_before']:.1f}–{r['load_after']:.1f} |")
    print(f"\n(a) and (c): median of {a.repeat} interleaved runs; peak RSS: the highest of them.")
    targets = []
    for r in rows:
        k = f"{r['n']:,} {r['wire']}"
        targets.append((f"{k}: (c)/(a) <= 1.1", r["c"] / r["a"] <= 1.1))
        if "b" in r:
            targets.append((f"{k}: (b)/(c) >= 5", r["b"] / r["c"] >= 5))
        targets.append((f"{k}: peak RSS <= 64 MiB", r["rss"] <= 64))
        if "rss_s3" in r:  # the S3 writer's parts in flight (upload_parallelism × part_size) come on top
            targets.append((f"{k}: moto peak RSS <= 64 MiB", r["rss_s3"] <= 64))
    for w in a.wire:
        rss = [(r["n"], r["rss"]) for r in rows if r["wire"] == w]
        if len(rss) >= 2:
            lo, hi = min(x for _, x in rss), max(x for _, x in rss)
            print(f"peak RSS ({w}, file store) {' → '.join(f'{x:.1f}' for _, x in rss)} MiB over "
                  f"{' → '.join(f'{n:,}' for n, _ in rss)} objects ({(hi - lo) / lo * 100:+.1f}% highest over lowest)")
            targets.append((f"{w}: peak RSS within 10% across sizes", hi - lo <= 0.1 * lo))
    print("targets: " + ", ".join(f"{t} {'met' if ok else 'MISSED'}" for t, ok in targets))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    ap.add_argument("--wire", type=lambda s: s.split(","), default=list(WIRES), help="plain,gzip (default both)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of (a) and (c), interleaved (default 3)")
    ap.add_argument("--skip-kubectl", action="store_true", help="no (b) (kubectl | gzip takes ~10 min at 1M)")
    ap.add_argument("--skip-s3", action="store_true", help="no backup to moto (600 MB held in moto at 1M)")
    a = ap.parse_args()
    if any(w not in WIRES for w in a.wire) or a.repeat < 1:
        ap.error("--wire takes plain and/or gzip; --repeat at least 1")
    for tool in (VBACKUP, SERVER):
        if not tool.exists():
            raise SystemExit(f"{tool} is not built")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vbk-backup-bench-") as d:
        scratch = Path(d)
        moto_gen = None if a.skip_s3 else emulators.moto_s3.__wrapped__()
        moto = None if moto_gen is None else next(moto_gen)
        try:
            for n in a.sizes:
                rows += [bench(n, w, a, moto, scratch) for w in a.wire]
        finally:
            if moto_gen is not None:
                next(moto_gen, None)
    report(rows, a)


if __name__ == "__main__":
    main()
