"""Velero's request controllers: DownloadRequest (a signed URL for one file of a backup or restore,
what ``velero backup logs`` / ``download`` / ``describe --details`` read) and ServerStatusRequest (the
server's version and plugins, what ``velero version`` and ``velero plugin get`` read).

Each ``process_*`` call takes the request (a dict, velero.io/v1) and returns the outcome of one
reconcile: ``{"action": "none" | "updateStatus" | "remove", "status": {...}, "message", "retry"}``
(``"requeueAfter"`` too for server status requests). The ``reconcile_*`` calls do the same against a
cluster: they read the request and write its status, or delete it once it expired."""

from __future__ import annotations

import ctypes
import datetime
import json
from typing import Any, Dict, Iterable, Optional, Union

from . import _lib
from ._lib import JSON
from .cluster import Cluster
from .location import Location, opened

_download_url = _lib._fn("vbk_download_url", [_lib._p, _lib._s, _lib._s, ctypes.c_longlong, _lib._out])
_download_process = _lib._fn("vbk_download_request_process", [_lib._s, _lib._s, _lib._out])
_download_reconcile = _lib._fn("vbk_download_request_reconcile", [_lib._p, _lib._s, _lib._s, _lib._s, _lib._out])
_status_process = _lib._fn("vbk_server_status_request_process", [_lib._s, _lib._s, _lib._out])
_status_reconcile = _lib._fn("vbk_server_status_request_reconcile", [_lib._p, _lib._s, _lib._s, _lib._s, _lib._out])

Now = Optional[Union[str, datetime.datetime]]


def _now(now: Now) -> Dict[str, Any]:
    if now is None:
        return {}
    if isinstance(now, datetime.datetime):
        if now.tzinfo is None:
            raise ValueError("now: a datetime needs a time zone")
        now = now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"now": now}


def download_url(location: Union[str, JSON, Location], kind: str, name: str,
                 ttl: Optional[Union[int, datetime.timedelta]] = None) -> str:
    """A signed URL (S3 presigned GET, Azure read-only blob SAS) for the file ``kind``
    (a DownloadTargetKind: ``"BackupLog"``, ``"BackupContents"``, ``"RestoreResults"``, …) of backup
    or restore ``name``, valid ``ttl`` (seconds or a timedelta; Velero's 10 minutes by default).
    InvalidError for an unknown kind; UnsupportedError for a file location."""
    seconds = 0 if ttl is None else int(ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else ttl)
    if ttl is not None and seconds <= 0:
        raise ValueError("ttl: must be at least one second")
    loc = opened(location)
    try:
        return _lib.call_text(_download_url, loc._handle, _lib.enc(kind), _lib.enc(name), seconds)
    finally:
        if loc is not location:
            loc.close()


def process_download_request(request: JSON, *, backups: Iterable[JSON] = (), restores: Iterable[JSON] = (),
                             locations: Iterable[JSON] = (), now: Now = None) -> JSON:
    """One reconcile of ``request`` as Velero's DownloadRequest controller does it, the Backup,
    Restore and BackupStorageLocation CRs it may name given as dicts (found by name)."""
    options = dict(_now(now), backups=list(backups), restores=list(restores), locations=list(locations))
    return _lib.call_json(_download_process, json.dumps(request).encode(), json.dumps(options).encode())


def process_server_status_request(request: JSON, *, now: Now = None) -> JSON:
    """One reconcile of a ServerStatusRequest: New → Processed with processedTimestamp,
    serverVersion and plugins; Processed for a minute → ``"remove"``."""
    return _lib.call_json(_status_process, json.dumps(request).encode(), json.dumps(_now(now)).encode())


def reconcile_download_request(cluster: Cluster, namespace: str, name: str, *, now: Now = None) -> JSON:
    """Reads DownloadRequest ``name`` in ``namespace`` of a live cluster with Velero's CRDs,
    processes it (its Backup, Restore and BSL read from the cluster) and writes the status, or deletes
    the request once it expired. Returns the outcome."""
    return _lib.call_json(_download_reconcile, cluster._handle, _lib.enc(namespace), _lib.enc(name),
                          json.dumps(_now(now)).encode())


def reconcile_server_status_request(cluster: Cluster, namespace: str, name: str, *, now: Now = None) -> JSON:
    """The same for a ServerStatusRequest."""
    return _lib.call_json(_status_reconcile, cluster._handle, _lib.enc(namespace), _lib.enc(name),
                          json.dumps(_now(now)).encode())
