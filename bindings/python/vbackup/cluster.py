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
    client's rate limits. ``Cluster.from_manifests(path)`` reads a directory or file of manifests.
    Use as a context manager, or call :meth:`close`."""

    def __init__(self, kubeconfig: Optional[PathLike] = None, context: Optional[str] = None, *,
                 qps: Optional[float] = None, burst: Optional[int] = None, _manifests=None,
                 _default_namespace: str = "default"):
        self._handle = None
        handle = ctypes.c_void_p()
        if _manifests is not None:
            options = json.dumps({"defaultNamespace": _default_namespace}).encode()
            _lib.check(_lib.cluster_open_manifests(_lib.enc(_manifests), options, ctypes.byref(handle)))
        else:
            _lib.check(_lib.cluster_open(_cluster_options(kubeconfig, context, qps, burst), ctypes.byref(handle)))
        self._handle = handle

    @classmethod
    def from_manifests(cls, path: PathLike, default_namespace: str = "default") -> "Cluster":
        """A directory (or file) of Kubernetes manifests standing in for a cluster (read only)."""
        return cls(_manifests=path, _default_namespace=default_namespace)

    def version(self) -> JSON:
        """The API server's version: {"gitVersion", "major", "minor", "server"} (UnsupportedError for
        manifests)."""
        return _lib.call_json(_lib.cluster_version, self._handle)

    def close(self) -> None:
        if getattr(self, "_handle", None):
            _lib.cluster_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _cluster_options(kubeconfig: Optional[PathLike], context: Optional[str],
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


def server_version(kubeconfig: Optional[PathLike] = None, context: Optional[str] = None) -> JSON:
    """The Kubernetes API server's version: {"gitVersion", "major", "minor", "server"}."""
    with Cluster(kubeconfig, context) as c:
        return c.version()
