"""Shared, generic fixtures: which client a test runs on, a clean settings environment, retry
timing under test control, canned API answers for the mock transports, and a live emulator.

The layout mirrors the package: ``client/`` (with ``client/replay/``), ``cli/``, ``emulator/``,
``crypto/`` and ``cross_cutting/``. Each of those is a package, so that equal basenames in two
of them can live side by side; ``tests/`` itself is not one: pytest then puts ``tests/`` (not the
repository) at the front of ``sys.path``, and under tox the suite imports the installed
``sharokey``, not the source tree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from sharokey._messages import Response
from sharokey._retry import RetryPolicy


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    """``sync``: ``Sharokey`` over requests; ``async``: ``AsyncSharokey`` over aiohttp.

    The one switch for tests that run on both clients: each suite's client fixture takes it,
    so such a test runs twice and its id ends in ``[sync]`` or ``[async]`` (the replay
    cassettes are named after those ids).
    """
    return str(request.param)


@pytest.fixture(autouse=True)
def _fresh_shared_nonce_warning() -> Iterator[None]:
    """The shared-nonce warning shows once per process: each test starts before it was shown."""
    from sharokey import _nonce_warning

    _nonce_warning.reset()
    yield
    _nonce_warning.reset()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No token or URL from the environment, and a config directory of the test's own."""
    monkeypatch.delenv("SHAROKEY_TOKEN", raising=False)
    monkeypatch.delenv("SHAROKEY_API_URL", raising=False)
    monkeypatch.delenv("SHAROKEY_PROFILE", raising=False)
    config_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    return config_home


class Sleeps:
    """Records the delays a retry policy asked for, without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> Callable[..., RetryPolicy]:
    """Build a RetryPolicy that never waits and has no jitter (delays land in ``sleeps``)."""

    def make(**overrides: Any) -> RetryPolicy:
        options: dict[str, Any] = {
            "sleep": sleeps.sleep,
            "async_sleep": sleeps.async_sleep,
            "jitter": lambda delay: delay,
        }
        options.update(overrides)
        return RetryPolicy(**options)

    return make


def api_response(
    data: Any = None,
    status: int = 200,
    *,
    headers: Optional[dict[str, str]] = None,
    **extra: Any,
) -> Response:
    """A success envelope as the service sends it."""
    body = {"success": True, "message": "ok", "data": data, **extra}
    return Response(
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps(body).encode(),
    )


def api_error(
    status: int,
    code: Optional[str] = None,
    message: str = "refused",
    *,
    details: Optional[dict[str, Any]] = None,
    headers: Optional[dict[str, str]] = None,
) -> Response:
    """An error envelope as the service sends it."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps({"success": False, "error": error}).encode(),
    )


@pytest.fixture
def ok() -> Callable[..., Response]:
    """``ok(data, status=200, headers=..., **extra)``: a success envelope."""
    return api_response


@pytest.fixture
def fail() -> Callable[..., Response]:
    """``fail(status, code, message, details=..., headers=...)``: an error envelope."""
    return api_error


@pytest.fixture
def emulator() -> Iterator[Any]:
    """A live emulator on loopback with one read-write token (tests using it are ``live``)."""
    from sharokey.emulator import run_emulator

    with run_emulator(tokens=["live-test-token-0001"]) as handle:
        yield handle


@pytest.fixture(scope="session")
def hostile() -> Iterator[Any]:
    """The hostile server of ``client/_hostile.py`` on loopback (tests using it are ``live``)."""
    from client._hostile import hostile_server

    with hostile_server() as server:
        yield server
