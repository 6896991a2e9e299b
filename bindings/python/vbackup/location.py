"""Backup storage locations: where backups, and the records of restores, live."""

from __future__ import annotations

import ctypes
import datetime
import json
from typing import TYPE_CHECKING, List, Optional, Sequence, Union

from . import _lib
from ._lib import JSON, PathLike

if TYPE_CHECKING:
    from .cluster import Cluster


class Location:
    """A backup storage location: a URL (``file://DIR``, ``s3://…``, ``azure://…``), a
    BackupStorageLocation given as a dict, the name of a location in the locations file
    (``$VBACKUP_CONFIG``, else ``~/.config/vbackup/locations.yaml``; see :func:`locations`), or nothing
    for the one marked default there. An S3 or Azure location's config key ``requestTimeout``
    (``"30s"``, ``"0"`` for none; default 1m) bounds each request to the store, retries included.
    Use as a context manager, or call :meth:`close`."""

    def __init__(self, location: Union[str, JSON] = "") -> None:
        self._h: Optional[ctypes.c_void_p] = None
        text = json.dumps(location) if isinstance(location, dict) else str(location)
        handle = ctypes.c_void_p()
        _lib.check(_lib.location_open(_lib.enc(text), ctypes.byref(handle)))
        self._h = handle

    @property
    def _handle(self) -> ctypes.c_void_p:
        """The vbk_location; InvalidError once closed (never a dangling pointer handed to C)."""
        if self._h is None:
            raise _lib.InvalidError("vbackup.Location: used after close()")
        return self._h

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return getattr(self, "_h", None) is None

    def close(self) -> None:
        """Releases the location; closing twice is fine. Using it afterwards raises InvalidError."""
        if getattr(self, "_h", None) is not None:
            _lib.location_close(self._h)
            self._h = None

    def __enter__(self) -> "Location":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def check(self) -> JSON:
        """Velero's validity check, changing nothing: a BackupStorageLocation status, phase
        Available or Unavailable (a missing folder or bucket, an invalid layout) with the reason in
        ``message``; Available with ``accessMode`` "ReadOnly" and ``message`` "read-only: …" when
        backups could not be written there."""
        return _lib.call_json(_lib.location_check, self._handle)

    def leftovers(self) -> List[JSON]:
        """What interrupted work (a process killed mid-backup) left: ``{"kind": "upload"|"backup"|
        "restore", "key", "uploadId", "name", "ageSeconds", "bytes", "objects"}`` each. Uploads never
        committed (the file store's temporary files, S3's unfinished multipart uploads) and backup
        folders without velero-backup.json; Azure's uncommitted blocks expire by themselves (7 days)."""
        return _lib.call_json(_lib.location_leftovers, self._handle)

    def prune(self, grace: Union[str, float, datetime.timedelta] = "1h") -> JSON:
        """Removes the leftovers at least ``grace`` old (a Go duration such as ``"1h"``, seconds, or a
        timedelta): younger ones may be work still running. Returns ``{"removed": […], "kept": […],
        "errors": ["<what>: <why>", …]}``."""
        if isinstance(grace, datetime.timedelta):
            grace = grace.total_seconds()
        if isinstance(grace, (int, float)):
            grace = f"{int(grace)}s"
        options = json.dumps({"grace": grace})
        return _lib.call_json(_lib.location_prune, self._handle, _lib.enc(options))

    # ---- backups ----

    def list_backups(self) -> List[JSON]:
        """Every Backup stored in the location (velero-backup.json), sorted by name."""
        return _lib.call_json(_lib.backup_list, self._handle)

    def get_backup(self, name: str) -> JSON:
        """One stored Backup. Raises NotFoundError."""
        return _lib.call_json(_lib.backup_get, self._handle, _lib.enc(name))

    def describe_backup(self, name: str, details: bool = False) -> JSON:
        """``{"backup": …}``, plus ``resourceList``, ``results``, ``volumeInfos`` (the volume info,
        csi §1.7: each volume, its snapshot, handle, size, result, or why it was skipped) and
        ``itemOperations`` (Velero's item operations, csi §1.4) with details, when present."""
        return _lib.call_json(_lib.backup_describe, self._handle, _lib.enc(name), 1 if details else 0)

    def backup_logs(self, name: str) -> str:
        """The backup's log, uncompressed."""
        return _lib.call_text(_lib.backup_logs, self._handle, _lib.enc(name))

    def download_backup(self, name: str, path: PathLike) -> None:
        """Copies the backup's tarball to ``path``."""
        _lib.check(_lib.backup_download(self._handle, _lib.enc(name), _lib.enc(path)))

    def delete_backup(self, name: str, cluster: "Optional[Cluster]" = None,
                      velero_namespace: str = "velero") -> JSON:
        """Deletes every object of the backup (a folder without velero-backup.json too, and the
        uploads left unfinished in it) and, with a live ``cluster``, its Backup CR in
        ``velero_namespace``: ``{"objects": N, "crDeleted": bool}``. Raises NotFoundError when
        neither has it.

        The backup's CSI snapshots go first (csi §3): with a live ``cluster``, through a temporary
        Delete VolumeSnapshotContent each, as Velero deletes them; without one they are left, and
        ``"csiSnapshots": {"handlesNotDeleted": [...], "note": …}`` says so. A backup with CSI
        snapshots adds ``csiSnapshots`` (``snapshotHandles``, ``temporaryContents``, …)."""
        return _delete(_lib.backup_delete_recorded, self, name, cluster, velero_namespace)

    # ---- inspecting a backup (vbackup.inspect) ----

    def backup_items(self, name: str, filters: Optional[JSON] = None,
                     include_names: Optional[Sequence[str]] = None) -> List[JSON]:
        """The items of backup ``name`` in restore order, ``{"groupResource", "kind", "namespace",
        "name"}`` each; ``filters`` (a Restore spec's filters) and ``include_names``
        (``[namespace/]name`` globs) select as a restore would."""
        from .inspect import backup_items
        return backup_items(self, name, filters=filters, include_names=include_names)

    def backup_item(self, name: str, item: str) -> JSON:
        """One archived object; ``item`` is ``"deployments.apps/demo/web"`` (or ``"persistentvolumes/pv-1"``
        when cluster-scoped). Raises NotFoundError."""
        from .inspect import backup_item
        return backup_item(self, name, item)

    def diff_backups(self, a: str, b: str) -> List[JSON]:
        """What changed from backup ``a`` to backup ``b``: ``{"change": "added"|"removed"|"changed",
        "groupResource", "kind", "namespace", "name", "diff"}`` each."""
        from .inspect import diff_backups
        return diff_backups(self, a, b)

    # ---- restores ----

    def list_restores(self) -> List[JSON]:
        """Every Restore recorded in the location (restores/<r>/velero-restore.json), sorted by name."""
        return _lib.call_json(_lib.restore_list, self._handle)

    def get_restore(self, name: str) -> JSON:
        """One recorded Restore. Raises NotFoundError."""
        return _lib.call_json(_lib.restore_get, self._handle, _lib.enc(name))

    def describe_restore(self, name: str, details: bool = False) -> JSON:
        """``{"restore": …}``, plus ``resourceList`` and ``results`` with details."""
        return _lib.call_json(_lib.restore_describe, self._handle, _lib.enc(name), 1 if details else 0)

    def restore_logs(self, name: str) -> str:
        """The restore's log, uncompressed."""
        return _lib.call_text(_lib.restore_logs, self._handle, _lib.enc(name))

    def delete_restore(self, name: str, cluster: "Optional[Cluster]" = None,
                       velero_namespace: str = "velero") -> JSON:
        """Deletes the restore's files from the location (not what it created in a cluster) and,
        with a live ``cluster``, its Restore CR: ``{"objects": N, "crDeleted": bool}``. Raises
        NotFoundError when neither has it."""
        return _delete(_lib.restore_delete_recorded, self, name, cluster, velero_namespace)


def _delete(fn, location: Location, name: str, cluster, velero_namespace: str) -> JSON:
    options = json.dumps({"veleroNamespace": velero_namespace}).encode()
    return _lib.call_json(fn, location._handle, cluster._handle if cluster is not None else None, _lib.enc(name),
                          options)


def locations() -> List[JSON]:
    """The named locations of the locations file (BackupStorageLocations, as ``vbackup
    backup-location create`` writes them); [] when there is none."""
    return _lib.call_json(_lib.locations_list)


def opened(location: Union[str, JSON, Location]) -> Location:
    """``location`` itself if it is open, else a Location the caller closes."""
    return location if isinstance(location, Location) else Location(location)
