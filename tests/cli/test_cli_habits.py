"""Issue 12, the last two sections, through the CLI: a hung API server or object store is given up on
within --request-timeout with a message naming it (and a line on stderr while it waits); velero's
habits (unknown commands, exit statuses in --help, --show-labels, delete --selector/--all and the
prompt, --wait); named locations (backup-location create|get|set|delete, --storage-location NAME,
the default location), in the locations file and as BackupStorageLocation CRs of a cluster."""
import json
import os
import pty
import select
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from silent_server import SilentServer
from test_cli import CLI, DEMO, ROOT

BUILD = Path(os.environ.get("VBK_BUILD_ROOT", ROOT / "build"))


def run(*args, env=None, check=None, timeout=120):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    if check is not None:
        assert p.returncode == check, f"{args}: rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A locations file of this test's own, and no kubeconfig to fall back on."""
    path = tmp_path / "config" / "locations.yaml"
    monkeypatch.setenv("VBACKUP_CONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("VBACKUP_STORAGE_LOCATION", raising=False)
    return path


# ---- hung servers ------------------------------------------------------------------------------

def test_a_hung_api_server_is_given_up_on_within_the_request_timeout(tmp_path, config):
    with SilentServer() as server:
        kc = server.kubeconfig(tmp_path / "kubeconfig")
        start = time.monotonic()
        p = run("backup", "create", "hung", "--kubeconfig", str(kc), "--request-timeout", "6s",
                "--storage-location", f"file://{tmp_path / 'bucket'}", check=1)
        took = time.monotonic() - start
        # Two requests (GET /version, then discovery) of at most 6 s each; it used to be 2 x 5 x 60 s.
        assert took < 20, p.stderr
        assert (f"vbackup: waiting for the Kubernetes API server {server.url}: no answer for 5s "
                "(request timeout 6s)") in p.stderr
        assert f"cannot reach the Kubernetes API server {server.url}" in p.stderr
        assert "no answer within the request timeout of 6s" in p.stderr
        start = time.monotonic()
        p = run("version", "--kubeconfig", str(kc), "--request-timeout", "1", check=1)  # a number is seconds
        assert time.monotonic() - start < 5
        assert "request timeout of 1s" in p.stderr and "waiting for" not in p.stderr


def test_a_hung_object_store_is_given_up_on_within_the_request_timeout(config):
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AZ_KEY": "a2V5a2V5a2V5"}
    with SilentServer() as server:
        s3 = f"s3://bucket?region=us-east-1&s3ForcePathStyle=true&s3Url={server.url}"
        azure = (f"azure://container?storageAccount=acct&storageAccountKeyEnvVar=AZ_KEY"
                 f"&storageAccountURI={server.url}/acct")
        for loc, flags in [(s3, ["--request-timeout", "2s"]), (s3 + "&requestTimeout=2s", []),
                           (azure, ["--request-timeout", "2s"])]:
            start = time.monotonic()
            p = run("backup", "get", "--storage-location", loc, *flags, env=env, check=1)
            assert time.monotonic() - start < 8, (loc, p.stderr)
            assert f"GET {server.url}/" in p.stderr  # the endpoint is named
            assert "no answer within the request timeout of 2s" in p.stderr


def test_request_timeout_values_are_kubectls():
    p = run("backup", "get", "--request-timeout", "soon", "--storage-location", "file:///nonexistent", check=1)
    assert ('--request-timeout: "soon": Invalid timeout value. Timeout must be a single integer in seconds, or an '
            'integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)') in p.stderr


# ---- velero's habits ---------------------------------------------------------------------------

def test_an_unknown_command_is_named_with_suggestions_and_the_valid_commands():
    p = run("backup", "describ", "x", check=1)
    assert p.stderr.startswith('Error: unknown command "describ" for "vbackup backup"\n\nDid you mean this?\n'
                               '\tdescribe\n\nAvailable Commands:\n')
    commands = [line.split()[0] for line in p.stderr.split("Available Commands:\n")[1].splitlines() if line.startswith("  ")]
    assert commands == ["cat", "create", "delete", "describe", "diff", "download", "get", "logs", "ls", "rekey", "verify"]
    assert p.stderr.endswith("Run 'vbackup backup --help' for usage.\n")
    p = run("bakup", "get", check=1)
    assert 'unknown command "bakup" for "vbackup"' in p.stderr and "\tbackup\n" in p.stderr
    p = run("-n", "velero", "restore", "xyz", check=1)  # a global flag and its value before it
    assert 'unknown command "xyz" for "vbackup restore"' in p.stderr and "Did you mean" not in p.stderr
    p = run("backup-location", "chek", check=1)
    assert "\tcheck\n" in p.stderr
    for cmd in ["create", "get", "set", "delete", "check"]:
        assert f"  {cmd} " in p.stderr
    p = run("backup", check=0)  # a group alone prints its help, as cobra does
    assert "create" in p.stdout and "describe" in p.stdout


def test_help_documents_the_exit_statuses():
    out = run("--help", check=0).stdout
    assert "Exit status:" in out
    for code in ["  0 ", "  1 ", "  2 ", "  130 "]:
        assert code in out
    assert "PartiallyFailed" in out


def test_backup_get_show_labels_and_create_wait(tmp_path):
    loc = f"file://{tmp_path / 'bucket'}"
    run("backup", "create", "a", "--from-manifests", str(DEMO), "--labels", "team=x,env=dev", "--wait",
        "--storage-location", loc, check=0)
    run("backup", "create", "b", "--from-manifests", str(DEMO), "-w", "--storage-location", loc, check=0)
    rows = run("backup", "get", "--show-labels", "--storage-location", loc, check=0).stdout.splitlines()
    assert rows[0].split()[-1] == "LABELS"
    assert rows[1].split()[-1] == "env=dev,team=x,velero.io/storage-location=default"
    assert "LABELS" not in run("backup", "get", "--storage-location", loc, check=0).stdout


def test_backup_delete_takes_names_all_or_a_selector_exactly_one(tmp_path):
    loc = f"file://{tmp_path / 'bucket'}"
    for name, team in [("a", "x"), ("b", "x"), ("c", "y")]:
        run("backup", "create", name, "--from-manifests", str(DEMO), "--labels", f"team={team}",
            "--storage-location", loc, check=0)
    for args in [[], ["a", "--all"], ["--all", "-l", "team=x"], ["a", "--selector", "team=x"]]:
        p = run("backup", "delete", *args, "--confirm", "--storage-location", loc, check=1)
        assert ("you must specify exactly one of: specific backup name(s), the --all flag, or the --selector flag"
                in p.stderr)
    p = run("backup", "delete", "--selector", "team=x", "--confirm", "--storage-location", loc, check=0)
    assert 'Backup "a" deleted' in p.stdout and 'Backup "b" deleted' in p.stdout and '"c"' not in p.stdout
    assert "No backups found" in run("backup", "delete", "-l", "team=x", "--confirm", "--storage-location", loc,
                                     check=0).stdout
    run("backup", "delete", "--all", "--confirm", "--storage-location", loc, check=0)
    assert run("backup", "get", "--storage-location", loc, check=0).stdout.splitlines()[1:] == []
    p = run("restore", "delete", "--storage-location", loc, check=1)
    assert "specific restore name(s), the --all flag, or the --selector flag" in p.stderr


def run_on_terminal(args, answers):
    """Runs the CLI with a pseudo-terminal as stdin and stdout, typing `answers` after each prompt."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(CLI, [CLI, *args])
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if out.rstrip().endswith(b"(Y/N)?") and pending:
                os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_delete_asks_on_a_terminal_until_y_or_n_and_refuses_without_one(tmp_path):
    loc = f"file://{tmp_path / 'bucket'}"
    run("backup", "create", "keep", "--from-manifests", str(DEMO), "--storage-location", loc, check=0)
    rc, out = run_on_terminal(["backup", "delete", "keep", "--storage-location", loc], ["n"])
    assert rc == 0 and "Are you sure you want to continue (Y/N)? " in out and "Cancelled." in out
    assert (tmp_path / "bucket" / "backups" / "keep" / "velero-backup.json").exists()
    rc, out = run_on_terminal(["backup", "delete", "keep", "--storage-location", loc], ["maybe", "y"])
    assert rc == 0 and out.count("(Y/N)?") == 2 and 'Backup "keep" deleted' in out  # asked again, as velero
    assert not (tmp_path / "bucket" / "backups" / "keep").exists()
    run("backup", "create", "keep", "--from-manifests", str(DEMO), "--storage-location", loc, check=0)
    p = subprocess.run([CLI, "backup", "delete", "keep", "--storage-location", loc], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "pass --confirm" in p.stderr


# ---- named locations ---------------------------------------------------------------------------

def test_named_locations_in_the_locations_file(tmp_path, config):
    p = run("backup", "get", check=1)  # no location and no default: say how
    assert "no storage location: pass --storage-location" in p.stderr and "--default" in p.stderr
    run("backup-location", "create", "primary", "--provider", "file", "--bucket", str(tmp_path / "b1"), "--default",
        check=0)
    p = run("backup-location", "create", "second", "--provider", "file", "--bucket", str(tmp_path / "b2"),
            "--prefix", "p", "--labels", "env=test", "--config", "k=v,k2=v2", check=0)
    assert p.stdout == 'Backup storage location "second" configured successfully.\n'
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    p = run("backup-location", "create", "third", "--provider", "file", "--bucket", "x", "--default", check=1)
    assert "there is already exist default backup storage location" in p.stderr
    assert "--provider is required" in run("backup-location", "create", "x", "--bucket", "b", check=1).stderr
    assert "not supported" in run("backup-location", "create", "g", "--provider", "gcp", "--bucket", "b", check=1).stderr
    printed = json.loads(run("backup-location", "create", "shown", "--provider", "aws", "--bucket", "bk",
                             "-o", "json", check=0).stdout)
    assert printed["kind"] == "BackupStorageLocation" and printed["spec"]["provider"] == "aws"

    rows = [r.split() for r in run("backup-location", "get", check=0).stdout.splitlines()]
    assert rows[0] == ["NAME", "PROVIDER", "BUCKET/PREFIX", "PHASE", "LAST", "VALIDATED", "ACCESS", "MODE", "DEFAULT",
                       "SOURCE"]
    assert rows[1][:8] == ["primary", "file", str(tmp_path / "b1"), "Unknown", "Unknown", "ReadWrite", "true",
                           str(config)]
    assert rows[2][:3] == ["second", "file", f"{tmp_path / 'b2'}/p"]
    got = json.loads(run("backup-location", "get", "second", "-o", "json", check=0).stdout)
    assert got["metadata"]["labels"] == {"env": "test"} and got["spec"]["config"] == {"k": "v", "k2": "v2"}
    assert run("backup-location", "get", "--default", check=0).stdout.splitlines()[1].split()[0] == "primary"
    assert run("backup-location", "get", "-l", "env=test", check=0).stdout.splitlines()[1].split()[0] == "second"

    # The default needs no --storage-location; a name picks another; the Backup records the name.
    run("backup", "create", "d1", "--from-manifests", str(DEMO), check=0)
    assert (tmp_path / "b1" / "backups" / "d1" / "velero-backup.json").exists()
    run("backup", "create", "d2", "--from-manifests", str(DEMO), "--storage-location", "second", check=0)
    record = json.loads((tmp_path / "b2" / "p" / "backups" / "d2" / "velero-backup.json").read_text())
    assert record["spec"]["storageLocation"] == "second"
    assert run("backup", "get", "--storage-location", "second", check=0).stdout.splitlines()[1].split()[0] == "d2"
    p = run("backup", "get", "--storage-location", "typo", check=1)
    assert 'storage location "typo": no location of that name in ' + str(config) in p.stderr

    # set --default: velero's rule (unset the other first), then the default moves.
    p = run("backup-location", "set", "second", "--default", check=1)
    assert 'there are already exist default backup storage locations ("primary"), please unset them first' in p.stderr
    run("backup-location", "set", "primary", "--default=false", check=0)
    run("backup-location", "set", "second", "--default", check=0)
    assert "already the default" in run("backup-location", "set", "second", "--default", check=0).stdout
    assert run("backup", "get", check=0).stdout.splitlines()[1].split()[0] == "d2"

    # delete: the location goes from the file, the backups stay.
    assert "pass --confirm" in run("backup-location", "delete", "second", check=1).stderr
    p = run("backup-location", "delete", "second", "--confirm", check=0)
    assert p.stdout == 'Backup storage location "second" deleted successfully.\n'
    assert (tmp_path / "b2" / "p" / "backups" / "d2" / "velero-backup.json").exists()
    assert "No backup-locations found" in run("backup-location", "delete", "-l", "env=none", "--confirm", check=0).stdout
    assert [r.split()[0] for r in run("backup-location", "get", check=0).stdout.splitlines()[1:]] == ["primary"]


@pytest.fixture
def velero_cluster(tmp_path):
    """The test API server with Velero's BackupStorageLocation CRD and the velero namespace."""
    seed = tmp_path / "seed"
    seed.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "velero" / "velero.io_backupstoragelocations.yaml", seed / "bsl-crd.yaml")
    (seed / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: velero\n")
    binary = BUILD / "tests" / "support" / "kube-test-server"
    kubeconfig, port_file = tmp_path / "kubeconfig", tmp_path / "port"
    proc = subprocess.Popen([str(binary), "--port", "0", "--seed", str(seed), "--write-kubeconfig", str(kubeconfig),
                             "--port-file", str(port_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (kubeconfig.exists() and port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "kube-test-server did not start"
            time.sleep(0.05)
        yield kubeconfig, f"http://127.0.0.1:{port_file.read_text().strip()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bsl_url(server, name=""):
    return f"{server}/apis/velero.io/v1/namespaces/velero/backupstoragelocations" + (f"/{name}" if name else "")


def test_named_locations_as_backup_storage_location_crs(tmp_path, config, velero_cluster):
    kubeconfig, server = velero_cluster
    kc = ["--kubeconfig", str(kubeconfig)]
    # A CR that only the cluster has (as velero install makes one) is found by name, and as the default.
    cr = {"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
          "metadata": {"name": "default", "namespace": "velero"},
          "spec": {"provider": "file", "default": True, "objectStorage": {"bucket": str(tmp_path / "incluster")}}}
    req = urllib.request.Request(bsl_url(server), data=json.dumps(cr).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    run("backup", "create", "c1", "--from-manifests", str(DEMO), *kc, check=0)  # no --storage-location: the default CR
    assert (tmp_path / "incluster" / "backups" / "c1" / "velero-backup.json").exists()
    run("backup", "get", "--storage-location", "default", *kc, check=0)
    rows = [r.split() for r in run("backup-location", "get", *kc, check=0).stdout.splitlines()]
    assert rows[1][0] == "default" and rows[1][-1] == "cluster"

    # create with a named cluster: the file and the CR; velero's default rule spans both.
    p = run("backup-location", "create", "mine", "--provider", "file", "--bucket", str(tmp_path / "mine"),
            "--labels", "by=vbackup", *kc, check=0)
    assert "BackupStorageLocation velero/mine created in" in p.stdout
    made = json.loads(urllib.request.urlopen(bsl_url(server, "mine")).read())
    assert made["spec"]["objectStorage"]["bucket"] == str(tmp_path / "mine")
    assert made["metadata"]["labels"] == {"by": "vbackup"}
    assert "mine" in config.read_text()
    p = run("backup-location", "create", "second-default", "--provider", "file", "--bucket", "x", "--default", *kc,
            check=1)
    assert "already exist default backup storage location" in p.stderr and "in the cluster" in p.stderr

    # set and delete reach the CR too.
    run("backup-location", "set", "default", "--default=false", *kc, check=0)
    assert json.loads(urllib.request.urlopen(bsl_url(server, "default")).read())["spec"].get("default") in (None, False)
    run("backup-location", "delete", "mine", "--confirm", *kc, check=0)
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(bsl_url(server, "mine"))
    assert gone.value.code == 404
    assert "mine" not in config.read_text()
