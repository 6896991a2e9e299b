"""vbackup.run_server (brief i13-server): the server in this process, against the kube-test-server
program with Velero's CRDs; Backup and Restore CRs
created with kubectl are carried out, a stop Event ends it and releases the Lease."""
import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest

import vbackup
from emulators import BUILD, ROOT, free_port, process
from test_record import cr


@pytest.fixture
def velero_cluster(tmp_path, demo_manifests):
    """The demo application with Velero's CRDs (tests/data/velero: the BackupStorageLocation CRD too)."""
    binary = BUILD / "tests" / "support" / "kube-test-server"
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig),
           "--seed", str(demo_manifests), "--seed", str(ROOT / "tests" / "data" / "velero")]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", kubeconfig


def kubectl(kubeconfig, home, yaml):
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(home))
    p = subprocess.run(["kubectl", "create", "--validate=false", "-f", "-"], input=yaml, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr


def wait_for_phase(url, plural, name, want, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        o = cr(url, plural, name)
        if o and o.get("status", {}).get("phase") == want:
            return o
        time.sleep(0.1)
    raise AssertionError(f"{plural}/{name}: {cr(url, plural, name)}")


def test_run_server_carries_out_backup_and_restore_crs(velero_cluster, tmp_path):
    url, kubeconfig = velero_cluster
    bucket = tmp_path / "bucket"
    kubectl(kubeconfig, tmp_path,
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
            f"spec: {{provider: file, default: true, objectStorage: {{bucket: '{bucket}'}}}}\n")
    stop = threading.Event()
    lines, errors = [], []

    def serve():
        try:
            vbackup.run_server(kubeconfig=str(kubeconfig), metrics_address="", watch_timeout="1s",
                               retry_period="200ms", stop=stop, log=lambda level, line: lines.append(line))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    t = threading.Thread(target=serve)
    t.start()
    try:
        kubectl(kubeconfig, tmp_path, "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: pb, namespace: velero}\n"
                                      "spec: {includedNamespaces: [demo]}\n")
        done = wait_for_phase(url, "backups", "pb", "Completed")
        assert done["status"]["progress"]["itemsBackedUp"] > 0
        assert (bucket / "backups" / "pb" / "velero-backup.json").exists()
        kubectl(kubeconfig, tmp_path, "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: pr, namespace: velero}\n"
                                      "spec: {backupName: pb, namespaceMapping: {demo: demo-pr}}\n")
        wait_for_phase(url, "restores", "pr", "Completed")
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
    assert not errors, errors
    assert any("backup pb: Completed" in line for line in lines), lines
    with urllib.request.urlopen(f"{url}/apis/coordination.k8s.io/v1/namespaces/velero/leases/vbackup-server") as r:
        assert json.loads(r.read())["spec"]["holderIdentity"] == ""
