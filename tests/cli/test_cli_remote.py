"""The CLI against real object-storage emulators and a Kubernetes API server (issues 4 and 5):
the demo backup round-trips through moto, s3rver and Azurite; backups and `version` talk to the
test API server through a kubeconfig."""
import json
import os
import subprocess
import tarfile

import pytest

from test_cli import CLI, DEMO


def run(*args, env=None, check=0):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=dict(os.environ, **(env or {})))
    assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


@pytest.mark.parametrize("store", ["moto_s3", "s3rver", "azurite"])
def test_demo_round_trips_through_object_storage(store, request, tmp_path):
    emu = request.getfixturevalue(store)
    loc, env = emu.location, emu.env
    p = run("backup", "create", "demo", "--from-manifests", str(DEMO), "--storage-location", loc, env=env)
    assert 'Backup "demo" Completed: 9 items' in p.stdout
    assert run("backup-location", "check", "--storage-location", loc, env=env).stdout.strip().endswith(": Available")
    rows = run("backup", "get", "--storage-location", loc, env=env).stdout.splitlines()
    assert rows[1].split()[:2] == ["demo", "Completed"]
    described = run("backup", "describe", "demo", "--details", "--storage-location", loc, env=env).stdout
    assert "v1/PersistentVolume:\n    - pv-demo-web-data" in described
    assert 'msg="Backup completed"' in run("backup", "logs", "demo", "--storage-location", loc, env=env).stdout
    out = tmp_path / "demo.tar.gz"
    run("backup", "download", "demo", "-o", str(out), "--storage-location", loc, env=env)
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert names[0] == "metadata/version"
    assert "resources/deployments.apps/v1-preferredversion/namespaces/demo/web.json" in names
    p = run("backup", "create", "demo", "--from-manifests", str(DEMO), "--storage-location", loc, env=env, check=1)
    assert "already exists" in p.stderr
    run("backup", "delete", "demo", "--confirm", "--storage-location", loc, env=env)
    assert run("backup", "get", "--storage-location", loc, env=env).stdout.splitlines()[1:] == []


def test_wrong_credentials_are_a_clear_error(moto_s3, azurite):
    p = run("backup", "get", "--storage-location", azurite.location,
            env={"AZURE_STORAGE_ACCOUNT_ACCESS_KEY": "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="}, check=1)
    assert "authorization failed" in p.stderr and "devstoreaccount1" in p.stderr
    assert "d3Jvbmc" not in p.stderr  # the key itself never appears
    p = run("backup", "get", "--storage-location", moto_s3.location.replace("vbk-test", "no-such-bucket"),
            env=moto_s3.env, check=1)
    assert "no-such-bucket" in p.stderr


def test_version_and_live_backup_from_the_api_server(kube_server, tmp_path):
    kc = str(kube_server.kubeconfig)
    p = run("version", "--kubeconfig", kc)
    assert "Version: 0.1.0" in p.stdout and "Version: v1.33.1" in p.stdout
    assert "Client:" in run("version", "--client-only").stdout
    loc = f"file://{tmp_path / 'bucket'}"
    p = run("backup", "create", "live", "--kubeconfig", kc, "--include-namespaces", "demo", "--storage-location", loc)
    assert 'Backup "live" Completed' in p.stdout
    record = json.loads((tmp_path / "bucket" / "backups" / "live" / "velero-backup.json").read_text())
    assert record["metadata"]["annotations"]["velero.io/source-cluster-k8s-gitversion"] == "v1.33.1"
    with tarfile.open(tmp_path / "bucket" / "backups" / "live" / "live.tar.gz") as tar:
        names = set(tar.getnames())
        web = json.load(tar.extractfile("resources/deployments.apps/namespaces/demo/web.json"))
    # objects as the server stores them: uid, resourceVersion, creationTimestamp (spec §1.3)
    assert web["metadata"]["uid"] and web["metadata"]["resourceVersion"] and web["metadata"]["creationTimestamp"]
    assert "resources/persistentvolumes/cluster/pv-demo-web-data.json" in names  # the PVC's PV
    assert "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.demo.example.com.json" in names


def test_progress_bar_shows_items_of_the_counted_total_bytes_and_rate(kube_server, tmp_path):
    """Issue 6: the CLI progress bar (items done and total, bytes written, rate). The total is the
    API server's counts (LIST limit=1, remainingItemCount) summed before listing."""
    import re
    kc = str(kube_server.kubeconfig)
    loc = f"file://{tmp_path / 'bucket'}"
    p = run("backup", "create", "bar", "--kubeconfig", kc, "--storage-location", loc,
            env={"VBACKUP_PROGRESS": "1", "COLUMNS": "100"})
    items = int(re.search(r"Completed: (\d+) items", p.stdout).group(1))
    # text mode turns the bar's carriage returns into newlines: a frame a line
    frames = [f.strip() for f in p.stderr.splitlines() if " items" in f]
    first = re.match(r"\[[#-]{20}\]\s+(\d+)%\s+(\d+)/([\d,]+) items\s+[\d.]+ k?B", frames[0])
    assert first, frames
    total = int(first.group(3).replace(",", ""))
    assert int(first.group(2)) < total <= items  # the namespaces themselves are not counted ahead
    last = frames[-1]
    assert re.match(rf"{items} items\s+[\d.]+ kB\s+[\d,]+ items/s$", last), last
    quiet = run("backup", "create", "quiet", "-q", "--kubeconfig", kc, "--storage-location", loc,
                env={"VBACKUP_PROGRESS": "1"})
    assert "items/s" not in quiet.stderr


def test_unreachable_cluster_names_the_server(tmp_path):
    kc = tmp_path / "kubeconfig"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                  "users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n")
    p = run("version", "--kubeconfig", str(kc), check=1)
    assert "127.0.0.1:9" in p.stderr
    p = run("version", "--kubeconfig", str(kc), "--kubecontext", "nope", check=1)
    assert "nope" in p.stderr


def kubectl(kube_server, tmp_path, *args, check=True):
    env = dict(os.environ, HOME=str(tmp_path / "kubectl-home"), KUBECONFIG=str(kube_server.kubeconfig))
    (tmp_path / "kubectl-home").mkdir(exist_ok=True)
    p = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, f"kubectl {args}: {p.stderr}"
    return p


def test_backup_cr_is_kept_in_the_cluster_when_velero_is_installed(kube_server, tmp_path):
    kc, loc = str(kube_server.kubeconfig), f"file://{tmp_path / 'bucket'}"
    # Without Velero's CRDs the backup runs and says that no CR is kept.
    p = run("backup", "create", "before", "--kubeconfig", kc, "--include-namespaces", "demo", "--storage-location", loc)
    assert "no velero.io/v1 Backup resource" in p.stderr
    crd = os.path.join(os.environ.get("VBK_SOURCE_ROOT", "."), "tests", "data", "velero", "backups-crd.yaml")
    kubectl(kube_server, tmp_path, "create", "-f", crd)
    kubectl(kube_server, tmp_path, "wait", "--for", "condition=established", "crd/backups.velero.io", "--timeout=30s")
    p = run("backup", "create", "tracked", "--kubeconfig", kc, "--include-namespaces", "demo", "--storage-location", loc)
    assert "Note:" not in p.stderr
    cr = json.loads(kubectl(kube_server, tmp_path, "get", "backups", "-n", "velero", "tracked", "-o", "json").stdout)
    stored = json.loads((tmp_path / "bucket" / "backups" / "tracked" / "velero-backup.json").read_text())
    assert cr["status"]["phase"] == "Completed" == stored["status"]["phase"]
    assert cr["status"]["progress"] == stored["status"]["progress"]
    assert cr["spec"]["includedNamespaces"] == ["demo"]
    assert cr["metadata"]["labels"]["velero.io/storage-location"] == "default"
    # The name is taken in the cluster: another location cannot reuse it (Velero's names are unique).
    p = run("backup", "create", "tracked", "--kubeconfig", kc, "--storage-location", f"file://{tmp_path / 'other'}",
            check=1)
    assert 'a Backup named "tracked" already exists in namespace "velero"' in p.stderr
    assert not (tmp_path / "other" / "backups" / "tracked").exists()
    # A failed validation is recorded too.
    run("backup", "create", "bad", "--kubeconfig", kc, "--exclude-namespaces", "*", "--storage-location", loc, check=1)
    listing = kubectl(kube_server, tmp_path, "get", "backups", "-n", "velero", "-o", "json").stdout
    phases = {b["metadata"]["name"]: b["status"].get("phase") for b in json.loads(listing)["items"]}
    assert phases == {"tracked": "Completed", "bad": "FailedValidation"}


def test_objects_created_with_kubectl_are_backed_up_filtered_several_ways(kube_server, tmp_path, moto_s3, azurite):
    kc = str(kube_server.kubeconfig)
    manifest = tmp_path / "made.yaml"
    manifest.write_text("""apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prices, namespace: shop, labels: {app: shop, tier: data}}
data: {apple: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: colours, namespace: shop, labels: {app: shop, tier: ui}}
data: {red: "#f00"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop, labels: {app: shop, tier: ui}}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec: {containers: [{name: c, image: nginx}]}
""")
    kubectl(kube_server, tmp_path, "create", "-f", str(manifest))

    def names(loc, env, backup):
        out = tmp_path / f"{backup}.tar.gz"
        run("backup", "download", backup, "-o", str(out), "--force", "--storage-location", loc, env=env)
        with tarfile.open(out) as tar:
            return {n for n in tar.getnames() if n.startswith("resources/") and "-preferredversion" not in n}

    file_loc = f"file://{tmp_path / 'bucket'}"
    for loc, env in [(file_loc, {}), (moto_s3.location, moto_s3.env), (azurite.location, azurite.env)]:
        run("backup", "create", "ns-only", "--kubeconfig", kc, "--include-namespaces", "shop", "--storage-location", loc,
            env=env)
        assert names(loc, env, "ns-only") == {
            "resources/namespaces/cluster/shop.json", "resources/configmaps/namespaces/shop/prices.json",
            "resources/configmaps/namespaces/shop/colours.json", "resources/deployments.apps/namespaces/shop/front.json"}
        run("backup", "create", "ui", "--kubeconfig", kc, "--include-namespaces", "shop", "-l", "tier=ui",
            "--storage-location", loc, env=env)
        assert names(loc, env, "ui") == {
            "resources/namespaces/cluster/shop.json", "resources/configmaps/namespaces/shop/colours.json",
            "resources/deployments.apps/namespaces/shop/front.json"}
        run("backup", "create", "cms", "--kubeconfig", kc, "--include-namespaces", "shop,demo",
            "--include-resources", "configmaps", "--exclude-namespaces", "demo", "--storage-location", loc, env=env,
            check=1)  # an item in both lists is a validation error (spec §5.2)
        run("backup", "create", "cms", "--kubeconfig", kc, "--include-namespaces", "shop",
            "--include-resources", "configmaps", "--storage-location", loc, env=env)
        assert names(loc, env, "cms") == {
            "resources/configmaps/namespaces/shop/prices.json", "resources/configmaps/namespaces/shop/colours.json"}


def test_an_unreadable_resource_makes_the_backup_partially_failed(kube_server, tmp_path):
    kc, loc = str(kube_server.kubeconfig), f"file://{tmp_path / 'bucket'}"
    control = json.dumps({"unreadable": [{"resource": "secrets", "code": 403}]}).encode()
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(kube_server.url + "/__control", data=control, method="POST",
                                                  headers={"Content-Type": "application/json"})).read()
    p = run("backup", "create", "partial", "--kubeconfig", kc, "--include-namespaces", "demo",
            "--storage-location", loc, check=2)
    assert "PartiallyFailed" in p.stdout
    record = json.loads((tmp_path / "bucket" / "backups" / "partial" / "velero-backup.json").read_text())
    assert record["status"]["phase"] == "PartiallyFailed" and record["status"]["errors"] >= 1
    described = run("backup", "describe", "partial", "--details", "--storage-location", loc).stdout
    assert "Error listing items" in described and "secrets" in described
    with tarfile.open(tmp_path / "bucket" / "backups" / "partial" / "partial.tar.gz") as tar:
        got = set(tar.getnames())
    assert not any(n.startswith("resources/secrets/") for n in got)
    for present in ["resources/deployments.apps/namespaces/demo/web.json", "resources/configmaps/namespaces/demo/web-config.json",
                    "resources/services/namespaces/demo/web.json", "resources/persistentvolumes/cluster/pv-demo-web-data.json"]:
        assert present in got
