#!/usr/bin/env python3
"""Issue 4's storage benchmark: a SIZE-MiB object (default 1024) up and down through moto, s3rver
and Azurite with libvbackup (build/bench/storage_bench), and in the same run with an independent
client as the baseline: `/usr/bin/aws s3 cp` for S3, the stdlib Python Shared Key client
(tests/support/azure_sharedkey_client.py) for Azure. Prints throughput, the ratio ours/baseline
(> 1: we are faster) and our peak RSS growth, as a Markdown table for docs/benchmarks.md.

    bench/storage_bench.py [SIZE_MIB]
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
import emulators  # noqa: E402

BENCH = Path(os.environ.get("VBK_BUILD_ROOT", ROOT / "build")) / "bench" / "storage_bench"
AZ_CLIENT = ROOT / "tests" / "support" / "azure_sharedkey_client.py"


def timed(cmd, env):
    t = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.monotonic() - t


def ours(location, path, env):
    p = subprocess.run([str(BENCH), location, str(path), "bench/object"], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"storage_bench failed on {location}: {p.stderr}")
    return json.loads(p.stdout)


def s3_baseline(emu, path, out, env, mib):
    aws = ["/usr/bin/aws", "--endpoint-url", emu.url, "--region", "us-east-1", "s3", "cp", "--only-show-errors"]
    up = timed(aws + [str(path), f"s3://{emulators.BUCKET}/baseline/object"], env)
    down = timed(aws + [f"s3://{emulators.BUCKET}/baseline/object", str(out)], env)
    return mib / up, mib / down


def azure_baseline(emu, path, out, env, mib):
    az = [sys.executable, str(AZ_CLIENT), "--endpoint", emu.url, "--account", "devstoreaccount1", "--key",
          emulators.AZURITE_KEY]
    up = timed(az + ["put", emulators.BUCKET, "baseline/object", str(path), "--block-size", str(8 << 20)], env)
    down = timed(az + ["get", emulators.BUCKET, "baseline/object", str(out)], env)
    return mib / up, mib / down


def run_emulator(name, fixture_fn, tmp, path, out, mib, baseline):
    gen = fixture_fn.__wrapped__(tmp) if name != "moto" else fixture_fn.__wrapped__()
    emu = next(gen)
    try:
        env = dict(os.environ, **emu.env)
        mine = ours(emu.location, path, env)
        base_up, base_down = baseline(emu, path, out, env, mib)
        return {"store": name, **mine, "base_up": base_up, "base_down": base_down}
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    if not BENCH.exists():
        raise SystemExit(f"{BENCH} is not built (ninja -C build bench/storage_bench)")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        path, out = tmp / "object", tmp / "downloaded"
        with open(path, "wb") as f:  # incompressible, so no layer can shortcut it
            for _ in range(mib):
                f.write(os.urandom(1 << 20))
        rows = []
        for name, fixture, baseline, label in [("moto", emulators.moto_s3, s3_baseline, "aws s3 cp"),
                                               ("s3rver", emulators.s3rver, s3_baseline, "aws s3 cp"),
                                               ("Azurite", emulators.azurite, azure_baseline, "Python client")]:
            sub = tmp / name
            sub.mkdir()
            r = run_emulator(name, fixture, sub, path, out, mib, baseline)
            r["baseline"] = label
            rows.append(r)
            print(f"{name}: up {r['upload_mib_s']:.0f} MiB/s (baseline {r['base_up']:.0f}), down "
                  f"{r['download_mib_s']:.0f} MiB/s (baseline {r['base_down']:.0f}), peak RSS growth "
                  f"{r['peak_rss_growth_mib']:.1f} MiB", flush=True)
    print()
    print(f"| store ({mib} MiB) | upload MiB/s | baseline | ratio | download MiB/s | baseline | ratio | peak RSS growth |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['store']} (baseline: {r['baseline']}) | {r['upload_mib_s']:.0f} | {r['base_up']:.0f} | "
              f"{r['upload_mib_s'] / r['base_up']:.2f} | {r['download_mib_s']:.0f} | {r['base_down']:.0f} | "
              f"{r['download_mib_s'] / r['base_down']:.2f} | {r['peak_rss_growth_mib']:.1f} MiB |")
    worst = max(r["peak_rss_growth_mib"] for r in rows)
    print(f"\npeak RSS growth {worst:.1f} MiB: {'under' if worst < 64 else 'OVER'} the 64 MiB bound")


if __name__ == "__main__":
    main()
