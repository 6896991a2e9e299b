"""`vbackup restore create --spool-dir DIR` (issue 17, brief s5-spooldir): the backup, its index and
the restored-items set are spooled into DIR (files unlinked at once), the restore completes and DIR
is left empty; a DIR that does not exist fails the restore, naming it, before anything is created.
Ours, not a Velero flag (Velero extracts the tarball into the server's temporary directory)."""
import json

from test_cli_restore import demo, empty_cluster, kubectl, loc, run  # noqa: F401  (fixtures)


def test_restore_spooled_into_the_directory_given_leaves_it_empty(demo, tmp_path, empty_cluster):
    spool = tmp_path / "spool"
    spool.mkdir()
    p = run("restore", "create", "spooled", "--from-backup", "demo", "--spool-dir", str(spool),
            "--kubeconfig", str(empty_cluster), "--storage-location", demo)
    assert 'Restore "spooled" completed with status: Completed' in p.stdout, p.stdout
    assert list(spool.iterdir()) == []
    got = json.loads(kubectl(empty_cluster, tmp_path / "kubectl-home", "get", "configmaps", "-n", "demo", "-o",
                             "json").stdout)
    assert "web-config" in {i["metadata"]["name"] for i in got["items"]}


def test_a_spool_dir_that_does_not_exist_fails_the_restore_naming_it(demo, tmp_path, empty_cluster):
    missing = tmp_path / "no-such-dir"
    p = run("restore", "create", "nospool", "--from-backup", "demo", "--spool-dir", str(missing),
            "--kubeconfig", str(empty_cluster), "--storage-location", demo, check=None)
    assert p.returncode != 0
    assert str(missing) in p.stderr, p.stderr
    assert not missing.exists()
    got = kubectl(empty_cluster, tmp_path / "kubectl-home", "get", "configmaps", "-n", "demo", "-o", "json",
                  check=False)
    assert got.returncode != 0 or json.loads(got.stdout)["items"] == []


def test_spool_dir_is_in_restore_create_help():
    p = run("restore", "create", "--help")
    assert "--spool-dir" in p.stdout
    assert "Where the backup is spooled while it is restored (default: the system's temporary directory)" in \
        " ".join(p.stdout.split())
