"""The HTTP answer behind a failure, from the library (issue 15: "exceptions per error category with
the Kubernetes HTTP status where there is one"; brief s3-docs): ``err.http_status`` and
``err.reason`` come from vbk_last_error_http_status/_reason, read on the thread that made the call,
for the Kubernetes API (403 Forbidden, 404 NotFound) and the object stores (S3's NoSuchBucket
from moto, AuthorizationFailure from Azurite); None for failures without an HTTP answer."""
import base64
import json
import time
import urllib.request

import pytest

import vbackup
from vbackup import _lib
from emulators import BUILD, ROOT, free_port, process


@pytest.fixture
def velero_server(tmp_path):
    """The test API server with Velero's CRDs; its URL and kubeconfig."""
    port = free_port()
    kubeconfig = tmp_path / "kubeconfig"
    cmd = [str(BUILD / "tests" / "support" / "kube-test-server"), "--port", str(port), "--crd-delay-ms", "0",
           "--seed", str(ROOT / "tests" / "data" / "velero"), "--write-kubeconfig", str(kubeconfig)]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", kubeconfig


def control(url: str, body: dict) -> None:
    req = urllib.request.Request(f"{url}/__control", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def test_403_forbidden_from_the_api_server(velero_server):
    url, kubeconfig = velero_server
    control(url, {"unreadable": [{"resource": "downloadrequests.velero.io", "code": 403}]})
    with vbackup.Cluster(kubeconfig) as c:
        with pytest.raises(vbackup.KubeError) as err:
            vbackup.reconcile_download_request(c, "velero", "dr")
        assert (err.value.http_status, err.value.reason) == (403, "Forbidden")
        assert "forbidden" in err.value.message


def test_404_not_found_from_the_api_server(velero_server):
    _, kubeconfig = velero_server
    with vbackup.Cluster(kubeconfig) as c:
        with pytest.raises(vbackup.NotFoundError) as err:
            vbackup.request_backup_deletion("missing", cluster=c)
    assert (err.value.http_status, err.value.reason) == (404, "NotFound")


def test_the_answer_is_read_on_the_thread_that_made_the_call(velero_server, location):
    # A backup runs on a helper thread (so that Ctrl-C stays possible): its last error, and the HTTP
    # answer with it, are read there. A Backup CR left behind takes the name: the backup fails with
    # the API server's refusal as its failureReason, which carries no HTTP answer of its own.
    url, kubeconfig = velero_server
    spec = {"includedNamespaces": ["velero"]}
    with vbackup.Cluster(kubeconfig) as c:
        vbackup.backup(spec, name="taken", location=location, cluster=c, record_in_cluster=True)
        with vbackup.Location(location) as loc:
            loc.delete_backup("taken")  # the files only: the Backup CR stays and keeps the name
        control(url, {"unreadable": [{"resource": "downloadrequests.velero.io", "code": 403}]})
        with pytest.raises(vbackup.KubeError):  # the main thread's last error: a 403
            vbackup.reconcile_download_request(c, "velero", "dr")
        with pytest.raises(vbackup.AlreadyExistsError) as err:
            vbackup.backup(spec, name="taken", location=location, cluster=c, record_in_cluster=True)
    assert "kubectl delete backup taken -n velero" in err.value.message
    assert (err.value.http_status, err.value.reason) == (None, None)


def test_no_such_bucket_from_moto(moto_s3, monkeypatch):
    for k, v in moto_s3.env.items():
        monkeypatch.setenv(k, v)
    with vbackup.Location(moto_s3.location.replace("s3://vbk-test/", "s3://no-such-bucket/")) as loc:
        with pytest.raises(vbackup.StorageError) as err:
            loc.list_backups()
    assert (err.value.http_status, err.value.reason) == (404, "NoSuchBucket")
    assert "no-such-bucket" in err.value.message


def test_authentication_failed_from_azurite(azurite, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_ACCESS_KEY", base64.b64encode(b"not the key" * 3).decode())
    with vbackup.Location(azurite.location) as loc:
        with pytest.raises(vbackup.StorageError) as err:
            loc.list_backups()
    # Azurite's code for a wrong key (Azure's own is AuthenticationFailed): the service's, as sent.
    assert (err.value.http_status, err.value.reason) == (403, "AuthorizationFailure"), err.value.message


def test_failures_without_an_http_answer_have_none(location, demo_manifests):
    with vbackup.Location(location) as loc:
        with pytest.raises(vbackup.NotFoundError) as err:
            loc.get_backup("nope")
        assert (_lib.last_error_http_status(), _lib.last_error_reason()) == (0, b"")  # the C ABI says 0
    assert (err.value.http_status, err.value.reason) == (None, None)
    vbackup.backup({"includedNamespaces": ["demo"]}, name="b", location=location, from_manifests=demo_manifests)
    with pytest.raises(vbackup.AlreadyExistsError) as err:  # taken in the location: no HTTP involved
        vbackup.backup({"includedNamespaces": ["demo"]}, name="b", location=location, from_manifests=demo_manifests)
    assert (err.value.http_status, err.value.reason) == (None, None)
