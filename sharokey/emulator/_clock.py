"""The emulator's clock: real time plus an offset that tests move forward.

Expiry, lockouts, idempotency windows and statistics all read this clock, so a
test can jump a day ahead with ``advance(days=1)`` instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

__all__ = ["Clock"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Clock:
    """Thread-safe injectable clock; ``now()`` is always an aware UTC datetime.

    ``source`` is where time comes from (default: the system clock); ``start``
    pins the first reading, after which time flows with the source.
    """

    def __init__(
        self,
        source: Optional[Callable[[], datetime]] = None,
        *,
        start: Optional[datetime] = None,
    ) -> None:
        self._source: Callable[[], datetime] = source or _utcnow
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self._offset = _aware(start) - _aware(self._source())

    def now(self) -> datetime:
        """The current emulated time (UTC)."""
        with self._lock:
            offset = self._offset
        return _aware(self._source()) + offset

    def timestamp(self) -> float:
        """``now()`` as POSIX seconds, the unit the store keeps."""
        return self.now().timestamp()

    def advance(
        self, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> datetime:
        """Move the clock forward (never back) and return the new time."""
        step = timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        if step < timedelta(0):
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += step
        return self.now()

    @property
    def offset_seconds(self) -> float:
        """How far the clock has been moved ahead of its source."""
        with self._lock:
            return self._offset.total_seconds()


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
