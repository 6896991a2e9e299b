"""Issue 12, "say what was asked, do what was said", as a user of the CLI meets it: zstd backups say
what they are, a --from-file spec with a typo is refused, names that match nothing are warned about,
--help shows the real defaults, `backup-location check` changes nothing and tells read-only apart, and
a failing write names the file and the system error."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_cli import CLI, DEMO, bucket, loc, run  # noqa: F401  (loc: a pytest fixture)

BIN = str(Path(CLI).resolve())


def as_nobody(cmd):
    """`cmd` run as an unprivileged user when the tests run as root (root may write anywhere)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: cannot drop privileges to test a read-only folder")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]


def test_help_shows_the_real_defaults_of_optional_bools():
    """velero's OptionalBool flags: unset (auto) unless given; `--flag` alone means true."""
    backup_help = run("backup", "create", "--help", check=0).stdout
    for flag in ("--include-cluster-resources", "--snapshot-volumes", "--default-volumes-to-fs-backup"):
        assert flag + "[=true|false]" in backup_help
        assert flag + " TEXT=true" not in backup_help
    assert "(default: unset, auto)" in backup_help
    restore_help = run("restore", "create", "--help", check=0).stdout
    for flag in ("--include-cluster-resources", "--restore-volumes", "--preserve-nodeports"):
        assert flag + "[=true|false]" in restore_help
        assert flag + " TEXT=true" not in restore_help


def test_an_optional_bool_given_alone_means_true_and_does_not_take_the_next_word(loc):
    def spec(*flags):
        return json.loads(run("backup", "create", *flags, "-o", "json", location=loc, check=0).stdout)["spec"]

    assert "includeClusterResources" not in spec("x")
    assert "snapshotVolumes" not in spec("x")
    # `--include-cluster-resources x`: x is the name, as with velero's flags.
    s = spec("--include-cluster-resources", "x", "--snapshot-volumes", "--default-volumes-to-fs-backup=false")
    assert s["includeClusterResources"] is True
    assert s["snapshotVolumes"] is True
    assert s["defaultVolumesToFsBackup"] is False
    assert spec("x", "--include-cluster-resources=false")["includeClusterResources"] is False
    r = json.loads(run("restore", "create", "r", "--from-backup", "b", "--restore-volumes", "--preserve-nodeports=false",
                       "-o", "json", location=loc, check=0).stdout)["spec"]
    assert r["restorePVs"] is True and r["preserveNodePorts"] is False
    assert "includeClusterResources" not in r


def test_zstd_backup_warns_is_recorded_described_and_downloads_as_tar_zst(loc, tmp_path):
    p = run("backup", "create", "z", "--from-manifests", str(DEMO), "--compression", "zstd", location=loc, check=0)
    assert "a Velero server cannot restore a zstd backup: it reads z.tar.gz as gzip" in p.stderr
    assert "1 warnings" in p.stdout
    record = json.loads((bucket(loc) / "backups" / "z" / "velero-backup.json").read_text())
    assert record["metadata"]["annotations"]["vbackup.io/compression"] == "zstd"
    described = run("backup", "describe", "z", "--details", location=loc, check=0).stdout
    assert "Compression:  zstd (a Velero server cannot restore this backup" in described
    assert "a Velero server cannot restore a zstd backup" in described  # the warning, in the results
    out = subprocess.run([BIN, "backup", "download", "z", "--storage-location", loc], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert "z-data.tar.zst" in out.stdout
    assert (tmp_path / "z-data.tar.zst").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    # Our own reader takes it: inspect and a dry-run restore.
    assert "deployments.apps" in run("backup", "ls", "z", location=loc, check=0).stdout
    run("restore", "create", "r", "--from-backup", "z", "--dry-run", location=loc, check=0)
    # A gzip backup: no annotation, no line, Velero's file name.
    run("backup", "create", "g", "--from-manifests", str(DEMO), location=loc, check=0)
    record = json.loads((bucket(loc) / "backups" / "g" / "velero-backup.json").read_text())
    assert "vbackup.io/compression" not in record["metadata"].get("annotations", {})
    assert "Compression:" not in run("backup", "describe", "g", location=loc, check=0).stdout
    subprocess.run([BIN, "backup", "download", "g", "--storage-location", loc], cwd=tmp_path, check=True,
                   capture_output=True)
    assert (tmp_path / "g-data.tar.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_from_file_is_strict_about_unknown_keys_and_flags_override_it(loc, tmp_path):
    spec = tmp_path / "backup.yaml"
    spec.write_text("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: typo}\n"
                    "spec: {includedNamespace: [demo]}\n")
    p = run("backup", "create", "--from-file", str(spec), "--from-manifests", str(DEMO), location=loc, check=1)
    assert "spec.includedNamespace is not a Backup field; did you mean includedNamespaces?" in p.stderr
    assert not (bucket(loc) / "backups" / "typo").exists()
    spec.write_text("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: fromfile}\n"
                    "spec: {includedNamespaces: [nothing-here], ttl: 1h0m0s}\n")
    run("backup", "create", "--from-file", str(spec), "--from-manifests", str(DEMO), "--include-namespaces", "demo",
        location=loc, check=0)
    record = json.loads((bucket(loc) / "backups" / "fromfile" / "velero-backup.json").read_text())
    assert record["spec"]["includedNamespaces"] == ["demo"]
    assert record["spec"]["ttl"] == "1h0m0s"
    restore = tmp_path / "restore.yaml"
    restore.write_text("apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r}\n"
                       "spec: {backupName: fromfile, namespaceMappings: {demo: copy}}\n")
    p = run("restore", "create", "--from-file", str(restore), "--dry-run", location=loc, check=1)
    assert "spec.namespaceMappings is not a Restore field; did you mean namespaceMapping?" in p.stderr


def test_names_that_match_nothing_are_warnings(loc):
    p = run("backup", "create", "w", "--from-manifests", str(DEMO), "--include-namespaces", "demo,dmeo,prod-*",
            "--include-resources", "deploymentz,configmaps,*.apps", location=loc, check=0)
    assert "2 warnings" in p.stdout
    described = run("backup", "describe", "w", "--details", location=loc, check=0).stdout
    assert 'spec.includedResources: "deploymentz" is not a resource of the cluster; did you mean deployments?' in described
    assert 'spec.includedNamespaces: namespace "dmeo" does not exist in the cluster; did you mean demo?' in described


def test_location_check_changes_nothing_and_tells_read_only_apart(tmp_path):
    # A folder an unprivileged user can reach (pytest's own temporary folders are private to root).
    top = Path(tempfile.mkdtemp(prefix="vbk-said-"))
    os.chmod(top, 0o755)
    folder = top / "bucket"
    loc = f"file://{folder}"
    try:
        check_read_only(loc, folder)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def check_read_only(loc, folder):
    p = run("backup-location", "check", location=loc, check=1)
    assert f"Unavailable: the folder {folder} does not exist (a backup creates it)" in p.stdout
    assert not folder.exists()
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    before = sorted(str(x) for x in folder.rglob("*"))
    assert run("backup-location", "check", location=loc, check=0).stdout.strip().endswith(": Available")
    assert sorted(str(x) for x in folder.rglob("*")) == before
    # Read-only: Available (read-only) with the reason; a backup fails at once, naming the location.
    os.chmod(folder, 0o555)
    os.chmod(folder.parent, 0o755)
    try:
        p = subprocess.run(as_nobody([BIN, "backup-location", "check", "--storage-location", loc]),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == f"{loc}: Available (read-only): the folder {folder} is not writable: Permission denied"
        status = json.loads(subprocess.run(as_nobody([BIN, "backup-location", "check", "-o", "json", "--storage-location",
                                                      loc]), capture_output=True, text=True, check=True).stdout)
        assert status["phase"] == "Available" and status["accessMode"] == "ReadOnly"
        # Against a cluster nobody answers for: the location is checked first, so its error is the one shown.
        p = subprocess.run(as_nobody([BIN, "backup", "create", "ro", "--kubeconfig", "/nonexistent/kubeconfig",
                                      "--storage-location", loc]), capture_output=True, text=True, timeout=60)
        assert p.returncode == 1
        assert p.stderr.strip() == (f"An error occurred: backup ro failed: backup storage location {loc}: "
                                    f"the folder {folder} is not writable: Permission denied")
    finally:
        os.chmod(folder, 0o755)
    assert sorted(str(x) for x in folder.rglob("*")) == before


def test_a_full_disk_names_the_file_and_the_system_error(tmp_path):
    """A real ENOSPC: the location is a 64 KiB tmpfs, mounted in a private mount namespace (unshare
    -rm) that ends with the command, so nothing is left mounted."""
    unshare = shutil.which("unshare")
    if not unshare or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("no user and mount namespaces here (unshare -rm): cannot make a small file system")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    # About 1.2 MB of objects, 600 KB compressed: the disk fills while items are still being written.
    data = os.urandom(300 * 2048).hex()
    (manifests / "many.yaml").write_text("".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: demo}}\n"
        f"data: {{k: '{data[i * 4096:(i + 1) * 4096]}'}}\n" for i in range(300)))
    folder = tmp_path / "bucket"
    folder.mkdir()
    script = ('mount -t tmpfs -o size=64k tmpfs "$1" || exit 99; '
              '"$2" backup create big --from-manifests "$3" --storage-location "file://$1"; '
              'echo "rc=$?"; echo "files:"; find "$1" -type f')
    p = subprocess.run([unshare, "-rm", "sh", "-c", script, "sh", str(folder), BIN, str(manifests)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode == 99:
        pytest.skip("tmpfs cannot be mounted in a user namespace here: " + p.stderr.strip())
    assert "rc=1" in p.stdout, p.stdout + p.stderr
    assert (f"An error occurred: backup big failed: file://{folder}: backups/big/big.tar.gz: write failed: "
            "No space left on device") in p.stderr, p.stderr
    assert "an earlier write failed" not in p.stderr
    # Nothing of the failed backup stays: no temporary file, no side file.
    assert p.stdout.split("files:")[1].strip() == "", p.stdout
