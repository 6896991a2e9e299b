"""The vbackup CLI, run as users run it: velero's subcommands, flags, output formats and exit codes.
VBACKUP_CLI names the binary; VBK_SOURCE_ROOT the repository."""
import gzip
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
CLI = os.environ.get("VBACKUP_CLI", str(ROOT / "build" / "tools" / "vbackup" / "vbackup"))
DEMO = ROOT / "examples" / "manifests"


def run(*args, location=None, check=None, input=None):
    cmd = [CLI, *args]
    if location:
        cmd += ["--storage-location", location]
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=120)
    if check is not None:
        assert p.returncode == check, f"{cmd}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


@pytest.fixture
def loc(tmp_path):
    return f"file://{tmp_path / 'bucket'}"


def bucket(loc):
    return Path(loc[len("file://"):])


def test_create_get_describe(loc):
    p = run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    assert 'Backup "demo" Completed: 9 items, 0 errors, 0 warnings' in p.stdout
    table = run("backup", "get", location=loc, check=0).stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "EXPIRES", "STORAGE", "LOCATION",
                                "SELECTOR"]
    assert table[1].split()[:4] == ["demo", "Completed", "0", "0"]
    # EXPIRES is duration.HumanDuration(time.Until(expiration)): 30d in the second of the backup, 29d
    # (whole days, rounded down, as velero prints it) once a second has passed.
    assert table[1].split()[8] in ("30d", "29d") and "<none>" in table[1]
    as_json = json.loads(run("backup", "get", "demo", "-o", "json", location=loc, check=0).stdout)
    assert as_json["kind"] == "Backup" and as_json["status"]["phase"] == "Completed"
    as_yaml = run("backup", "get", "demo", "-o", "yaml", location=loc, check=0).stdout
    assert "kind: Backup" in as_yaml and "phase: Completed" in as_yaml
    described = run("backup", "describe", "demo", "--details", location=loc, check=0).stdout
    assert "Phase:  Completed" in described
    assert "Resource List:\n  apiextensions.k8s.io/v1/CustomResourceDefinition:\n    - widgets.demo.example.com" in described
    assert "  apps/v1/Deployment:\n    - demo/web" in described
    assert "v1/PersistentVolume:\n    - pv-demo-web-data" in described
    assert "Items backed up:              9" in described


def test_tarball_checked_by_real_tar_and_gzip(loc):
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    tarball = bucket(loc) / "backups" / "demo" / "demo.tar.gz"
    subprocess.run(["gzip", "-t", str(tarball)], check=True)
    listing = subprocess.run(["tar", "-tzf", str(tarball)], check=True, capture_output=True, text=True).stdout.split()
    assert listing[0] == "metadata/version"
    items = [p for p in listing if p.startswith("resources/")]
    plain = [p for p in items if "-preferredversion/" not in p]
    assert len(items) == 2 * len(plain) == 18  # spec §1.2: each object twice


def test_filters_selectors_and_zstd(loc):
    run("backup", "create", "only-web", "--from-manifests", str(DEMO), "--include-namespaces", "demo",
        "--include-resources", "deployments,services", "-l", "app=web", "--compression", "zstd",
        "--ttl", "24h", location=loc, check=0)
    tarball = bucket(loc) / "backups" / "only-web" / "only-web.tar.gz"
    subprocess.run(["zstd", "-t", "-q", str(tarball)], check=True)
    listing = subprocess.run(["tar", "--zstd", "-tf", str(tarball)], check=True, capture_output=True,
                             text=True).stdout.split()
    assert {p.split("/")[1] for p in listing if p.startswith("resources/")} == {"deployments.apps", "services"}
    record = json.loads((bucket(loc) / "backups" / "only-web" / "velero-backup.json").read_text())
    assert record["spec"]["ttl"] == "24h0m0s"
    assert record["spec"]["labelSelector"] == {"matchLabels": {"app": "web"}}
    assert record["spec"]["includedResources"] == ["deployments", "services"]


def test_or_selector_and_scoped_filters(loc):
    run("backup", "create", "ors", "--from-manifests", str(DEMO), "--or-selector", "app=web or app=none",
        "--include-cluster-scoped-resources", "persistentvolumes", location=loc, check=0)
    record = json.loads((bucket(loc) / "backups" / "ors" / "velero-backup.json").read_text())
    assert record["spec"]["orLabelSelectors"] == [{"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "none"}}]


def test_output_prints_without_running(loc):
    p = run("backup", "create", "dry", "--from-manifests", str(DEMO), "-o", "json", location=loc, check=0)
    assert json.loads(p.stdout)["metadata"]["name"] == "dry"
    assert not (bucket(loc) / "backups").exists()


def test_download_logs_delete(loc, tmp_path):
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    os.chdir(tmp_path)
    run("backup", "download", "demo", location=loc, check=0)
    assert (tmp_path / "demo-data.tar.gz").read_bytes() == (bucket(loc) / "backups" / "demo" / "demo.tar.gz").read_bytes()
    p = run("backup", "download", "demo", location=loc, check=1)
    assert "already exists" in p.stderr and "--force" in p.stderr
    run("backup", "download", "demo", "--force", location=loc, check=0)
    assert 'msg="Backup completed"' in run("backup", "logs", "demo", location=loc, check=0).stdout
    p = run("backup", "delete", "demo", location=loc, check=1, input="")
    assert "--confirm" in p.stderr
    run("backup", "delete", "demo", "--confirm", location=loc, check=0)
    assert run("backup", "get", location=loc, check=0).stdout.splitlines()[1:] == []


def test_exit_codes_and_messages(loc, tmp_path):
    p = run("backup", "create", "Bad_Name", "--from-manifests", str(DEMO), location=loc, check=1)
    assert "failed validation" in p.stderr and "metadata.name" in p.stderr
    p = run("backup", "create", "x", "--from-manifests", str(DEMO), "--include-cluster-resources=maybe", location=loc,
            check=1)
    assert "--include-cluster-resources" in p.stderr
    p = run("backup", "create", "x", "--from-manifests", str(DEMO), location="ftp://nowhere", check=1)
    assert "ftp://nowhere" in p.stderr
    p = run("backup", "create", "x", "--from-manifests", str(DEMO), check=1)
    assert "no storage location" in p.stderr
    p = run("backup", "get", "missing", location=loc, check=1)
    assert '"missing" not found' in p.stderr
    # a broken manifest: PartiallyFailed, exit 2, the error in the results
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n")
    (tmp_path / "m" / "bad.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n")
    p = run("backup", "create", "partial", "--from-manifests", str(tmp_path / "m"), location=loc, check=2)
    assert "PartiallyFailed" in p.stdout
    described = run("backup", "describe", "partial", "--details", location=loc, check=0).stdout
    assert "bad.yaml" in described
    results = json.loads(gzip.decompress((bucket(loc) / "backups" / "partial" / "partial-results.gz").read_bytes()))
    assert "bad.yaml" in results["errors"]["cluster"][0]


def test_storage_location_from_env_and_bsl_file(tmp_path):
    bsl = tmp_path / "bsl.yaml"
    bsl.write_text(f"apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {{name: primary}}\n"
                   f"spec:\n  provider: file\n  objectStorage: {{bucket: {tmp_path / 'b'}, prefix: p}}\n")
    env = dict(os.environ, VBACKUP_STORAGE_LOCATION=str(bsl))
    p = subprocess.run([CLI, "backup", "create", "e", "--from-manifests", str(DEMO)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "b" / "p" / "backups" / "e" / "velero-backup.json").exists()


def test_help_and_version():
    assert "backup" in run("--help", check=0).stdout
    assert "--include-namespaces" in run("backup", "create", "--help", check=0).stdout
    assert "Version: 0.1.0" in run("version", "--client-only", check=0).stdout


def test_backup_location_check(loc, tmp_path):
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    assert run("backup-location", "check", location=loc, check=0).stdout.strip().endswith(": Available")
    status = json.loads(run("backup-location", "check", "-o", "json", location=loc, check=0).stdout)
    assert status["phase"] == "Available"
    (bucket(loc) / "stray").mkdir()
    (bucket(loc) / "stray" / "x").write_text("x")
    p = run("backup-location", "check", location=loc, check=1)
    assert "Unavailable: Backup store contains invalid top-level directories: [stray]" in p.stdout


def test_global_flags_before_or_after_the_subcommand(loc):
    # velero's flags are global: `vbackup --storage-location X backup get` and `backup get --storage-location X`
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    p = subprocess.run([CLI, "--storage-location", loc, "-n", "ops", "backup", "get", "-o", "json"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["items"][0]["metadata"]["namespace"] == "velero"  # recorded at creation
    p = subprocess.run([CLI, "-n", "ops", "backup", "create", "second", "--from-manifests", str(DEMO),
                        "--storage-location", loc], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    record = json.loads((bucket(loc) / "backups" / "second" / "velero-backup.json").read_text())
    assert record["metadata"]["namespace"] == "ops"
