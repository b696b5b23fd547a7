"""A local Sharokey service for tests and demos, as stripe-mock is for stripe-python.

Start it in-process::

    from sharokey.emulator import run_emulator

    with run_emulator() as emu:
        print(emu.api_url, emu.token)

or from a shell: ``python -m sharokey.emulator --port 8080``. See
``docs/emulator.md`` for tokens, quotas, the clock, the OTP outbox and faults.

This package needs ``aiohttp`` (the ``sharokey[aiohttp]`` extra); ``import
sharokey`` never imports it.
"""

from __future__ import annotations

from sharokey.emulator._clock import Clock
from sharokey.emulator.app import create_app
from sharokey.emulator.faults import FAULT_GRAMMAR, FaultRule, parse_fault
from sharokey.emulator.runner import EmulatorHandle, run_emulator, start_emulator
from sharokey.emulator.state import EmulatorState, OtpMessage

__all__ = [
    "FAULT_GRAMMAR",
    "Clock",
    "EmulatorHandle",
    "EmulatorState",
    "FaultRule",
    "OtpMessage",
    "create_app",
    "parse_fault",
    "run_emulator",
    "start_emulator",
]
