"""Clusters: a live one through the Kubernetes API, or a folder of manifests standing in for one."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Dict, Optional

from . import _lib
from ._lib import JSON, PathLike


class Cluster:
    """A cluster: a live one through the Kubernetes API, or a folder of manifests standing in for one.

    ``Cluster(kubeconfig=…, context=…)`` connects (lazily) with the usual lookup when both are None
    ($KUBECONFIG, ~/.kube/config, then the in-cluster service account); ``qps``/``burst`` set the
    client's rate limits; ``request_timeout`` (kubectl's ``--request-timeout``: ``"30s"``, ``"1m"``,
    ``"0"`` for none; default 1m) bounds each request to the API server, retries included. ``Cluster.from_manifests(path)`` reads a directory or file of manifests.
    Use as a context manager, or call :meth:`close`."""

    def __init__(self, kubeconfig: Optional[PathLike] = None, context: Optional[str] = None, *,
                 qps: Optional[float] = None, burst: Optional[int] = None,
                 request_timeout: Optional[str] = None, _manifests: Optional[PathLike] = None,
                 _default_namespace: str = "default") -> None:
        self._h: Optional[ctypes.c_void_p] = None
        handle = ctypes.c_void_p()
        if _manifests is not None:
            options = json.dumps({"defaultNamespace": _default_namespace}).encode()
            _lib.check(_lib.cluster_open_manifests(_lib.enc(_manifests), options, ctypes.byref(handle)))
        else:
            _lib.check(_lib.cluster_open(_cluster_options(kubeconfig, context, qps, burst, request_timeout),
                                         ctypes.byref(handle)))
        self._h = handle

    @property
    def _handle(self) -> ctypes.c_void_p:
        """The vbk_cluster; InvalidError once closed (never a dangling pointer handed to C)."""
        if self._h is None:
            raise _lib.InvalidError("vbackup.Cluster: used after close()")
        return self._h

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return getattr(self, "_h", None) is None

    @classmethod
    def from_manifests(cls, path: PathLike, default_namespace: str = "default") -> "Cluster":
        """A directory (or file) of Kubernetes manifests standing in for a cluster (read only)."""
        return cls(_manifests=path, _default_namespace=default_namespace)

    def version(self) -> JSON:
        """The API server's version: {"gitVersion", "major", "minor", "server"} (UnsupportedError for
        manifests)."""
        return _lib.call_json(_lib.cluster_version, self._handle)

    def close(self) -> None:
        """Releases the cluster; closing twice is fine. Using it afterwards raises InvalidError."""
        if getattr(self, "_h", None) is not None:
            _lib.cluster_close(self._h)
            self._h = None

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _cluster_options(kubeconfig: Optional[PathLike], context: Optional[str],
                     qps: Optional[float] = None, burst: Optional[int] = None,
                     request_timeout: Optional[str] = None) -> bytes:
    options: Dict[str, Any] = {}
    if kubeconfig is not None:
        options["kubeconfig"] = os.fspath(kubeconfig)
    if context is not None:
        options["context"] = context
    if qps is not None:
        options["qps"] = qps
    if burst is not None:
        options["burst"] = burst
    if request_timeout is not None:
        options["requestTimeout"] = str(request_timeout)
    return json.dumps(options).encode()


def server_version(kubeconfig: Optional[PathLike] = None, context: Optional[str] = None) -> JSON:
    """The Kubernetes API server's version: {"gitVersion", "major", "minor", "server"}."""
    with Cluster(kubeconfig, context) as c:
        return c.version()
