"""DownloadRequests and ServerStatusRequests (issue 13, brief i13-requests): signed URLs fetched
without credentials from s3rver and Azurite, Velero's controller paths over dicts, and requests
created with kubectl in the test API server (Velero's CRDs), reconciled and read back."""
import datetime
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import vbackup
from emulators import BUILD, ROOT, free_port, process

NOW = "2026-12-06T10:00:00Z"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


@pytest.mark.parametrize("emulator", ["s3rver", "azurite"])
def test_download_url_is_fetched_without_credentials(emulator, request, monkeypatch):
    emu = request.getfixturevalue(emulator)
    for k, v in emu.env.items():
        monkeypatch.setenv(k, v)
    with vbackup.Location(emu.location) as loc:
        vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=loc,
                       from_manifests=ROOT / "examples" / "manifests")
        url = vbackup.download_url(loc, "BackupLog", "b1")
        assert url.startswith(emu.url)
        assert len(fetch(url)) > 0  # the gzipped log, as `velero backup logs` downloads it
        assert fetch(vbackup.download_url(loc, "BackupContents", "b1", ttl=datetime.timedelta(minutes=1)))[:2] == b"\x1f\x8b"
    if emulator == "azurite":
        with pytest.raises(urllib.error.HTTPError):
            fetch(url.replace("b1-logs.gz", "b1.tar.gz"))  # a SAS signs one blob


def test_download_url_errors(tmp_path):
    with pytest.raises(vbackup.UnsupportedError, match="velero client"):
        vbackup.download_url(f"file://{tmp_path}", "BackupLog", "b1")
    with pytest.raises(vbackup.InvalidError, match='unsupported download target kind "Bogus"'):
        vbackup.download_url(f"file://{tmp_path}", "Bogus", "b1")
    with pytest.raises(ValueError):
        vbackup.download_url(f"file://{tmp_path}", "BackupLog", "b1", ttl=0)


def test_process_download_request_paths(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    bsl = {"metadata": {"name": "default"}, "spec": {"provider": "aws", "objectStorage": {"bucket": "velero-b"},
                                                     "config": {"region": "eu-west-3"}}}
    backup = {"metadata": {"name": "b1"}, "spec": {"storageLocation": "default"}, "status": {"phase": "Completed"}}
    req = {"metadata": {"name": "r", "namespace": "velero"}, "spec": {"target": {"kind": "BackupResults", "name": "b1"}}}
    out = vbackup.process_download_request(req, backups=[backup], locations=[bsl], now=NOW)
    assert out["action"] == "updateStatus"
    assert out["status"]["phase"] == "Processed"
    assert out["status"]["expiration"] == "2026-12-06T10:10:00Z"
    assert out["status"]["downloadURL"].startswith("https://velero-b.s3.eu-west-3.amazonaws.com/backups/b1/b1-results.gz?")
    # A backup that wrote nothing yet: Failed with Velero's message.
    queued = dict(backup, status={"phase": "Queued"})
    out = vbackup.process_download_request(req, backups=[queued], locations=[bsl], now=NOW)
    assert out["status"] == {"phase": "Failed", "expiration": "2026-12-06T10:10:00Z",
                             "message": 'backup "b1" is in phase "Queued" and has not written any artifacts'}
    # Expired: deleted whatever the phase.
    expired = dict(req, status={"phase": "Processed", "expiration": "2026-12-06T09:59:59Z"})
    assert vbackup.process_download_request(expired, now=NOW)["action"] == "remove"
    with pytest.raises(vbackup.InvalidError, match="unknown key"):
        vbackup._lib.call_json(vbackup.requests._download_process, b"{}", b'{"bogus": 1}')


def test_process_server_status_request():
    out = vbackup.process_server_status_request({"metadata": {"name": "s"}}, now=datetime.datetime(
        2026, 12, 6, 10, 0, tzinfo=datetime.timezone.utc))
    st = out["status"]
    assert (out["action"], st["phase"], st["processedTimestamp"]) == ("updateStatus", "Processed", NOW)
    assert st["serverVersion"] == "v" + vbackup.version()
    assert {"name": "velero.io/aws", "kind": "ObjectStore"} in st["plugins"]
    assert {"name": "velero.io/pv", "kind": "BackupItemAction"} in st["plugins"]
    assert out["requeueAfter"] == "5m0s"
    done = {"status": {"phase": "Processed", "processedTimestamp": NOW}}
    assert vbackup.process_server_status_request(done, now="2026-12-06T10:00:30Z")["action"] == "none"
    assert vbackup.process_server_status_request(done, now="2026-12-06T10:01:00Z")["action"] == "remove"


@pytest.fixture
def velero_cluster(tmp_path):
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig),
           "--seed", str(ROOT / "tests" / "data" / "velero")]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield kubeconfig


def kubectl(kubeconfig, *args, stdin=None) -> str:
    r = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_velero_read_path_through_the_cluster(velero_cluster, s3rver, monkeypatch, tmp_path):
    """What `velero backup logs b1` does: create a DownloadRequest, wait for its URL, fetch it."""
    for k, v in s3rver.env.items():
        monkeypatch.setenv(k, v)
    with vbackup.Location(s3rver.location) as loc:
        vbackup.backup({"includedNamespaces": ["demo"]}, name="b1", location=loc,
                       from_manifests=ROOT / "examples" / "manifests")
        loc.download_backup("b1", tmp_path / "stored.tar.gz")  # what the bucket holds
    port = s3rver.url.rsplit(":", 1)[1]
    manifest = f"""apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {{name: default, namespace: velero}}
spec:
  provider: aws
  objectStorage: {{bucket: vbk-test, prefix: team}}
  config: {{region: us-east-1, s3ForcePathStyle: "true", s3Url: "http://127.0.0.1:{port}"}}
---
apiVersion: velero.io/v1
kind: Backup
metadata: {{name: b1, namespace: velero}}
spec: {{storageLocation: default}}
status: {{phase: Completed}}
---
apiVersion: velero.io/v1
kind: DownloadRequest
metadata: {{name: b1-logs, namespace: velero}}
spec: {{target: {{kind: BackupContents, name: b1}}}}
---
apiVersion: velero.io/v1
kind: ServerStatusRequest
metadata: {{name: velero-cli-1, namespace: velero}}
"""
    kubectl(velero_cluster, "create", "-f", "-", stdin=manifest)
    with vbackup.Cluster(kubeconfig=velero_cluster) as cluster:
        out = vbackup.reconcile_download_request(cluster, "velero", "b1-logs")
        assert out["status"]["phase"] == "Processed", out
        url = kubectl(velero_cluster, "get", "downloadrequest", "b1-logs", "-n", "velero", "-o",
                      "jsonpath={.status.downloadURL}")
        assert url == out["status"]["downloadURL"]
        # The URL serves the stored tarball, byte for byte.
        assert fetch(url) == (tmp_path / "stored.tar.gz").read_bytes()
        out = vbackup.reconcile_server_status_request(cluster, "velero", "velero-cli-1")
        assert out["action"] == "updateStatus"
        assert kubectl(velero_cluster, "get", "serverstatusrequest", "velero-cli-1", "-n", "velero", "-o",
                       "jsonpath={.status.phase}") == "Processed"
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=11))
        assert vbackup.reconcile_download_request(cluster, "velero", "b1-logs", now=later)["action"] == "remove"
        assert "b1-logs" not in kubectl(velero_cluster, "get", "downloadrequests", "-n", "velero", "-o", "name")
