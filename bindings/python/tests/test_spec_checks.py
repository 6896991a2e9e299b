"""Issue 12, "say what was asked, do what was said", from Python: an unknown spec key is a warning
naming the closest field (InvalidError with strict_spec=True), zstd backups say what they are, the
location check changes nothing, and Kubernetes failures raise KubeError."""
import json
import os

import pytest

import vbackup


def _warnings(location, name):
    with vbackup.Location(location) as loc:
        results = loc.describe_backup(name, details=True)["results"]["warnings"]
    return results.get("cluster", []) + [m for ms in results.get("namespaces", {}).values() for m in ms]


def test_unknown_spec_key_is_a_warning_or_with_strict_spec_an_error(location, demo_manifests):
    b = vbackup.backup({"includedNamespace": ["demo"]}, name="typo", location=location, from_manifests=demo_manifests)
    assert b["status"]["phase"] == "Completed"
    assert "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?" in _warnings(location, "typo")
    with pytest.raises(vbackup.InvalidError, match="did you mean includedNamespaces") as err:
        vbackup.backup({"includedNamespace": ["demo"]}, name="strict", location=location, from_manifests=demo_manifests,
                       strict_spec=True)
    assert err.value.backup["status"]["phase"] == "FailedValidation"
    assert err.value.backup["status"]["validationErrors"] == [
        "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?"]
    # A whole Backup with the spec key at the top level, where it does nothing.
    with pytest.raises(vbackup.InvalidError, match=r"includedNamespaces is not a Backup field; did you mean spec\."):
        vbackup.backup({"metadata": {"name": "top"}, "includedNamespaces": ["demo"]}, location=location,
                       from_manifests=demo_manifests, strict_spec=True)
    # The restore: the same for its spec.
    with pytest.raises(vbackup.InvalidError, match="spec.namespaceMappings is not a Restore field; did you mean namespaceMapping"):
        vbackup.restore({"namespaceMappings": {"demo": "x"}}, backup="typo", location=location, dry_run=True,
                        strict_spec=True)
    r = vbackup.restore({"namespaceMappings": {"demo": "x"}}, backup="typo", location=location, dry_run=True)
    assert r["status"]["warnings"] == 1


def test_zstd_backup_is_annotated_and_warned_about(location, demo_manifests):
    b = vbackup.backup(name="z", location=location, from_manifests=demo_manifests, compression="zstd")
    assert b["metadata"]["annotations"]["vbackup.io/compression"] == "zstd"
    assert b["status"]["warnings"] == 1
    assert _warnings(location, "z") == ["a Velero server cannot restore a zstd backup: it reads z.tar.gz as gzip"]
    g = vbackup.backup(name="g", location=location, from_manifests=demo_manifests)
    assert "vbackup.io/compression" not in g["metadata"].get("annotations", {})


def test_location_check_changes_nothing(tmp_path):
    missing = tmp_path / "missing"
    with vbackup.Location(f"file://{missing}") as loc:
        status = loc.check()
    assert status["phase"] == "Unavailable"
    assert status["message"] == f"the folder {missing} does not exist (a backup creates it)"
    assert not missing.exists()
    with vbackup.Location({"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
                           "metadata": {"name": "ro"},
                           "spec": {"provider": "file", "accessMode": "ReadOnly",
                                    "objectStorage": {"bucket": str(tmp_path)}}}) as loc:
        status = loc.check()
    assert status["phase"] == "Available"
    assert status["accessMode"] == "ReadOnly"
    assert status["message"] == "read-only: the location's accessMode is ReadOnly"


def test_kubernetes_failures_raise_kube_error(tmp_path, location, demo_manifests):
    """vbk_status VBK_EKUBE maps to KubeError end to end: asking, backing up, restoring."""
    kc = tmp_path / "kubeconfig"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                  "users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n")
    with pytest.raises(vbackup.KubeError, match="127.0.0.1:9"):
        vbackup.server_version(kubeconfig=kc)
    with pytest.raises(vbackup.KubeError, match="cannot reach the Kubernetes API server http://127.0.0.1:9"):
        vbackup.backup(name="b", location=location, kubeconfig=kc)
    vbackup.backup(name="here", location=location, from_manifests=demo_manifests)
    with pytest.raises(vbackup.KubeError, match="127.0.0.1:9"):
        vbackup.restore(backup="here", location=location, kubeconfig=kc)
    assert issubclass(vbackup.KubeError, vbackup.Error)


def test_no_double_space_where_a_name_is_missing(location, demo_manifests):
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup({}, location=location, from_manifests=demo_manifests)
    assert str(err.value).startswith("backup failed validation:")
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.restore({}, location=location, dry_run=True)
    assert str(err.value).startswith("restore failed validation:")


def test_names_that_match_nothing_are_warnings(location, demo_manifests):
    vbackup.backup({"includedNamespaces": ["dmeo", "demo"], "includedResources": ["deploymentz", "configmaps"]},
                   name="names", location=location, from_manifests=demo_manifests)
    w = _warnings(location, "names")
    assert 'spec.includedResources: "deploymentz" is not a resource of the cluster; did you mean deployments?' in w
    assert 'spec.includedNamespaces: namespace "dmeo" does not exist in the cluster; did you mean demo?' in w
    lines = []
    r = vbackup.restore({"includedNamespaces": ["dmeo"]}, backup="names", location=location, dry_run=True,
                        log=lambda level, line: lines.append(line) if level == "warning" else None)
    assert r["status"]["warnings"] == 1
    assert any('namespace \\"dmeo\\" is not in backup \\"names\\"; did you mean demo?' in line for line in lines)
