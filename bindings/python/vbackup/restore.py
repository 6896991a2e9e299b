"""Restoring a backup: into a cluster, as a dry run (no cluster needed) or as a diff against one."""

from __future__ import annotations

import ctypes
import json
import os
import time
from pathlib import PurePath
from typing import Any, Callable, Dict, Optional, Sequence, Union

from . import _lib
from ._lib import JSON, ItemHook, PathLike
from .cluster import Cluster
from .location import Location, opened

#: A resource modifier or policy document: its text (YAML or JSON), a dict, or a file (a Path).
Document = Union[str, JSON, PurePath]


def _document(value: Document, what: str) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, PurePath):
        with open(value, encoding="utf-8") as f:
            return f.read()
    if isinstance(value, str):
        return value
    raise TypeError(f"{what}: expected text, a dict or a Path, not {type(value).__name__}")


def _restore_body(spec: Optional[JSON], name: Optional[str], backup: Optional[str], schedule: Optional[str]) -> JSON:
    spec = dict(spec or {})
    body = spec if "spec" in spec or "metadata" in spec else {"spec": spec}
    s = body.setdefault("spec", {})
    if backup is not None:
        s["backupName"] = backup
    if schedule is not None:
        s["scheduleName"] = schedule
    meta = body.setdefault("metadata", {})
    if name is not None:
        meta["name"] = name
    elif not meta.get("name"):
        # velero restore create without a name: "<backup or schedule>-<local time>" (pkg/cmd/cli/restore/create.go)
        source = s.get("backupName") or s.get("scheduleName")
        if source:
            meta["name"] = f"{source}-{time.strftime('%Y%m%d%H%M%S')}"
    return body


def restore(spec: Optional[JSON] = None, *, name: Optional[str] = None, backup: Optional[str] = None,
            schedule: Optional[str] = None, location: Union[str, JSON, Location],
            cluster: Optional[Cluster] = None,
            kubeconfig: Optional[PathLike] = None, context: Optional[str] = None,
            dry_run: bool = False, diff: bool = False, output_dir: Optional[PathLike] = None,
            include_names: Optional[Sequence[str]] = None,
            resource_modifiers: Optional[Document] = None, resource_policy: Optional[Document] = None,
            parallel: Optional[int] = None, spool_dir: Optional[PathLike] = None,
            progress: Optional[Callable[[int, int], Optional[bool]]] = None,
            log: Optional[Callable[[str, str], None]] = None,
            item_hook: Optional[ItemHook] = None,
            plan: Optional[Callable[[JSON], None]] = None,
            velero_namespace: str = "velero", record_in_cluster: Union[bool, str] = "auto",
            strict_spec: bool = False,
            restore_volumes: Optional[bool] = None, item_operation_timeout: Optional[str] = None,
            identity_file: Optional[PathLike] = None, skip_verify: bool = False,
            require_signature: bool = False, allowed_signers_file: Optional[PathLike] = None,
            principal: Optional[str] = None) -> JSON:
    """Restores a backup and returns the Restore (a dict) with its status.

    ``spec`` is a Restore spec (``{"includedNamespaces": […], "namespaceMapping": {…}}``) or a whole
    Restore; ``backup`` (or ``schedule``: its newest Completed backup) names the source and ``name``
    the restore (by default ``<backup>-<YYYYMMDDhhmmss>``, as ``velero restore create`` names it).

    The target is ``cluster``, or the cluster of ``kubeconfig``/``context`` (the usual kubeconfig
    lookup when both are None). ``dry_run=True`` without a cluster, kubeconfig or context needs no
    cluster: it plans against an empty one (the built-in Kubernetes API plus the backup's CRDs), and
    with ``output_dir`` writes every object after all transforms, one file each, in restore order
    (for ``kubectl apply -f``). ``diff=True`` compares with a live cluster and writes nothing. A dry
    run or a diff leaves nothing in the location either.

    ``include_names`` are ``[namespace/]name`` globs; ``resource_modifiers`` and ``resource_policy``
    are Velero's documents (text, a dict, a Path to a file, or a ConfigMap holding them);
    ``parallel`` bounds the items of one priority group created at once (1 restores one by one, as
    Velero does). ``spool_dir`` (a str or path) is where the backup is spooled while it is restored
    (default: the system's temporary directory); one that does not exist fails the restore (Error).

    Callbacks: ``progress(items_restored, total_items)`` may return False to cancel (CancelledError);
    ``log(level, line)`` sees every log line; ``plan(item)`` sees every object as decided,
    ``{"groupResource", "kind", "namespace", "name", "action", "reason", "diff"}`` (``action``
    create/update/unchanged/skip/fail in a dry run or a diff, created/updated/unchanged/skipped/failed
    when applied); ``item_hook(item)`` receives ``{"groupResource", "resource", "sourceNamespace",
    "targetNamespace", "object"}`` before the object goes to the cluster and may return
    ``{"object": …, "skip": bool, "additionalItems": […]}`` (or None to keep it). Callbacks may run on
    a worker thread of the restore, never two at once.

    ``record_in_cluster`` keeps the Restore CR in the cluster as :func:`vbackup.backup` keeps the
    Backup's (``"auto"``, ``True``, ``False``; a dry run or a diff records nothing).
    A key Velero does not know (``includedNamespace``) is a warning naming the closest known one;
    with ``strict_spec=True`` it fails validation (InvalidError).

    ``restore_volumes`` (``spec.restorePVs``; False: CSI-snapshotted PVCs come back empty, not from
    their snapshots) and ``item_operation_timeout`` (a Go duration) are ``velero restore create``'s flags.

    An exception raised by ``item_hook`` fails that item only (not restored; the restore ends
    PartiallyFailed, the item's error says ``item callback: <ExceptionType>: <message>``, its plan
    action is ``fail``). One raised by ``progress``, ``log`` or ``plan`` cancels the restore and is
    raised by this call; so is a KeyboardInterrupt or SystemExit from any callback. Ctrl-C while
    this call runs cancels the restore, also while the callbacks run on its worker threads, and
    raises KeyboardInterrupt: what was already created stays in the cluster and the location keeps
    the restore's whole record, phase Failed, failureReason "cancelled" (a dry run or a diff
    records nothing). The callbacks take the GIL on whatever thread calls them; the GIL is free
    while the library works.

    Raises InvalidError (failed validation; ``err.restore`` holds the Restore with its status),
    AlreadyExistsError, Error (a failed restore, ``err.restore`` too), CancelledError (``progress``
    returned False), KeyboardInterrupt, or the error of a progress, log or plan callback that raised.
    """
    body = _restore_body(spec, name, backup, schedule)
    # velero restore create --restore-volumes (csi §2: false restores empty PVCs), --item-operation-timeout.
    flags = {"restorePVs": restore_volumes, "itemOperationTimeout": item_operation_timeout}
    if any(v is not None for v in flags.values()):
        body["spec"] = dict(body.get("spec") or {})
        body["spec"].update({k: v for k, v in flags.items() if v is not None})
    options: Dict[str, Any] = {"mode": "diff" if diff else "dryRun" if dry_run else "apply",
                               "veleroNamespace": velero_namespace, "strictSpec": strict_spec,
                               "recordInCluster": _lib.record_option(record_in_cluster)}
    if output_dir is not None:
        options["outputDir"] = os.fspath(output_dir)
    if include_names is not None:
        options["includeNames"] = list(include_names)
    if resource_modifiers is not None:
        options["resourceModifiers"] = _document(resource_modifiers, "resource_modifiers")
    if resource_policy is not None:
        options["resourcePolicy"] = _document(resource_policy, "resource_policy")
    if parallel is not None:
        options["parallel"] = parallel
    if spool_dir is not None:
        options["spoolDir"] = os.fspath(spool_dir)
    # issue 16 (brief s3-seal): the identity of an encrypted backup; the checksum manifest check.
    if identity_file is not None:
        options["identityFile"] = os.fspath(identity_file)
    if skip_verify:
        options["skipVerify"] = True
    if require_signature:
        options["requireSignature"] = True
    if allowed_signers_file is not None:
        options["allowedSignersFile"] = os.fspath(allowed_signers_file)
    if principal is not None:
        options["principal"] = principal
    callbacks = _lib.CallbackSet(progress=progress, log=log, item_hook=item_hook, plan=plan, progress_args=2)

    owned_location = opened(location)
    owned_cluster: Optional[Cluster] = cluster
    try:
        if cluster is None and (kubeconfig is not None or context is not None or not (dry_run and not diff)):
            owned_cluster = Cluster(kubeconfig, context)
        out = ctypes.c_void_p()
        status = callbacks.call(_lib.restore_create, owned_cluster._handle if owned_cluster else None,
                                owned_location._handle, json.dumps(body).encode(), json.dumps(options).encode(),
                                ctypes.byref(callbacks.struct), ctypes.byref(out))
        result = _lib.take_string(out)
        result_json = json.loads(result) if result else None
        callbacks.reraise()
        _lib.check(status, restore=result_json, message=callbacks.last_error)
        return result_json
    finally:
        if owned_location is not location:
            owned_location.close()
        if owned_cluster is not None and owned_cluster is not cluster:
            owned_cluster.close()
