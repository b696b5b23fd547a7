"""The ``aiohttp`` backend of the async client.

Sessions are bound to an event loop, so this transport keeps one of its own
per running loop, created lazily inside it (a client can be built outside any
loop and used by successive ``asyncio.run`` calls). Each session it creates
is closed by :meth:`aclose` or, failing that, when its loop shuts down: a
tiny async generator registered with the loop closes it during
``shutdown_asyncgens()``, which ``asyncio.run`` and pytest-asyncio both call,
so no "Unclosed client session" warning is left behind. A caller's session
is used as is and never closed.

Every aiohttp failure becomes a :class:`NetworkError` with ``request_sent``
set only when nothing can have left the machine.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncGenerator
from typing import Any, Optional

import aiohttp

from sharokey._messages import Request, Response
from sharokey.config import DEFAULT_MAX_RESPONSE_BYTES, Timeout, check_max_response_bytes
from sharokey.errors import (
    TLS_ERROR,
    ConfigurationError,
    NetworkError,
    RequestTimeoutError,
    SharokeyError,
)
from sharokey.transports._budget import ACCEPT_ENCODING, BodyReader
from sharokey.transports._exceptions import ExceptionMap, ExceptionTable, Fault, translate
from sharokey.transports._progress import Transfer

__all__ = ["AiohttpTransport"]

_STREAM_ABOVE = 1024 * 1024
_SLICE = 256 * 1024
#: An answer whose Content-Length is at most this is read in one call.
_READ_WHOLE_BELOW = 64 * 1024


@functools.lru_cache(maxsize=16)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    # Both are immutable; a client uses one Timeout for all its calls.
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


async def _close_at_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    # Advanced once, then parked: the loop's shutdown_asyncgens() closes it, and with it
    # the session, while the loop can still run the closing handshake.
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


class _LoopSession:
    __slots__ = ("guard", "loop", "session")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        session: aiohttp.ClientSession,
        guard: AsyncGenerator[None, None],
    ) -> None:
        self.loop = loop
        self.session = session
        self.guard = guard


class AiohttpTransport:
    """Async transport over ``aiohttp``: one pooled session per event loop."""

    def __init__(
        self,
        session: Optional[aiohttp.ClientSession] = None,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._limit = check_max_response_bytes(max_response_bytes)
        self._user_session = session
        self._max_connections = max_connections
        self._sessions: dict[asyncio.AbstractEventLoop, _LoopSession] = {}
        self._lock = threading.Lock()
        # The last Timeout seen and aiohttp's form of it, swapped as one tuple (a client
        # sends with one Timeout: no hashing per call).
        self._timeouts: tuple[Optional[Timeout], Optional[aiohttp.ClientTimeout]] = (None, None)

    def _ready(self) -> Optional[aiohttp.ClientSession]:
        """The session for the running loop when there is one already: the hot path.

        A dict read (atomic), without the lock, the sweep or a coroutine of its own:
        :meth:`_open` does those, once per loop.
        """
        if self._user_session is not None:
            return self._user_session
        current = self._sessions.get(asyncio.get_running_loop())
        if current is not None and not current.session.closed:
            return current.session
        return None

    async def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        with self._lock:
            for old in [key for key in self._sessions if key.is_closed()]:
                del self._sessions[old]
            current = self._sessions.get(loop)
            if current is not None and not current.session.closed:
                return current.session
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections)
            )
            # aiohttp silently resends a GET/DELETE once when a connection drops; the
            # client's retry policy is the one place that decides (and counts) repeats.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            guard = _close_at_shutdown(session)
            self._sessions[loop] = _LoopSession(loop, session, guard)
        # Runs to the first yield without suspending: registers the guard with this loop.
        await guard.__anext__()
        return session

    async def send(self, request: Request, timeout: Timeout) -> Response:
        session = self._ready() or await self._open()
        headers = dict(request.headers)
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        data: Any = request.body
        transfer = Transfer(request)  # the caller's progress, if any, counted per attempt
        if data is not None and (len(data) > _STREAM_ABOVE or request.upload_progress is not None):
            # One 14 MB transport.write() copies the body inside the loop (several ms);
            # slices keep each write short and let the loop run between them.
            headers["Content-Length"] = str(len(data))
            data = transfer.upload_slices(data, _SLICE)
        mapping = ExceptionMap(_map, request, timeout, transfer)
        with mapping:
            async with session.request(
                request.method,
                request.url,
                headers=headers,
                data=data,
                timeout=self._client_timeout(timeout),
                allow_redirects=False,
                # Raw bytes: the BodyReader inflates them a slice at a time, under the cap
                # (aiohttp would inflate a whole chunk of a bomb at once), also for a
                # caller's session.
                auto_decompress=False,
            ) as answer:
                body = await self._read(answer, transfer)
                return Response(status=answer.status, headers=answer.headers.items(), body=body)
        mapping.raise_mapped()

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        last, converted = self._timeouts
        if last is not timeout or converted is None:
            converted = _client_timeout(timeout)
            self._timeouts = (timeout, converted)
        return converted

    async def _read(self, answer: aiohttp.ClientResponse, transfer: Transfer) -> bytes:
        """The answer's body, decoded under the cap, read inside the request's block.

        Read whole inside the block so the connection goes back to the pool. A small
        answer whose length is known comes in one ``read()`` (aiohttp stops at that
        length); any other is fed a chunk at a time, the reader's BytesIO not copying
        a 14 MB answer in the loop.
        """
        received = transfer.receiving(answer.headers)  # the caller's download progress, if any
        reader = BodyReader(answer.headers, answer.status, self._limit, received)  # caps
        if reader.length is not None and reader.length <= _READ_WHOLE_BELOW:
            reader.feed(await answer.read())
        else:
            async for chunk in answer.content.iter_any():
                reader.feed(chunk)
        return reader.body()

    async def aclose(self) -> None:
        """Close the sessions this transport created; a caller's session stays open."""
        with self._lock:
            states = list(self._sessions.values())
            self._sessions.clear()
        try:
            running: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for state in states:
            if state.session.closed or state.loop.is_closed():
                continue
            if state.loop is running:
                await state.guard.aclose()
            elif state.loop.is_running():
                future = asyncio.run_coroutine_threadsafe(state.session.close(), state.loop)
                await asyncio.wrap_future(future)

    def __repr__(self) -> str:
        return f"AiohttpTransport(owns_session={self._user_session is None})"


def _connect(timeout: Timeout) -> Optional[float]:
    return timeout.connect


def _read(timeout: Timeout) -> Optional[float]:
    return timeout.read


def _total(timeout: Timeout) -> Optional[float]:
    return timeout.total


#: aiohttp's exceptions, most specific first (see ``ExceptionMap``). Its timeouts are
#: also ``asyncio.TimeoutError``s and its connection errors ``OSError``s: the generic
#: rows come last.
_EXCEPTIONS: ExceptionTable = (
    (
        aiohttp.ConnectionTimeoutError,
        Fault(
            RequestTimeoutError,
            "Connecting to {host} took too long ({limit}).",
            request_sent=False,
            limit=_connect,
        ),
    ),
    (
        (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch),
        Fault(
            NetworkError,
            "The TLS connection to {host} failed (certificate or protocol); check the API URL.",
            request_sent=False,
            code=TLS_ERROR,
        ),
    ),
    (
        aiohttp.ClientConnectorDNSError,
        Fault(
            NetworkError,
            "Could not connect to {host}: the name could not be resolved.",
            request_sent=False,
        ),
    ),
    (
        aiohttp.ClientConnectorError,
        Fault(
            NetworkError,
            "Could not connect to {host}: connection refused or unreachable. "
            "Check the network and the API URL.",
            request_sent=False,
        ),
    ),
    (
        aiohttp.ServerTimeoutError,
        Fault(
            RequestTimeoutError,
            "{host} did not answer in time ({limit}; the request may have been received).",
            limit=_read,
        ),
    ),
    (
        (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError),
        Fault(ConfigurationError, "The request URL is invalid; check the API URL."),
    ),
    (
        aiohttp.ClientError,
        Fault(NetworkError, "The connection to {host} failed after the request was sent ({name})."),
    ),
    (
        asyncio.TimeoutError,
        Fault(
            RequestTimeoutError,
            "{host} did not finish answering in time ({limit} in all per attempt; "
            "the request may have been received).",
            limit=_total,
        ),
    ),
    (OSError, Fault(NetworkError, "The connection to {host} failed ({name}).")),
)


def _map(exc: BaseException, request: Request, timeout: Timeout) -> Optional[SharokeyError]:
    return translate(_EXCEPTIONS, exc, request, timeout)
