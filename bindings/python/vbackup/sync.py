"""The bucket as the source of truth (spec §3.1, §2.2): one pass of Velero's backup sync controller,
and the BackupStorageLocation controller's validation, against a live cluster."""

from __future__ import annotations

import json
from typing import Optional

from . import _lib
from ._lib import JSON, PathLike
from .cluster import Cluster

_sync_once = _lib._fn("vbk_sync_once", [_lib._p, _lib._s, _lib._s, _lib._out])
_location_validate = _lib._fn("vbk_location_validate", [_lib._p, _lib._s, _lib._s, _lib._out])


def _cluster(cluster: Optional[Cluster], kubeconfig: Optional[PathLike], context: Optional[str]):
    if cluster is not None:
        return cluster, False
    return Cluster(kubeconfig, context), True


def sync_once(location: str = "", *, cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
              context: Optional[str] = None, velero_namespace: str = "velero", require_available: bool = False,
              update_location: bool = True, locations_file: Optional[PathLike] = None,
              verify: bool = False, identity_file: Optional[PathLike] = None) -> JSON:
    """Syncs the backups of ``location`` into the cluster once, as Velero's backup sync controller
    does: a Backup CR (with its stored status) for every backup in the bucket the cluster lacks; the
    Completed/PartiallyFailed Backups of this location whose data left the bucket deleted;
    ``status.lastSyncedTime`` on the BackupStorageLocation CR.

    ``location``: a BackupStorageLocation name (the cluster's in ``velero_namespace`` first, then the
    locations file), "" for the default one, BSL JSON/YAML text, a BSL file, or a URL; its
    ``spec.credential`` is read from the Secret in ``velero_namespace``. The cluster is ``cluster``,
    else one opened from ``kubeconfig``/``context``. Returns ``{"location", "created", "deleted",
    "skipped": [{"backup", "reason"}], "errors", "warnings", "lastSyncedTime"}``; a corrupt
    velero-backup.json is a warning and a skip. Raises UnsupportedError for a folder of manifests or
    a cluster without Velero's CRDs.

    ``verify=True`` (issue 16) checks each backup against its checksum manifest first (with
    ``identity_file`` for encrypted ones); one that differs is not synced and is in "skipped"."""
    for flag, value in (("require_available", require_available), ("update_location", update_location)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag}: expected a bool, not {value!r}")
    options = {"veleroNamespace": velero_namespace, "requireAvailable": require_available,
               "updateLocation": update_location}
    if locations_file is not None:
        options["locationsFile"] = str(locations_file)
    if verify:
        options["verify"] = True
    if identity_file is not None:
        options["identityFile"] = str(identity_file)
    c, owned = _cluster(cluster, kubeconfig, context)
    try:
        return _lib.call_json(_sync_once, c._handle, _lib.enc(location), json.dumps(options).encode())
    finally:
        if owned:
            c.close()


def validate_location(location: str = "", *, cluster: Optional[Cluster] = None,
                      kubeconfig: Optional[PathLike] = None, context: Optional[str] = None,
                      velero_namespace: str = "velero", update: bool = False,
                      locations_file: Optional[PathLike] = None) -> JSON:
    """The BackupStorageLocation controller's validation of ``location`` (named as for
    :func:`sync_once`): ``{"phase": "Available"|"Unavailable", "message", "lastValidationTime",
    "location"}``; with ``update=True`` the status is written to the BSL CR."""
    if not isinstance(update, bool):
        raise TypeError(f"update: expected a bool, not {update!r}")
    options = {"veleroNamespace": velero_namespace, "update": update}
    if locations_file is not None:
        options["locationsFile"] = str(locations_file)
    c, owned = _cluster(cluster, kubeconfig, context)
    try:
        return _lib.call_json(_location_validate, c._handle, _lib.enc(location), json.dumps(options).encode())
    finally:
        if owned:
            c.close()
