"""The progress line's own rules, without a terminal: throttling, thresholds, erasing.

The clock is the test's (``terminal.time.monotonic`` replaced), so "ten redraws a
second" is checked on simulated time, never by sleeping.
"""

from __future__ import annotations

from typing import Optional

import pytest

from sharokey._cli import terminal

MIB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(terminal.time, "monotonic", made)
    return made


class Stderr:
    """What was written to stderr (pytest's capture: it puts its own stream back per phase)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._seen = ""

    def getvalue(self) -> str:
        self._seen += self._capsys.readouterr().err
        return self._seen


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Stderr:
    return Stderr(capsys)


def drawings(text: str) -> list[str]:
    return [piece for piece in text.split("\r\x1b[K") if piece]


def test_at_most_ten_redraws_a_second_and_the_last_byte_always(
    clock: Clock, stderr: Stderr
) -> None:
    total = 8 * MIB
    with terminal.TransferLine("uploading", enabled=True) as line:
        assert line.progress is not None
        for step in range(1001):  # a report every millisecond for one second
            line.progress(total * step // 1000, total)
            clock.now += 0.001
    shown = drawings(stderr.getvalue())
    assert 2 <= len(shown) <= 12, shown  # the first, about one per 0.1 s, the last
    assert shown[0] == "uploading 0.0 of 8.0 MiB    0%"
    assert shown[-1] == "uploading 8.0 of 8.0 MiB  100%  8.0 MiB/s"
    assert stderr.getvalue().endswith("\r\x1b[K")  # erased on the way out


@pytest.mark.parametrize(
    ("total", "drawn"),
    [(MIB, False), (MIB + 1, True), (None, True)],
)
def test_small_transfers_draw_nothing(
    clock: Clock, stderr: Stderr, total: Optional[int], drawn: bool
) -> None:
    with terminal.TransferLine("downloading", enabled=True) as line:
        assert line.progress is not None
        for done in (0, MIB // 2, MIB + 1):
            clock.now += 1
            line.progress(min(done, total or done), total)
    assert bool(stderr.getvalue()) is drawn
    if total is None:  # no Content-Length: bytes and rate, no percentage
        assert drawings(stderr.getvalue()) == ["downloading 1.0 MiB  0.5 MiB/s"]


def test_disabled_it_offers_no_callback_and_writes_nothing(stderr: Stderr) -> None:
    with terminal.TransferLine("uploading", before="encrypting…", enabled=False) as line:
        assert line.progress is None
    assert stderr.getvalue() == ""


def test_a_failure_still_erases_the_line(clock: Clock, stderr: Stderr) -> None:
    def fail_midway() -> None:
        with terminal.TransferLine("uploading", enabled=True) as line:
            assert line.progress is not None
            line.progress(0, 4 * MIB)
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        fail_midway()
    assert drawings(stderr.getvalue()) == ["uploading 0.0 of 4.0 MiB    0%"]
    assert stderr.getvalue().endswith("\r\x1b[K")
