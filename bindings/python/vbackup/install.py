"""velero install for a vbackup server: the resources (Velero's CRDs, the namespace, the ServiceAccount
and its ClusterRoleBinding, the credentials Secret, the default BackupStorageLocation, the Deployment
running ``vbackup server``) and applying them to a cluster in Velero's order."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Mapping, Optional, Union

from . import _lib
from ._lib import JSON, PathLike
from .cluster import Cluster

_lib_install_resources = _lib._fn("vbk_install_resources", [_lib._s, _lib._out])
_lib_install = _lib._fn("vbk_install", [_lib._p, _lib._s, _lib._out])


def _options(provider: Optional[str], bucket: Optional[str], prefix: Optional[str],
             config: Optional[Mapping[str, str]], secret_file: Optional[PathLike],
             secret_data: Optional[str], extra: Dict[str, Any]) -> Dict[str, Any]:
    o: Dict[str, Any] = {}
    for key, value in (("provider", provider), ("bucket", bucket), ("prefix", prefix)):
        if value is not None:
            o[key] = value
    if config:
        o["backupLocationConfig"] = dict(config)
    if secret_file is not None and secret_data is not None:
        raise ValueError("give secret_file or secret_data, not both")
    if secret_file is not None:
        with open(os.fspath(secret_file), encoding="utf-8") as f:
            o["secretData"] = f.read()
    elif secret_data is not None:
        o["secretData"] = secret_data
    o.update(extra)
    return o


def install_resources(provider: Optional[str] = None, bucket: Optional[str] = None, *,
                      prefix: Optional[str] = None, config: Optional[Mapping[str, str]] = None,
                      secret_file: Optional[PathLike] = None, secret_data: Optional[str] = None,
                      **options: Any) -> JSON:
    """What ``vbackup install --dry-run -o json`` prints: one ``List`` of Velero's CRDs and the server's
    objects. ``config`` is the BSL's config (``--backup-location-config``); no ``secret_file`` /
    ``secret_data`` means no Secret (``--no-secret``). Other keyword arguments are the C API's install
    options by their JSON names (``namespace``, ``image``, ``useVolumeSnapshots``, ``crdsOnly``,
    ``noDefaultBackupLocation``, ``podLabels``, …). InvalidError with velero install's messages."""
    o = _options(provider, bucket, prefix, config, secret_file, secret_data, options)
    return _lib.call_json(_lib_install_resources, json.dumps(o).encode())


def install(provider: Optional[str] = None, bucket: Optional[str] = None, *,
            cluster: Optional[Cluster] = None, kubeconfig: Optional[PathLike] = None,
            context: Optional[str] = None, prefix: Optional[str] = None,
            config: Optional[Mapping[str, str]] = None, secret_file: Optional[PathLike] = None,
            secret_data: Optional[str] = None, wait: bool = False, **options: Any) -> JSON:
    """Applies :func:`install_resources` to a cluster (``cluster``, else one opened from
    ``kubeconfig``/``context``) as velero install does: CRDs first and Established, then the rest;
    objects that exist are left as they are. ``wait`` waits for the Deployment (``waitTimeout``,
    default ``"3m"``). Returns ``{"objects": [{"kind", "namespace", "name", "action": "created" |
    "already exists"}], "deploymentReady": bool}``."""
    o = _options(provider, bucket, prefix, config, secret_file, secret_data, options)
    if wait:
        o["wait"] = True
    text = json.dumps(o).encode()
    if cluster is not None:
        return _lib.call_json(_lib_install, cluster._handle, text)
    with Cluster(kubeconfig, context) as c:
        return _lib.call_json(_lib_install, c._handle, text)
