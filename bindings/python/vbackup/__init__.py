"""libvbackup for Python: back up Kubernetes resources in Velero's format.

Dicts in, dicts out: a backup is described by a velero.io/v1 Backup (or just its ``spec``) and comes
back as the Backup with its ``status``. Failures raise :class:`Error` subclasses named after the C
API's categories.

    import vbackup
    result = vbackup.backup({"includedNamespaces": ["demo"]}, name="demo",
                            location="file:///var/backups", from_manifests="examples/manifests")
    print(result["status"]["phase"])

The shared library is found through ``$VBACKUP_LIBRARY``, next to this package, in the source tree's
``build/capi/``, or on the system library path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

__all__ = [
    "Error", "InvalidError", "NotFoundError", "AlreadyExistsError", "StorageError", "KubeError",
    "CancelledError", "LocalIOError", "UnsupportedError",
    "version", "server_version", "backup", "Location", "Cluster",
]

JSON = Dict[str, Any]


class Error(Exception):
    """A libvbackup failure; ``code`` is the C API's vbk_status, ``message`` names the input."""

    code = -1

    def __init__(self, message: str, backup: Optional[JSON] = None):
        super().__init__(message)
        self.message = message
        #: For a failed backup: the Backup with its status (phase, validationErrors, failureReason).
        self.backup = backup


class InvalidError(Error):
    """Bad input: a spec, selector, manifest or archive; or a backup that failed validation."""
    code = -2


class NotFoundError(Error):
    code = -3


class AlreadyExistsError(Error):
    code = -4


class StorageError(Error):
    code = -5


class KubeError(Error):
    code = -6


class CancelledError(Error):
    code = -7


class LocalIOError(Error):
    code = -8


class UnsupportedError(Error):
    code = -9


_ERRORS = {cls.code: cls for cls in (Error, InvalidError, NotFoundError, AlreadyExistsError, StorageError,
                                      KubeError, CancelledError, LocalIOError, UnsupportedError)}


def _find_library() -> str:
    env = os.environ.get("VBACKUP_LIBRARY")
    if env:
        return env
    here = Path(__file__).resolve().parent
    candidates = [here / "libvbackup.so"]
    for root in (here.parent.parent.parent, Path.cwd()):
        candidates += [root / "build" / "capi" / "libvbackup.so"]
    for c in candidates:
        if c.exists():
            return str(c)
    found = ctypes.util.find_library("vbackup")
    if found:
        return found
    raise ImportError("libvbackup.so not found: build it (meson) or set VBACKUP_LIBRARY")


_lib = ctypes.CDLL(_find_library())
_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]

_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint64)
_LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
_ITEM = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))


_CALLBACKS_VERSION = 1  # VBK_CALLBACKS_VERSION


class _Callbacks(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("progress", _PROGRESS), ("log", _LOG), ("item", _ITEM),
                ("user", ctypes.c_void_p)]


def _fn(name: str, argtypes, restype=ctypes.c_int):
    f = getattr(_lib, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


_c_char_pp = ctypes.POINTER(ctypes.c_void_p)
_version = _fn("vbk_version", [], ctypes.c_char_p)
_last_error = _fn("vbk_last_error", [], ctypes.c_char_p)
_free = _fn("vbk_free", [ctypes.c_void_p], None)
_location_open = _fn("vbk_location_open", [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)])
_location_close = _fn("vbk_location_close", [ctypes.c_void_p], None)
_location_check = _fn("vbk_location_check", [ctypes.c_void_p, _c_char_pp])
_cluster_open_manifests = _fn("vbk_cluster_open_manifests", [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)])
_cluster_open = _fn("vbk_cluster_open", [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)])
_cluster_close = _fn("vbk_cluster_close", [ctypes.c_void_p], None)
_cluster_version = _fn("vbk_cluster_version", [ctypes.c_void_p, _c_char_pp])
_backup_create = _fn("vbk_backup_create", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                           ctypes.POINTER(_Callbacks), _c_char_pp])
_backup_list = _fn("vbk_backup_list", [ctypes.c_void_p, _c_char_pp])
_backup_get = _fn("vbk_backup_get", [ctypes.c_void_p, ctypes.c_char_p, _c_char_pp])
_backup_describe = _fn("vbk_backup_describe", [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, _c_char_pp])
_backup_logs = _fn("vbk_backup_logs", [ctypes.c_void_p, ctypes.c_char_p, _c_char_pp])
_backup_download = _fn("vbk_backup_download", [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p])
_backup_delete = _fn("vbk_backup_delete", [ctypes.c_void_p, ctypes.c_char_p])


def _take_string(p: ctypes.c_void_p) -> Optional[str]:
    if not p.value:
        return None
    try:
        return ctypes.string_at(p.value).decode("utf-8")
    finally:
        _free(p)


def _check(status: int, backup: Optional[JSON] = None) -> None:
    if status != 0:
        message = (_last_error() or b"").decode("utf-8", "replace")
        raise _ERRORS.get(status, Error)(message, backup)


def _enc(s: Union[str, os.PathLike]) -> bytes:
    return os.fspath(s).encode("utf-8")


def version() -> str:
    """The library version."""
    return _version().decode()


class Location:
    """A backup storage location: a URL (``file://DIR``, ``s3://…``, ``azure://…``) or a
    BackupStorageLocation given as a dict. Use as a context manager, or call :meth:`close`."""

    def __init__(self, location: Union[str, JSON]):
        self._handle = None
        text = json.dumps(location) if isinstance(location, dict) else str(location)
        handle = ctypes.c_void_p()
        _check(_location_open(_enc(text), ctypes.byref(handle)))
        self._handle = handle

    def close(self) -> None:
        if getattr(self, "_handle", None):
            _location_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Location":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _call_json(self, fn, *args) -> Any:
        out = ctypes.c_void_p()
        _check(fn(self._handle, *args, ctypes.byref(out)))
        return json.loads(_take_string(out))

    def check(self) -> JSON:
        """Velero's validity check: a BackupStorageLocation status, phase Available or Unavailable
        with the reason in ``message``."""
        return self._call_json(_location_check)

    def list_backups(self) -> List[JSON]:
        """Every Backup stored in the location (velero-backup.json), sorted by name."""
        return self._call_json(_backup_list)

    def get_backup(self, name: str) -> JSON:
        """One stored Backup. Raises NotFoundError."""
        return self._call_json(_backup_get, _enc(name))

    def describe_backup(self, name: str, details: bool = False) -> JSON:
        """``{"backup": …}``, plus ``resourceList`` and ``results`` with details."""
        return self._call_json(_backup_describe, _enc(name), 1 if details else 0)

    def backup_logs(self, name: str) -> str:
        out = ctypes.c_void_p()
        _check(_backup_logs(self._handle, _enc(name), ctypes.byref(out)))
        return _take_string(out) or ""

    def download_backup(self, name: str, path: Union[str, os.PathLike]) -> None:
        """Copies the backup's tarball to ``path``."""
        _check(_backup_download(self._handle, _enc(name), _enc(path)))

    def delete_backup(self, name: str) -> None:
        """Deletes every object of the backup. Raises NotFoundError if there is none."""
        _check(_backup_delete(self._handle, _enc(name)))


class Cluster:
    """A cluster: a live one through the Kubernetes API, or a folder of manifests standing in for one.

    ``Cluster(kubeconfig=…, context=…)`` connects (lazily) with the usual lookup when both are None
    ($KUBECONFIG, ~/.kube/config, then the in-cluster service account); ``qps``/``burst`` set the
    client's rate limits. ``Cluster.from_manifests(path)`` reads a directory or file of manifests.
    Use as a context manager, or call :meth:`close`."""

    def __init__(self, kubeconfig: Union[str, os.PathLike, None] = None, context: Optional[str] = None, *,
                 qps: Optional[float] = None, burst: Optional[int] = None, _manifests=None,
                 _default_namespace: str = "default"):
        self._handle = None
        handle = ctypes.c_void_p()
        if _manifests is not None:
            options = json.dumps({"defaultNamespace": _default_namespace}).encode()
            _check(_cluster_open_manifests(_enc(_manifests), options, ctypes.byref(handle)))
        else:
            _check(_cluster_open(_cluster_options(kubeconfig, context, qps, burst), ctypes.byref(handle)))
        self._handle = handle

    @classmethod
    def from_manifests(cls, path: Union[str, os.PathLike], default_namespace: str = "default") -> "Cluster":
        """A directory (or file) of Kubernetes manifests standing in for a cluster (read only)."""
        return cls(_manifests=path, _default_namespace=default_namespace)

    def version(self) -> JSON:
        """The API server's version: {"gitVersion", "major", "minor", "server"} (UnsupportedError for
        manifests)."""
        out = ctypes.c_void_p()
        _check(_cluster_version(self._handle, ctypes.byref(out)))
        return json.loads(_take_string(out))

    def close(self) -> None:
        if getattr(self, "_handle", None):
            _cluster_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _cluster_options(kubeconfig: Union[str, os.PathLike, None], context: Optional[str],
                     qps: Optional[float] = None, burst: Optional[int] = None) -> bytes:
    options: Dict[str, Any] = {}
    if kubeconfig is not None:
        options["kubeconfig"] = os.fspath(kubeconfig)
    if context is not None:
        options["context"] = context
    if qps is not None:
        options["qps"] = qps
    if burst is not None:
        options["burst"] = burst
    return json.dumps(options).encode()


def server_version(kubeconfig: Union[str, os.PathLike, None] = None, context: Optional[str] = None) -> JSON:
    """The Kubernetes API server's version: {"gitVersion", "major", "minor", "server"}."""
    with Cluster(kubeconfig, context) as c:
        return c.version()


ItemHook = Callable[[JSON], Optional[JSON]]


def backup(spec: Optional[JSON] = None, *, name: Optional[str] = None,
           location: Union[str, JSON, Location],
           from_manifests: Union[str, os.PathLike, None] = None,
           cluster: Optional[Cluster] = None,
           kubeconfig: Union[str, os.PathLike, None] = None, context: Optional[str] = None,
           compression: str = "gzip", velero_namespace: str = "velero",
           progress: Optional[Callable[[int, int, int], Optional[bool]]] = None,
           log: Optional[Callable[[str, str], None]] = None,
           item_hook: Optional[ItemHook] = None) -> JSON:
    """Creates a backup and returns the Backup (a dict) with its status.

    The source is ``from_manifests`` (a folder of manifests), an open ``cluster``, or else the cluster
    of ``kubeconfig``/``context`` (the usual kubeconfig lookup when both are None).

    ``spec`` is a Backup spec (``{"includedNamespaces": […]}``) or a whole Backup
    (``{"metadata": {"name": …}, "spec": {…}}``); ``name`` names it when ``spec`` is only a spec.
    ``progress(items_backed_up, total_items, bytes_written)`` may return False to cancel
    (CancelledError); ``total_items`` is counted ahead from the source (equal to items_backed_up
    at the end, and all along when a label selector leaves the server without counts). ``log(level, line)`` sees every backup log line. ``item_hook(item)`` receives
    ``{"resource": {…}, "object": {…}}`` and may return ``{"object": …, "skip": bool,
    "additionalItems": [{"groupResource", "namespace", "name"}]}`` (or None to keep the item).

    Raises InvalidError (failed validation; ``err.backup`` holds the status), AlreadyExistsError,
    Error (a failed backup), CancelledError, or the error of a callback that raised.
    """
    spec = dict(spec or {})
    if "spec" in spec or "metadata" in spec:
        body = spec
    else:
        body = {"spec": spec}
    if name is not None:
        body.setdefault("metadata", {})["name"] = name
    options = json.dumps({"compression": compression, "veleroNamespace": velero_namespace}).encode()

    raised: List[BaseException] = []

    def on_progress(_user, done, total, written):
        try:
            return 0 if progress(done, total, written) is not False else 1
        except BaseException as e:  # the C side sees a cancel; the error is re-raised below
            raised.append(e)
            return 1

    def on_log(_user, level, line):
        try:
            log(level.decode(), line.decode("utf-8", "replace"))
        except BaseException as e:
            raised.append(e)

    def on_item(_user, item_json, result):
        try:
            answer = item_hook(json.loads(item_json))
            if answer is not None:
                data = json.dumps(answer).encode()
                buf = _libc.malloc(len(data) + 1)
                ctypes.memmove(buf, data + b"\0", len(data) + 1)
                result[0] = buf
            return 0
        except BaseException as e:
            raised.append(e)
            return 1

    callbacks = _Callbacks(_CALLBACKS_VERSION, _PROGRESS(on_progress) if progress else _PROGRESS(),
                           _LOG(on_log) if log else _LOG(),
                           _ITEM(on_item) if item_hook else _ITEM(), None)

    owned_location = location if isinstance(location, Location) else Location(location)
    if cluster is not None:
        owned_cluster = cluster
    elif from_manifests is not None:
        owned_cluster = Cluster.from_manifests(from_manifests)
    else:
        owned_cluster = Cluster(kubeconfig, context)
    try:
        out = ctypes.c_void_p()
        status = _backup_create(owned_cluster._handle, owned_location._handle, json.dumps(body).encode(), options,
                                ctypes.byref(callbacks), ctypes.byref(out))
        result = _take_string(out)
        result_json = json.loads(result) if result else None
        if raised:
            raise raised[0]
        _check(status, result_json)
        return result_json
    finally:
        if owned_location is not location:
            owned_location.close()
        if owned_cluster is not cluster:
            owned_cluster.close()
