"""Volumes through Python (issue 14, brief i14-delete): velero's volume flags as keyword arguments
(backup: snapshot_volumes, csi_snapshot_timeout, item_operation_timeout, resource_policies_configmap,
snapshot_move_data; restore: restore_volumes, item_operation_timeout), describe's volume info and item
operations (csi §1.7, §1.4), and deleting a backup with a CSI snapshot without a cluster (csi §3)."""
import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

import vbackup
from test_deletion import velero_cluster  # noqa: F401  (a pytest fixture)

VSC_GR = "volumesnapshotcontents.snapshot.storage.k8s.io"


def bucket(location):
    return Path(location[len("file://"):])


def test_backup_volume_keywords_land_in_the_spec(demo_manifests, location):
    b = vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=location, from_manifests=demo_manifests,
                       snapshot_volumes=False, csi_snapshot_timeout="5m", item_operation_timeout="1h")
    assert b["spec"]["snapshotVolumes"] is False
    assert b["spec"]["csiSnapshotTimeout"] == "5m0s"
    assert b["spec"]["itemOperationTimeout"] == "1h0m0s"
    # The keywords win over the spec given.
    b = vbackup.backup({"spec": {"csiSnapshotTimeout": "1m"}}, name="b2", location=location,
                       from_manifests=demo_manifests, snapshot_volumes=False, csi_snapshot_timeout="2m")
    assert b["spec"]["csiSnapshotTimeout"] == "2m0s"


def test_backup_resource_policy_and_move_data_keywords(demo_manifests, location):
    # spec.resourcePolicy {kind: configmap, name}: the ConfigMap is read from the cluster (none here),
    # so the backup may fail, but the Backup it returns carries what was asked.
    try:
        b = vbackup.backup(None, name="b3", location=location, from_manifests=demo_manifests, snapshot_volumes=False,
                           resource_policies_configmap="volume-policy", snapshot_move_data=True)
    except vbackup.Error as e:
        b = e.backup
    assert b["spec"]["resourcePolicy"] == {"apiGroup": None, "kind": "configmap", "name": "volume-policy"}
    assert b["spec"]["snapshotMoveData"] is True


def test_restore_volume_keywords_land_in_the_spec(demo_manifests, location):
    vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=location, from_manifests=demo_manifests,
                   snapshot_volumes=False)
    r = vbackup.restore(None, name="r1", backup="b1", location=location, dry_run=True, restore_volumes=False,
                        item_operation_timeout="2h")
    assert r["spec"]["restorePVs"] is False
    assert r["spec"]["itemOperationTimeout"] == "2h0m0s"


def with_snapshot(location, name, handle):
    """The backup's tarball gains a VolumeSnapshotContent of the backup (csi §1.6), its side files a
    volume info entry and an item operation."""
    d = bucket(location) / "backups" / name
    tarball = d / f"{name}.tar.gz"
    out = io.BytesIO()
    vsc = {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
           "metadata": {"name": "snapcontent-1", "uid": "u1", "labels": {"velero.io/backup-name": name}},
           "spec": {"deletionPolicy": "Retain", "driver": "hostpath.csi.k8s.io", "source": {"volumeHandle": "v"},
                    "volumeSnapshotRef": {"name": "vs", "namespace": "demo"}},
           "status": {"snapshotHandle": handle, "readyToUse": True}}
    with tarfile.open(fileobj=io.BytesIO(tarball.read_bytes()), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        body = json.dumps(vsc).encode()
        info = tarfile.TarInfo(f"resources/{VSC_GR}/cluster/snapcontent-1.json")
        info.size = len(body)
        dst.addfile(info, io.BytesIO(body))
    tarball.write_bytes(out.getvalue())
    listing = d / f"{name}-resource-list.json.gz"
    resources = json.loads(gzip.decompress(listing.read_bytes()))
    resources["snapshot.storage.k8s.io/v1/VolumeSnapshotContent"] = ["snapcontent-1"]
    listing.write_bytes(gzip.compress(json.dumps(resources).encode()))
    volumes = [{"pvcName": "web-data", "pvcNamespace": "demo", "pvName": "pvc-1", "backupMethod": "CSISnapshot",
                "snapshotDataMoved": False, "preserveLocalSnapshot": True, "skipped": False, "result": "succeeded",
                "csiSnapshotInfo": {"snapshotHandle": handle, "size": 1073741824, "driver": "hostpath.csi.k8s.io",
                                    "vscName": "snapcontent-1", "operationID": "demo/vs/2026-12-06T08:00:00Z",
                                    "ReadyToUse": True}}]
    # Velero's shapes exactly (describe hands the side files out as Velero's structs encode them).
    operations = [{"spec": {"backupName": name, "backupUID": "b-uid",
                            "backupItemAction": "velero.io/csi-volumesnapshot-backupper",
                            "resourceIdentifier": {"Group": "snapshot.storage.k8s.io", "Resource": "volumesnapshots",
                                                   "Namespace": "demo", "Name": "vs"},
                            "operationID": "demo/vs/2026-12-06T08:00:00Z", "postOperationItems": None},
                   "status": {"phase": "Completed"}}]
    (d / f"{name}-volumeinfo.json.gz").write_bytes(gzip.compress(json.dumps(volumes).encode()))
    (d / f"{name}-itemoperations.json.gz").write_bytes(gzip.compress(json.dumps(operations).encode()))
    return volumes, operations


def test_describe_returns_volume_info_and_item_operations(demo_manifests, location):
    vbackup.backup(None, name="snap", location=location, from_manifests=demo_manifests, snapshot_volumes=False)
    volumes, operations = with_snapshot(location, "snap", "snapshot-9")
    with vbackup.Location(location) as l:
        d = l.describe_backup("snap", details=True)
        assert d["volumeInfos"] == volumes
        assert d["itemOperations"] == operations
        assert "volumeInfos" not in l.describe_backup("snap")


def test_delete_without_a_cluster_says_which_snapshots_are_left(demo_manifests, location):
    vbackup.backup(None, name="snap", location=location, from_manifests=demo_manifests, snapshot_volumes=False)
    with_snapshot(location, "snap", "snapshot-9")
    with vbackup.Location(location) as l:
        done = l.delete_backup("snap")
        assert done["csiSnapshots"]["handlesNotDeleted"] == ["snapshot-9"]
        assert "storage snapshots were not deleted" in done["csiSnapshots"]["note"]
        assert l.list_backups() == []


def control(url, body=None):
    import urllib.request
    req = urllib.request.Request(f"{url}/__control" + ("" if body else "/snapshots"),
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"}, method="POST" if body else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def test_delete_with_a_cluster_deletes_the_storage_snapshot(kube_server, demo_manifests, location):
    """csi §3: the handle leaves the fake CSI world's storage (GET /__control/snapshots)."""
    control(kube_server.url, {"csi": {"addHandle": {"handle": "snapshot-9", "driver": "hostpath.csi.k8s.io",
                                                    "restoreSize": 1073741824}}})
    vbackup.backup(None, name="snap", location=location, from_manifests=demo_manifests, snapshot_volumes=False)
    with_snapshot(location, "snap", "snapshot-9")
    with vbackup.Location(location) as l, vbackup.Cluster(str(kube_server.kubeconfig)) as cluster:
        done = l.delete_backup("snap", cluster=cluster)
        assert done["csiSnapshots"]["snapshotHandles"] == ["snapshot-9"]
        assert len(done["csiSnapshots"]["temporaryContents"]) == 1
        assert "handlesNotDeleted" not in done["csiSnapshots"]
        assert l.list_backups() == []
    assert control(kube_server.url)["snapshots"] == []


def test_delete_backup_request_deletes_the_storage_snapshot(velero_cluster, demo_manifests, location):
    """csi §3 through a DeleteBackupRequest (the call the server's controller makes), with the
    temporary content's pause shortened."""
    from test_deletion import api
    url, kubeconfig = velero_cluster
    control(url, {"csi": {"addHandle": {"handle": "snapshot-5", "driver": "hostpath.csi.k8s.io",
                                        "restoreSize": 1073741824}}})
    b = vbackup.backup(None, name="snap", location=location, from_manifests=demo_manifests, snapshot_volumes=False)
    with_snapshot(location, "snap", "snapshot-5")
    bsl = b["spec"]["storageLocation"]
    api(url, "POST", "backupstoragelocations", body={
        "apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": bsl, "namespace": "velero"},
        "spec": {"provider": "file", "objectStorage": {"bucket": str(bucket(location))}}, "status": {"phase": "Available"}})
    api(url, "POST", "backups", body={"apiVersion": "velero.io/v1", "kind": "Backup",
                                      "metadata": {"name": "snap", "namespace": "velero"},
                                      "spec": b["spec"], "status": {"phase": "Completed"}})
    api(url, "POST", "deletebackuprequests", body={"apiVersion": "velero.io/v1", "kind": "DeleteBackupRequest",
                                                   "metadata": {"name": "snap-del", "namespace": "velero"},
                                                   "spec": {"backupName": "snap"}})
    done = vbackup.process_delete_backup_request("snap-del", location=location, kubeconfig=kubeconfig,
                                                 temporary_content_gap_ms=10)
    assert done["deleteBackupRequest"]["status"] == {"phase": "Processed"}
    assert done["backupDeleted"] is True
    assert done["csiSnapshots"]["snapshotHandles"] == ["snapshot-5"]
    assert len(done["csiSnapshots"]["temporaryContents"]) == 1
    assert control(url)["snapshots"] == []
    with pytest.raises(vbackup.InvalidError):
        vbackup.process_delete_backup_request("x", location=location, kubeconfig=kubeconfig,
                                              temporary_content_gap_ms=-1)
