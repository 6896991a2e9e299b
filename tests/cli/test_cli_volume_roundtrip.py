"""Issue 14's "done when", from the CLI: a CSI volume's round trip on the fake CSI world — snapshotted
by a live backup (csi §1), shown by `describe --details` (Backup Volumes), restored into another
cluster and namespace where the provisioner binds the claim from that snapshot handle (csi §2), and
deleted with the backup (csi §3)."""
import json
import time

from emulators import api_get, csi_cluster, csi_control
from test_cli import run

SNAPSHOTS = "/apis/snapshot.storage.k8s.io/v1"


def test_volume_round_trip_snapshot_restore_elsewhere_delete(tmp_path):
    loc = f"file://{tmp_path / 'bucket'}"
    with csi_cluster(tmp_path / "a") as a, csi_cluster(tmp_path / "b") as b:
        # csi §1: the demo's claim is snapshotted; the backup leaves no snapshot object behind.
        p = run("backup", "create", "vol", "--include-namespaces", "demo", "--kubeconfig", str(a.kubeconfig),
                "--storage-location", loc, "--csi-snapshot-timeout", "1m", check=0)
        assert "Completed" in p.stdout + p.stderr
        described = json.loads(run("backup", "describe", "vol", "--details", "-o", "json",
                                   "--storage-location", loc, check=0).stdout)
        status = described["backup"]["status"]
        assert status["phase"] == "Completed"
        assert status["csiVolumeSnapshotsAttempted"] == 1 and status["csiVolumeSnapshotsCompleted"] == 1
        [info] = [v for v in described["volumeInfos"] if v.get("backupMethod") == "CSISnapshot"]
        assert (info["pvcNamespace"], info["pvcName"], info["result"]) == ("demo", "web-snapshots", "succeeded")
        handle = info["csiSnapshotInfo"]["snapshotHandle"]
        assert [s["snapshotHandle"] for s in csi_control(a.url)["snapshots"]] == [handle]
        assert api_get(a.url, SNAPSHOTS + "/volumesnapshots")["items"] == []
        assert api_get(a.url, SNAPSHOTS + "/volumesnapshotcontents")["items"] == []
        [op] = described["itemOperations"]
        assert op["status"]["phase"] == "Completed"

        text = run("backup", "describe", "vol", "--details", "--storage-location", loc, check=0).stdout
        assert "  CSI Snapshots:\n    demo/web-snapshots:\n      Snapshot:\n" in text
        assert f"        Storage Snapshot ID: {handle}\n" in text
        assert "        Result: succeeded\n" in text

        # csi §2: another cluster whose storage holds the same snapshot (as a shared storage system
        # would), another namespace; the claim is provisioned from the snapshot.
        csi_control(b.url, {"csi": {"addHandle": {"handle": handle, "driver": "hostpath.csi.k8s.io",
                                                  "restoreSize": info["csiSnapshotInfo"]["size"]}}})
        run("restore", "create", "back", "--from-backup", "vol", "--namespace-mappings", "demo:elsewhere",
            "--kubeconfig", str(b.kubeconfig), "--storage-location", loc, check=0)
        restored = json.loads(run("restore", "describe", "back", "-o", "json", "--storage-location", loc,
                                  check=0).stdout)
        assert restored["restore"]["status"]["phase"] == "Completed"
        pvc = api_get(b.url, "/api/v1/namespaces/elsewhere/persistentvolumeclaims/web-snapshots")
        assert pvc["status"]["phase"] == "Bound"
        assert pvc["spec"]["dataSource"]["kind"] == "VolumeSnapshot"
        pv = api_get(b.url, "/api/v1/persistentvolumes/" + pvc["spec"]["volumeName"])
        assert pv["spec"]["csi"]["volumeHandle"].endswith("-from-" + handle)

        # csi §3: deleting the backup deletes its storage snapshot in the cluster it came from.
        run("backup", "delete", "vol", "--confirm", "--kubeconfig", str(a.kubeconfig),
            "--storage-location", loc, check=0)
        deadline = time.monotonic() + 10
        while csi_control(a.url)["snapshots"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert csi_control(a.url)["snapshots"] == []
