"""The shared library: finding and loading it, the ctypes signatures of the C ABI (vbackup.h), its
error categories as exceptions, and the callbacks every operation shares."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

JSON = Dict[str, Any]
PathLike = Union[str, os.PathLike]


# A failed Kubernetes API call as the library words it (include/vbackup/kube.hpp KubeError):
# "<VERB> <url>: <HTTP code> <Reason>[: <Status message>]", possibly after a prefix naming the operation.
_KUBE_STATUS = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE) \S+: (\d{3}) ([A-Z][A-Za-z]*)\b")


class Error(Exception):
    """A libvbackup failure; ``code`` is the C API's vbk_status, ``message`` names the input.

    ``http_status`` and ``reason`` are the server's answer when an HTTP answer made the call fail
    (vbk_last_error_http_status/_reason): the Kubernetes API's (409 and "AlreadyExists", 404 and
    "NotFound", 403 and "Forbidden", ...) or the object store's (404 and "NoSuchBucket", 403 and
    "AuthorizationFailure", ...); None otherwise (a name taken in the location, bad input, a server
    that did not answer)."""

    code = -1

    def __init__(self, message: str, backup: Optional[JSON] = None, restore: Optional[JSON] = None,
                 http_status: Optional[int] = None, reason: Optional[str] = None):
        super().__init__(message)
        self.message = message
        #: For a failed backup: the Backup with its status (phase, validationErrors, failureReason).
        self.backup = backup
        #: For a failed restore: the Restore with its status (phase, validationErrors, failureReason).
        self.restore = restore
        # The library's own record first (brief s3-docs); an API answer quoted in the message otherwise
        # (an Error made from a message, or a failure the library words without keeping the answer).
        m = None if http_status else _KUBE_STATUS.search(message)
        #: The HTTP status (an int) of the answer that made the call fail, else None.
        self.http_status: Optional[int] = http_status or (int(m.group(1)) if m else None)
        #: The Kubernetes Status reason or the object store's error code with ``http_status``
        #: ("AlreadyExists", "NoSuchBucket", ...), else None.
        self.reason: Optional[str] = (reason or None) if http_status else (m.group(2) if m else None)


class InvalidError(Error):
    """VBK_EINVALID: bad input (a spec, option, selector, manifest or archive; a value of the wrong
    type, an unknown option key, a closed handle), or an operation that failed validation
    (``err.backup``/``err.restore`` in phase FailedValidation with ``validationErrors``)."""
    code = -2


class NotFoundError(Error):
    """VBK_ENOTFOUND: no such backup, restore, object or key (``http_status`` 404 from the API)."""
    code = -3


class AlreadyExistsError(Error):
    """VBK_EEXISTS: the name is taken, in the location or as a CR in the cluster (``http_status``
    409 when the API server said AlreadyExists)."""
    code = -4


class StorageError(Error):
    """VBK_ESTORAGE: the object store failed (unreachable, refused, read-only for a write)."""
    code = -5


class KubeError(Error):
    """VBK_EKUBE: the Kubernetes API failed (``http_status`` when it answered, None when unreachable)."""
    code = -6


class CancelledError(Error):
    """VBK_ECANCELLED: a callback asked to stop (a progress callback returned False). Ctrl-C during a
    call raises KeyboardInterrupt instead, after the operation was cancelled cleanly."""
    code = -7


class LocalIOError(Error):
    """VBK_EIO: local file system I/O failed (a manifests folder, an output directory, a download)."""
    code = -8


class UnsupportedError(Error):
    """VBK_EUNSUPPORTED: valid, but not implemented by this build (a folder of manifests where a
    live cluster is needed, a location type not supported)."""
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
last_error_http_status = _fn("vbk_last_error_http_status", [], ctypes.c_int)  # brief s3-docs
last_error_reason = _fn("vbk_last_error_reason", [], _s)


class LastError(bytes):
    """vbk_last_error() with the HTTP answer of the same call (``http_status`` 0 when none, and
    ``reason``), read together on the thread that made the call: they are per thread."""
    http_status: int = 0
    reason: str = ""


def read_last_error() -> LastError:
    e = LastError(last_error() or b"")
    e.http_status = last_error_http_status()
    e.reason = (last_error_reason() or b"").decode("utf-8", "replace")
    return e
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
# brief s3-seal (issue 16)
backup_verify = _fn("vbk_backup_verify", [_p, _s, _s, _out])
backup_rekey = _fn("vbk_backup_rekey", [_p, _s, _s, _out])


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


def check(status: int, backup: Optional[JSON] = None, restore: Optional[JSON] = None,
          message: Optional[bytes] = None) -> None:
    """Raises the Error subclass of a failed call, with vbk_last_error() as its message (``message``:
    the one read on the thread that made the call, vbk_last_error being per thread)."""
    if status != 0:
        detail = read_last_error() if message is None else message
        text = (detail or b"").decode("utf-8", "replace")
        raise _ERRORS.get(status, Error)(text, backup, restore, http_status=getattr(detail, "http_status", 0),
                                         reason=getattr(detail, "reason", ""))


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


def _item_error(e: BaseException) -> str:
    """The item error an item hook's exception becomes: its type and message."""
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


T = TypeVar("T")


class CallbackSet:
    """The Python callbacks of one operation as a vbk_callbacks struct.

    - An exception (an ``Exception``) raised in the item hook fails that item, as a Velero plugin's
      error does: the item is not backed up (not restored), the operation goes on and ends
      PartiallyFailed, and the item's error in the results names the item and says
      ``item callback: <ExceptionType>: <message>``.
    - An exception raised in a progress, log or plan callback, and a BaseException that is not an
      Exception (KeyboardInterrupt, SystemExit) raised in any callback, cancels the operation (at
      once from a progress or item callback, at the next progress call from a log or plan callback);
      the call then raises that exception, not CancelledError.
    - :meth:`call` runs the C call so that Ctrl-C cancels it (see there).
    """

    def __init__(self, progress: Optional[Callable[..., Optional[bool]]] = None,
                 log: Optional[Callable[[str, str], None]] = None, item_hook: Optional[ItemHook] = None,
                 plan: Optional[Callable[[JSON], None]] = None, progress_args: int = 3):
        self.raised: List[BaseException] = []
        #: Set by :meth:`call` on Ctrl-C: the next progress or item callback cancels.
        self.interrupted = threading.Event()
        #: vbk_last_error() as the thread of the last :meth:`call` left it.
        self.last_error: Optional[bytes] = None

        def on_progress(_user, done, total, written):
            if self.raised or self.interrupted.is_set():
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

        def give(answer: JSON, result) -> None:
            data = json.dumps(answer).encode()
            buf = _libc.malloc(len(data) + 1)  # the library frees it with free()
            if not buf:
                raise MemoryError("item hook answer")
            ctypes.memmove(buf, data + b"\0", len(data) + 1)
            result[0] = buf

        def on_item(_user, item_json, result):
            if self.raised or self.interrupted.is_set():
                return 1
            try:
                answer = item_hook(json.loads(item_json))
                if answer is not None:
                    give(answer, result)
                return 0
            except Exception as e:  # the item's error (vbackup.h: {"error": …} fails the item)
                try:
                    give({"error": _item_error(e)}, result)
                    return 0
                except BaseException as e2:
                    self.raised.append(e2)
                    return 1
            except BaseException as e:  # KeyboardInterrupt, SystemExit: stop the operation
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

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``, cancellable with Ctrl-C.

        Python runs signal handlers only on the main thread, between bytecodes: while the main
        thread waits in a long C call (whose callbacks may run on the library's worker threads) a
        SIGINT would wait for the call to end. So from the main thread the call runs on a helper
        thread while the main thread waits, interruptibly; a KeyboardInterrupt there sets
        :attr:`interrupted`, the next progress or item callback returns non-zero, the library
        cancels (nothing half-written stays visible) and the call returns VBK_ECANCELLED, after which
        :meth:`reraise` raises KeyboardInterrupt. Called from another thread, ``fn`` runs there.
        The GIL is not held during the C call: the library is loaded with ctypes.CDLL, which
        releases it (PyDLL would not), and the callbacks take it back on whatever thread they run."""
        if threading.current_thread() is not threading.main_thread():
            result = fn(*args)
            self.last_error = read_last_error()
            return result
        box: Dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["result"] = fn(*args)
                self.last_error = read_last_error()  # per thread: read it here
            except BaseException as e:  # ctypes argument errors: re-raised on the caller's thread
                box["error"] = e
            finally:
                done.set()

        # Not a daemon: the interpreter never ends while the library runs. Not Thread.join either: a
        # KeyboardInterrupt in join() marks a running thread stopped (CPython bpo-45274's fix, 3.11).
        worker = threading.Thread(target=run, name="vbackup-call")
        worker.start()
        while not done.is_set():
            try:
                done.wait(0.1)  # a short wait, so signal handlers run even if SIGINT hit another thread
            except KeyboardInterrupt as e:
                if not self.raised:
                    self.raised.append(e)
                self.interrupted.set()  # keep waiting: the library cleans up before it returns
        worker.join()
        if "error" in box:
            raise box["error"]
        return box["result"]

    def reraise(self) -> None:
        """Raises what a callback raised (or the KeyboardInterrupt :meth:`call` caught), if anything."""
        if self.raised:
            raise self.raised[0]
server_run = _fn("vbk_server_run", [_s, ctypes.POINTER(Callbacks)])  # brief i13-server
