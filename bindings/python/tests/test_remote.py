"""The Python package against real emulators and the test API server (issues 4 and 5)."""
import json

import pytest

import vbackup


@pytest.mark.parametrize("store", ["moto_s3", "s3rver", "azurite"])
def test_demo_round_trips_through_object_storage(store, request, monkeypatch, demo_manifests, tmp_path):
    emu = request.getfixturevalue(store)
    for k, v in emu.env.items():
        monkeypatch.setenv(k, v)
    result = vbackup.backup(name="demo", location=emu.location, from_manifests=demo_manifests)
    assert result["status"]["phase"] == "Completed"
    with vbackup.Location(emu.location) as loc:
        assert loc.check()["phase"] == "Available"
        assert [b["metadata"]["name"] for b in loc.list_backups()] == ["demo"]
        details = loc.describe_backup("demo", details=True)
        assert details["resourceList"]["apps/v1/Deployment"] == ["demo/web"]
        loc.download_backup("demo", tmp_path / "demo.tar.gz")
        assert (tmp_path / "demo.tar.gz").read_bytes()[:2] == b"\x1f\x8b"
        loc.delete_backup("demo")
        assert loc.list_backups() == []


def test_server_version_and_live_backup(kube_server, tmp_path):
    v = vbackup.server_version(kubeconfig=kube_server.kubeconfig)
    assert v["gitVersion"] == "v1.33.1"
    assert v["server"] == kube_server.url
    seen = []
    result = vbackup.backup({"includedNamespaces": ["demo"]}, name="live", location=f"file://{tmp_path}",
                            kubeconfig=kube_server.kubeconfig, progress=lambda d, t, b: seen.append((d, t)))
    assert result["status"]["phase"] == "Completed"
    done = result["status"]["progress"]["itemsBackedUp"]
    assert seen and seen[-1] == (done, done)
    # the total is the server's count, known before the items come (issue 6: items done and total)
    assert seen[0][1] > seen[0][0] and all(t >= d for d, t in seen)
    with vbackup.Cluster(kubeconfig=kube_server.kubeconfig) as cluster:
        again = vbackup.backup({"includedNamespaces": ["demo"]}, name="again", location=f"file://{tmp_path}",
                               cluster=cluster)
    assert again["status"]["progress"] == result["status"]["progress"]


def test_unreachable_cluster(tmp_path):
    kc = tmp_path / "kubeconfig"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                  "users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n")
    with pytest.raises(vbackup.Error, match="127.0.0.1:9"):
        vbackup.server_version(kubeconfig=kc)
