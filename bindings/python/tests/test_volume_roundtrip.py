"""Issue 14's "done when", from Python: a CSI volume's round trip on the fake CSI world — snapshotted
by a live backup (csi §1), described with its volume info and item operation, restored into another
cluster and namespace where the provisioner binds the claim from that snapshot handle (csi §2), and
deleted with the backup (csi §3)."""
import time

import vbackup
from emulators import api_get, csi_cluster, csi_control

SNAPSHOTS = "/apis/snapshot.storage.k8s.io/v1"


def test_volume_round_trip_snapshot_restore_elsewhere_delete(tmp_path, location):
    with csi_cluster(tmp_path / "a") as a, csi_cluster(tmp_path / "b") as b:
        backup = vbackup.backup({"includedNamespaces": ["demo"]}, name="vol", location=location,
                                kubeconfig=a.kubeconfig, csi_snapshot_timeout="1m")
        assert backup["status"]["phase"] == "Completed"
        assert backup["status"]["csiVolumeSnapshotsCompleted"] == 1
        with vbackup.Location(location) as loc:
            d = loc.describe_backup("vol", details=True)
        [info] = [v for v in d["volumeInfos"] if v.get("backupMethod") == "CSISnapshot"]
        handle = info["csiSnapshotInfo"]["snapshotHandle"]
        assert info["pvcName"] == "web-snapshots" and info["result"] == "succeeded"
        assert d["itemOperations"][0]["spec"]["backupItemAction"] == "velero.io/csi-volumesnapshot-backupper"
        assert [s["snapshotHandle"] for s in csi_control(a.url)["snapshots"]] == [handle]
        assert api_get(a.url, SNAPSHOTS + "/volumesnapshots")["items"] == []

        csi_control(b.url, {"csi": {"addHandle": {"handle": handle, "driver": "hostpath.csi.k8s.io",
                                                  "restoreSize": info["csiSnapshotInfo"]["size"]}}})
        restored = vbackup.restore({"namespaceMapping": {"demo": "elsewhere"}}, name="back", backup="vol",
                                   location=location, kubeconfig=b.kubeconfig)
        assert restored["status"]["phase"] == "Completed"
        pvc = api_get(b.url, "/api/v1/namespaces/elsewhere/persistentvolumeclaims/web-snapshots")
        assert pvc["status"]["phase"] == "Bound"
        pv = api_get(b.url, "/api/v1/persistentvolumes/" + pvc["spec"]["volumeName"])
        assert pv["spec"]["csi"]["volumeHandle"].endswith("-from-" + handle)
        # Velero's names from the restore UID (csi §2): the VolumeSnapshot the claim names exists.
        vs = api_get(b.url, f"{SNAPSHOTS}/namespaces/elsewhere/volumesnapshots/{pvc['spec']['dataSource']['name']}")
        assert vs["spec"]["source"]["volumeSnapshotContentName"] == pvc["spec"]["dataSource"]["name"]

        with vbackup.Location(location) as loc, vbackup.Cluster(str(a.kubeconfig)) as cluster:
            done = loc.delete_backup("vol", cluster=cluster)
        assert done["csiSnapshots"]["snapshotHandles"] == [handle]
        deadline = time.monotonic() + 10
        while csi_control(a.url)["snapshots"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert csi_control(a.url)["snapshots"] == []
