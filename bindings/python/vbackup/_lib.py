"""The shared library: finding and loading it, the ctypes signatures of the C ABI (vbackup.h), its
error categories as exceptions, and the callbacks every operation shares."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

JSON = Dict[str, Any]
PathLike = Union[str, os.PathLike]


class Error(Exception):
    """A libvbackup failure; ``code`` is the C API's vbk_status, ``message`` names the input."""

    code = -1

    def __init__(self, message: str, backup: Optional[JSON] = None, restore: Optional[JSON] = None):
        super().__init__(message)
        self.message = message
        #: For a failed backup: the Backup with its status (phase, validationErrors, failureReason).
        self.backup = backup
        #: For a failed restore: the Restore with its status (phase, validationErrors, failureReason).
        self.restore = restore


class InvalidError(Error):
    """Bad input: a spec, option, selector, manifest or archive; or an operation that failed validation."""
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
    """$VBACKUP_LIBRARY, else the copy the wheel carries (bindings/python/meson.build), else a source
    tree's build/capi/, else the system's (libvbackup.so.0, the soname of the ABI this package calls)."""
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
    raise ImportError("libvbackup.so not found: pip install bindings/python (the wheel carries it), build it "
                      "(meson), or set VBACKUP_LIBRARY")


lib = ctypes.CDLL(_find_library())
_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]

PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint64)
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
ITEM = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))
PLAN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)

CALLBACKS_VERSION = 2  # VBK_CALLBACKS_VERSION


class Callbacks(ctypes.Structure):
    """vbk_callbacks, version 2."""
    _fields_ = [("version", ctypes.c_uint), ("progress", PROGRESS), ("log", LOG), ("item", ITEM),
                ("user", ctypes.c_void_p), ("plan", PLAN)]


def _fn(name: str, argtypes, restype=ctypes.c_int):
    f = getattr(lib, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


_p = ctypes.c_void_p
_s = ctypes.c_char_p
_out = ctypes.POINTER(ctypes.c_void_p)  # char** / handle**
version_ = _fn("vbk_version", [], _s)
#: The version of the libvbackup loaded (the wheel carries the library of its own release).
__version__: str = version_().decode()
last_error = _fn("vbk_last_error", [], _s)
free = _fn("vbk_free", [_p], None)
location_open = _fn("vbk_location_open", [_s, _out])
location_close = _fn("vbk_location_close", [_p], None)
location_check = _fn("vbk_location_check", [_p, _out])
locations_list = _fn("vbk_locations_list", [_out])
location_leftovers = _fn("vbk_location_leftovers", [_p, _out])
location_prune = _fn("vbk_location_prune", [_p, _s, _out])
cluster_open_manifests = _fn("vbk_cluster_open_manifests", [_s, _s, _out])
cluster_open = _fn("vbk_cluster_open", [_s, _out])
cluster_close = _fn("vbk_cluster_close", [_p], None)
cluster_version = _fn("vbk_cluster_version", [_p, _out])
backup_create = _fn("vbk_backup_create", [_p, _p, _s, _s, ctypes.POINTER(Callbacks), _out])
backup_list = _fn("vbk_backup_list", [_p, _out])
backup_get = _fn("vbk_backup_get", [_p, _s, _out])
backup_describe = _fn("vbk_backup_describe", [_p, _s, ctypes.c_int, _out])
backup_logs = _fn("vbk_backup_logs", [_p, _s, _out])
backup_download = _fn("vbk_backup_download", [_p, _s, _s])
backup_delete = _fn("vbk_backup_delete", [_p, _s])
backup_delete_recorded = _fn("vbk_backup_delete_recorded", [_p, _p, _s, _s, _out])
restore_create = _fn("vbk_restore_create", [_p, _p, _s, _s, ctypes.POINTER(Callbacks), _out])
restore_list = _fn("vbk_restore_list", [_p, _out])
restore_get = _fn("vbk_restore_get", [_p, _s, _out])
restore_describe = _fn("vbk_restore_describe", [_p, _s, ctypes.c_int, _out])
restore_logs = _fn("vbk_restore_logs", [_p, _s, _out])
restore_delete = _fn("vbk_restore_delete", [_p, _s])
restore_delete_recorded = _fn("vbk_restore_delete_recorded", [_p, _p, _s, _s, _out])
backup_items = _fn("vbk_backup_items", [_p, _s, _s, _out])
backup_item = _fn("vbk_backup_item", [_p, _s, _s, _out])
backup_diff = _fn("vbk_backup_diff", [_p, _s, _s, _out])


def record_option(value: "bool | str") -> "bool | str":
    """record_in_cluster= as the C options' "recordInCluster": "auto", True or False."""
    if value in ("auto", True, False):
        return value
    raise TypeError(f"record_in_cluster: expected 'auto', True or False, not {value!r}")


def take_string(p: ctypes.c_void_p) -> Optional[str]:
    """The string the library handed out, released."""
    if not p.value:
        return None
    try:
        return ctypes.string_at(p.value).decode("utf-8")
    finally:
        free(p)


def check(status: int, backup: Optional[JSON] = None, restore: Optional[JSON] = None) -> None:
    """Raises the Error subclass of a failed call, with vbk_last_error() as its message."""
    if status != 0:
        message = (last_error() or b"").decode("utf-8", "replace")
        raise _ERRORS.get(status, Error)(message, backup, restore)


def enc(s: PathLike) -> bytes:
    return os.fspath(s).encode("utf-8")


def call_json(fn, *args) -> Any:
    """Calls fn(*args, &out) and returns the JSON it handed out."""
    out = ctypes.c_void_p()
    check(fn(*args, ctypes.byref(out)))
    return json.loads(take_string(out))


def call_text(fn, *args) -> str:
    out = ctypes.c_void_p()
    check(fn(*args, ctypes.byref(out)))
    return take_string(out) or ""


ItemHook = Callable[[JSON], Optional[JSON]]


class CallbackSet:
    """The Python callbacks of one operation as a vbk_callbacks struct. An exception raised in one is
    kept and cancels the operation (at once from a progress or item callback, at the next progress
    call from a log or plan callback); :meth:`reraise` raises it after the call returns."""

    def __init__(self, progress: Optional[Callable[..., Optional[bool]]] = None,
                 log: Optional[Callable[[str, str], None]] = None, item_hook: Optional[ItemHook] = None,
                 plan: Optional[Callable[[JSON], None]] = None, progress_args: int = 3):
        self.raised: List[BaseException] = []

        def on_progress(_user, done, total, written):
            if self.raised:
                return 1
            if progress is None:
                return 0
            try:
                args = (done, total, written)[:progress_args]
                return 0 if progress(*args) is not False else 1
            except BaseException as e:  # the C side sees a cancel; the error is re-raised after the call
                self.raised.append(e)
                return 1

        def on_log(_user, level, line):
            try:
                log(level.decode(), line.decode("utf-8", "replace"))
            except BaseException as e:
                self.raised.append(e)

        def on_item(_user, item_json, result):
            try:
                answer = item_hook(json.loads(item_json))
                if answer is not None:
                    data = json.dumps(answer).encode()
                    buf = _libc.malloc(len(data) + 1)  # the library frees it with free()
                    ctypes.memmove(buf, data + b"\0", len(data) + 1)
                    result[0] = buf
                return 0
            except BaseException as e:
                self.raised.append(e)
                return 1

        def on_plan(_user, item_json):
            try:
                plan(json.loads(item_json))
            except BaseException as e:
                self.raised.append(e)

        # The progress trampoline is always there, so that any callback's exception can cancel.
        self.struct = Callbacks(CALLBACKS_VERSION, PROGRESS(on_progress), LOG(on_log) if log else LOG(),
                                ITEM(on_item) if item_hook else ITEM(), None, PLAN(on_plan) if plan else PLAN())

    def reraise(self) -> None:
        if self.raised:
            raise self.raised[0]
server_run = _fn("vbk_server_run", [_s, ctypes.POINTER(Callbacks)])  # brief i13-server
