"""Issue 16 (brief s3-seal) from Python: backup(encrypt_to=, sign_key_file=), restore(identity_file=,
skip_verify=, require_signature=), verify_backup, rekey_backup."""
import subprocess
from pathlib import Path

import pytest

import vbackup


def keygen(tmp_path: Path, name: str):
    key = tmp_path / name
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    pub = [l.split(": ")[1] for l in key.read_text().splitlines() if l.startswith("# public key: ")][0]
    return key, pub


def test_encrypted_signed_backup_verify_restore_rekey(demo_manifests, location, tmp_path):
    key, pub = keygen(tmp_path, "key.txt")
    sk = tmp_path / "signer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "s", "-f", str(sk)], check=True)
    allowed = tmp_path / "allowed"
    allowed.write_text("ops@example.com " + (tmp_path / "signer.pub").read_text())
    b = vbackup.backup(name="demo", location=location, from_manifests=demo_manifests, encrypt_to=[pub],
                       sign_key_file=sk)
    assert b["metadata"]["annotations"]["vbackup.io/encryption"] == "age"
    assert b["metadata"]["annotations"]["vbackup.io/signature"] == "demo-checksums.json.sig"
    with pytest.raises(vbackup.NotFoundError, match="x25519:"):
        vbackup.verify_backup(location, "demo")
    v = vbackup.verify_backup(location, "demo", identity_file=key, allowed_signers_file=allowed,
                              principal="ops@example.com", require_signature=True)
    assert v["problems"] == [] and v["encrypted"] and v["signatureVerified"]
    r = vbackup.restore(backup="demo", location=location, dry_run=True, identity_file=key,
                        require_signature=True, allowed_signers_file=allowed, principal="ops@example.com")
    assert r["status"]["phase"] == "Completed"
    new, new_pub = keygen(tmp_path, "new.txt")
    out = vbackup.rekey_backup(location, "demo", identity_file=key, encrypt_to=[new_pub], sign_key_file=sk)
    assert len(out["recipients"]) == 1 and any(k.endswith("demo.tar.gz") for k in out["rewritten"])
    assert vbackup.verify_backup(location, "demo", identity_file=new)["problems"] == []


def test_bit_flip_found_and_restore_refused(demo_manifests, location, tmp_path):
    vbackup.backup(name="demo", location=location, from_manifests=demo_manifests)
    tarball = Path(location[len("file://"):]) / "backups" / "demo" / "demo.tar.gz"
    data = bytearray(tarball.read_bytes())
    data[len(data) // 2] ^= 0x10
    tarball.write_bytes(bytes(data))
    v = vbackup.verify_backup(location, "demo")
    assert any("demo.tar.gz" in p for p in v["problems"])
    with pytest.raises(vbackup.Error, match="demo.tar.gz"):
        vbackup.restore(backup="demo", location=location, dry_run=True)
    # skip_verify: not refused by the manifest (the damaged gzip may still fail the extraction).
    try:
        r = vbackup.restore(backup="demo", location=location, dry_run=True, skip_verify=True)
        message = r["status"].get("failureReason") or ""
    except vbackup.Error as e:
        message = str(e)
    assert "checksum manifest" not in message
