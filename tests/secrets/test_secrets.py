"""Issue 16 "Secrets": known credentials (S3 access and secret keys, an Azure account key, a
kubeconfig bearer token and client key) and known Secret values (data and stringData of a Secret in
the cluster) go through backup, restore and their error paths (bad credentials, refused writes, a
restore meeting existing items, a broken client key); then every output is searched: stdout,
stderr, every object in the bucket (the backup and restore logs, results, the uploaded log files,
gunzipped), the C ABI's messages as Python exception texts. None may hold any of them. Secret
values are of course inside the backup tarball itself; that is not output (credentials may not be
there either).

TLS verification is on by default; turning it off (insecureSkipTLSVerify on S3,
insecure-skip-tls-verify in a kubeconfig) prints a warning once per process naming what."""
import base64
import gzip
import os
import re
import subprocess

import pytest

from emulators import ROOT, BUILD

CLI = os.environ.get("VBACKUP_CLI", str(BUILD / "tools" / "vbackup" / "vbackup"))

S3_ACCESS_KEY = "AKIAVBKKNOWNACCESS7Q"
S3_SECRET_KEY = "vbkKnownS3Secret/Key+0123456789abcdefXYZ"
AZURE_KEY = base64.b64encode(b"vbk-known-azure-account-key-0123456789abcdef012345").decode()
KUBE_TOKEN = "vbk-known-kube-bearer-token-9f2e71c4"
CLIENT_KEY_MARKER = "VBKKNOWNCLIENTKEYMATERIAL0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_DATA = "vbk-known-secret-data-value-3c1d"
SECRET_STRING_DATA = "vbk-known-secret-stringdata-value-8e4b"

CREDENTIALS = {"S3 access key": S3_ACCESS_KEY, "S3 secret key": S3_SECRET_KEY, "Azure account key": AZURE_KEY,
               "kube bearer token": KUBE_TOKEN, "kube client key": CLIENT_KEY_MARKER}
SECRET_VALUES = {"Secret data": SECRET_DATA, "Secret stringData": SECRET_STRING_DATA}


def forms(value: str):
    """The value as written, and base64-encoded (as a Secret's data or a kubeconfig's *-data holds it)."""
    return [value, base64.b64encode(value.encode()).decode()]


def leaks(text: str, known=None):
    known = known if known is not None else {**CREDENTIALS, **SECRET_VALUES}
    return [name for name, value in known.items() for f in forms(value) if f in text]


class Outputs:
    """Every text the test saw, with where it came from, for one final search."""

    def __init__(self):
        self.texts = []

    def add(self, where, text):
        self.texts.append((where, text))

    def assert_clean(self):
        found = [(where, leaks(text)) for where, text in self.texts if leaks(text)]
        assert not found, f"known secrets in outputs: {found}"


def run(out: Outputs, *args, env=None, expect=None):
    base = {k: v for k, v in os.environ.items()
            if k not in ("KUBECONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_ACCOUNT_ACCESS_KEY")}
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=dict(base, **(env or {})))
    out.add(f"vbackup {' '.join(args)}: stdout", p.stdout)
    out.add(f"vbackup {' '.join(args)}: stderr", p.stderr)
    if expect == 0:
        assert p.returncode == 0, f"{args}: {p.stderr}"
    elif expect == "fail":
        assert p.returncode != 0, f"{args} should fail: {p.stdout}"
    return p


def kubectl(kubeconfig, home, *args, stdin=None):
    home.mkdir(exist_ok=True)
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(home))
    p = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, f"kubectl {args}: {p.stderr}"
    return p.stdout


def with_token(kubeconfig, tmp_path, name="kubeconfig-token", extra_user="", extra_cluster=""):
    """The test server's kubeconfig with the known bearer token (the server does not check it)."""
    text = kubeconfig.read_text()
    text = re.sub(r"(\n\s*user:\s*)\{\}", r"\1{token: " + KUBE_TOKEN + extra_user + "}", text)
    if KUBE_TOKEN not in text:  # a block-style user
        text = re.sub(r"(\n(\s*)user:\s*\n)", lambda m: m.group(1) + m.group(2) + "  token: " + KUBE_TOKEN + "\n",
                      text, count=1)
    if extra_cluster:
        text = re.sub(r"(\n(\s*)server:\s*\S+\n)", lambda m: m.group(1) + m.group(2) + extra_cluster + "\n", text,
                      count=1)
    assert KUBE_TOKEN in text, text
    path = tmp_path / name
    path.write_text(text)
    return path


def bucket_objects(url, bucket, into):
    """Every object of the moto bucket, copied with the AWS CLI (gunzipped when gzip)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", HOME=str(into.parent))
    p = subprocess.run(["aws", "--endpoint-url", url, "s3", "cp", "--recursive", f"s3://{bucket}", str(into)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    for path in sorted(into.rglob("*")):
        if path.is_file():
            body = path.read_bytes()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            yield str(path.relative_to(into)), body.decode(errors="replace")


SECRET_MANIFEST = f"""apiVersion: v1
kind: Secret
metadata: {{name: known, namespace: demo}}
type: Opaque
data: {{password: {base64.b64encode(SECRET_DATA.encode()).decode()}}}
stringData: {{token: {SECRET_STRING_DATA}}}
"""


def test_backup_restore_and_error_paths_print_no_credential_and_no_secret_value(kube_server, moto_s3, s3rver,
                                                                                azurite, tmp_path):
    out = Outputs()
    kubectl(kube_server.kubeconfig, tmp_path / "home", "apply", "-f", "-", stdin=SECRET_MANIFEST)
    kubeconfig = with_token(kube_server.kubeconfig, tmp_path)
    creds = {"AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
             "KUBECONFIG": str(kubeconfig)}
    loc = moto_s3.location

    # The good path: backup, describe, logs, restore (twice: the second meets every item existing).
    run(out, "backup", "create", "b1", "--include-namespaces", "demo", "--storage-location", loc, env=creds,
        expect=0)
    for args in (["backup", "describe", "b1", "--details"], ["backup", "logs", "b1"], ["backup", "get"]):
        run(out, *args, "--storage-location", loc, env=creds, expect=0)
    for name in ("r1", "r2"):
        run(out, "restore", "create", name, "--from-backup", "b1", "--namespace-mappings", "demo:demo-r",
            "--storage-location", loc, env=creds)
        run(out, "restore", "describe", name, "--details", "--storage-location", loc, env=creds)
        run(out, "restore", "logs", name, "--storage-location", loc, env=creds)

    # Every object in the bucket: the backup's files and logs, the restores' logs and results.
    tarball_seen = False
    for key, text in bucket_objects(moto_s3.url, "vbk-test", tmp_path / "bucket"):
        if key.endswith("/b1.tar.gz"):
            tarball_seen = True
            # The Secret's values belong in the backup; the credentials never.
            assert not leaks(text, CREDENTIALS), key
            assert leaks(text, SECRET_VALUES), "the backup should hold the Secret"
            continue
        out.add(f"bucket object {key}", text)
    assert tarball_seen

    # Error paths. Refused writes: s3rver checks signatures, so the known keys are refused.
    run(out, "backup", "create", "b2", "--include-namespaces", "demo", "--storage-location", s3rver.location,
        env=creds, expect="fail")
    # (s3rver checks the key id only: this one writes, and its output is searched all the same.)
    run(out, "backup", "create", "b3", "--include-namespaces", "demo", "--storage-location", s3rver.location,
        env=dict(creds, AWS_ACCESS_KEY_ID="S3RVER"))
    # Azurite with a wrong account key.
    run(out, "backup", "create", "b4", "--include-namespaces", "demo", "--storage-location", azurite.location,
        env={"AZURE_STORAGE_ACCOUNT_ACCESS_KEY": AZURE_KEY, "KUBECONFIG": str(kubeconfig)}, expect="fail")
    run(out, "backup", "get", "--storage-location", azurite.location,
        env={"AZURE_STORAGE_ACCOUNT_ACCESS_KEY": AZURE_KEY}, expect="fail")
    # A kubeconfig whose client key is no key.
    key_pem = f"-----BEGIN PRIVATE KEY-----\n{CLIENT_KEY_MARKER}\n-----END PRIVATE KEY-----\n"
    bad_key = with_token(kube_server.kubeconfig, tmp_path, "kubeconfig-key",
                         extra_user=", client-certificate-data: "
                         + base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode()
                         + ", client-key-data: " + base64.b64encode(key_pem.encode()).decode())
    run(out, "backup", "create", "b5", "--storage-location", loc, env=dict(creds, KUBECONFIG=str(bad_key)),
        expect="fail")
    # A restore from a backup that does not exist, and one into a cluster that refuses the token's user.
    run(out, "restore", "create", "r3", "--from-backup", "nope", "--storage-location", loc, env=creds, expect="fail")

    out.assert_clean()


def test_python_exception_texts_hold_no_credential(azurite, s3rver, kube_server, monkeypatch, tmp_path):
    import vbackup
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_ACCESS_KEY", AZURE_KEY)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    kubeconfig = with_token(kube_server.kubeconfig, tmp_path)
    texts = []
    for location in (azurite.location, s3rver.location):
        with pytest.raises(vbackup.Error) as e:
            vbackup.backup({"includedNamespaces": ["demo"]}, name="p1", location=location, kubeconfig=kubeconfig)
        texts.append(str(e.value))
        with pytest.raises(vbackup.Error) as e:
            with vbackup.Location(location) as loc:
                loc.list_backups()
        texts.append(str(e.value))
    assert all(texts), texts
    assert not [t for t in texts if leaks(t)], texts


def test_tls_verification_off_warns_once_per_process_naming_what(kube_server, moto_s3, tmp_path):
    out = Outputs()
    creds = {"AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY}
    # On by default: nothing said.
    p = run(out, "backup", "get", "--storage-location", moto_s3.location, env=creds, expect=0)
    assert "TLS certificate verification" not in p.stderr
    # S3's insecureSkipTLSVerify: one warning, however many clients the command makes.
    insecure = moto_s3.location + "&insecureSkipTLSVerify=true"
    run(out, "backup", "create", "t1", "--include-namespaces", "demo", "--storage-location", insecure,
        env=dict(creds, KUBECONFIG=str(kube_server.kubeconfig)), expect=0)
    p = run(out, "backup", "describe", "t1", "--details", "--storage-location", insecure, env=creds, expect=0)
    assert p.stderr.count("warning: TLS certificate verification is turned off") == 1, p.stderr
    assert "the S3 object store (insecureSkipTLSVerify)" in p.stderr
    # A kubeconfig's insecure-skip-tls-verify: one warning naming the API server.
    kc = with_token(kube_server.kubeconfig, tmp_path, "kubeconfig-insecure", extra_cluster="insecure-skip-tls-verify: true")
    p = run(out, "backup", "create", "t2", "--include-namespaces", "demo", "--storage-location", f"file://{tmp_path}/b",
            env={"KUBECONFIG": str(kc)})
    assert p.stderr.count("warning: TLS certificate verification is turned off") == 1, p.stderr
    assert "the Kubernetes API server (insecure-skip-tls-verify)" in p.stderr
    out.assert_clean()


def test_server_short_run_prints_no_credential_in_logs_statuses_or_bucket(moto_s3, tmp_path):
    """The server with a BackupStorageLocation whose credential is a Secret (Velero's spec.credential),
    and a kubeconfig with the bearer token: a Backup and a Restore carried out, then its stderr, the
    CR statuses and every object in the bucket searched."""
    import signal
    import threading
    import time
    from emulators import free_port, process

    out = Outputs()
    port = free_port()
    kc = tmp_path / "kubeconfig"
    cmd = [str(BUILD / "tests" / "support" / "kube-test-server"), "--port", str(port), "--crd-delay-ms", "0",
           "--write-kubeconfig", str(kc), "--seed", str(ROOT / "examples" / "manifests"),
           "--seed", str(ROOT / "tests" / "data" / "velero")]
    home = tmp_path / "home"
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not kc.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        kubeconfig = with_token(kc, tmp_path)
        kubectl(kubeconfig, home, "apply", "-f", "-", stdin=SECRET_MANIFEST)
        aws_file = f"[default]\naws_access_key_id = {S3_ACCESS_KEY}\naws_secret_access_key = {S3_SECRET_KEY}\n"
        url = moto_s3.url
        kubectl(kubeconfig, home, "apply", "-f", "-", stdin=(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: velero}\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata: {name: cloud-credentials, namespace: velero}\n"
            f"stringData: {{cloud: {json_quote(aws_file)}}}\n---\n"
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\n"
            "spec: {provider: aws, default: true, objectStorage: {bucket: vbk-test, prefix: server},\n"
            "  credential: {name: cloud-credentials, key: cloud},\n"
            f"  config: {{region: us-east-1, s3ForcePathStyle: 'true', s3Url: '{url}'}}}}\n"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "KUBECONFIG"}
        proc = subprocess.Popen([CLI, "server", "--kubeconfig", str(kubeconfig), "--metrics-address", "127.0.0.1:0",
                                 "--watch-timeout", "1s", "--leader-elect-retry-period", "200ms"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
        reader.start()
        try:
            kubectl(kubeconfig, home, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: sb1, namespace: velero}\n"
                "spec: {includedNamespaces: [demo]}\n"))

            def phase(plural, name):
                p = subprocess.run(["kubectl", "get", plural, name, "-n", "velero", "-o", "jsonpath={.status.phase}"],
                                   capture_output=True, text=True, env=dict(os.environ, KUBECONFIG=str(kubeconfig),
                                                                            HOME=str(home)))
                return p.stdout if p.stdout in ("Completed", "PartiallyFailed", "Failed", "FailedValidation") else None

            deadline = time.monotonic() + 120
            while not phase("backups", "sb1") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert phase("backups", "sb1") == "Completed", lines
            kubectl(kubeconfig, home, "create", "-f", "-", stdin=(
                "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: sr1, namespace: velero}\n"
                "spec: {backupName: sb1, namespaceMapping: {demo: demo-sr}}\n"))
            deadline = time.monotonic() + 120
            while not phase("restores", "sr1") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert phase("restores", "sr1"), lines
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            reader.join(10)
        out.add("vbackup server output", "".join(lines))
        for kind in ("backups", "restores", "backupstoragelocations"):
            out.add(f"{kind} CRs", kubectl(kubeconfig, home, "get", kind, "-n", "velero", "-o", "json"))
    for key, text in bucket_objects(moto_s3.url, "vbk-test", tmp_path / "bucket"):
        if key.endswith("/sb1.tar.gz"):
            assert not leaks(text, CREDENTIALS), key
            continue
        out.add(f"bucket object {key}", text)
    out.assert_clean()


def json_quote(s):
    import json
    return json.dumps(s)
