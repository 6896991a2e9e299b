"""libvbackup for Python: back up and restore Kubernetes resources in Velero's format.

Dicts in, dicts out: a backup is described by a velero.io/v1 Backup (or just its ``spec``) and comes
back as the Backup with its ``status``; a restore likewise with a Restore. Failures raise
:class:`Error` subclasses named after the C API's categories.

    import vbackup
    vbackup.backup({"includedNamespaces": ["demo"]}, name="demo",
                   location="file:///var/backups", from_manifests="examples/manifests")
    r = vbackup.restore(backup="demo", location="file:///var/backups", dry_run=True,
                        output_dir="out", plan=print)
    print(r["status"]["phase"])

Errors: one :class:`Error` subclass per vbk_status (InvalidError, NotFoundError, AlreadyExistsError,
StorageError, KubeError, CancelledError, LocalIOError, UnsupportedError), each with ``code``,
``message`` and, when the Kubernetes API refused a call, ``http_status`` and ``reason``. Callbacks:
an item hook's exception is that item's error; a progress, log or plan callback's exception cancels
the operation and is raised. Ctrl-C during a backup or restore cancels it cleanly and raises
KeyboardInterrupt (not CancelledError, which is a progress callback returning False). Handles
(:class:`Location`, :class:`Cluster`) are context managers; a closed one raises InvalidError.

Modules: ``_lib`` (the shared library, errors, callbacks), ``location``, ``cluster``, ``backup``,
``restore``, ``inspect``; everything public is re-exported here. The shared library is found through
``$VBACKUP_LIBRARY``, next to this package, in the source tree's ``build/capi/``, or on the system
library path.
"""

from ._lib import (AlreadyExistsError, CancelledError, Error, InvalidError, KubeError, LocalIOError,
                   NotFoundError, StorageError, UnsupportedError)
from ._lib import version_ as _version
from ._lib import __version__  # issue 15: the library's version
from .backup import backup
from .cluster import Cluster, server_version
from .deletion import (gc_once, process_delete_backup_request, process_delete_backup_requests,
                       request_backup_deletion)
from .inspect import backup_item, backup_items, diff_backups
from .location import Location, locations
from .restore import restore
from .seal import rekey_backup, verify_backup  # brief s3-seal (issue 16)
from .schedule import schedule_decide, schedule_next
from .install import install, install_resources
from .sync import sync_once, validate_location
from .requests import (download_url, process_download_request, process_server_status_request,  # i13-requests
                       reconcile_download_request, reconcile_server_status_request)
from .server import run_server

__all__ = [
    "Error", "InvalidError", "NotFoundError", "AlreadyExistsError", "StorageError", "KubeError",
    "CancelledError", "LocalIOError", "UnsupportedError",
    "version", "server_version", "backup", "restore", "Location", "Cluster", "locations",
    "backup_items", "backup_item", "diff_backups",
    "schedule_next", "schedule_decide",
    "install", "install_resources",
    "sync_once", "validate_location",
    "download_url", "process_download_request", "process_server_status_request", "reconcile_download_request",
    "reconcile_server_status_request",
    "gc_once", "process_delete_backup_request", "process_delete_backup_requests", "request_backup_deletion",
    "run_server",
    "verify_backup", "rekey_backup",  # brief s3-seal (issue 16)
]


def version() -> str:
    """The library version."""
    return _version().decode()
