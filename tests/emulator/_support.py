"""What the emulator suites share: a token and its header, plain HTTP as one company
(``Api``), sealed bodies to create, a secret request to create, waiting on the server's
thread, its log records, the error of an answer, and ``create_app`` served on a site of the
test's choosing."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Callable, Optional

import pytest
import requests
from aiohttp import web

from sharokey.crypto import seal
from sharokey.emulator import EmulatorHandle

#: The one token of the ``emu`` fixture in ``conftest.py``.
TOKEN = "emulator-test-token-0001"
SETTLE = 10.0  # the longest a test waits for the server to finish what a client left


class Api:
    """Plain HTTP against one emulator, as one company (token)."""

    def __init__(self, emu: EmulatorHandle, token: Optional[str] = None) -> None:
        self.emu = emu
        self.token = token

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(
            method, self.emu.api_url + path, headers=headers, timeout=30, **kwargs
        )

    def create(self, **fields: Any) -> dict[str, Any]:
        response = self.call("POST", "/secrets", json=payload(**fields))
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def details(self, slug: str) -> dict[str, Any]:
        response = self.call("GET", f"/secrets/{slug}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def reveal(self, slug: str, body: Optional[dict[str, Any]] = None) -> requests.Response:
        return requests.post(f"{self.emu.api_url}/secrets/{slug}/reveal", json=body, timeout=30)


def payload(text: str = "s3cr3t text", **fields: Any) -> dict[str, Any]:
    sealed = seal(text)
    return {**sealed.payload, "expiration_hours": 24, "maximum_views": 1, **fields}


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
