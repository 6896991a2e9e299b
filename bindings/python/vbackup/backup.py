"""Creating a backup."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Callable, Optional, Sequence, Union

from . import _lib
from ._lib import JSON, ItemHook, PathLike
from .cluster import Cluster
from .location import Location, opened


def backup(spec: Optional[JSON] = None, *, name: Optional[str] = None,
           location: Union[str, JSON, Location],
           from_manifests: Optional[PathLike] = None,
           cluster: Optional[Cluster] = None,
           kubeconfig: Optional[PathLike] = None, context: Optional[str] = None,
           compression: str = "gzip", velero_namespace: str = "velero",
           record_in_cluster: Union[bool, str] = "auto", strict_spec: bool = False,
           progress: Optional[Callable[[int, int, int], Optional[bool]]] = None,
           log: Optional[Callable[[str, str], None]] = None,
           item_hook: Optional[ItemHook] = None,
           snapshot_volumes: Optional[bool] = None, csi_snapshot_timeout: Optional[str] = None,
           item_operation_timeout: Optional[str] = None, resource_policies_configmap: Optional[str] = None,
           snapshot_move_data: Optional[bool] = None,
           encrypt_to: Optional[Sequence[str]] = None, passphrase: Optional[str] = None,
           sign_key_file: Optional[PathLike] = None) -> JSON:
    """Creates a backup and returns the Backup (a dict) with its status.

    The source is ``from_manifests`` (a folder of manifests), an open ``cluster``, or else the cluster
    of ``kubeconfig``/``context`` (the usual kubeconfig lookup when both are None).

    ``spec`` is a Backup spec (``{"includedNamespaces": […]}``) or a whole Backup
    (``{"metadata": {"name": …}, "spec": {…}}``); ``name`` names it when ``spec`` is only a spec.
    ``progress(items_backed_up, total_items, bytes_written)`` may return False to cancel
    (CancelledError); ``total_items`` is counted ahead from the source (equal to items_backed_up
    at the end, and all along when a label selector leaves the server without counts). ``log(level, line)``
    sees every backup log line. ``item_hook(item)`` receives ``{"resource": {…}, "object": {…}}`` and
    may return ``{"object": …, "skip": bool, "additionalItems": [{"groupResource", "namespace", "name"}]}``
    (or None to keep the item).

    ``record_in_cluster`` keeps the Backup CR in a live cluster's Velero namespace, as Velero does:
    ``"auto"`` when Velero's CRDs are installed, ``True`` also, failing the backup when it cannot be
    recorded, ``False`` never. The CR always ends in a terminal phase; :meth:`Location.delete_backup`
    with ``cluster=`` removes it with the files.

    ``compression="zstd"`` is ours: a Velero server cannot restore such a backup (it reads
    ``<name>.tar.gz`` as gzip); the Backup says so (annotation ``vbackup.io/compression``, a warning).
    A key Velero does not know (``includedNamespace``) is a warning naming the closest known one in
    the backup's results; with ``strict_spec=True`` it fails validation (InvalidError).

    Volumes (csi §1), as ``velero backup create``'s flags set them in the spec (given values win over
    ``spec``): ``snapshot_volumes`` (CSI snapshots of the PVCs; None: yes), ``csi_snapshot_timeout``
    and ``item_operation_timeout`` (Go durations, "10m", "4h"), ``resource_policies_configmap`` (the
    ConfigMap of volume and resource policies in the Velero namespace: ``spec.resourcePolicy``),
    ``snapshot_move_data`` (the data mover needs a node agent, which this project does not have: such
    volumes fail).

    An exception raised by ``item_hook`` fails that item only (it is left out of the backup, which
    ends PartiallyFailed; its error in the results names the item and says ``item callback:
    <ExceptionType>: <message>``). One raised by ``progress`` or ``log`` cancels the backup and is
    raised by this call; so is a KeyboardInterrupt or SystemExit from any callback. Ctrl-C while
    this call runs cancels the backup and raises KeyboardInterrupt; a cancelled backup leaves
    nothing in the location. Callbacks run on a helper thread when called from the main thread
    (so that Ctrl-C is seen at once), never two at once.

    Encryption at rest and integrity (issue 16, docs/crypto.md): every backup carries a checksum
    manifest ``<name>-checksums.json``; ``encrypt_to`` (age1… recipients) or ``passphrase`` encrypt
    its files (all but velero-backup.json) with age; ``sign_key_file`` (an unencrypted OpenSSH
    Ed25519 key) signs the manifest (``ssh-keygen -Y verify -n vbackup.io/backup`` checks it).

    Raises InvalidError (failed validation; ``err.backup`` holds the status), AlreadyExistsError,
    Error (a failed backup), CancelledError (``progress`` returned False), KeyboardInterrupt, or
    the error of a progress or log callback that raised.
    """
    spec = dict(spec or {})
    body = spec if "spec" in spec or "metadata" in spec else {"spec": spec}
    flags = {"snapshotVolumes": snapshot_volumes, "csiSnapshotTimeout": csi_snapshot_timeout,
             "itemOperationTimeout": item_operation_timeout, "snapshotMoveData": snapshot_move_data,
             "resourcePolicy": ({"kind": "configmap", "name": resource_policies_configmap}
                                if resource_policies_configmap is not None else None)}
    if any(v is not None for v in flags.values()):
        body = dict(body)
        body["spec"] = dict(body.get("spec") or {})
        body["spec"].update({k: v for k, v in flags.items() if v is not None})
    if name is not None:
        body.setdefault("metadata", {})["name"] = name
    options = json.dumps({"compression": compression, "veleroNamespace": velero_namespace,
                          "recordInCluster": _lib.record_option(record_in_cluster),
                          "strictSpec": strict_spec,
                          **({"encryptTo": list(encrypt_to)} if encrypt_to else {}),
                          **({"passphrase": passphrase} if passphrase is not None else {}),
                          **({"signKeyFile": os.fspath(sign_key_file)} if sign_key_file is not None else {})}).encode()
    callbacks = _lib.CallbackSet(progress=progress, log=log, item_hook=item_hook, progress_args=3)

    owned_location = opened(location)
    if cluster is not None:
        owned_cluster = cluster
    elif from_manifests is not None:
        owned_cluster = Cluster.from_manifests(from_manifests)
    else:
        owned_cluster = Cluster(kubeconfig, context)
    try:
        out = ctypes.c_void_p()
        status = callbacks.call(_lib.backup_create, owned_cluster._handle, owned_location._handle,
                                json.dumps(body).encode(), options, ctypes.byref(callbacks.struct), ctypes.byref(out))
        result = _lib.take_string(out)
        result_json = json.loads(result) if result else None
        callbacks.reraise()
        _lib.check(status, backup=result_json, message=callbacks.last_error)
        return result_json
    finally:
        if owned_location is not location:
            owned_location.close()
        if owned_cluster is not cluster:
            owned_cluster.close()
