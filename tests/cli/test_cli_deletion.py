"""Expiry and deletion through the CLI (issue 13, brief i13-deletion; spec §3.2, §3.3): `vbackup gc`
(ours) over Backup CRs that the real kubectl created, --dry-run, --process, the gc-failure label of a
ReadOnly location, and `vbackup backup delete --submit [--wait]` (velero's DeleteBackupRequest path)
against the kube-test-server program with Velero's CRDs and a file bucket."""
import json
import os
import subprocess
import time

import pytest

from test_cli import CLI, DEMO, bucket, loc  # noqa: F401  (loc: a pytest fixture)
from test_cli_record import start
from emulators import ROOT


def run(*args, check=0):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env)
    assert check is None or p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def kubectl(server, *args, input=None):
    env = dict(os.environ, KUBECONFIG=server.kubeconfig, HOME=os.path.dirname(server.kubeconfig))
    p = subprocess.run(["kubectl", *args], capture_output=True, text=True, input=input, timeout=60, env=env)
    assert p.returncode == 0, f"kubectl {args}: {p.stderr}"
    return p.stdout


def objects(loc, *backups):
    """BSLs default (Available) and ro (ReadOnly) over the bucket; a Backup CR per (name, location,
    expiration, phase)."""
    docs = []
    for name, mode in [("default", "ReadWrite"), ("ro", "ReadOnly")]:
        docs.append({"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
                     "metadata": {"name": name, "namespace": "velero"},
                     "spec": {"provider": "file", "accessMode": mode, "objectStorage": {"bucket": str(bucket(loc))}},
                     "status": {"phase": "Available"}})
    for name, location, expiration, phase in backups:
        status = {"phase": phase}
        if expiration:
            status["expiration"] = expiration
        docs.append({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": name, "namespace": "velero"},
                     "spec": {"storageLocation": location}, "status": status})
    return "\n---\n".join(json.dumps(d) for d in docs)


@pytest.fixture
def cluster(tmp_path):
    ctx, server = start(tmp_path, ROOT / "tests" / "data" / "velero")
    with ctx:
        yield server


def test_gc_dry_run_then_collect_with_process(cluster, loc):
    s = cluster
    for name in ["old", "fresh", "locked"]:
        run("backup", "create", name, "--from-manifests", str(DEMO), "--storage-location", loc)
    kubectl(s, "create", "-f", "-", input=objects(loc, ("old", "default", "2020-01-01T00:00:00Z", "Completed"),
                                                  ("fresh", "default", "2100-01-01T00:00:00Z", "Completed"),
                                                  ("locked", "ro", "2020-01-01T00:00:00Z", "Completed")))
    k = ["--kubeconfig", s.kubeconfig]
    dry = run("gc", "--dry-run", *k).stdout
    assert "fresh: not expired" in dry
    assert "old: would request deletion" in dry
    assert "locked: gc-failure velero.io/gc-failure=BSLReadOnly" in dry
    assert s.cr("backups", "locked")["metadata"].get("labels") is None  # a dry run writes nothing
    assert json.loads(kubectl(s, "get", "dbr", "-n", "velero", "-o", "json"))["items"] == []

    out = run("gc", *k).stdout
    assert "old: requested deletion (DeleteBackupRequest old-" in out
    assert ("locked: gc-failure velero.io/gc-failure=BSLReadOnly: Backup cannot be garbage-collected because "
            "backup storage location ro is currently in read-only mode") in out
    assert s.cr("backups", "locked")["metadata"]["labels"]["velero.io/gc-failure"] == "BSLReadOnly"
    assert kubectl(s, "get", "dbr", "-n", "velero", "-o", "jsonpath={.items[*].spec.backupName}") == "old"

    result = json.loads(run("gc", "--process", "-o", "json", *k).stdout)
    assert [i["action"] for i in result["items"]] == ["not expired", "gc-failure", "deletion already requested"]
    [done] = result["processed"]
    assert done["deleteBackupRequest"]["status"] == {"phase": "Processed"}
    assert done["backupDeleted"] is True
    assert not (bucket(loc) / "backups" / "old").exists()
    assert (bucket(loc) / "backups" / "fresh" / "velero-backup.json").exists()
    assert (bucket(loc) / "backups" / "locked" / "velero-backup.json").exists()
    assert s.cr("backups", "old") is None
    assert json.loads(kubectl(s, "get", "dbr", "-n", "velero", "-o", "json"))["items"] == []


def test_backup_delete_submit_and_wait(cluster, loc):
    s = cluster
    run("backup", "create", "b1", "--from-manifests", str(DEMO), "--storage-location", loc)
    kubectl(s, "create", "-f", "-", input=objects(loc, ("b1", "default", None, "Completed"),
                                                  ("busy", "default", None, "InProgress")))
    k = ["--kubeconfig", s.kubeconfig]
    p = run("backup", "delete", "nope", "--submit", "--confirm", *k, check=1)
    assert 'backups.velero.io "nope" not found' in p.stderr
    assert "--wait: only with --submit" in run("backup", "delete", "b1", "--wait", "--confirm", *k, check=1).stderr

    # The CLI waits while a stand-in server (gc --process) carries the request out.
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    waiting = subprocess.Popen([CLI, "backup", "delete", "b1", "--submit", "--wait", "--confirm", *k],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while waiting.poll() is None and time.monotonic() < deadline:
        run("gc", "--process", *k)
        time.sleep(0.3)
    out, err = waiting.communicate(timeout=10)
    assert waiting.returncode == 0, err
    assert 'Request to delete backup "b1" submitted successfully.' in out
    assert 'Backup "b1" deleted.' in out
    assert not (bucket(loc) / "backups" / "b1").exists()

    # A request Velero refuses ends the wait with its error.
    waiting = subprocess.Popen([CLI, "backup", "delete", "busy", "--submit", "--wait", "--confirm", *k],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while waiting.poll() is None and time.monotonic() < deadline:
        run("gc", "--process", *k, check=None)  # 1 once it has processed the refused request
        time.sleep(0.3)
    out, err = waiting.communicate(timeout=10)
    assert waiting.returncode == 1
    assert "backup is still in progress" in err
    assert s.cr("backups", "busy") is not None


def test_submit_selects_backup_crs_by_label(cluster, loc):
    s = cluster
    kubectl(s, "create", "-f", "-", input=objects(loc, ("a", "default", None, "Completed"),
                                                  ("b", "default", None, "Completed")))
    kubectl(s, "label", "backups.velero.io", "a", "-n", "velero", "team=x")
    out = run("backup", "delete", "-l", "team=x", "--submit", "--confirm", "--kubeconfig", s.kubeconfig).stdout
    assert out.count("submitted successfully") == 1
    dbrs = json.loads(kubectl(s, "get", "dbr", "-n", "velero", "-o", "json"))["items"]
    assert [d["spec"]["backupName"] for d in dbrs] == ["a"]
    assert dbrs[0]["metadata"]["labels"]["velero.io/backup-uid"] == s.cr("backups", "a")["metadata"]["uid"]
