"""What the emulator suites share: a token and its header, a sealed body to create, a secret
request to create, waiting on the server's thread, its log records, the error of an answer,
and ``create_app`` served on a site of the test's choosing."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Callable

import pytest
import requests
from aiohttp import web

from sharokey.crypto import seal
from sharokey.emulator import EmulatorHandle

#: The one token of the ``emu`` fixture in ``conftest.py``.
TOKEN = "emulator-test-token-0001"
SETTLE = 10.0  # the longest a test waits for the server to finish what a client left


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret_body(text: str = "the secret", **fields: Any) -> dict[str, Any]:
    return {**seal(text).payload, "maximum_views": 1, **fields}


def create_request(emu: EmulatorHandle, **fields: Any) -> dict[str, Any]:
    """Create a secret request as ``TOKEN``'s company; its data."""
    response = requests.post(emu.api_url + "/requests", json=fields, headers=auth(), timeout=30)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within SETTLE seconds (the server runs in its own thread)."""
    deadline = time.monotonic() + SETTLE
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def emulator_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("sharokey.emulator")]


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    error: dict[str, Any] = body["error"]
    return error


@asynccontextmanager
async def serving(
    app: web.Application, site: Callable[[web.AppRunner], web.BaseSite]
) -> AsyncIterator[None]:
    """Serve ``create_app``'s application on a site of the test's choosing."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await site(runner).start()
        yield
    finally:
        await runner.cleanup()  # also closes the emulator's state
