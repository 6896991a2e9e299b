"""Expiry and deletion (spec §3.2, §3.3): Velero's garbage collection of expired Backups, a
DeleteBackupRequest carried out, and a deletion requested from a running server. They act on the
velero.io/v1 custom resources of a live cluster with Velero's CRDs (UnsupportedError otherwise)."""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, List, Optional, Union

from . import _lib
from ._lib import JSON, PathLike
from .cluster import Cluster
from .location import Location, opened

_p, _s, _out = _lib._p, _lib._s, _lib._out
_gc_once = _lib._fn("vbk_gc_once", [_p, _s, _out])
_process = _lib._fn("vbk_delete_backup_request_process", [_p, _p, _s, _s, _out])
_process_all = _lib._fn("vbk_delete_backup_requests_process", [_p, _p, _s, _out])
_request = _lib._fn("vbk_backup_request_deletion", [_p, _s, _s, _out])


def _with_cluster(cluster: Optional[Cluster], kubeconfig: Optional[PathLike], context: Optional[str], fn):
    owned = cluster if cluster is not None else Cluster(kubeconfig, context)
    try:
        return fn(owned)
    finally:
        if owned is not cluster:
            owned.close()


def gc_once(*, cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
            context: Optional[str] = None, velero_namespace: str = "velero", dry_run: bool = False,
            now: Optional[str] = None) -> JSON:
    """One garbage-collection pass over the Backups of ``velero_namespace`` (Velero's gc_controller):
    an expired Backup gets a DeleteBackupRequest, or the ``velero.io/gc-failure`` label (BSLNotFound,
    BSLCannotGet, BSLUnavailable, BSLReadOnly) when its location forbids it. ``dry_run`` decides and
    writes nothing; ``now`` (RFC 3339) replaces the clock. Returns {"dryRun", "items": [{"backup",
    "action", "deleteBackupRequest"?, "gcFailure"?, "message"?}]}."""
    options: Dict[str, Any] = {"veleroNamespace": velero_namespace, "dryRun": dry_run}
    if now is not None:
        options["now"] = now
    body = json.dumps(options).encode()
    return _with_cluster(cluster, kubeconfig, context, lambda c: _lib.call_json(_gc_once, c._handle, body))


def process_delete_backup_request(name: str, *, location: Union[str, JSON, Location, None] = None,
                                  cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
                                  context: Optional[str] = None, velero_namespace: str = "velero",
                                  now: Optional[str] = None, restore_wait_seconds: Optional[int] = None,
                                  temporary_content_gap_ms: Optional[int] = None) -> JSON:
    """Carries out the DeleteBackupRequest ``name`` (Velero's backup deletion controller): the
    backup's objects in ``location`` (None: the store of the Backup's BackupStorageLocation), its
    Restores (CRs and files), the Backup CR, then the requests of the backup. A request Velero refuses
    ends Processed with the reason in ``status.errors`` (no exception). Returns {"deleteBackupRequest",
    "skipped", "requestExpired", "deletedObjects", "deletedRestores", "backupDeleted",
    "deletedRequests", "csiSnapshots"}; NotFoundError when there is no such request. The backup's CSI
    snapshots go first (csi §3), each through a temporary Delete VolumeSnapshotContent left
    ``temporary_content_gap_ms`` (default 2000, velero#9700) before it is deleted."""
    options: Dict[str, Any] = {"veleroNamespace": velero_namespace}
    if now is not None:
        options["now"] = now
    if restore_wait_seconds is not None:
        options["restoreWaitSeconds"] = restore_wait_seconds
    if temporary_content_gap_ms is not None:
        options["temporaryContentGapMilliseconds"] = temporary_content_gap_ms
    body = json.dumps(options).encode()
    owned_location = opened(location) if location is not None else None
    try:
        handle = owned_location._handle if owned_location is not None else None
        return _with_cluster(cluster, kubeconfig, context,
                             lambda c: _lib.call_json(_process, c._handle, handle, _lib.enc(name), body))
    finally:
        if owned_location is not None and owned_location is not location:
            owned_location.close()


def process_delete_backup_requests(*, location: Union[str, JSON, Location, None] = None,
                                   cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
                                   context: Optional[str] = None, velero_namespace: str = "velero",
                                   now: Optional[str] = None, restore_wait_seconds: Optional[int] = None,
                                   temporary_content_gap_ms: Optional[int] = None) -> List[JSON]:
    """:func:`process_delete_backup_request` for every request of ``velero_namespace`` not yet taken
    (phase "" or New), in the API server's order: what a server does as requests arrive. Returns the
    results, one per request."""
    options: Dict[str, Any] = {"veleroNamespace": velero_namespace}
    if now is not None:
        options["now"] = now
    if restore_wait_seconds is not None:
        options["restoreWaitSeconds"] = restore_wait_seconds
    if temporary_content_gap_ms is not None:
        options["temporaryContentGapMilliseconds"] = temporary_content_gap_ms
    body = json.dumps(options).encode()
    owned_location = opened(location) if location is not None else None
    try:
        handle = owned_location._handle if owned_location is not None else None
        return _with_cluster(cluster, kubeconfig, context,
                             lambda c: _lib.call_json(_process_all, c._handle, handle, body))
    finally:
        if owned_location is not None and owned_location is not location:
            owned_location.close()


def request_backup_deletion(name: str, *, cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
                            context: Optional[str] = None, velero_namespace: str = "velero") -> JSON:
    """``velero backup delete NAME`` with a server running: creates the DeleteBackupRequest of the
    Backup CR ``name`` (generateName "<name>-", labels velero.io/backup-name and velero.io/backup-uid)
    and returns it; NotFoundError when there is no such Backup CR."""
    body = json.dumps({"veleroNamespace": velero_namespace}).encode()
    return _with_cluster(cluster, kubeconfig, context,
                         lambda c: _lib.call_json(_request, c._handle, _lib.enc(name), body))
