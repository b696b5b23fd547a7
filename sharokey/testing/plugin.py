"""The pytest plugin: a session's emulator, reset before each test, and clients bound to it.

Registered as ``sharokey`` through the ``pytest11`` entry point. Loading it costs
nothing: the emulator (and aiohttp) are imported when a fixture is first used,
so a project without the ``aiohttp`` extra still collects and runs its other tests.

- ``sharokey_emulator``: an :class:`~sharokey.emulator.EmulatorHandle` on loopback,
  started once per session and reset before each test that asks for it;
- ``sharokey_client`` / ``sharokey_async_client``: a ``Sharokey`` / ``AsyncSharokey``
  bound to it with its first token, closed after the test.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sharokey import AsyncSharokey, Sharokey
    from sharokey.emulator import EmulatorHandle

__all__ = [
    "sharokey_async_client",
    "sharokey_client",
    "sharokey_emulator",
    "sharokey_emulator_session",
]


@pytest.fixture(scope="session")
def sharokey_emulator_session() -> Iterator[EmulatorHandle]:
    """One Sharokey emulator on loopback for the session (use sharokey_emulator in tests)."""
    try:
        from sharokey.emulator import run_emulator
    except ImportError as error:  # aiohttp missing
        pytest.fail(
            f"the sharokey_emulator fixture needs the aiohttp extra "
            f"(pip install 'sharokey[aiohttp]'): {error}",
            pytrace=False,
        )
    tokens = [f"test-{secrets.token_hex(12)}", f"test-{secrets.token_hex(12)}"]
    with run_emulator(tokens=tokens) as handle:
        yield handle


@pytest.fixture
def sharokey_emulator(sharokey_emulator_session: EmulatorHandle) -> EmulatorHandle:
    """A running Sharokey emulator, reset to a clean state for this test."""
    sharokey_emulator_session.reset()
    return sharokey_emulator_session


@pytest.fixture
def sharokey_client(sharokey_emulator: EmulatorHandle) -> Iterator[Sharokey]:
    """A Sharokey client bound to sharokey_emulator with its first token, closed after the test."""
    from sharokey import Sharokey

    with Sharokey(sharokey_emulator.token, api_url=sharokey_emulator.api_url) as client:
        yield client


async def _async_client(sharokey_emulator: EmulatorHandle) -> AsyncIterator[AsyncSharokey]:
    """An AsyncSharokey client bound to sharokey_emulator, closed after the test."""
    from sharokey import AsyncSharokey

    async with AsyncSharokey(sharokey_emulator.token, api_url=sharokey_emulator.api_url) as client:
        yield client


def _no_asyncio(sharokey_emulator: EmulatorHandle) -> Any:
    """An AsyncSharokey client bound to sharokey_emulator (needs pytest-asyncio)."""
    pytest.fail("sharokey_async_client needs pytest-asyncio installed", pytrace=False)


def _async_fixture() -> Any:
    """The async client's fixture runs on pytest-asyncio's loop (in strict and auto mode)."""
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - pytest-asyncio is in the test extra
        return pytest.fixture(_no_asyncio, name="sharokey_async_client")
    return pytest_asyncio.fixture(_async_client, name="sharokey_async_client")


sharokey_async_client = _async_fixture()
