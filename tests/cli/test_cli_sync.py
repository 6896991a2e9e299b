"""vbackup backup-location sync|validate (ours; issue 13, brief i13-sync): two kube-test-server
programs with Velero's CRDs share one bucket; a backup made and recorded on A is synced to B and
printed; a corrupt velero-backup.json is a warning on stderr while the others sync; a ReadOnly
location refuses backup delete."""
import os
import subprocess
import time

import pytest

from emulators import BUILD, ROOT, free_port, process
from test_cli import CLI, DEMO


def run(*args, check=0):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env.pop("VBACKUP_STORAGE_LOCATION", None)
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def _server(tmp_path, tag, seeds):
    port = free_port()
    kubeconfig = tmp_path / f"{tag}-kubeconfig"
    cmd = [str(BUILD / "tests" / "support" / "kube-test-server"), "--port", str(port), "--crd-delay-ms", "0",
           "--write-kubeconfig", str(kubeconfig)]
    for s in seeds:
        cmd += ["--seed", str(s)]
    return cmd, port, kubeconfig


@pytest.fixture
def clusters(tmp_path):
    bucket = tmp_path / "bucket"
    bsl = tmp_path / "bsl.yaml"
    bsl.write_text("apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: shared, namespace: velero}\n"
                   f"spec: {{provider: file, objectStorage: {{bucket: '{bucket}'}}}}\n---\n"
                   "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: ro, namespace: velero}\n"
                   f"spec: {{provider: file, accessMode: ReadOnly, objectStorage: {{bucket: '{bucket}'}}}}\n")
    crds = ROOT / "tests" / "data" / "velero"
    a_cmd, a_port, a_kc = _server(tmp_path, "a", [DEMO, crds])
    b_cmd, b_port, b_kc = _server(tmp_path, "b", [crds, bsl])
    with process(a_cmd, a_port, "kube-test-server A"), process(b_cmd, b_port, "kube-test-server B"):
        deadline = time.monotonic() + 10
        while not (a_kc.exists() and b_kc.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield bucket, str(a_kc), str(b_kc)


def test_backup_location_sync_prints_what_it_did(clusters):
    bucket, a, b = clusters
    url = f"file://{bucket}"
    run("backup", "create", "c1", "--include-namespaces", "demo", "--storage-location", url, "--kubeconfig", a,
        "--record-in-cluster", "true")
    (bucket / "backups" / "broken").mkdir(parents=True)
    (bucket / "backups" / "broken" / "velero-backup.json").write_text("{")
    p = run("backup-location", "sync", "shared", "--kubeconfig", b)
    assert 'Backup storage location "shared" synced into namespace velero: 1 created, 0 deleted, 1 skipped.' in p.stdout
    assert "  created  backup/c1\n" in p.stdout
    assert "  skipped  backup/broken: backup folder backups/broken/: velero-backup.json cannot be read" in p.stdout
    assert p.stderr.startswith("Warning: backup folder backups/broken/: velero-backup.json cannot be read")
    out = subprocess.run(["kubectl", "--kubeconfig", b, "get", "backup", "c1", "-n", "velero", "-o",
                          "jsonpath={.status.phase}"], capture_output=True, text=True, check=True).stdout
    assert out == "Completed"
    # -o json: the result as the C API and Python give it.
    p = run("backup-location", "sync", "shared", "--kubeconfig", b, "-o", "json")
    assert '"created": []' in p.stdout

    p = run("backup-location", "validate", "shared", "--kubeconfig", b, "--update")
    assert p.stdout == 'Backup storage location "shared": Available\n'

    # ReadOnly (spec §2.2): never written; sync still reads.
    p = run("backup", "delete", "c1", "--confirm", "--storage-location", "ro", "--kubeconfig", b, check=1)
    assert 'backup storage location "ro" is in read-only mode (spec.accessMode: ReadOnly): cannot delete backup c1' in p.stderr
    assert (bucket / "backups" / "c1" / "velero-backup.json").exists()
    p = run("backup", "create", "c2", "--include-namespaces", "demo", "--storage-location", "ro", "--kubeconfig", b,
            "--record-in-cluster", "false", check=1)
    assert "accessMode is ReadOnly" in p.stderr  # the CLI checks the location before the backup starts
    assert not (bucket / "backups" / "c2").exists()

    # Gone from the bucket: the next sync deletes it on B.
    run("backup", "delete", "c1", "--confirm", "--storage-location", url)
    p = run("backup-location", "sync", "shared", "--kubeconfig", b)
    assert "  deleted  backup/c1 (no longer in the location)\n" in p.stdout


def test_backup_location_sync_needs_a_cluster_with_velero(clusters, tmp_path):
    bucket, a, b = clusters
    p = run("backup-location", "sync", "nowhere", "--kubeconfig", b, check=1)
    assert "nowhere" in p.stderr


# ---- brief "s3-seal2": backup-location sync --verify [--identity FILE] (issue 16) --------------------
def test_backup_location_sync_verify_skips_a_backup_that_does_not_match_its_manifest(clusters, tmp_path):
    bucket, a, b = clusters
    url = f"file://{bucket}"
    key = tmp_path / "key.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    pub = [l.split(": ")[1] for l in key.read_text().splitlines() if l.startswith("# public key: ")][0]
    run("backup", "create", "good", "--from-manifests", str(DEMO), "--encrypt-to", pub, "--storage-location", url)
    run("backup", "create", "bad", "--from-manifests", str(DEMO), "--storage-location", url)
    f = bucket / "backups" / "bad" / "bad-resource-list.json.gz"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 1
    f.write_bytes(bytes(data))
    # Without the identity, the encrypted backup cannot be verified either: neither is synced.
    p = run("backup-location", "sync", "shared", "--kubeconfig", b, "--verify")
    assert "0 created" in p.stdout
    assert "  skipped  backup/bad: does not match its checksum manifest: " in p.stdout
    assert "bad-resource-list.json.gz: sha256 differs" in p.stdout
    assert "  skipped  backup/good: cannot be verified: " in p.stdout and "x25519:" in p.stdout
    p = run("backup-location", "sync", "shared", "--kubeconfig", b, "--verify", "--identity", str(key))
    assert "1 created" in p.stdout and "  created  backup/good\n" in p.stdout
    assert "  skipped  backup/bad: does not match its checksum manifest" in p.stdout
    # Without --verify (Velero's sync): the altered backup is synced as it is.
    p = run("backup-location", "sync", "shared", "--kubeconfig", b)
    assert "  created  backup/bad\n" in p.stdout
