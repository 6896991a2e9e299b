"""Runs the Python examples (examples/python) as a user would, against the embedded defaults: a file
location, the demo manifests folder and the test API server. Issue 15 "Examples that run"."""
import os
import subprocess
import sys
import time

import pytest
from emulators import ROOT, api_get

sys.path.insert(0, str(ROOT / "bindings" / "python"))
import vbackup  # noqa: E402

EXAMPLES = ROOT / "examples" / "python"
MANIFESTS = ROOT / "examples" / "manifests"


def run(script: str, *args) -> str:
    """Runs one example; fails with its output when it exits non-zero."""
    p = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ))
    assert p.returncode == 0, f"{script} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p.stdout


def test_backup_demo(tmp_path):
    out = run("backup_demo.py", MANIFESTS, f"file://{tmp_path}/b", "demo-1")
    assert "demo-1: Completed" in out


def test_restore_demo(tmp_path):
    out = run("restore_demo.py", MANIFESTS, f"file://{tmp_path}/b", tmp_path / "plans")
    assert "apps/v1/Deployment" in out and "Completed" in out


def test_restore_hook_labels_every_object_and_skips_secrets(tmp_path):
    out = run("restore_hook.py", MANIFESTS, f"file://{tmp_path}/b", tmp_path / "plans")
    assert "skipped by the item hook" in [l for l in out.splitlines() if "v1/Secret" in l][0]
    files = list((tmp_path / "plans").glob("*/*.yaml"))
    kinds = {f.name.split("-")[1] for f in files}
    assert "deployment" in kinds and "secret" not in kinds
    # Every object the hook saw carries the label; the Namespace is made by the restore, not an item.
    for f in files:
        if "-namespace-" not in f.name:
            assert "restored-by: example" in f.read_text(), f.name


def test_dr_restore_takes_the_newest_completed_backup_of_the_schedule(tmp_path, kube_server):
    location = f"file://{tmp_path}/b"
    # Two runs of schedule "nightly" as Velero names them (<schedule>-<yyyyMMddHHmmss>), a second
    # apart: the newest is taken by status.startTimestamp.
    names = ["nightly-20261201000000", "nightly-20261202000000"]
    for name in names:
        b = vbackup.backup({"metadata": {"name": name, "labels": {"velero.io/schedule-name": "nightly"}},
                            "spec": {"includedNamespaces": ["demo"]}}, location=location, from_manifests=MANIFESTS)
        assert b["status"]["phase"] == "Completed"
        time.sleep(1.1)
    vbackup.backup({"metadata": {"name": "other-20261203000000", "labels": {"velero.io/schedule-name": "other"}}},
                   location=location, from_manifests=MANIFESTS)

    out = run("dr_restore.py", location, "nightly", kube_server.kubeconfig, "demo=demo-dr")
    assert f"backup {names[1]}\n" in out
    assert "diff: " in out and "create" in out
    assert "Completed" in out.splitlines()[-1]
    for path in ["/api/v1/namespaces/demo-dr", "/api/v1/namespaces/demo-dr/configmaps/web-config",
                 "/apis/apps/v1/namespaces/demo-dr/deployments/web", "/api/v1/namespaces/demo-dr/services/web"]:
        assert api_get(kube_server.url, path) is not None, path
    restores = vbackup.Location(location).list_restores()
    assert [r["spec"]["backupName"] for r in restores] == [names[1]]


def test_dr_restore_fails_with_a_message_for_an_unknown_schedule(tmp_path, kube_server):
    p = subprocess.run([sys.executable, str(EXAMPLES / "dr_restore.py"), f"file://{tmp_path}/b", "nope",
                        str(kube_server.kubeconfig), "demo=demo-dr"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "schedule nope: no Completed backup" in p.stderr
