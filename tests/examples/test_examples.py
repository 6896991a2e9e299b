"""Runs the examples (examples/python, and the C and C++ programs meson built) as a user would,
against the embedded defaults: a file location, the demo manifests folder and the test API server.
Issue 15 "Examples that run". meson test runs the C and C++ cases (examples/meson.build);
scripts/test.sh runs them all."""
import os
import subprocess
import sys
import time

import pytest
from emulators import BUILD, ROOT, api_get

sys.path.insert(0, str(ROOT / "bindings" / "python"))
import vbackup  # noqa: E402

MANIFESTS = ROOT / "examples" / "manifests"
LANGUAGES = ["python", "c", "cpp"]


def command(example: str, language: str) -> list:
    """How to run `example` in `language`: the script, or the program meson built."""
    if language == "python":
        return [sys.executable, str(ROOT / "examples" / "python" / f"{example}.py")]
    program = BUILD / "examples" / (example + ("_cpp" if language == "cpp" else ""))
    if not program.exists():
        pytest.fail(f"{program} is not built")
    return [str(program)]


def run(example: str, language: str, *args, expect: int = 0) -> subprocess.CompletedProcess:
    """Runs one example; fails with its output when it does not exit with `expect`."""
    p = subprocess.run(command(example, language) + list(map(str, args)), capture_output=True, text=True,
                       timeout=300, env=dict(os.environ))
    assert p.returncode == expect, f"{example} ({language}) exited {p.returncode}\n" \
                                   f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


def test_backup_demo(tmp_path):
    out = run("backup_demo", "python", MANIFESTS, f"file://{tmp_path}/b", "demo-1").stdout
    assert "demo-1: Completed" in out


def test_restore_demo(tmp_path):
    out = run("restore_demo", "python", MANIFESTS, f"file://{tmp_path}/b", tmp_path / "plans").stdout
    assert "apps/v1/Deployment" in out and "Completed" in out


@pytest.mark.parametrize("language", LANGUAGES)
def test_restore_hook(tmp_path, language):
    """The item hook labels every object of the dry run's plan and skips the Secret."""
    out = run("restore_hook", language, MANIFESTS, f"file://{tmp_path}/b", tmp_path / "plans").stdout
    secret = [line for line in out.splitlines() if line.startswith("plan:") and "v1/Secret" in line]
    assert len(secret) == 1 and "skipped by the item hook" in secret[0], out
    files = list((tmp_path / "plans").glob("*/*.yaml"))
    kinds = {f.name.split("-")[1] for f in files}
    assert {"deployment", "configmap", "service", "widget"} <= kinds and "secret" not in kinds, kinds
    # Every object the hook saw carries the label; the Namespace is made by the restore, not an item.
    for f in files:
        if "-namespace-" not in f.name:
            assert "restored-by: example" in f.read_text(), f.name


@pytest.mark.parametrize("language", LANGUAGES)
def test_dr_restore(tmp_path, kube_server, language):
    """The newest Completed backup of the schedule is diffed, then restored with the mapping."""
    location = f"file://{tmp_path}/b"
    # Two runs of schedule "nightly" as Velero names them (<schedule>-<yyyyMMddHHmmss>), more than a
    # second apart (start times have whole seconds): the newest is taken by status.startTimestamp.
    names = ["nightly-20261201000000", "nightly-20261202000000"]
    for name in names:
        b = vbackup.backup({"metadata": {"name": name, "labels": {"velero.io/schedule-name": "nightly"}},
                            "spec": {"includedNamespaces": ["demo"]}}, location=location, from_manifests=MANIFESTS)
        assert b["status"]["phase"] == "Completed"
        time.sleep(1.1)
    vbackup.backup({"metadata": {"name": "other-20261203000000", "labels": {"velero.io/schedule-name": "other"}}},
                   location=location, from_manifests=MANIFESTS)

    out = run("dr_restore", language, location, "nightly", kube_server.kubeconfig, "demo=demo-dr").stdout
    lines = out.splitlines()
    assert f"backup {names[1]}" in lines, out
    diff = [line for line in lines if line.startswith("diff:")]
    assert diff and "create" in diff[0], out
    assert "Completed" in lines[-1], out
    for path in ["/api/v1/namespaces/demo-dr", "/api/v1/namespaces/demo-dr/configmaps/web-config",
                 "/api/v1/namespaces/demo-dr/secrets/web-credentials",
                 "/apis/apps/v1/namespaces/demo-dr/deployments/web", "/api/v1/namespaces/demo-dr/services/web"]:
        assert api_get(kube_server.url, path) is not None, path
    with vbackup.Location(location) as loc:
        assert [r["spec"]["backupName"] for r in loc.list_restores()] == [names[1]]

    # Any error: exit 1 with the message.
    p = run("dr_restore", language, location, "nope", kube_server.kubeconfig, "demo=demo-dr", expect=1)
    assert "error: " in p.stderr and "schedule" in p.stderr.lower(), p.stderr
