"""Encryption at rest and integrity of stored backups (issue 16, docs/crypto.md): verify and rekey."""

from __future__ import annotations

import json
import os
from typing import Optional, Sequence, Union

from . import _lib
from ._lib import JSON, PathLike
from .location import Location, opened


def _reader_options(identity_file, allowed_signers_file, principal, require_signature) -> dict:
    o: dict = {}
    if identity_file is not None:
        o["identityFile"] = os.fspath(identity_file)
    if allowed_signers_file is not None:
        o["allowedSignersFile"] = os.fspath(allowed_signers_file)
    if principal is not None:
        o["principal"] = principal
    if require_signature:
        o["requireSignature"] = True
    return o


def verify_backup(location: Union[str, JSON, Location], name: str, *, identity_file: Optional[PathLike] = None,
                  allowed_signers_file: Optional[PathLike] = None, principal: Optional[str] = None,
                  require_signature: bool = False) -> JSON:
    """Re-reads every file and tarball item of backup ``name`` and compares it with its checksum
    manifest: ``{"problems": ["<path>: …"], "warnings": [...], "hasManifest", "encrypted",
    "signatureVerified"}`` (no problems: the backup matches). A missing identity raises NotFoundError
    naming the recorded fingerprints."""
    loc = opened(location)
    try:
        opts = json.dumps(_reader_options(identity_file, allowed_signers_file, principal, require_signature))
        return _lib.call_json(_lib.backup_verify, loc._handle, _lib.enc(name), opts.encode())
    finally:
        if loc is not location:
            loc.close()


def rekey_backup(location: Union[str, JSON, Location], name: str, *, identity_file: PathLike,
                 encrypt_to: Sequence[str], sign_key_file: Optional[PathLike] = None) -> JSON:
    """Rewrites the age headers of encrypted backup ``name`` for ``encrypt_to`` (the payload kept) and
    its manifest; ``sign_key_file`` signs the new manifest (a signed backup needs it). Returns
    ``{"rewritten": [keys], "recipients": [fingerprints]}``."""
    loc = opened(location)
    try:
        o: dict = {"identityFile": os.fspath(identity_file), "encryptTo": list(encrypt_to)}
        if sign_key_file is not None:
            o["signKeyFile"] = os.fspath(sign_key_file)
        return _lib.call_json(_lib.backup_rekey, loc._handle, _lib.enc(name), json.dumps(o).encode())
    finally:
        if loc is not location:
            loc.close()
