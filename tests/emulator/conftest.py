"""The emulator the emulator suites start for a test, unless a module needs its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sharokey.emulator import EmulatorHandle, run_emulator

from ._support import TOKEN


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    """An emulator on loopback with one read-write token, ``TOKEN`` (a module with other
    needs, such as two companies, defines its own ``emu``)."""
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle
