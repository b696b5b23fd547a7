"""The emulator's clock: real time plus an offset that tests move forward.

Expiry, lockouts, idempotency windows and statistics all read this clock, so a
test can jump a day ahead with ``advance(days=1)`` instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

__all__ = ["MAX_ADVANCE_SECONDS", "Clock"]

#: The longest jump the clock takes at once (about 100 years): far enough for any
#: test, and far from the year 9999 where a date can no longer be written.
MAX_ADVANCE_SECONDS = 100 * 366 * 86400
#: The latest emulated time: a timestamp a year before ``datetime.max`` stays printable.
_LATEST = datetime(9998, 1, 1, tzinfo=timezone.utc)


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
        self._initial = self._offset

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
        """Move the clock forward (never back) and return the new time.

        A refused step (negative, not finite, longer than ``MAX_ADVANCE_SECONDS`` or
        past the year 9998) raises ``ValueError`` and leaves the clock as it was.
        """
        try:
            total = float(seconds) + 60 * float(minutes) + 3600 * float(hours)
            total += 86400 * float(days)
        except (TypeError, ValueError, OverflowError):
            raise ValueError("the clock advances by a number of seconds") from None
        if not math.isfinite(total) or total < 0:
            raise ValueError("the emulator clock only moves forward, by a finite step")
        if total > MAX_ADVANCE_SECONDS:
            raise ValueError(f"the clock advances by at most {MAX_ADVANCE_SECONDS} seconds at once")
        step = timedelta(seconds=total)
        with self._lock:
            if _aware(self._source()) + self._offset + step > _LATEST:
                raise ValueError("the clock cannot move past the year 9998")
            self._offset += step
        return self.now()

    def reset(self) -> None:
        """Undo every ``advance``: back to the offset the clock started with."""
        with self._lock:
            self._offset = self._initial

    @property
    def offset_seconds(self) -> float:
        """How far the clock has been moved ahead of its source."""
        with self._lock:
            return self._offset.total_seconds()


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
