"""vbackup install (issue 13, brief i13-install), run as users run it against the kube-test-server
program with the real kubectl: `kubectl apply -f deploy/crds` and `kubectl get crd`; `vbackup install`
creating everything, a second run succeeding, --apply updating; `--dry-run -o yaml` printing a List that parses and
that `kubectl create --dry-run=client` accepts; velero's validation messages."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest
import yaml

from emulators import ROOT
from test_cli import CLI

CRDS = ROOT / "deploy" / "crds"
N_CRDS = 13


def run(*args, check=0, input=None):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=env, input=input)
    assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def kubectl(server, tmp_path, *args, input=None, check=0):
    env = dict(os.environ, KUBECONFIG=str(server.kubeconfig), HOME=str(tmp_path))  # a fresh discovery cache
    p = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=120, env=env, input=input)
    assert p.returncode == check, f"kubectl {args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def test_kubectl_applies_deploy_crds_and_a_backup_keeps_its_status(kube_server, tmp_path):
    out = kubectl(kube_server, tmp_path, "apply", "-f", str(CRDS)).stdout
    assert out.count("customresourcedefinition.apiextensions.k8s.io/") == N_CRDS
    kubectl(kube_server, tmp_path, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s")
    names = kubectl(kube_server, tmp_path, "get", "crd", "-o", "name").stdout.split()
    for f in sorted(CRDS.glob("*.yaml")):
        plural = f.stem.removeprefix("velero.io_")
        assert f"customresourcedefinition.apiextensions.k8s.io/{plural}.velero.io" in names
    # Velero's CRDs have no status subresource: status goes with the object, /status is not served.
    kubectl(kube_server, tmp_path, "create", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: velero\n")
    backup = ("apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b1\n  namespace: velero\n"
              "spec:\n  includedNamespaces: [demo]\nstatus:\n  phase: Completed\n")
    kubectl(kube_server, tmp_path, "create", "-f", "-", input=backup)
    assert kubectl(kube_server, tmp_path, "get", "backup", "b1", "-n", "velero",
                   "-o", "jsonpath={.status.phase}").stdout == "Completed"
    assert get(kube_server, "/apis/velero.io/v1/namespaces/velero/backups/b1/status")[0] == 404


def test_install_creates_everything_and_a_second_run_succeeds(kube_server, tmp_path):
    secret = tmp_path / "credentials"
    secret.write_text("[default]\naws_access_key_id=AKIA\n")
    args = ["--kubeconfig", str(kube_server.kubeconfig), "install", "--provider", "aws", "--bucket", "backups",
            "--prefix", "a", "--backup-location-config", "region=us-east-2,s3ForcePathStyle=true",
            "--secret-file", str(secret), "--use-volume-snapshots=false", "--image", "example/vbackup:v1"]
    out = run(*args).stdout
    assert out.count(": created") == N_CRDS + 6
    assert out.index("Waiting for resources to be ready in cluster...") > out.index(
        "CustomResourceDefinition/datauploads.velero.io: created")
    assert "VolumeSnapshotLocation" not in out
    assert out.rstrip().endswith("vbackup is installed! Use 'kubectl logs deployment/velero -n velero' to view the status.")
    again = run(*args).stdout
    assert again.count(": already exists, proceeding") == N_CRDS + 6
    assert ": created" not in again
    # --apply: server-side apply updates what exists.
    applied = run(*args[:-1], "example/vbackup:v2", "--apply").stdout
    assert applied.count(": applied") == N_CRDS + 6
    status, deploy = get(kube_server, "/apis/apps/v1/namespaces/velero/deployments/velero")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "example/vbackup:v2"

    status, bsl = get(kube_server, "/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default")
    assert status == 200
    assert bsl["spec"]["objectStorage"] == {"bucket": "backups", "prefix": "a"}
    assert bsl["spec"]["config"] == {"region": "us-east-2", "s3ForcePathStyle": "true"}
    status, deploy = get(kube_server, "/apis/apps/v1/namespaces/velero/deployments/velero")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "example/vbackup:v2" and container["args"] == ["server"]
    status, sec = get(kube_server, "/api/v1/namespaces/velero/secrets/cloud-credentials")
    assert status == 200 and sec["data"]["cloud"] == "W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFLSUEK"
    crds = kubectl(kube_server, tmp_path, "get", "crd", "-l", "component=velero", "-o", "name").stdout.split()
    assert len(crds) == N_CRDS
    # The velero CLI's view: the BSL as `kubectl get backupstoragelocations` lists it.
    assert "default" in kubectl(kube_server, tmp_path, "get", "backupstoragelocations", "-n", "velero").stdout


def test_dry_run_prints_a_list_kubectl_accepts(kube_server, tmp_path):
    text = run("install", "--provider", "aws", "--bucket", "backups", "--no-secret", "--dry-run", "-o", "yaml").stdout
    doc = yaml.safe_load(text)
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List"
    kinds = [i["kind"] for i in doc["items"]]
    assert kinds == ["CustomResourceDefinition"] * N_CRDS + [
        "Namespace", "ClusterRoleBinding", "ServiceAccount", "BackupStorageLocation", "VolumeSnapshotLocation",
        "Deployment"]
    # Nothing was created by the dry run.
    assert get(kube_server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/backups.velero.io")[0] == 404
    # kubectl maps velero.io kinds once the CRDs exist; it validates a `kind: List` against /openapi/v2,
    # which the test API server does not serve (a real one does), hence --validate=false for the List
    # and the same items as `---` documents validated against /openapi/v3.
    kubectl(kube_server, tmp_path, "apply", "-f", str(CRDS))
    kubectl(kube_server, tmp_path, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s")
    out = kubectl(kube_server, tmp_path, "create", "--dry-run=client", "--validate=false", "-f", "-", input=text).stdout
    assert "backupstoragelocation.velero.io/default created (dry run)" in out
    assert "deployment.apps/velero created (dry run)" in out
    documents = yaml.safe_dump_all(doc["items"])
    out = kubectl(kube_server, tmp_path, "create", "--dry-run=client", "-f", "-", input=documents).stdout
    assert out.count("created (dry run)") == len(kinds)


def test_crds_only(kube_server, tmp_path):
    doc = yaml.safe_load(run("install", "--crds-only", "--dry-run", "-o", "yaml").stdout)
    assert [i["kind"] for i in doc["items"]] == ["CustomResourceDefinition"] * N_CRDS
    assert all(i["metadata"]["labels"] == {"component": "velero"} for i in doc["items"])
    out = run("--kubeconfig", str(kube_server.kubeconfig), "install", "--crds-only").stdout
    assert out.count(": created") == N_CRDS
    assert get(kube_server, "/apis/velero.io/v1/namespaces/velero/backupstoragelocations/default")[0] == 404


@pytest.mark.parametrize("args,message", [
    (["--provider", "aws", "--bucket", "b"], "One of --secret-file or --no-secret is required"),
    (["--provider", "aws", "--bucket", "b", "--no-secret", "--secret-file", "x"],
     "Cannot use both --secret-file and --no-secret"),
    (["--bucket", "b", "--no-secret"], "--provider is required"),
    (["--provider", "aws", "--no-secret"], "--bucket is required"),
    (["--provider", "aws", "--bucket", "-b", "--no-secret"], "Bucket names cannot begin with a dash. Bucket name was: -b"),
    (["--provider", "aws", "--bucket", "b", "--no-secret", "--use-volume-snapshots=false",
      "--snapshot-location-config", "region=x"], "--snapshot-location-config must be empty when --use-volume-snapshots=false"),
    (["--provider", "aws", "--bucket", "b", "--no-secret", "--backup-location-config", "region"],
     '--backup-location-config: "region" is not key=value'),
    (["--provider", "aws", "--bucket", "b", "--secret-file", "/nonexistent/creds"], "--secret-file"),
    (["--provider", "aws", "--bucket", "b", "--no-secret", "--velero-pod-cpu-request", "2"],
     'CPU request "2" must be less than or equal to CPU limit "1000m"'),
    (["--provider", "aws", "--bucket", "b", "--no-secret", "--dry-run", "-o", "table"],
     '--output: expected json or yaml, not "table"'),
])
def test_velero_install_validation(args, message):
    err = run("install", *args, "--dry-run", check=1).stderr
    assert message in err


def test_dry_run_yaml_and_json_print_the_same_objects():
    args = ["install", "--provider", "aws", "--bucket", "backups", "--no-secret", "--dry-run", "-o"]
    assert yaml.safe_load(run(*args, "yaml").stdout) == json.loads(run(*args, "json").stdout)


def test_namespace_flag_places_everything_and_names_the_binding():
    doc = json.loads(run("install", "-n", "backup-system", "--provider", "aws", "--bucket", "b", "--no-secret",
                         "--dry-run", "-o", "json").stdout)
    placed = [(i["kind"], i["metadata"].get("namespace"), i["metadata"]["name"]) for i in doc["items"][N_CRDS:]]
    assert placed == [("Namespace", None, "backup-system"), ("ClusterRoleBinding", None, "velero-backup-system"),
                      ("ServiceAccount", "backup-system", "velero"), ("BackupStorageLocation", "backup-system", "default"),
                      ("VolumeSnapshotLocation", "backup-system", "default"), ("Deployment", "backup-system", "velero")]
