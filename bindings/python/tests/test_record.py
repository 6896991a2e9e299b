"""record_in_cluster= and delete with a cluster (issue 12, brief i12-record): the Backup and Restore
CRs in the test API server, with the Velero CRDs that define the status subresource."""
import json
import os
import time
import urllib.error
import urllib.request

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
           "--seed", str(demo_manifests), "--seed", str(ROOT / "tests" / "data" / "velero-status-subresource")]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", kubeconfig


def cr(url, plural, name):
    try:
        with urllib.request.urlopen(f"{url}/apis/velero.io/v1/namespaces/velero/{plural}/{name}") as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def test_record_in_cluster_and_delete_with_the_cluster(velero_cluster, location):
    url, kubeconfig = velero_cluster
    spec = {"includedNamespaces": ["demo"]}
    vbackup.backup(spec, name="b1", location=location, kubeconfig=kubeconfig, record_in_cluster=True)
    assert cr(url, "backups", "b1")["status"]["phase"] == "Completed"
    vbackup.backup(spec, name="b2", location=location, kubeconfig=kubeconfig, record_in_cluster=False)
    assert cr(url, "backups", "b2") is None
    vbackup.restore({"namespaceMapping": {"demo": "demo-r"}}, name="r1", backup="b1", location=location,
                    kubeconfig=kubeconfig)
    assert cr(url, "restores", "r1")["status"]["phase"] == "Completed"
    with pytest.raises(TypeError):
        vbackup.backup(spec, name="b3", location=location, kubeconfig=kubeconfig, record_in_cluster="yes")

    with vbackup.Cluster(kubeconfig) as cluster, vbackup.Location(location) as loc:
        assert loc.delete_restore("r1", cluster=cluster)["crDeleted"] is True
        assert cr(url, "restores", "r1") is None
        # Without the cluster only the files go: the CR left takes the name, and says how to remove it.
        assert loc.delete_backup("b1")["crDeleted"] is False
        with pytest.raises(vbackup.AlreadyExistsError) as err:
            vbackup.backup(spec, name="b1", location=loc, cluster=cluster)
        assert "kubectl delete backup b1 -n velero" in str(err.value)
        assert loc.delete_backup("b1", cluster=cluster) == {"objects": 0, "crDeleted": True}
        with pytest.raises(vbackup.NotFoundError):
            loc.delete_backup("b1", cluster=cluster)


def test_record_in_cluster_true_without_a_cluster_to_record_in(demo_manifests, location):
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup(name="m", location=location, from_manifests=demo_manifests, record_in_cluster=True)
    assert "is not a cluster" in str(err.value)
