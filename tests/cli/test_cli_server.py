"""`vbackup server` (issue 13, brief i13-server): a Backup and a Restore created with the real kubectl
in the kube-test-server program are carried out by the CLI's server (Completed CRs, files in the
bucket), /metrics answers Velero's names in the text format, and SIGTERM stops it: exit 0, the
Lease released."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request

from emulators import ROOT
from test_cli import CLI
from test_cli_record import start


def kubectl(kubeconfig, home, *args, stdin=None):
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(home))
    p = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, f"kubectl {args}: {p.stdout}\n{p.stderr}"
    return p.stdout


def wait_until(pred, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return None


def phase(server, plural, name):
    cr = server.cr(plural, name)
    return (cr or {}).get("status", {}).get("phase")


def test_server_carries_out_kubectl_created_backup_and_restore(tmp_path):
    ctx, s = start(tmp_path, ROOT / "tests" / "data" / "velero")
    with ctx:
        assert wait_until(lambda: os.path.exists(s.kubeconfig), 10)
        bucket = tmp_path / "bucket"
        kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
            f"spec: {{provider: file, default: true, objectStorage: {{bucket: '{bucket}'}}}}\n"))
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        proc = subprocess.Popen([CLI, "server", "--kubeconfig", s.kubeconfig, "--metrics-address", "127.0.0.1:0",
                                 "--watch-timeout", "1s", "--leader-elect-retry-period", "200ms"],
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            # stderr drained on a thread (a full pipe would block the server's log).
            lines = []
            threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
            m = wait_until(lambda: next((re.search(r"metrics on port (\d+)", x) for x in list(lines)
                                         if "metrics on port" in x), None), 10)
            assert m, lines
            port = int(m.group(1))
            kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b1, namespace: velero}\n"
                "spec: {includedNamespaces: [demo]}\n"))
            assert wait_until(lambda: phase(s, "backups", "b1") == "Completed"), (s.cr("backups", "b1"), lines)
            assert (bucket / "backups" / "b1" / "velero-backup.json").exists()
            kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r1, namespace: velero}\n"
                "spec: {backupName: b1, namespaceMapping: {demo: demo-r1}}\n"))
            assert wait_until(lambda: phase(s, "restores", "r1") == "Completed"), s.cr("restores", "r1")
            kubectl(s.kubeconfig, tmp_path, "get", "namespace", "demo-r1")
            # spec §4.4: a Schedule created with kubectl makes <schedule>-<yyyyMMddHHmmss> backups.
            kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: nightly, namespace: velero}\n"
                "spec: {schedule: '@every 1s', template: {includedNamespaces: [demo]}}\n"))

            def scheduled():
                out = kubectl(s.kubeconfig, tmp_path, "get", "backups", "-n", "velero", "-l",
                              "velero.io/schedule-name=nightly", "-o", "json")
                return [b for b in json.loads(out)["items"] if b.get("status", {}).get("phase") == "Completed"]
            done = wait_until(scheduled)
            assert done, lines
            assert re.fullmatch(r"nightly-\d{14}", done[0]["metadata"]["name"])
            assert (bucket / "backups" / done[0]["metadata"]["name"] / "velero-backup.json").exists()
            assert phase(s, "schedules", "nightly") == "Enabled"
            # spec §3.3: with a server running, `backup delete` goes through it (a DeleteBackupRequest).
            p = subprocess.run([CLI, "backup", "delete", "b1", "--confirm", "--kubeconfig", s.kubeconfig,
                                "--storage-location", f"file://{bucket}"], capture_output=True, text=True, env=env,
                               timeout=60)
            assert p.returncode == 0, p.stderr
            assert "a vbackup server runs in the cluster" in p.stderr
            assert 'Request to delete backup "b1" submitted successfully.' in p.stdout
            assert wait_until(lambda: s.cr("backups", "b1") is None), s.cr("backups", "b1")
            assert not (bucket / "backups" / "b1").exists()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
                body = r.read().decode()
                assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert 'velero_backup_success_total{schedule=""} 1\n' in body
            assert 'velero_restore_attempt_total{schedule=""} 1\n' in body
            assert "# TYPE velero_backup_duration_seconds histogram\n" in body
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with urllib.request.urlopen(f"{s.url}/apis/coordination.k8s.io/v1/namespaces/velero/leases/vbackup-server") as r:
            lease = json.loads(r.read())
        assert lease["spec"]["holderIdentity"] == ""


def control(server, body):
    req = urllib.request.Request(f"{server.url}/__control", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def test_server_killed_mid_backup_leaves_it_failed_after_restart_and_nothing_visible(tmp_path):
    ctx, s = start(tmp_path, ROOT / "tests" / "data" / "velero")
    with ctx:
        assert wait_until(lambda: os.path.exists(s.kubeconfig), 10)
        bucket = tmp_path / "bucket"
        kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: big}\n---\n"
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
            f"spec: {{provider: file, default: true, objectStorage: {{bucket: '{bucket}'}}}}\n"))
        for i in range(0, 400, 100):
            kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin="".join(
                f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{n}, namespace: big}}\ndata: {{k: '{'x' * 2000}'}}\n"
                for n in range(i, i + 100)))
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        cmd = [CLI, "server", "--kubeconfig", s.kubeconfig, "--metrics-address", "", "--watch-timeout", "1s",
               "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1s",
               "--leader-elect-retry-period", "200ms"]
        first = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
        try:
            # Every answer held back, so the backup is still running when the server is killed.
            control(s, {"delay": {"milliseconds": 30, "count": -1}})
            kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: big, namespace: velero}\n"
                "spec: {includedNamespaces: [big]}\n"))
            assert wait_until(lambda: phase(s, "backups", "big") == "InProgress")
            time.sleep(1)
            first.kill()
            first.wait()
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        control(s, {"delay": None})
        assert phase(s, "backups", "big") == "InProgress"
        second = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
        try:
            # The dead server's Lease expires (2 s), the new one takes it and sweeps (server.go).
            assert wait_until(lambda: phase(s, "backups", "big") == "Failed", 30)
            cr = s.cr("backups", "big")
            assert cr["status"]["failureReason"] == \
                'found a backup with status "InProgress" during the server starting, mark it as "Failed"'
            assert not (bucket / "backups" / "big" / "velero-backup.json").exists()
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()


def test_backup_and_restore_create_submit_wait_through_a_running_server(tmp_path):
    ctx, s = start(tmp_path, ROOT / "tests" / "data" / "velero")
    with ctx:
        assert wait_until(lambda: os.path.exists(s.kubeconfig), 10)
        bucket = tmp_path / "bucket"
        kubectl(s.kubeconfig, tmp_path, "create", "-f", "-", stdin=(
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
            f"spec: {{provider: file, default: true, objectStorage: {{bucket: '{bucket}'}}}}\n"))
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        server = subprocess.Popen([CLI, "server", "--kubeconfig", s.kubeconfig, "--metrics-address", "",
                                   "--watch-timeout", "1s", "--leader-elect-retry-period", "200ms"],
                                  stderr=subprocess.DEVNULL, env=env)
        try:
            def cli(*args):
                return subprocess.run([CLI, *args, "--kubeconfig", s.kubeconfig], capture_output=True, text=True,
                                      timeout=120, env=env)
            # Without --wait: submitted, velero's words; the server carries it out.
            p = cli("backup", "create", "sub1", "--include-namespaces", "demo", "--submit")
            assert p.returncode == 0, p.stderr
            assert p.stdout.startswith('Backup request "sub1" submitted successfully.\n')
            assert wait_until(lambda: phase(s, "backups", "sub1") == "Completed")
            # --wait: polls to the terminal phase.
            p = cli("backup", "create", "sub2", "--include-namespaces", "demo", "--submit", "--wait")
            assert p.returncode == 0, p.stdout + p.stderr
            assert "Backup completed with status: Completed." in p.stdout
            assert (bucket / "backups" / "sub2" / "velero-backup.json").exists()
            p = cli("restore", "create", "rsub", "--from-backup", "sub2", "--namespace-mappings", "demo:demo-rsub",
                    "--submit", "--wait")
            assert p.returncode == 0, p.stdout + p.stderr
            assert "Restore completed with status: Completed." in p.stdout
            # backup get / restore get --from-cluster read the CRs (velero's view).
            p = cli("backup", "get", "--from-cluster", "-o", "json")
            assert p.returncode == 0, p.stderr
            got = json.loads(p.stdout)
            assert got["kind"] == "BackupList"
            assert {b["metadata"]["name"]: b["status"]["phase"] for b in got["items"]} == \
                {"sub1": "Completed", "sub2": "Completed"}
            p = cli("backup", "get", "--from-cluster", "sub2")
            assert p.returncode == 0 and "sub2" in p.stdout and "Completed" in p.stdout, p.stdout + p.stderr
            p = cli("restore", "get", "--from-cluster", "rsub", "-o", "json")
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout)["status"]["phase"] == "Completed"
            p = cli("backup", "get", "--from-cluster", "nope")
            assert p.returncode == 1 and 'backups.velero.io "nope" not found' in p.stderr, p.stderr
            # A name taken: the create is refused.
            p = cli("backup", "create", "sub1", "--submit")
            assert p.returncode == 1
            assert 'Backup "sub1" already exists in namespace "velero"' in p.stderr
            # An invalid one ends FailedValidation: exit 1.
            p = cli("backup", "create", "bad", "--storage-location", "nowhere", "--submit", "--wait")
            assert p.returncode == 1, p.stdout + p.stderr
            assert "Backup completed with status: FailedValidation." in p.stdout
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
