"""Issue 16 (brief s3-seal) on the CLI: backup create --encrypt-to/--encrypt-to-file/--passphrase-env/
--sign-key; --identity (and VBACKUP_IDENTITY_FILE) on describe, logs, download, ls, cat, restore create;
backup verify [--allowed-signers --principal]; restore create --skip-verify/--require-signature; rekey."""
import os
import subprocess
from pathlib import Path

import pytest

from test_cli import CLI, DEMO, bucket, loc, run  # noqa: F401  (loc is a fixture)


def keygen(tmp_path, name):
    key = tmp_path / name
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    pub = [l.split(": ")[1] for l in key.read_text().splitlines() if l.startswith("# public key: ")][0]
    return key, pub


def test_encrypted_backup_needs_the_identity_everywhere(loc, tmp_path):
    key, pub = keygen(tmp_path, "key.txt")
    run("backup", "create", "demo", "--from-manifests", str(DEMO), "--encrypt-to", pub, location=loc, check=0)
    tarball = bucket(loc) / "backups" / "demo" / "demo.tar.gz"
    assert tarball.read_bytes().startswith(b"age-encryption.org/v1\n")
    # Without the identity: a clear error naming the recorded fingerprint.
    p = run("backup", "logs", "demo", location=loc, check=1)
    assert "x25519:" in p.stderr and "no identity matches" in p.stderr
    assert "Backup completed" in run("backup", "logs", "demo", "--identity", str(key), location=loc, check=0).stdout
    assert "Phase:  Completed" in run("backup", "describe", "demo", "--identity", str(key), location=loc, check=0).stdout
    listed = run("backup", "ls", "demo", "--identity", str(key), location=loc, check=0).stdout
    assert any(l.split()[1:] == ["demo", "web"] for l in listed.splitlines())
    env = dict(os.environ, VBACKUP_IDENTITY_FILE=str(key))
    p = subprocess.run([CLI, "backup", "cat", "demo", "deployments.apps/demo/web", "--storage-location", loc],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0 and '"name": "web"' in p.stdout
    out = tmp_path / "demo.tar.gz"
    run("backup", "download", "demo", "-o", str(out), "--identity", str(key), location=loc, check=0)
    subprocess.run(["gzip", "-t", str(out)], check=True)
    p = run("backup", "verify", "demo", "--identity", str(key), location=loc, check=0)
    assert "matches its checksum manifest (encrypted)" in p.stdout
    p = run("restore", "create", "r1", "--from-backup", "demo", "--dry-run", "--identity", str(key), location=loc)
    assert p.returncode == 0, p.stderr


def test_bit_flip_verify_names_the_file_and_restore_refuses(loc, tmp_path):
    run("backup", "create", "demo", "--from-manifests", str(DEMO), location=loc, check=0)
    assert "matches its checksum manifest" in run("backup", "verify", "demo", location=loc, check=0).stdout
    f = bucket(loc) / "backups" / "demo" / "demo-resource-list.json.gz"
    b = bytearray(f.read_bytes())
    b[len(b) // 2] ^= 1
    f.write_bytes(bytes(b))
    p = run("backup", "verify", "demo", location=loc, check=1)
    assert "demo-resource-list.json.gz: sha256 differs" in p.stdout
    p = run("restore", "create", "r1", "--from-backup", "demo", "--dry-run", location=loc)
    assert p.returncode == 1 and "demo-resource-list.json.gz" in p.stdout + p.stderr
    # --skip-verify: restored anyway (the file is not needed by the walk).
    p = run("restore", "create", "r2", "--from-backup", "demo", "--dry-run", "--skip-verify", location=loc)
    assert p.returncode == 0, p.stderr


def test_signed_backup_and_rekey(loc, tmp_path):
    sk = tmp_path / "signer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "s", "-f", str(sk)], check=True)
    allowed = tmp_path / "allowed"
    allowed.write_text("ops@example.com " + (tmp_path / "signer.pub").read_text())
    key, pub = keygen(tmp_path, "old.txt")
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(pub + "\n")
    run("backup", "create", "demo", "--from-manifests", str(DEMO), "--encrypt-to-file", str(recipients),
        "--sign-key", str(sk), location=loc, check=0)
    p = run("backup", "verify", "demo", "--identity", str(key), "--allowed-signers", str(allowed), "--principal",
            "ops@example.com", "--require-signature", location=loc, check=0)
    assert "(signature verified)" in p.stdout
    p = run("restore", "create", "r1", "--from-backup", "demo", "--dry-run", "--identity", str(key),
            "--require-signature", "--allowed-signers", str(allowed), "--principal", "ops@example.com", location=loc)
    assert p.returncode == 0, p.stderr
    new, new_pub = keygen(tmp_path, "new.txt")
    run("backup", "rekey", "demo", "--identity", str(key), "--encrypt-to", new_pub, "--sign-key", str(sk),
        location=loc, check=0)
    run("backup", "verify", "demo", "--identity", str(new), location=loc, check=0)
    assert run("backup", "logs", "demo", "--identity", str(key), location=loc).returncode == 1


def test_passphrase(loc, tmp_path):
    env = dict(os.environ, VBK_PASS="correct horse")
    p = subprocess.run([CLI, "backup", "create", "demo", "--from-manifests", str(DEMO), "--passphrase-env", "VBK_PASS",
                        "--storage-location", loc], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert (bucket(loc) / "backups" / "demo" / "demo.tar.gz").read_bytes().startswith(b"age-encryption.org/v1\n")
    p = run("backup", "create", "x", "--from-manifests", str(DEMO), "--passphrase-env", "NOPE_UNSET", location=loc)
    assert p.returncode == 1 and "--passphrase-env: NOPE_UNSET is not set" in p.stderr


def test_annotation_encrypts_and_server_flag(loc, tmp_path):
    key, pub = keygen(tmp_path, "key.txt")
    run("backup", "create", "demo", "--from-manifests", str(DEMO), "--annotations", f"vbackup.io/encrypt-to={pub}",
        location=loc, check=0)
    assert (bucket(loc) / "backups" / "demo" / "demo.tar.gz").read_bytes().startswith(b"age-encryption.org/v1\n")
    assert "--identity-file" in run("server", "--help", check=0).stdout


def test_schedule_encrypt_to_is_an_annotation(tmp_path):
    _, pub = keygen(tmp_path, "key.txt")
    p = run("schedule", "create", "daily", "--schedule", "0 1 * * *", "--encrypt-to", pub, "-o", "json", check=0)
    assert f'"vbackup.io/encrypt-to": "{pub}"' in p.stdout
    assert "encryptTo" not in p.stdout
    p = run("schedule", "create", "daily", "--schedule", "0 1 * * *", "--encrypt-to", "age1nope", "-o", "json")
    assert p.returncode == 1 and "--encrypt-to" in p.stderr
