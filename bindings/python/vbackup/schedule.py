"""Velero's schedules (spec §4.4): when a cron expression runs next, parsed exactly as Velero parses
it (robfig/cron v3: five fields, ``@daily``, ``@every 1h``, ``CRON_TZ=Europe/Berlin ...``), and what
Velero's schedule controller does with a Schedule at a given time."""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, Optional, Sequence

from . import _lib
from ._lib import JSON

_next = _lib._fn("vbk_schedule_next", [ctypes.c_char_p, ctypes.c_char_p, _lib._out])
_decide = _lib._fn("vbk_schedule_decide", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _lib._out])


def schedule_next(expression: str, after: Optional[str] = None) -> str:
    """The first run strictly after ``after`` (RFC 3339; ``None``: now), as RFC 3339 UTC.
    Expressions without ``CRON_TZ=`` run in UTC, the Velero pod's zone. Raises InvalidError with
    Velero's validation message (``invalid schedule: ...``), NotFoundError when the expression never
    runs within five years (``0 0 30 2 *``)."""
    return _lib.call_text(_next, _lib.enc(expression), None if after is None else _lib.enc(after))


def schedule_decide(schedule: JSON, now: Optional[str] = None, *, skip_immediately: bool = False,
                    local_zone: str = "UTC", backups: Optional[Sequence[JSON]] = None) -> JSON:
    """What Velero's schedule controller does with ``schedule`` (a velero.io/v1 Schedule) at ``now``
    (RFC 3339; ``None``: now): ``{"patch", "backup" (when due), "backupPatch", "schedule", "nextRun",
    "reason"}``. ``skip_immediately`` is the server's ``--schedule-skip-immediately``; ``backups``
    the Backups of the namespace (one of this schedule's in phase "", New or InProgress skips the
    run)."""
    options: Dict[str, Any] = {"skipImmediately": skip_immediately, "localZone": local_zone}
    if backups is not None:
        options["backups"] = list(backups)
    return _lib.call_json(_decide, json.dumps(schedule).encode(), None if now is None else _lib.enc(now),
                          json.dumps(options).encode())
