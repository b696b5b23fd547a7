"""The worker threads' pauses between pieces of big work (``sharokey._gil``)."""

from __future__ import annotations

import threading
from typing import Callable

import pytest

from sharokey import _gil


class _Clock:
    """Stands in for the ``time`` module inside ``_gil``: a clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _in_a_thread(work: Callable[[], None]) -> None:
    # pausing_worker() marks the calling thread for good: never the test's own.
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def _pieces(clock: _Clock, count: int, seconds_each: float) -> None:
    for _ in range(count):
        _gil.breathe()
        clock.now += seconds_each


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(_gil, "time", fake)
    return fake


def test_a_pausing_worker_pauses_at_most_once_per_interval_of_work(clock: _Clock) -> None:
    def work() -> None:
        _gil.pausing_worker()
        _pieces(clock, 10, _gil.EVERY * 0.3)  # ten short pieces: 3 ms of work

    _in_a_thread(work)

    # At the first piece, then once each time EVERY has passed since the last pause.
    assert clock.sleeps == [_gil.PAUSE] * 3


def test_a_worker_with_long_pieces_pauses_between_every_two(clock: _Clock) -> None:
    def work() -> None:
        _gil.pausing_worker()
        _pieces(clock, 5, _gil.EVERY * 2)

    _in_a_thread(work)

    assert clock.sleeps == [_gil.PAUSE] * 5


def test_other_threads_never_pause(clock: _Clock) -> None:
    _in_a_thread(lambda: _pieces(clock, 50, _gil.EVERY * 2))  # a sync client's, a caller's

    assert clock.sleeps == []
