"""vbackup.install_resources and vbackup.install (issue 13, brief i13-install): velero install's List,
its validation messages, and applying it to the test API server twice (created, then already exists)."""
import json
import urllib.request

import pytest

import vbackup


def test_install_resources_is_velero_installs_list(tmp_path):
    secret = tmp_path / "credentials"
    secret.write_text("[default]\naws_access_key_id=AKIA\n")
    lst = vbackup.install_resources("aws", "backups", prefix="a", config={"region": "us-east-2"},
                                    secret_file=secret, namespace="backup-system")
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1"
    kinds = [i["kind"] for i in lst["items"]]
    assert kinds[:13] == ["CustomResourceDefinition"] * 13
    assert kinds[13:] == ["Namespace", "ClusterRoleBinding", "ServiceAccount", "Secret", "BackupStorageLocation",
                          "VolumeSnapshotLocation", "Deployment"]
    by_kind = {i["kind"]: i for i in lst["items"][13:]}
    assert by_kind["ClusterRoleBinding"]["metadata"]["name"] == "velero-backup-system"
    assert by_kind["BackupStorageLocation"]["spec"] == {
        "provider": "aws", "objectStorage": {"bucket": "backups", "prefix": "a"},
        "config": {"region": "us-east-2"}, "default": True}
    assert by_kind["Secret"]["data"] == {"cloud": "W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFLSUEK"}
    container = by_kind["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "server" and container["image"].startswith("vbackup:")
    assert all(i["metadata"]["labels"]["component"] == "velero" for i in lst["items"])


def test_install_resources_validation_and_strict_options():
    with pytest.raises(vbackup.InvalidError, match="--provider is required"):
        vbackup.install_resources(bucket="b")
    with pytest.raises(vbackup.InvalidError, match="Bucket names cannot begin with a dash"):
        vbackup.install_resources("aws", "-b")
    with pytest.raises(vbackup.InvalidError, match='unknown key "crdOnly"'):
        vbackup.install_resources(crdOnly=True)
    crds = vbackup.install_resources(crdsOnly=True)
    assert [i["kind"] for i in crds["items"]] == ["CustomResourceDefinition"] * 13
    no_vsl = vbackup.install_resources("aws", "b", useVolumeSnapshots=False)
    assert "VolumeSnapshotLocation" not in [i["kind"] for i in no_vsl["items"]]
    assert "Secret" not in [i["kind"] for i in no_vsl["items"]]  # no secret given: --no-secret


def test_install_into_the_test_api_server_twice(kube_server):
    first = vbackup.install("aws", "backups", kubeconfig=kube_server.kubeconfig, secret_data="[default]\n")
    assert len(first["objects"]) == 13 + 7
    assert {o["action"] for o in first["objects"]} == {"created"}
    assert first["deploymentReady"] is False
    with vbackup.Cluster(kube_server.kubeconfig) as c:
        second = vbackup.install("aws", "backups", cluster=c, secret_data="[default]\n")
    assert {o["action"] for o in second["objects"]} == {"already exists"}
    applied = vbackup.install("aws", "backups", kubeconfig=kube_server.kubeconfig, apply=True, image="x/vbackup:2")
    assert {o["action"] for o in applied["objects"]} == {"applied"}
    with urllib.request.urlopen(
            f"{kube_server.url}/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default") as r:
        bsl = json.loads(r.read())
    assert bsl["spec"]["default"] is True and bsl["metadata"]["labels"] == {"component": "velero"}
    with pytest.raises(vbackup.KubeError, match="Deployment velero/velero is not ready after 1s"):
        vbackup.install("aws", "backups", kubeconfig=kube_server.kubeconfig, wait=True, waitTimeout="1s")
