"""Transports: the one place bytes meet the network.

A transport takes a fully built :class:`~sharokey._messages.Request` and returns
the whole :class:`~sharokey._messages.Response`, or raises
:class:`~sharokey.errors.NetworkError` (``RequestTimeoutError`` for
timeouts) with ``request_sent`` telling whether anything may have reached the
server. It does no retries, no decoding, no logging of content. The
built-in backends read an answer only up to their ``max_response_bytes``
once decompressed (``_budget``) and hold each attempt to ``timeout.total``;
a transport of your own is held to the client's cap once it has returned.

Two small protocols, as in httpx: :class:`Transport` (sync) and
:class:`AsyncTransport`. Any object with that shape can be passed to a
client as ``transport=``. Backends: ``RequestsTransport`` and
``AiohttpTransport`` (imported on first use, so ``import sharokey.transports``
never loads aiohttp), and ``MockTransport`` / ``AsyncMockTransport`` that
answer from a function, for tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Protocol, Union, runtime_checkable

from sharokey._messages import Request, Response
from sharokey.config import Timeout

if TYPE_CHECKING:
    from sharokey.transports._aiohttp import AiohttpTransport
    from sharokey.transports._requests import RequestsTransport

__all__ = [
    "AiohttpTransport",
    "AsyncMockTransport",
    "AsyncTransport",
    "MockTransport",
    "Request",
    "RequestsTransport",
    "Response",
    "Timeout",
    "Transport",
]


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns the complete response (sync)."""

    def send(self, request: Request, timeout: Timeout) -> Response: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends one request and returns the complete response (asyncio)."""

    async def send(self, request: Request, timeout: Timeout) -> Response: ...

    async def aclose(self) -> None: ...


class MockTransport:
    """A transport answering from ``handler(request) -> Response`` (for tests).

    The handler may raise a ``NetworkError`` to play a failed connection.
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.closed = False

    def send(self, request: Request, timeout: Timeout) -> Response:
        return self.handler(request)

    def close(self) -> None:
        self.closed = True


class AsyncMockTransport:
    """The asyncio twin of :class:`MockTransport`; the handler may be a coroutine function."""

    def __init__(self, handler: Callable[[Request], Union[Response, Awaitable[Response]]]) -> None:
        self.handler = handler
        self.closed = False

    async def send(self, request: Request, timeout: Timeout) -> Response:
        result = self.handler(request)
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, Response)
        return result

    async def aclose(self) -> None:
        self.closed = True


_LAZY = {
    "RequestsTransport": "sharokey.transports._requests",
    "AiohttpTransport": "sharokey.transports._aiohttp",
}


def __getattr__(name: str) -> Any:
    # PEP 562: requests and aiohttp are loaded only by whoever uses them.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sharokey.transports' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
