"""Looking into a stored backup without restoring it: its items (with a restore's filters), one
item, and what changed between two backups ("what changed since last night?")."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _lib
from ._lib import JSON
from .location import Location, opened


def backup_items(location: Union[str, JSON, Location], name: str, *, filters: Optional[JSON] = None,
                 include_names: Optional[Sequence[str]] = None) -> List[JSON]:
    """The items of backup ``name`` in restore order (CRDs first, then Velero's priorities), each
    ``{"groupResource", "kind", "namespace", "name"}``. ``filters`` are a Restore spec's filters
    (``includedNamespaces``, ``includedResources``, ``labelSelector``, …) and ``include_names``
    ``[namespace/]name`` globs: the items a restore with them would consider. Raises NotFoundError,
    InvalidError for filters that do not validate."""
    options: Dict[str, Any] = {}
    if filters is not None:
        options["filters"] = filters
    if include_names is not None:
        options["includeNames"] = list(include_names)
    loc = opened(location)
    try:
        return _lib.call_json(_lib.backup_items, loc._handle, _lib.enc(name), json.dumps(options).encode())
    finally:
        if loc is not location:
            loc.close()


def backup_item(location: Union[str, JSON, Location], name: str, item: str) -> JSON:
    """One archived object as stored: ``item`` is ``"<group resource>/<namespace>/<name>"``
    (``"deployments.apps/demo/web"``) or ``"<group resource>/<name>"`` when cluster-scoped. Raises
    NotFoundError naming the item."""
    loc = opened(location)
    try:
        return _lib.call_json(_lib.backup_item, loc._handle, _lib.enc(name), _lib.enc(item))
    finally:
        if loc is not location:
            loc.close()


def diff_backups(location: Union[str, JSON, Location], a: str, b: str) -> List[JSON]:
    """What changed from backup ``a`` to backup ``b``, sorted by group resource, namespace and name:
    ``{"change": "added"|"removed"|"changed", "groupResource", "kind", "namespace", "name",
    "diff"}`` each (a unified diff for "changed"). The API server's bookkeeping is not a change."""
    loc = opened(location)
    try:
        return _lib.call_json(_lib.backup_diff, loc._handle, _lib.enc(a), _lib.enc(b))
    finally:
        if loc is not location:
            loc.close()
