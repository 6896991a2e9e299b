"""vbackup.sync_once and vbackup.validate_location (issue 13, brief i13-sync): two test API servers
("clusters" A and B) with Velero's CRDs share one bucket (a folder); a backup made and recorded on A
is created on B by one sync, with its status (read back with the real kubectl), and leaves B when it
leaves the bucket; a corrupt velero-backup.json is a warning while the others sync."""
import json
import subprocess
import time

import pytest

import vbackup
from emulators import BUILD, ROOT, free_port, process


def _server(tmp_path, tag, seeds):
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    port = free_port()
    kubeconfig = tmp_path / f"{tag}-kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig)]
    for s in seeds:
        cmd += ["--seed", str(s)]
    return cmd, port, kubeconfig


@pytest.fixture
def two_clusters(tmp_path, demo_manifests):
    bucket = tmp_path / "bucket"
    bsl = tmp_path / "bsl.yaml"
    bsl.write_text("apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: shared, namespace: velero}\n"
                   f"spec: {{provider: file, objectStorage: {{bucket: '{bucket}'}}}}\n")
    crds = ROOT / "tests" / "data" / "velero"
    a_cmd, a_port, a_kc = _server(tmp_path, "a", [demo_manifests, crds])
    b_cmd, b_port, b_kc = _server(tmp_path, "b", [crds, bsl])
    with process(a_cmd, a_port, "kube-test-server A"), process(b_cmd, b_port, "kube-test-server B"):
        deadline = time.monotonic() + 10
        while not (a_kc.exists() and b_kc.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"file://{bucket}", a_kc, b_kc


def kubectl(kubeconfig, *args):
    return subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def test_sync_once_creates_deletes_and_skips_corrupt(two_clusters):
    url, a, b = two_clusters
    spec = {"includedNamespaces": ["demo"]}
    vbackup.backup(spec, name="p1", location=url, kubeconfig=a, record_in_cluster=True)
    vbackup.backup(spec, name="p2", location=url, kubeconfig=a, record_in_cluster=True)
    # A corrupt record beside them.
    bucket = url[len("file://"):]
    import pathlib
    bad = pathlib.Path(bucket) / "backups" / "bad"
    bad.mkdir(parents=True)
    (bad / "velero-backup.json").write_text("{not json")

    r = vbackup.sync_once("shared", kubeconfig=b)
    assert r["created"] == ["p1", "p2"]
    assert r["location"] == "shared"
    assert r["errors"] == []
    assert len(r["warnings"]) == 1 and r["warnings"][0].startswith("backup folder backups/bad/:")
    assert [s["backup"] for s in r["skipped"]] == ["bad"]
    assert "lastSyncedTime" in r
    # What a user sees on B with the real kubectl.
    assert kubectl(b, "get", "backup", "p1", "-n", "velero", "-o", "jsonpath={.status.phase}") == "Completed"
    labels = json.loads(kubectl(b, "get", "backup", "p1", "-n", "velero", "-o", "json"))["metadata"]["labels"]
    assert labels["velero.io/storage-location"] == "shared"
    bsl = json.loads(kubectl(b, "get", "backupstoragelocation", "shared", "-n", "velero", "-o", "json"))
    assert bsl["status"]["lastSyncedTime"] == r["lastSyncedTime"]

    with vbackup.Cluster(a) as ca, vbackup.Location(url) as loc:
        loc.delete_backup("p1", cluster=ca)
    with vbackup.Cluster(b) as cb:
        r = vbackup.sync_once("shared", cluster=cb)
        assert r["deleted"] == ["p1"]
        assert r["created"] == []
        status = vbackup.validate_location("shared", cluster=cb, update=True)
        # "bad" is a valid folder under backups/: the layout is valid
        assert status["phase"] == "Available"
    assert kubectl(b, "get", "backupstoragelocation", "shared", "-n", "velero", "-o",
                   "jsonpath={.status.phase}") == "Available"
    assert "p1" not in kubectl(b, "get", "backups", "-n", "velero", "-o", "name")


def test_sync_once_bad_input(two_clusters, demo_manifests):
    url, a, b = two_clusters
    with pytest.raises(TypeError):
        vbackup.sync_once("shared", kubeconfig=b, require_available="yes")
    with pytest.raises(vbackup.NotFoundError, match="nowhere"):
        vbackup.sync_once("nowhere", kubeconfig=b, locations_file="/nonexistent/locations.yaml")
    with vbackup.Cluster.from_manifests(demo_manifests) as m:
        with pytest.raises(vbackup.UnsupportedError, match="live cluster"):
            vbackup.sync_once("shared", cluster=m)
