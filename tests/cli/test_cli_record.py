"""The Backup and Restore CRs in the cluster through the CLI (issue 12, brief i12-record):
--record-in-cluster auto|true|false on backup create and restore create, the announcement on stderr,
the status through /status when the CRD has the status subresource, delete with the CR, and the
message for a name taken only by a stale CR. Against the kube-test-server program."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from emulators import BUILD, ROOT, free_port, process
from test_cli import CLI, DEMO

ANNOUNCE = ("vbackup: recording {kind} velero/{name} in the cluster (velero.io CRDs are installed); "
            "--record-in-cluster=false to stop")


def run(*args, check=0):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)  # a cluster is named only by the flags of each call
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


class Server:
    def __init__(self, url, kubeconfig):
        self.url, self.kubeconfig = url, str(kubeconfig)

    def cr(self, plural, name):
        """The velero.io CR as the API server holds it, None when absent."""
        try:
            with urllib.request.urlopen(f"{self.url}/apis/velero.io/v1/namespaces/velero/{plural}/{name}") as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise


def start(tmp_path, *seeds):
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig)]
    for s in (DEMO, *seeds):
        cmd += ["--seed", str(s)]
    return process(cmd, port, "kube-test-server"), Server(f"http://127.0.0.1:{port}", kubeconfig)


@pytest.fixture(params=["velero", "velero-status-subresource"])
def velero_cluster(request, tmp_path):
    """The demo application with Velero's CRDs, or the variant defining the status subresource."""
    ctx, server = start(tmp_path, ROOT / "tests" / "data" / request.param)
    with ctx:
        deadline = time.monotonic() + 10
        while not os.path.exists(server.kubeconfig) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server


@pytest.fixture
def bare_cluster(tmp_path):
    """The demo application without Velero's CRDs."""
    ctx, server = start(tmp_path)
    with ctx:
        deadline = time.monotonic() + 10
        while not os.path.exists(server.kubeconfig) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server


def test_auto_records_announces_and_delete_removes_the_crs(velero_cluster, tmp_path):
    s, loc = velero_cluster, f"file://{tmp_path / 'bucket'}"
    common = ["--kubeconfig", s.kubeconfig, "--storage-location", loc]
    p = run("backup", "create", "b1", "--include-namespaces", "demo", *common)
    assert ANNOUNCE.format(kind="Backup", name="b1") in p.stderr.splitlines()
    assert "Note:" not in p.stderr
    assert s.cr("backups", "b1")["status"]["phase"] == "Completed"  # through /status when the CRD has it

    p = run("backup", "create", "b2", "--include-namespaces", "demo", "--record-in-cluster=false", *common)
    assert "recording" not in p.stderr
    assert s.cr("backups", "b2") is None

    p = run("restore", "create", "r1", "--from-backup", "b1", "--namespace-mappings", "demo:demo-r1", *common)
    assert ANNOUNCE.format(kind="Restore", name="r1") in p.stderr.splitlines()
    assert s.cr("restores", "r1")["status"]["phase"] == "Completed"

    # delete: the files and, with a cluster named, the CR.
    p = run("backup", "delete", "b1", "--confirm", *common)
    assert 'Backup "b1" deleted (' in p.stdout and "and its Backup CR in namespace velero" in p.stdout
    assert s.cr("backups", "b1") is None
    p = run("restore", "delete", "r1", "--confirm", *common)
    assert "and its Restore CR in namespace velero" in p.stdout
    assert s.cr("restores", "r1") is None


def test_true_fails_without_velero_crds(bare_cluster, tmp_path):
    s, loc = bare_cluster, f"file://{tmp_path / 'bucket'}"
    common = ["--kubeconfig", s.kubeconfig, "--storage-location", loc]
    p = run("backup", "create", "b", "--include-namespaces", "demo", "--record-in-cluster", "true", *common, check=1)
    assert "cannot be recorded in the cluster" in p.stderr and "Velero's CRDs are not installed" in p.stderr
    assert run("backup", "get", "--storage-location", loc).stdout.splitlines()[1:] == []
    # auto: the backup runs, and says why nothing is recorded.
    p = run("backup", "create", "b", "--include-namespaces", "demo", *common)
    assert "no velero.io/v1 Backup resource" in p.stderr
    p = run("restore", "create", "r", "--from-backup", "b", "--namespace-mappings", "demo:demo-r",
            "--record-in-cluster=true", *common, check=1)
    assert "Velero's CRDs are not installed" in p.stderr
    p = run("backup", "create", "m", "--from-manifests", str(DEMO), "--record-in-cluster=true", "--storage-location", loc,
            check=1)
    assert "is not a cluster" in p.stderr


def test_a_stale_cr_says_how_to_remove_it(velero_cluster, tmp_path):
    s, loc = velero_cluster, f"file://{tmp_path / 'bucket'}"
    common = ["--kubeconfig", s.kubeconfig, "--storage-location", loc]
    run("backup", "create", "x", "--include-namespaces", "demo", *common)
    # Deleted from the location only (no cluster named): the CR stays.
    p = run("backup", "delete", "x", "--confirm", "--storage-location", loc)
    assert "Backup CR" not in p.stdout
    assert s.cr("backups", "x") is not None
    p = run("backup", "create", "x", "--include-namespaces", "demo", *common, check=1)
    assert 'a Backup named "x" already exists in namespace "velero"' in p.stderr
    assert "`kubectl delete backup x -n velero`" in p.stderr and "`vbackup backup delete x`" in p.stderr
    p = run("backup", "delete", "x", "--confirm", *common)
    assert 'Backup "x" deleted (0 objects, and its Backup CR in namespace velero).' in p.stdout
    run("backup", "create", "x", "--include-namespaces", "demo", *common)
    assert s.cr("backups", "x")["status"]["phase"] == "Completed"


def test_help_documents_the_flag():
    for cmd in (["backup", "create", "--help"], ["restore", "create", "--help"]):
        out = run(*cmd).stdout
        assert "--record-in-cluster" in out and "auto" in out
