"""Expiry and deletion from Python (issue 13, brief i13-deletion; spec §3.2, §3.3): a backup made into
a moto bucket and recorded in the test API server (Velero's CRDs), restored once, collected by
gc_once and process_delete_backup_request with the store opened from the BackupStorageLocation."""
import json
import os
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

import vbackup
from emulators import BUILD, ROOT, free_port, process


@pytest.fixture
def velero_cluster(tmp_path, demo_manifests):
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig),
           "--seed", str(demo_manifests), "--seed", str(ROOT / "tests" / "data" / "velero")]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", kubeconfig


def api(url, method, plural, name="", body=None):
    path = f"{url}/apis/velero.io/v1/namespaces/velero/{plural}" + (f"/{name}" if name else "")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def bsl_for(name, s3_location, mode=""):
    """The BackupStorageLocation of the moto location URL (aws provider, Velero's config keys)."""
    u = urlparse(s3_location)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    return {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
            "metadata": {"name": name, "namespace": "velero"},
            "spec": {"provider": "aws", "accessMode": mode or "ReadWrite",
                     "objectStorage": {"bucket": u.netloc, "prefix": u.path.strip("/")},
                     "config": q},
            "status": {"phase": "Available"}}


def test_expired_backup_collected_from_moto(velero_cluster, moto_s3, monkeypatch):
    url, kubeconfig = velero_cluster
    for k, v in moto_s3.env.items():
        monkeypatch.setenv(k, v)
    loc = moto_s3.location
    backup = vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=loc, kubeconfig=kubeconfig,
                            record_in_cluster=True)
    vbackup.restore({"namespaceMapping": {"demo": "demo-r"}}, name="r1", backup="b1", location=loc,
                    kubeconfig=kubeconfig)
    assert api(url, "GET", "restores", "r1") is not None
    bsl = backup["spec"]["storageLocation"]
    api(url, "POST", "backupstoragelocations", body=bsl_for(bsl, loc))

    # Not expired now (the default TTL is 720h); expired in 2100.
    assert vbackup.gc_once(kubeconfig=kubeconfig)["items"] == [{"backup": "b1", "action": "not expired"}]
    dry = vbackup.gc_once(kubeconfig=kubeconfig, now="2100-01-01T00:00:00Z", dry_run=True)
    assert dry["dryRun"] and dry["items"][0]["action"] == "requested deletion"
    assert api(url, "GET", "deletebackuprequests")["items"] == []
    gc = vbackup.gc_once(kubeconfig=kubeconfig, now="2100-01-01T00:00:00Z")
    request = gc["items"][0]["deleteBackupRequest"]
    dbr = api(url, "GET", "deletebackuprequests", request)
    assert dbr["metadata"]["labels"] == {"velero.io/backup-name": "b1",
                                         "velero.io/backup-uid": api(url, "GET", "backups", "b1")["metadata"]["uid"]}

    # No location given: the store comes from the BackupStorageLocation (aws provider → moto).
    done = vbackup.process_delete_backup_request(request, kubeconfig=kubeconfig)
    assert done["deleteBackupRequest"]["status"] == {"phase": "Processed"}
    assert done["backupDeleted"] is True
    assert "r1" in done["deletedRestores"]
    assert any(k.endswith("b1.tar.gz") for k in done["deletedObjects"])
    with vbackup.Location(loc) as l:
        assert l.list_backups() == []
        assert l.list_restores() == []
    assert api(url, "GET", "backups", "b1") is None
    assert api(url, "GET", "restores", "r1") is None
    assert api(url, "GET", "deletebackuprequests")["items"] == []

    with pytest.raises(vbackup.NotFoundError):
        vbackup.process_delete_backup_request(request, kubeconfig=kubeconfig)


def test_read_only_location_and_submitted_deletion(velero_cluster, moto_s3, monkeypatch):
    url, kubeconfig = velero_cluster
    for k, v in moto_s3.env.items():
        monkeypatch.setenv(k, v)
    loc = moto_s3.location
    backup = vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=loc, kubeconfig=kubeconfig,
                            record_in_cluster=True)
    api(url, "POST", "backupstoragelocations", body=bsl_for(backup["spec"]["storageLocation"], loc, "ReadOnly"))
    gc = vbackup.gc_once(kubeconfig=kubeconfig, now="2100-01-01T00:00:00Z")
    assert gc["items"][0]["gcFailure"] == "BSLReadOnly"
    assert api(url, "GET", "backups", "b1")["metadata"]["labels"]["velero.io/gc-failure"] == "BSLReadOnly"

    with pytest.raises(vbackup.NotFoundError):
        vbackup.request_backup_deletion("nope", kubeconfig=kubeconfig)
    request = vbackup.request_backup_deletion("b1", kubeconfig=kubeconfig)
    assert request["metadata"]["generateName"] == "b1-"
    done = vbackup.process_delete_backup_request(request["metadata"]["name"], location=loc, kubeconfig=kubeconfig)
    assert done["deleteBackupRequest"]["status"]["errors"] == [
        f"cannot delete backup because backup storage location {backup['spec']['storageLocation']} "
        "is currently in read-only mode"]
    with vbackup.Location(loc) as l:
        assert [b["metadata"]["name"] for b in l.list_backups()] == ["b1"]

    # All pending requests at once: a new one for b1 replaces the refused one, and is refused too.
    assert vbackup.process_delete_backup_requests(kubeconfig=kubeconfig) == []
    again = vbackup.request_backup_deletion("b1", kubeconfig=kubeconfig)
    [result] = vbackup.process_delete_backup_requests(location=loc, kubeconfig=kubeconfig)
    assert result["deleteBackupRequest"]["metadata"]["name"] == again["metadata"]["name"]
    assert result["deletedRequests"] == [request["metadata"]["name"]]
    assert result["deleteBackupRequest"]["status"]["phase"] == "Processed"
