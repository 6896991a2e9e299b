"""vbackup backup and restore against a kube-test-server program started with --faults (issue 16
"Faults, proved", brief s3-faults): 429 with Retry-After, 500, a connection reset in the middle of a
LIST page and an expired continue token on the ConfigMaps of a three-page namespace; the CLI ends
Completed and the tarball holds every ConfigMap the server holds, each equal to the server's copy.
Then a restore into a server whose CRDs never become Established: PartiallyFailed, each custom
resource named in the results, exit status 2 (the CLI's PartiallyFailed)."""
import json
import subprocess
import tarfile
import time
import urllib.request

from emulators import BUILD, ROOT, free_port, process
from test_cli import CLI

COUNT = 1200  # three pages of --client-page-size 500


def run(*args, check=0):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def server(tmp_path, tag, *extra):
    port = free_port()
    kubeconfig = tmp_path / f"{tag}-kubeconfig"
    cmd = [str(BUILD / "tests" / "support" / "kube-test-server"), "--port", str(port), "--crd-delay-ms", "0",
           "--write-kubeconfig", str(kubeconfig), *extra]
    return cmd, port, kubeconfig


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as r:
        return json.load(r)


def wait_for(path):
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_backup_under_api_faults_is_complete_and_equal_to_the_server(tmp_path):
    faults = {"throttle": {"count": 2, "retryAfterSeconds": 1, "resource": "configmaps", "verb": "list"},
              "fail": {"count": 1, "code": 500, "resource": "configmaps", "verb": "list"},
              "connectionReset": {"count": 2, "after": "body", "resource": "configmaps", "verb": "list"},
              "expireContinue": {"count": 1, "resource": "configmaps"}}
    cmd, port, kubeconfig = server(tmp_path, "a", "--fill", f"{COUNT}:256:load", "--faults", json.dumps(faults))
    bucket = tmp_path / "bucket"
    with process(cmd, port, "kube-test-server"):
        wait_for(kubeconfig)
        p = run("backup", "create", "faulted", "--include-namespaces", "load", "--storage-location", f"file://{bucket}",
                "--kubeconfig", str(kubeconfig))
        assert 'Backup "faulted" Completed' in p.stdout
        state = get(port, "/__control")
        for key in ("throttle", "fail", "connectionReset", "expireContinue"):
            assert state[key] is None, f"{key} was not used up: {state[key]}"
        held = {o["metadata"]["name"]: o for o in get(port, "/api/v1/namespaces/load/configmaps")["items"]}
    assert len(held) == COUNT
    with tarfile.open(bucket / "backups" / "faulted" / "faulted.tar.gz") as tar:
        prefix = "resources/configmaps/namespaces/load/"
        archived = {m.name[len(prefix):-5]: json.load(tar.extractfile(m)) for m in tar.getmembers()
                    if m.name.startswith(prefix)}
    assert set(archived) == set(held)
    for name, obj in held.items():
        assert archived[name]["data"] == obj["data"]
        assert archived[name]["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_restore_when_crds_never_become_established_names_each_custom_resource(tmp_path):
    crd = tmp_path / "crd.yaml"
    crd.write_text("""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g-1, namespace: shop}
spec: {size: 1}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g-2, namespace: shop}
spec: {size: 2}
""")
    bucket = tmp_path / "bucket"
    url = f"file://{bucket}"
    run("backup", "create", "gadgets", "--include-namespaces", "shop", "--storage-location", url,
        "--from-manifests", str(crd))
    cmd, port, kubeconfig = server(tmp_path, "b", "--faults", json.dumps({"crdNeverEstablished": True}))
    with process(cmd, port, "kube-test-server"):
        wait_for(kubeconfig)
        p = run("restore", "create", "r1", "--from-backup", "gadgets", "--storage-location", url,
                "--kubeconfig", str(kubeconfig), "--resource-timeout", "1s", check=2)
        out = p.stdout + p.stderr
        assert "PartiallyFailed" in out
        d = run("restore", "describe", "r1", "--details", "-o", "json", "--storage-location", url)
        errors = json.dumps(json.loads(d.stdout)["results"]["errors"])
        assert "the CRD gadgets.example.com is not available to use for custom resources" in errors
        assert "g-1" in errors and "g-2" in errors
