#!/usr/bin/env python3
"""Issue 6's benchmark: a live backup of the test API server seeded with N realistic objects
(bench/gen_objects.py: ConfigMaps, Secrets, Deployments and Pods with managedFields, custom
resources; about 3.8 KB on average), measured in the same run against two baselines:

  (a) a bare paged LIST of every listable resource with curl (one curl per page, page 500, no gzip);
  (b) `kubectl get <every listable resource> -A -o json | gzip`;
  (c) `vbackup backup create` to the file store, and to moto (S3).

Targets: (c) at most 1.3x (a) and at least 5x faster than (b); peak RSS at most 128 MiB and within
10% between the sizes. The server answers without gzip (a large --gzip-threshold) for every client,
so compression on the wire is not what is compared.

    bench/backup_bench.py [N ...]        (default: 10000 100000)
"""
import json
import os
import re
import shutil
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


def curl_list_everything(url, paths, scratch):
    """(a): page through every resource with curl, one process per page."""
    items = 0
    t = time.monotonic()
    body = scratch / "page.json"
    for p in paths:
        token = ""
        while True:
            q = f"?limit=500" + (f"&continue={token}" if token else "")
            subprocess.run(["curl", "-s", "-o", str(body), url + p + q], check=True)
            with open(body, "rb") as f:
                head = f.read(4096)
            m = CONTINUE.search(head)
            token = m.group(1).decode() if m else ""
            if not token:
                break
    return time.monotonic() - t


def timed_rss(cmd, env):
    """Wall time and peak RSS (MiB) of a command, with GNU time."""
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, env=env)
    wall = time.monotonic() - t
    if p.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
    return wall, int(p.stderr.strip().splitlines()[-1]) / 1024


def bench(n, moto, scratch):
    seeds = seed_dir(n)
    port = emulators.free_port()
    kubeconfig = scratch / f"kubeconfig-{n}"
    cmd = [str(SERVER), "--port", str(port), "--seed", str(seeds), "--gzip-threshold", str(1 << 40),
           "--write-kubeconfig", str(kubeconfig)]
    with emulators.process(cmd, port, "kube-test-server", timeout=600):
        while not kubeconfig.exists():
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(scratch / "home"))
        (scratch / "home").mkdir(exist_ok=True)
        kinds, paths = listable_resources(url, env)
        a = curl_list_everything(url, paths, scratch)
        t = time.monotonic()
        subprocess.run(f"kubectl get {','.join(kinds)} -A -o json --chunk-size=500 | gzip > /dev/null", shell=True,
                       env=env, check=True, stderr=subprocess.DEVNULL)
        b = time.monotonic() - t
        file_loc = f"file://{scratch / f'bucket-{n}'}"
        c_file, rss_file = timed_rss([str(VBACKUP), "backup", "create", f"b{n}", "-q", "--kubeconfig", str(kubeconfig),
                                      "--storage-location", file_loc], env)
        c_s3, rss_s3 = timed_rss([str(VBACKUP), "backup", "create", f"b{n}", "-q", "--kubeconfig", str(kubeconfig),
                                  "--storage-location", moto.location], dict(env, **moto.env))
        size = (scratch / f"bucket-{n}" / "backups" / f"b{n}" / f"b{n}.tar.gz").stat().st_size
    return {"n": n, "a": a, "b": b, "c_file": c_file, "c_s3": c_s3, "rss_file": rss_file, "rss_s3": rss_s3,
            "tarball_mb": size / 1e6}


def main():
    sizes = [int(x) for x in sys.argv[1:]] or [10000, 100000]
    for tool in (VBACKUP, SERVER):
        if not tool.exists():
            raise SystemExit(f"{tool} is not built")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        scratch = Path(d)
        moto_gen = emulators.moto_s3.__wrapped__()
        moto = next(moto_gen)
        try:
            for n in sizes:
                r = bench(n, moto, scratch)
                rows.append(r)
                print(f"{n} objects: curl LIST {r['a']:.1f} s, kubectl|gzip {r['b']:.1f} s, vbackup file "
                      f"{r['c_file']:.1f} s ({r['rss_file']:.0f} MiB), vbackup moto {r['c_s3']:.1f} s "
                      f"({r['rss_s3']:.0f} MiB), tarball {r['tarball_mb']:.1f} MB", flush=True)
        finally:
            next(moto_gen, None)
    print()
    print("| objects | (a) curl LIST | (b) kubectl \\| gzip | (c) vbackup → file | (c)/(a) | (b)/(c) | (c) → moto | peak RSS file / moto |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['a']:.1f} s | {r['b']:.1f} s | {r['c_file']:.1f} s | {r['c_file'] / r['a']:.2f} | "
              f"{r['b'] / r['c_file']:.1f} | {r['c_s3']:.1f} s | {r['rss_file']:.0f} / {r['rss_s3']:.0f} MiB |")
    if len(rows) >= 2:
        lo, hi = rows[0]["rss_file"], rows[-1]["rss_file"]
        print(f"\npeak RSS {lo:.0f} → {hi:.0f} MiB between {rows[0]['n']:,} and {rows[-1]['n']:,} objects "
              f"({(hi - lo) / lo * 100:+.1f}%)")


if __name__ == "__main__":
    main()
