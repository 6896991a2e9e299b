"""Issue 12 from Python: named locations (Location("name"), Location() for the default,
vbackup.locations()) read from the locations file the CLI writes, and the request timeout of a
Cluster against an API server that never answers."""
import os
import sys
import time
from pathlib import Path

import pytest

import vbackup

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "support"))
from silent_server import SilentServer  # noqa: E402


def write_locations(path: Path, bucket: Path) -> None:
    path.write_text(
        "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: main}\n"
        f"spec: {{provider: file, default: true, objectStorage: {{bucket: '{bucket}'}}}}\n"
        "---\napiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: other, labels: {a: b}}\n"
        f"spec: {{provider: file, objectStorage: {{bucket: '{bucket}', prefix: other}}}}\n")


def test_locations_by_name_and_the_default(tmp_path, monkeypatch, demo_manifests):
    config = tmp_path / "locations.yaml"
    monkeypatch.setenv("VBACKUP_CONFIG", str(config))
    assert vbackup.locations() == []
    write_locations(config, tmp_path / "bucket")
    assert [l["metadata"]["name"] for l in vbackup.locations()] == ["main", "other"]
    assert vbackup.locations()[1]["metadata"]["labels"] == {"a": "b"}
    result = vbackup.backup(name="b1", location="other", from_manifests=demo_manifests)
    assert result["spec"]["storageLocation"] == "other"
    assert (tmp_path / "bucket" / "other" / "backups" / "b1" / "velero-backup.json").exists()
    with vbackup.Location("other") as loc:
        assert [b["metadata"]["name"] for b in loc.list_backups()] == ["b1"]
    with vbackup.Location() as loc:  # the default
        assert loc.list_backups() == []
    with pytest.raises(vbackup.NotFoundError, match='storage location "typo": no location of that name'):
        vbackup.Location("typo")


def test_cluster_request_timeout_bounds_a_hung_api_server(tmp_path):
    with SilentServer() as server:
        kc = server.kubeconfig(tmp_path / "kubeconfig")
        start = time.monotonic()
        with vbackup.Cluster(kc, request_timeout="1s") as cluster:
            with pytest.raises(vbackup.KubeError, match="cannot reach the Kubernetes API server " + server.url):
                cluster.version()
        assert time.monotonic() - start < 5
    with pytest.raises(vbackup.InvalidError, match="requestTimeout"):
        vbackup.Cluster(kc, request_timeout="soon")
