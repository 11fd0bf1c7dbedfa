"""The org's clock: real UTC time, or a frozen time that tests move forward explicitly."""

from __future__ import annotations

import datetime as dt
import threading


class OrgClock:
    """Source of every timestamp the org writes or compares against.

    By default ``now()`` is the real UTC time; ``freeze(at)`` pins it and ``advance(delta)`` moves it (in both
    modes: a running clock keeps an offset). Values are naive UTC datetimes truncated to whole seconds,
    because Salesforce stores audit timestamps with second precision.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: dt.datetime | None = None
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        with self._lock:
            if self._frozen_at is not None:
                current = self._frozen_at
            else:
                current = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + self._offset
        return current.replace(microsecond=0)

    def freeze(self, at: dt.datetime) -> None:
        """Pin the clock at ``at`` (aware datetimes are converted to UTC)."""
        with self._lock:
            self._frozen_at = _as_naive_utc(at)

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta

    def resume(self) -> None:
        """Return to real time (dropping any offset)."""
        with self._lock:
            self._frozen_at = None
            self._offset = dt.timedelta()


def _as_naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
