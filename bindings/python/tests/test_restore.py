"""vbackup.restore over the C ABI: a dry run with its plan and output folder (no cluster), validation
errors with the Restore, the item hook, cancelling, a live restore and a diff against the test API
server, and the reads of recorded restores."""
import json
import re
import urllib.request
from pathlib import Path

import pytest

import vbackup


def bucket_of(location: str) -> Path:
    return Path(location[len("file://"):])


@pytest.fixture
def demo_backup(demo_manifests, location) -> str:
    vbackup.backup(name="demo", location=location, from_manifests=demo_manifests)
    return "demo"


def test_dry_run_plans_in_restore_order_and_writes_the_folder(demo_backup, location, tmp_path):
    plan = []
    out = tmp_path / "out"
    result = vbackup.restore(backup=demo_backup, location=location, dry_run=True, output_dir=out, plan=plan.append)
    assert result["kind"] == "Restore"
    assert result["status"]["phase"] == "Completed"
    # velero restore create without a name: <backup>-<YYYYMMDDhhmmss> (pkg/cmd/cli/restore/create.go)
    assert re.fullmatch(r"demo-\d{14}", result["metadata"]["name"])
    # restore §2.2: CRDs first; restore §2.1: namespaces, then configmaps before services before deployments
    order = [p["groupResource"] for p in plan]
    assert order[0] == "customresourcedefinitions.apiextensions.k8s.io"
    assert order.index("namespaces") < order.index("configmaps") < order.index("services") < \
        order.index("deployments.apps")
    assert all(p["action"] == "create" for p in plan), plan
    web = next(p for p in plan if p["groupResource"] == "deployments.apps")
    assert (web["kind"], web["namespace"], web["name"]) == ("apps/v1/Deployment", "demo", "web")
    # one file per object, in restore order, with the restore labels (restore §2.3 step 12)
    files = sorted(out.iterdir())
    assert len(files) == len(plan)
    deployment = next(f for f in files if "-deployment-" in f.name)
    assert "velero.io/restore-name: " + result["metadata"]["name"] in deployment.read_text()
    # a dry run leaves nothing in the location
    assert not (bucket_of(location) / "restores").exists()
    with vbackup.Location(location) as loc:
        assert loc.list_restores() == []


def test_validation_errors_raise_with_the_restore(demo_backup, location, tmp_path):
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.restore(name="r", backup="nope", location=location, dry_run=True)
    assert err.value.restore["status"]["phase"] == "FailedValidation"
    assert err.value.restore["status"]["validationErrors"] == [
        'Error retrieving backup: backup.velero.io "nope" not found']
    # restore §2.11: a backup and a schedule are one too many
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.restore(name="r", backup=demo_backup, schedule="nightly", location=location, dry_run=True)
    assert "Either a backup or schedule" in err.value.restore["status"]["validationErrors"][0]
    # bad options fail before any restore exists: no Restore to hand back
    with pytest.raises(vbackup.InvalidError, match="parallel") as err:
        vbackup.restore(name="r", backup=demo_backup, location=location, dry_run=True, parallel=0)
    assert err.value.restore is None
    with pytest.raises(vbackup.InvalidError, match="not empty"):
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "x.yaml").write_text("{}")
        vbackup.restore(name="r", backup=demo_backup, location=location, dry_run=True, output_dir=tmp_path / "full")
    # a resource modifier document with an unknown key is refused (restore §2.10: strict decoding)
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.restore(name="r", backup=demo_backup, location=location, dry_run=True,
                        resource_modifiers={"version": "v1", "resourceModifierRules": [], "bogus": 1})
    assert "bogus" in str(err.value)


def test_item_hook_changes_and_skips(demo_backup, location, tmp_path):
    seen = []

    def hook(item):
        seen.append(item)
        obj = item["object"]
        if item["groupResource"] == "configmaps":
            obj["data"] = {"greeting": "changed by the hook"}
            return {"object": obj}
        if item["groupResource"] == "services":
            return {"skip": True}
        return None

    plan = []
    out = tmp_path / "out"
    vbackup.restore(name="hooked", backup=demo_backup, location=location, dry_run=True, output_dir=out,
                    item_hook=hook, plan=plan.append,
                    spec={"namespaceMapping": {"demo": "demo-copy"}})
    cm = next(i for i in seen if i["groupResource"] == "configmaps")
    assert (cm["sourceNamespace"], cm["targetNamespace"]) == ("demo", "demo-copy")
    assert cm["resource"]["kind"] == "ConfigMap" and cm["resource"]["namespaced"] is True
    config = next(f for f in out.iterdir() if "web-config" in f.name)
    assert "changed by the hook" in config.read_text()
    assert not any("-service-" in f.name for f in out.iterdir())
    service = next(p for p in plan if p["groupResource"] == "services")
    assert service["action"] == "skip" and "item hook" in service["reason"]
    # a hook answer that is not the documented shape fails that item only (restore §2.3: errors are per item)
    result = vbackup.restore(name="bad-answer", backup=demo_backup, location=location, dry_run=True,
                             item_hook=lambda item: {"skipp": True} if item["groupResource"] == "secrets" else None)
    assert result["status"]["phase"] == "PartiallyFailed"
    assert result["status"]["errors"] == 1


def test_include_names_resource_modifiers_and_policy(demo_backup, location, tmp_path):
    plan = []
    modifiers = tmp_path / "modifiers.yaml"
    modifiers.write_text("version: v1\nresourceModifierRules:\n- conditions:\n    groupResource: deployments.apps\n"
                         "  patches:\n  - operation: replace\n    path: /spec/replicas\n    value: \"3\"\n")
    out = tmp_path / "out"
    vbackup.restore(name="some", backup=demo_backup, location=location, dry_run=True, output_dir=out,
                    include_names=["demo/web", "demo/web-config"], resource_modifiers=modifiers, plan=plan.append)
    created = {(p["groupResource"], p["name"]) for p in plan if p["action"] == "create"}
    assert ("deployments.apps", "web") in created and ("configmaps", "web-config") in created
    assert ("secrets", "web-credentials") not in created
    deployment = next(f for f in out.iterdir() if "-deployment-" in f.name).read_text()
    assert "replicas: 3" in deployment


def test_cancel_and_callback_errors(demo_backup, location):
    with pytest.raises(vbackup.CancelledError):
        vbackup.restore(name="c", backup=demo_backup, location=location, dry_run=True,
                        progress=lambda done, total: done < 2)

    def boom(item):
        raise RuntimeError("from the plan callback")
    with pytest.raises(RuntimeError, match="from the plan callback"):
        vbackup.restore(name="e", backup=demo_backup, location=location, dry_run=True, plan=boom)
    seen = []
    vbackup.restore(name="p", backup=demo_backup, location=location, dry_run=True,
                    progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert all(t >= d for d, t in seen)


def _get(server, path):
    with urllib.request.urlopen(server.url + path) as r:
        return json.load(r)


def test_live_restore_diff_and_records(kube_server, demo_backup, location):
    # the test API server holds the demo application: restore it next to itself (restore §2.7 mapping)
    plan = []

    def label(item):  # with parallel > 1 it runs on the restore's worker threads, one at a time
        if item["groupResource"] == "deployments.apps":
            item["object"]["metadata"].setdefault("labels", {})["restored-by"] = "python"
            return {"object": item["object"]}
        return None

    spec = {"namespaceMapping": {"demo": "demo-copy"}, "includedNamespaces": ["demo"]}
    result = vbackup.restore(spec, name="r-live", backup=demo_backup, location=location,
                             kubeconfig=kube_server.kubeconfig, parallel=4, plan=plan.append, item_hook=label)
    assert result["status"]["phase"] == "Completed", result["status"]
    web = next(p for p in plan if p["groupResource"] == "deployments.apps")
    assert (web["action"], web["namespace"]) == ("created", "demo-copy")
    deployment = _get(kube_server, "/apis/apps/v1/namespaces/demo-copy/deployments/web")
    assert deployment["metadata"]["labels"]["restored-by"] == "python"
    assert deployment["metadata"]["labels"]["velero.io/restore-name"] == "r-live"

    # the same again as a diff: every object is there as the backup asks, nothing is written
    diff = []
    vbackup.restore(spec, name="r-diff", backup=demo_backup, location=location, kubeconfig=kube_server.kubeconfig,
                    diff=True, plan=diff.append, item_hook=label)
    web = next(p for p in diff if p["groupResource"] == "deployments.apps")
    assert web["action"] == "unchanged", web

    with vbackup.Location(location) as loc:
        assert [r["metadata"]["name"] for r in loc.list_restores()] == ["r-live"]
        assert loc.get_restore("r-live")["status"]["phase"] == "Completed"
        described = loc.describe_restore("r-live", details=True)
        assert described["restore"]["spec"]["backupName"] == "demo"
        assert "demo-copy/web(created)" in described["resourceList"]["apps/v1/Deployment"]
        assert described["results"]["errors"] == {}
        assert "level=info" in loc.restore_logs("r-live")
        with pytest.raises(vbackup.AlreadyExistsError) as err:
            vbackup.restore(spec, name="r-live", backup=demo_backup, location=location,
                            kubeconfig=kube_server.kubeconfig)
        assert err.value.restore["status"]["failureReason"] == "restore already exists in object storage"
        loc.delete_restore("r-live")
        assert loc.list_restores() == []
        with pytest.raises(vbackup.NotFoundError, match="r-live"):
            loc.get_restore("r-live")


def test_inspect_items_one_item_and_diff(demo_manifests, location):
    vbackup.backup(name="monday", location=location, from_manifests=demo_manifests)

    def change(item):
        if item["resource"]["resource"] == "configmaps":
            item["object"]["data"] = {"greeting": "changed"}
            return {"object": item["object"]}
        if item["resource"]["resource"] == "secrets":
            return {"skip": True}
        return None
    vbackup.backup(name="tuesday", location=location, from_manifests=demo_manifests, item_hook=change)
    with vbackup.Location(location) as loc:
        items = loc.backup_items("monday")
        # restore order (restore §2.2: CRDs first), each item once
        assert items[0]["groupResource"] == "customresourcedefinitions.apiextensions.k8s.io"
        keys = [(i["groupResource"], i["namespace"], i["name"]) for i in items]
        assert len(keys) == len(set(keys))
        assert ("deployments.apps", "demo", "web") in keys
        web = next(i for i in items if i["groupResource"] == "deployments.apps")
        assert web["kind"] == "apps/v1/Deployment"
        # a restore's filters and names
        only = loc.backup_items("monday", filters={"includedResources": ["configmaps"]})
        assert {i["groupResource"] for i in only} == {"configmaps"}
        named = loc.backup_items("monday", include_names=["demo/web"])
        assert ("deployments.apps", "demo", "web") in {(i["groupResource"], i["namespace"], i["name"]) for i in named}
        assert not any(i["name"] == "web-config" for i in named)
        with pytest.raises(vbackup.InvalidError):
            loc.backup_items("monday", filters={"excludedNamespaces": ["*"]})
        with pytest.raises(vbackup.NotFoundError):
            loc.backup_items("nope")
        # one item as stored
        assert loc.backup_item("monday", "deployments.apps/demo/web")["kind"] == "Deployment"
        assert loc.backup_item("tuesday", "configmaps/demo/web-config")["data"] == {"greeting": "changed"}
        with pytest.raises(vbackup.NotFoundError, match="web-credentials"):
            loc.backup_item("tuesday", "secrets/demo/web-credentials")
        # what changed since monday
        changes = {(c["change"], c["groupResource"], c["name"]): c for c in loc.diff_backups("monday", "tuesday")}
        assert set(changes) == {("changed", "configmaps", "web-config"), ("removed", "secrets", "web-credentials")}
        assert "changed" in changes[("changed", "configmaps", "web-config")]["diff"]
        assert loc.diff_backups("monday", "monday") == []
    # the module functions take a location URL as well
    assert vbackup.backup_items(location, "monday") == items
