"""`vbackup server` in this process (brief i13-server): the Backup and Restore controllers over the
velero.io CRs of the Velero namespace, leader election on a Lease, /metrics /healthz /readyz."""
import ctypes
import json
import threading
from typing import Callable, Optional, Union

from . import _lib


def run_server(*, kubeconfig: Optional[str] = None, context: Optional[str] = None, namespace: str = "velero",
               metrics_address: str = ":8085", leader_elect: bool = True, lease_duration: str = "15s",
               renew_deadline: str = "10s", retry_period: str = "2s", identity: Optional[str] = None,
               watch_timeout: str = "10s", backup_sync_period: str = "1m",
               store_validation_frequency: str = "1m", garbage_collection_frequency: str = "1h",
               schedule_skip_immediately: bool = False, restore_only: bool = False, stop: Union[threading.Event, Callable[[], bool], None] = None,
               log: Optional[Callable[[str, str], None]] = None) -> None:
    """Runs the server until `stop` is set (a threading.Event) or returns True (a callable), checked
    five times a second; running work is then cancelled and the Lease released. Blocks: run it on a
    thread. Durations are Go durations ("15s"; "0" turns a periodic controller off). It runs Velero's
    controllers: Backup, Restore, Schedule, location validation and backup sync, GC and
    DeleteBackupRequests, DownloadRequests and ServerStatusRequests (``restore_only``: restores, sync,
    validation and requests only). Raises KubeError when the Lease is lost."""
    options = {"namespace": namespace, "metricsAddress": metrics_address, "leaderElect": leader_elect,
               "leaseDuration": lease_duration, "renewDeadline": renew_deadline, "retryPeriod": retry_period,
               "watchTimeout": watch_timeout, "backupSyncPeriod": backup_sync_period,
               "storeValidationFrequency": store_validation_frequency,
               "garbageCollectionFrequency": garbage_collection_frequency,
               "scheduleSkipImmediately": schedule_skip_immediately, "restoreOnly": restore_only}
    if kubeconfig:
        options["kubeconfig"] = str(kubeconfig)
    if context:
        options["context"] = context
    if identity:
        options["identity"] = identity

    def progress(*_):
        if stop is None:
            return True
        return not (stop.is_set() if isinstance(stop, threading.Event) else stop())

    callbacks = _lib.CallbackSet(progress=progress, log=log)
    status = callbacks.call(_lib.server_run, json.dumps(options).encode(), ctypes.byref(callbacks.struct))
    callbacks.reraise()
    _lib.check(status, message=callbacks.last_error)
