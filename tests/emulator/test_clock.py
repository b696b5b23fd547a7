"""The emulated clock: where it starts, and that it never moves back.

A naive start time is UTC; a function or a ``Clock`` of the caller's own is the time the
emulator reads; neither the handle nor the control endpoint turns it back.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from sharokey.emulator import Clock, EmulatorHandle, run_emulator

from ._support import TOKEN, auth, secret_body

pytestmark = pytest.mark.live


def _created_at(emu: EmulatorHandle) -> str:
    made = requests.post(emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30)
    stamp: str = made.json()["data"]["created_at"]
    return stamp


def test_a_naive_start_time_is_read_as_utc() -> None:
    with run_emulator(tokens=[TOKEN], clock=datetime(2031, 5, 6, 7, 8, 9)) as emu:
        assert _created_at(emu).startswith("2031-05-06T07:08:")
        assert emu.now().tzinfo is not None


def test_a_clock_function_sets_the_emulated_time() -> None:
    frozen = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with run_emulator(tokens=[TOKEN], clock=lambda: frozen) as emu:
        assert _created_at(emu) == "2030-01-02T03:04:05.000000Z"
        assert emu.advance(hours=1) == frozen + timedelta(hours=1)


def test_a_clock_of_the_callers_own_is_the_one_the_emulator_reads() -> None:
    clock = Clock(start=datetime(2029, 3, 1, tzinfo=timezone.utc))
    with run_emulator(tokens=[TOKEN], clock=clock) as emu:
        made = requests.post(
            emu.api_url + "/secrets", json=secret_body(), headers=auth(), timeout=30
        )
        slug = made.json()["data"]["slug"]
        clock.advance(days=2)  # the caller's clock, not the handle
        details = requests.get(f"{emu.api_url}/secrets/{slug}", headers=auth(), timeout=30)
        assert details.json()["data"]["status"] == "expired"


def test_the_clock_never_moves_back(emu: EmulatorHandle) -> None:
    before = emu.now()
    with pytest.raises(ValueError, match="only moves forward"):
        emu.advance(seconds=-1)
    assert emu.now() >= before
    refused = requests.post(
        emu.base_url + "/_emulator/clock", json={"advance_seconds": True}, timeout=30
    )
    assert refused.status_code == 400
