"""The Python package over the C ABI: the demo backup and every backup operation, checked with
Python's own tarfile and gzip readers."""
import gzip
import json
import tarfile
from pathlib import Path

import pytest

import vbackup


def bucket_of(location: str) -> Path:
    return Path(location[len("file://"):])


def test_version():
    assert vbackup.version() == "0.1.0"


def test_demo_backup_writes_velero_layout(demo_manifests, location):
    result = vbackup.backup(name="demo", location=location, from_manifests=demo_manifests)
    status = result["status"]
    assert status["phase"] == "Completed"
    assert status["formatVersion"] == "1.1.0"
    assert status["progress"]["itemsBackedUp"] == status["progress"]["totalItems"] == 9
    folder = bucket_of(location) / "backups" / "demo"
    names = sorted(p.name for p in folder.iterdir())
    # demo-checksums.json: issue 16's checksum manifest (brief s3-seal)
    assert names == ["demo-checksums.json", "demo-itemoperations.json.gz", "demo-logs.gz", "demo-podvolumebackups.json.gz",
                     "demo-resource-list.json.gz", "demo-results.gz", "demo-volumeinfo.json.gz",
                     "demo-volumesnapshots.json.gz", "demo.tar.gz", "velero-backup.json"]
    # spec §1.2: every object twice, under Velero's paths; metadata/version first
    with tarfile.open(folder / "demo.tar.gz", "r:gz") as tar:
        members = tar.getmembers()
        assert members[0].name == "metadata/version"
        assert tar.extractfile(members[0]).read() == b"1.1.0\n"
        assert all(m.isreg() and m.mode == 0o755 for m in members)
        paths = {m.name for m in members}
    for kind_path in ["deployments.apps/namespaces/demo/web", "configmaps/namespaces/demo/web-config",
                      "secrets/namespaces/demo/web-credentials", "services/namespaces/demo/web",
                      "persistentvolumeclaims/namespaces/demo/web-data", "namespaces/cluster/demo",
                      "widgets.demo.example.com/namespaces/demo/hello",
                      "customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.demo.example.com"]:
        resource, rest = kind_path.split("/", 1)
        assert f"resources/{resource}/{rest}.json" in paths
        assert f"resources/{resource}/v1-preferredversion/{rest}.json" in paths
    # the PVC brought its PV (spec §1.3)
    assert "resources/persistentvolumes/cluster/pv-demo-web-data.json" in paths
    # velero-backup.json: 2-space MarshalIndent, Velero's field order, no trailing newline
    record = (folder / "velero-backup.json").read_text()
    assert record.startswith('{\n  "kind": "Backup",\n  "apiVersion": "velero.io/v1",\n  "metadata"')
    assert not record.endswith("\n")
    assert json.loads(record)["status"]["phase"] == "Completed"
    # side files: gzip of compact JSON + newline
    resources = json.loads(gzip.decompress((folder / "demo-resource-list.json.gz").read_bytes()))
    assert resources["apps/v1/Deployment"] == ["demo/web"]
    assert gzip.decompress((folder / "demo-volumesnapshots.json.gz").read_bytes()) == b"null\n"


def test_spec_filters_and_bsl_location(demo_manifests, tmp_path):
    bsl = {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "primary"},
           "spec": {"provider": "file", "objectStorage": {"bucket": str(tmp_path / "b"), "prefix": "team"}}}
    result = vbackup.backup({"includedResources": ["configmaps", "secrets"], "includeClusterResources": False},
                            name="cfg", location=bsl, from_manifests=demo_manifests)
    assert result["spec"]["storageLocation"] == "primary"
    assert result["metadata"]["labels"]["velero.io/storage-location"] == "primary"
    with tarfile.open(tmp_path / "b" / "team" / "backups" / "cfg" / "cfg.tar.gz") as tar:
        resources = {m.name.split("/")[1] for m in tar.getmembers() if m.name.startswith("resources/")}
    assert resources == {"configmaps", "secrets"}


def test_location_operations(demo_manifests, location, tmp_path):
    vbackup.backup(name="one", location=location, from_manifests=demo_manifests)
    vbackup.backup(name="two", location=location, from_manifests=demo_manifests, compression="zstd")
    with vbackup.Location(location) as loc:
        assert [b["metadata"]["name"] for b in loc.list_backups()] == ["one", "two"]
        assert loc.get_backup("one")["status"]["phase"] == "Completed"
        described = loc.describe_backup("one", details=True)
        assert described["resourceList"]["v1/Secret"] == ["demo/web-credentials"]
        assert described["results"] == {"errors": {}, "warnings": {}}
        assert "level=info" in loc.backup_logs("one")
        loc.download_backup("two", tmp_path / "two.tar.gz")
        assert (tmp_path / "two.tar.gz").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd
        loc.delete_backup("one")
        assert [b["metadata"]["name"] for b in loc.list_backups()] == ["two"]
        with pytest.raises(vbackup.NotFoundError) as err:
            loc.get_backup("one")
        assert "one" in str(err.value)


def test_unsupported_provider_raises_unsupported_error():
    bsl = {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "gcs"},
           "spec": {"provider": "velero.io/gcp", "objectStorage": {"bucket": "b"}}}
    with pytest.raises(vbackup.UnsupportedError) as err:
        vbackup.Location(bsl)
    assert "velero.io/gcp" in str(err.value)


def test_failed_validation_raises_with_the_status(demo_manifests, location):
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup({"includedNamespaces": ["Bad_Name"]}, name="bad", location=location,
                       from_manifests=demo_manifests)
    assert err.value.backup["status"]["phase"] == "FailedValidation"
    assert "Bad_Name" in err.value.backup["status"]["validationErrors"][0]
    assert not (bucket_of(location) / "backups").exists()


def test_existing_name_raises(demo_manifests, location):
    vbackup.backup(name="dup", location=location, from_manifests=demo_manifests)
    with pytest.raises(vbackup.AlreadyExistsError) as err:
        vbackup.backup(name="dup", location=location, from_manifests=demo_manifests)
    assert err.value.backup["status"]["failureReason"] == "backup already exists in object storage"


def test_progress_log_and_cancel(demo_manifests, location):
    seen = []
    lines = []
    vbackup.backup(name="p", location=location, from_manifests=demo_manifests,
                   progress=lambda done, total, written: seen.append((done, total, written)),
                   log=lambda level, line: lines.append((level, line)))
    assert seen[-1][0] == 9
    assert any("Backup completed" in line for _, line in lines)
    with pytest.raises(vbackup.CancelledError):
        vbackup.backup(name="c", location=location, from_manifests=demo_manifests,
                       progress=lambda done, total, written: done < 2)
    assert not (bucket_of(location) / "backups" / "c").exists()


def test_callback_exception_propagates(demo_manifests, location):
    def boom(done, total, written):
        raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError, match="from the callback"):
        vbackup.backup(name="e", location=location, from_manifests=demo_manifests, progress=boom)


def test_item_hook_changes_skips_and_adds(demo_manifests, location):
    def hook(item):
        obj = item["object"]
        if item["resource"]["resource"] == "configmaps":
            obj["data"]["greeting"] = "changed by the hook"
            return {"object": obj}
        if item["resource"]["resource"] == "secrets":
            return {"skip": True}
        return None
    vbackup.backup({"includedNamespaces": ["demo"]}, name="h", location=location, from_manifests=demo_manifests,
                   item_hook=hook)
    with tarfile.open(bucket_of(location) / "backups" / "h" / "h.tar.gz") as tar:
        paths = tar.getnames()
        cm = json.load(tar.extractfile("resources/configmaps/namespaces/demo/web-config.json"))
    assert cm["data"]["greeting"] == "changed by the hook"
    assert not any(p.startswith("resources/secrets/") for p in paths)


def test_bad_input_names_the_input(tmp_path, demo_manifests):
    with pytest.raises(vbackup.InvalidError, match="ftp://x"):
        vbackup.Location("ftp://x")
    with pytest.raises(vbackup.NotFoundError, match="no-such-dir"):
        vbackup.Cluster.from_manifests(tmp_path / "no-such-dir")
    with pytest.raises(vbackup.InvalidError, match="compression"):
        vbackup.backup(name="z", location=f"file://{tmp_path}", from_manifests=demo_manifests, compression="lz4")


def test_location_check(location, tmp_path):
    (tmp_path / "bucket").mkdir()  # a missing folder is Unavailable (test_spec_checks.py)
    with vbackup.Location(location) as loc:
        assert loc.check()["phase"] == "Available"
    junk = tmp_path / "junk"
    (junk / "not-velero").mkdir(parents=True)
    (junk / "not-velero" / "file").write_text("x")
    with vbackup.Location(f"file://{junk}") as loc:
        status = loc.check()
    assert status["phase"] == "Unavailable"
    assert status["message"] == "Backup store contains invalid top-level directories: [not-velero]"
    assert "lastValidationTime" in status
