"""Ctrl-C during a long backup or restore (issue 15, brief i15-python): SIGINT to a Python process in
the middle of vbackup.backup / vbackup.restore cancels the operation cleanly and the call raises
KeyboardInterrupt; the location holds no backup and no temporary file (a restore that already
created items keeps its whole record, phase Failed, failureReason "cancelled")."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import vbackup
from conftest import ROOT

SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import vbackup
    mode, location, source = sys.argv[2:5]
    started = False

    def progress(*args):
        global started
        if not started:
            started = True
            print("started", flush=True)

    def slow(item):
        time.sleep(0.01)  # a long operation: ~20 s if nothing stops it
        return None

    try:
        if mode == "backup":
            vbackup.backup({"includedNamespaces": ["many"]}, name="big", location=location, from_manifests=source,
                           progress=progress, item_hook=slow)
        else:
            vbackup.restore({"namespaceMapping": {"many": "copy"}}, name="r", backup="big", location=location,
                            kubeconfig=source, parallel=4, progress=progress, item_hook=slow)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(42)
    print("finished", flush=True)
""")


@pytest.fixture
def big(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    docs = ["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: many\n"]
    docs += [f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: many\ndata:\n  v: \"{'x' * 200}\"\n"
             for i in range(2000)]
    (folder / "big.yaml").write_text("---\n".join(docs))
    return folder


def interrupt(tmp_path, mode, location, source):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(ROOT / "bindings" / "python"), mode, location, str(source)],
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(0.5)  # well inside the operation
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        assert time.monotonic() - sent < 10, "the cancel took too long"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "interrupted" in out and proc.returncode == 42, (proc.returncode, out)


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_sigint_during_a_backup_cancels_it_and_leaves_nothing(tmp_path, big):
    bucket = tmp_path / "bucket"
    interrupt(tmp_path, "backup", f"file://{bucket}", big)
    with vbackup.Location(f"file://{bucket}") as loc:
        assert loc.list_backups() == []
        assert loc.leftovers() == []
    assert not bucket.exists() or files(bucket) == []  # no tarball, no temporary file, no log


def test_sigint_during_a_parallel_restore_cancels_it(tmp_path, big, kube_server):
    bucket = tmp_path / "bucket"
    location = f"file://{bucket}"
    vbackup.backup({"includedNamespaces": ["many"]}, name="big", location=location, from_manifests=big)
    before = files(bucket)
    interrupt(tmp_path, "restore", location, kube_server.kubeconfig)
    with vbackup.Location(location) as loc:
        # What the restore did to the cluster is recorded whole, in a terminal phase (the library's
        # rule for a cancelled restore that created items): never a record without its files.
        (record,) = loc.list_restores()
        assert record["status"]["phase"] == "Failed" and record["status"]["failureReason"] == "cancelled"
        assert record["status"]["progress"]["itemsRestored"] < 2001  # stopped early
        assert {"resourceList", "results"} <= set(loc.describe_restore("r", details=True))
        assert loc.leftovers() == []
    assert [f for f in files(bucket) if f not in before and not f.startswith("restores/r/")] == []
    assert not [f for f in files(bucket) if "tmp" in f]
