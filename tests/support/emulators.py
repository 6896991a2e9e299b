"""Real emulators for the Python and CLI tests, started on free loopback ports and stopped at the
end (test-infrastructure.md §3–§5): moto server and s3rver for S3, Azurite for Azure Blob, and the
project's kube-test-server for the Kubernetes API. A fixture that cannot start its emulator fails
the test with the emulator's output; nothing is skipped.

Each fixture yields a small object with `location` (a vbackup location URL) and `env` (the
credentials the library reads from the environment)."""
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(os.environ.get("VBK_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("VBK_BUILD_ROOT", ROOT / "build"))
NODE_BIN = ROOT / "tests" / "support" / "node_modules" / ".bin"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BUCKET = "vbk-test"


@dataclass
class Emulator:
    location: str
    env: Dict[str, str] = field(default_factory=dict)
    url: str = ""
    kubeconfig: Optional[Path] = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def process(cmd: List[str], port: int, name: str, timeout: float = 30, env=None):
    log = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if p.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"{name} did not start ({' '.join(cmd)}):\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.05)
        yield p
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def _moto_python() -> str:
    # moto lives in the image's pyenv Python, not in Debian's (test-infrastructure.md §2).
    for candidate in [shutil.which("python3"), os.path.expanduser("~/.pyenv/shims/python3")]:
        if candidate and subprocess.run([candidate, "-c", "import moto.server"], capture_output=True).returncode == 0:
            return candidate
    pytest.fail("moto server is not available: no python3 with the moto package on PATH")


@pytest.fixture
def moto_s3():
    port = free_port()
    with process([_moto_python(), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, "moto server"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("PUT", f"/{BUCKET}")  # without auth configured, moto accepts unsigned requests
        assert conn.getresponse().status == 200
        yield Emulator(
            location=f"s3://{BUCKET}/moto?region=us-east-1&s3ForcePathStyle=true&s3Url=http://127.0.0.1:{port}",
            env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
            url=f"http://127.0.0.1:{port}")


@pytest.fixture
def s3rver(tmp_path):
    port = free_port()
    cmd = [str(NODE_BIN / "s3rver"), "-d", str(tmp_path / "s3rver"), "-a", "127.0.0.1", "-p", str(port), "-s",
           "--configure-bucket", BUCKET]
    (tmp_path / "s3rver").mkdir()
    with process(cmd, port, "s3rver"):
        yield Emulator(
            location=f"s3://{BUCKET}/team?region=us-east-1&s3ForcePathStyle=true&s3Url=http://127.0.0.1:{port}",
            env={"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"},
            url=f"http://127.0.0.1:{port}")


@pytest.fixture
def azurite(tmp_path):
    port = free_port()
    cmd = [str(NODE_BIN / "azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
           str(tmp_path / "azurite"), "--disableTelemetry", "-s"]
    (tmp_path / "azurite").mkdir()
    with process(cmd, port, "Azurite"):
        endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
        subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "azure_sharedkey_client.py"), "--endpoint",
                        endpoint, "--account", "devstoreaccount1", "--key", AZURITE_KEY, "create-container", BUCKET],
                       check=True, capture_output=True)
        yield Emulator(
            location=(f"azure://{BUCKET}/velero?storageAccount=devstoreaccount1"
                      f"&storageAccountKeyEnvVar=AZURE_STORAGE_ACCOUNT_ACCESS_KEY&storageAccountURI={endpoint}"),
            env={"AZURE_STORAGE_ACCOUNT_ACCESS_KEY": AZURITE_KEY},
            url=endpoint)


@contextlib.contextmanager
def csi_cluster(directory: Path):
    """A test API server seeded with the demo application and its CSI volume (examples/csi: a
    StorageClass and a labelled VolumeSnapshotClass of the fake driver hostpath.csi.k8s.io, a claim
    bound to a CSI volume), its kubeconfig in `directory`. The fake CSI world answers on
    /__control (csi_control)."""
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    kubeconfig = directory / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--crd-delay-ms", "0", "--write-kubeconfig", str(kubeconfig),
           "--seed", str(ROOT / "examples" / "manifests"), "--seed", str(ROOT / "examples" / "csi")]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield Emulator(location="", url=f"http://127.0.0.1:{port}", kubeconfig=kubeconfig)


def csi_control(url: str, body=None):
    """The fake CSI world's control endpoint: POST a switch ({"csi": {…}}), or GET the storage's
    snapshot handles (no body)."""
    import json
    import urllib.request
    req = urllib.request.Request(f"{url}/__control" + ("" if body else "/snapshots"),
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"}, method="POST" if body else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def api_get(url: str, path: str):
    """GET a path of the test API server as JSON (None on 404)."""
    import json
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url + path) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


@pytest.fixture
def kube_server(tmp_path):
    """The test API server seeded with the demo application, and a kubeconfig for it."""
    binary = BUILD / "tests" / "support" / "kube-test-server"
    if not binary.exists():
        pytest.fail(f"{binary} is not built")
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(binary), "--port", str(port), "--seed", str(ROOT / "examples" / "manifests"),
           "--kubernetes-version", "v1.33.1", "--write-kubeconfig", str(kubeconfig)]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield Emulator(location="", url=f"http://127.0.0.1:{port}", kubeconfig=kubeconfig)
