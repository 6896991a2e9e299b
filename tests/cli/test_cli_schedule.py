"""vbackup schedule (brief i13-schedule, spec §4.4) against the kube-test-server program with Velero's
CRDs (tests/data/velero), checked with the real kubectl: create (and -o yaml without a cluster, which
kubectl then creates), get's columns, describe, pause/unpause, delete; an invalid cron expression; and
restore --from-schedule taking the newest Completed backup."""
import json
import os
import re
import subprocess
import time

from test_cli import DEMO
from test_cli_record import ROOT, run, start

import pytest


@pytest.fixture
def cluster(tmp_path):
    ctx, server = start(tmp_path, ROOT / "tests" / "data" / "velero")
    with ctx:
        deadline = time.monotonic() + 10
        while not os.path.exists(server.kubeconfig) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server


def kubectl(server, tmp_path, *args, check=True):
    home = tmp_path / "kubectl-home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), KUBECONFIG=server.kubeconfig)
    p = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, f"kubectl {args}: {p.stderr}"
    return p


def test_create_get_describe_pause_delete(cluster, tmp_path):
    kc = ["--kubeconfig", cluster.kubeconfig]
    p = run("schedule", "create", "nightly", "--schedule", "0 1 * * *", "--include-namespaces", "demo", "--ttl", "24h",
            "--labels", "team=a", "-l", "app=web", "--use-owner-references-in-backup", "--skip-immediately", *kc)
    assert p.stdout == 'Schedule "nightly" created successfully.\n'
    cr = json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "nightly", "-o", "json").stdout)
    assert cr["spec"]["schedule"] == "0 1 * * *"
    assert cr["spec"]["template"]["includedNamespaces"] == ["demo"]
    assert cr["spec"]["template"]["ttl"] == "24h0m0s"
    assert cr["spec"]["template"]["labelSelector"] == {"matchLabels": {"app": "web"}}
    assert cr["spec"]["useOwnerReferencesInBackup"] is True and cr["spec"]["skipImmediately"] is True
    assert "paused" not in cr["spec"]
    assert cr["metadata"]["labels"] == {"team": "a"}
    # Without --include-namespaces, velero's flag default "*".
    run("schedule", "create", "hourly", "--schedule", "@every 1h", "--paused", *kc)
    cr = json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "hourly", "-o", "json").stdout)
    assert cr["spec"]["template"]["includedNamespaces"] == ["*"] and cr["spec"]["paused"] is True
    assert cr["spec"]["useOwnerReferencesInBackup"] is False  # velero writes it always

    table = run("schedule", "get", *kc).stdout.splitlines()
    assert re.split(r"\s{3,}", table[0]) == ["NAME", "STATUS", "CREATED", "SCHEDULE", "BACKUP TTL", "LAST BACKUP",
                                             "SELECTOR", "PAUSED"]
    rows = {re.split(r"\s{3,}", line)[0]: re.split(r"\s{3,}", line) for line in table[1:]}
    assert rows["nightly"][1] == "New" and rows["nightly"][3] == "0 1 * * *" and rows["nightly"][4] == "24h0m0s"
    assert rows["nightly"][5] == "n/a" and rows["nightly"][6] == "app=web" and rows["nightly"][7] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", rows["nightly"][2])
    assert rows["hourly"][3] == "@every 1h" and rows["hourly"][4] == "0s" and rows["hourly"][7] == "true"
    assert [s["metadata"]["name"] for s in json.loads(run("schedule", "get", "-o", "json", "-l", "team=a", *kc).stdout)["items"]] == ["nightly"]
    assert json.loads(run("schedule", "get", "nightly", "-o", "json", *kc).stdout)["kind"] == "Schedule"

    text = run("schedule", "describe", "nightly", *kc).stdout
    assert re.search(r"^Name:\s+nightly$", text, re.M) and re.search(r"^Phase:\s+New$", text, re.M)
    assert re.search(r"^Schedule:\s+0 1 \* \* \*$", text, re.M) and re.search(r"^Last Backup:\s+<never>$", text, re.M)
    assert re.search(r"^\s+TTL:\s+24h0m0s$", text, re.M)

    p = run("schedule", "pause", "nightly", *kc)
    assert p.stdout == "Schedule nightly paused successfully\n"
    cr = json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "nightly", "-o", "json").stdout)
    assert cr["spec"]["paused"] is True and "skipImmediately" not in cr["spec"]  # velero resets it to nil
    assert run("schedule", "pause", "nightly", *kc).stdout == "Schedule nightly is already paused, skip\n"
    p = run("schedule", "unpause", "--all", "--skip-immediately", *kc)
    assert sorted(p.stdout.splitlines()) == ["Schedule hourly unpaused successfully", "Schedule nightly unpaused successfully"]
    cr = json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "nightly", "-o", "json").stdout)
    assert cr["spec"].get("paused", False) is False and cr["spec"]["skipImmediately"] is True

    p = run("schedule", "delete", "nightly", *kc, check=1)
    assert "--confirm" in p.stderr
    assert run("schedule", "delete", "--all", "--confirm", *kc).stdout.splitlines() == [
        "Schedule deleted: hourly", "Schedule deleted: nightly"]
    assert json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "-o", "json").stdout)["items"] == []
    assert run("schedule", "delete", "--all", "--confirm", *kc).stdout == "No schedules found\n"
    p = run("schedule", "get", "nope", *kc, check=1)
    assert "nope" in p.stderr and "NotFound" in p.stderr


def test_yaml_without_a_cluster_is_what_kubectl_creates(cluster, tmp_path):
    p = run("schedule", "create", "weekly", "--schedule", "CRON_TZ=Europe/Berlin 0 3 * * SUN", "--exclude-namespaces",
            "kube-system", "-o", "yaml")
    manifest = tmp_path / "weekly.yaml"
    manifest.write_text(p.stdout)
    kubectl(cluster, tmp_path, "create", "-f", str(manifest))
    got = json.loads(run("schedule", "get", "weekly", "-o", "json", "--kubeconfig", cluster.kubeconfig).stdout)
    assert got["spec"]["schedule"] == "CRON_TZ=Europe/Berlin 0 3 * * SUN"
    assert got["spec"]["template"]["excludedNamespaces"] == ["kube-system"]
    listed = kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero").stdout
    assert "weekly" in listed


def test_invalid_cron_is_refused_with_velero_words(cluster, tmp_path):
    p = run("schedule", "create", "bad", "--schedule", "0 0 * * 7", "--kubeconfig", cluster.kubeconfig, check=1)
    assert p.stderr == ('An error occurred: --schedule "0 0 * * 7": invalid schedule: end of range (7) above '
                        "maximum (6): 7\n")
    p = run("schedule", "create", "bad", "--schedule", "TZ=Mars/Olympus @daily", "-o", "yaml", check=1)
    assert "provided bad location Mars/Olympus: unknown time zone Mars/Olympus" in p.stderr
    p = run("schedule", "create", "bad", "--kubeconfig", cluster.kubeconfig, check=1)
    assert "--schedule is required" in p.stderr
    assert json.loads(kubectl(cluster, tmp_path, "get", "schedules", "-n", "velero", "-o", "json").stdout)["items"] == []


def test_restore_from_schedule_skips_a_newer_backup_that_is_not_completed(tmp_path):
    # Velero's mostRecentCompletedBackup: newest start first, the first Completed wins.
    loc = f"file://{tmp_path / 'bucket'}"
    for name in ["daily-1", "daily-2"]:
        run("backup", "create", name, "--from-manifests", str(DEMO), "--labels", "velero.io/schedule-name=daily",
            "--storage-location", loc)
        time.sleep(1.1)  # start timestamps are whole seconds
    stored = tmp_path / "bucket" / "backups" / "daily-2" / "velero-backup.json"
    b = json.loads(stored.read_text())
    b["status"]["phase"] = "PartiallyFailed"
    stored.write_text(json.dumps(b))
    plan = json.loads(run("restore", "create", "--from-schedule", "daily", "--dry-run", "-o", "json",
                          "--storage-location", loc).stdout)
    assert plan["restore"]["spec"]["backupName"] == "daily-1"
    p = run("restore", "create", "--from-schedule", "weekly", "--dry-run", "--storage-location", loc, check=1)
    assert "No backups found for schedule" in p.stderr


def test_create_without_velero_crds_says_what_is_missing(tmp_path):
    ctx, server = start(tmp_path)
    with ctx:
        deadline = time.monotonic() + 10
        while not os.path.exists(server.kubeconfig) and time.monotonic() < deadline:
            time.sleep(0.05)
        p = run("schedule", "create", "nightly", "--schedule", "@daily", "--kubeconfig", server.kubeconfig, check=1)
        assert "schedule create:" in p.stderr
        assert "the Schedule needs Velero's CRDs and the namespace \"velero\" in the cluster" in p.stderr
