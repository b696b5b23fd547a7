"""The transports: failures mapped to typed errors, timeouts, big bodies, sessions and loops.

``Timeout(total=...)`` bounds the whole exchange on both transports, also an answer whose body
trickles in a byte at a time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import requests
import urllib3.exceptions

import sharokey
from sharokey._messages import Request
from sharokey.config import Timeout
from sharokey.emulator import run_emulator, start_emulator
from sharokey.errors import TLS_ERROR
from sharokey.transports import AiohttpTransport, AsyncTransport, Transport, _aiohttp, _requests

pytestmark = pytest.mark.usefixtures("clean_env")

TOKEN = "transport-test-token-1"
REQUEST = Request(method="GET", url="http://api.example.com:8080/api/v1/requests/SECRETTOKEN")
TIMEOUT = Timeout(connect=2, read=7)


def bare(cls: type[BaseException]) -> BaseException:
    """An instance without constructor arguments (only its type matters to the mapping)."""
    return cls.__new__(cls)


def wrapped(reason: BaseException) -> requests.ConnectionError:
    pool_error = urllib3.exceptions.MaxRetryError(None, "/api/v1/requests/SECRETTOKEN", reason)  # type: ignore[arg-type]
    return requests.ConnectionError(pool_error)


REQUESTS_CASES = [
    (requests.exceptions.ConnectTimeout(), sharokey.RequestTimeoutError, False),
    (requests.exceptions.ReadTimeout(), sharokey.RequestTimeoutError, True),
    (
        requests.ConnectionError(bare(urllib3.exceptions.ReadTimeoutError)),
        sharokey.RequestTimeoutError,
        True,
    ),
    (wrapped(bare(urllib3.exceptions.NewConnectionError)), sharokey.NetworkError, False),
    (requests.exceptions.ProxyError(), sharokey.NetworkError, False),
    (requests.ConnectionError(bare(urllib3.exceptions.ProtocolError)), sharokey.NetworkError, True),
    (requests.exceptions.ChunkedEncodingError(), sharokey.NetworkError, True),
    (requests.exceptions.ContentDecodingError(), sharokey.NetworkError, True),
]
if hasattr(urllib3.exceptions, "NameResolutionError"):  # urllib3 2 only (not on Python 3.9)
    REQUESTS_CASES.append(
        (wrapped(bare(urllib3.exceptions.NameResolutionError)), sharokey.NetworkError, False)
    )


@pytest.mark.parametrize(("error", "cls", "sent"), REQUESTS_CASES)
def test_requests_failures_are_typed(error: Any, cls: type, sent: bool) -> None:
    mapped = _requests._map(error, REQUEST, TIMEOUT)
    assert type(mapped) is cls
    assert mapped.request_sent is sent  # type: ignore[attr-defined]
    assert "SECRETTOKEN" not in str(mapped)
    assert "api.example.com:8080" in str(mapped)


def test_requests_tls_and_url_failures() -> None:
    tls = _requests._map(requests.exceptions.SSLError(), REQUEST, TIMEOUT)
    assert isinstance(tls, sharokey.NetworkError) and tls.code == TLS_ERROR
    assert isinstance(
        _requests._map(requests.exceptions.InvalidURL(), REQUEST, TIMEOUT),
        sharokey.ConfigurationError,
    )


AIOHTTP_CASES = [
    (aiohttp.ConnectionTimeoutError, sharokey.RequestTimeoutError, False),
    (aiohttp.SocketTimeoutError, sharokey.RequestTimeoutError, True),
    (aiohttp.ClientConnectorError, sharokey.NetworkError, False),
    (aiohttp.ClientConnectorDNSError, sharokey.NetworkError, False),
    (aiohttp.ServerDisconnectedError, sharokey.NetworkError, True),
    (aiohttp.ClientPayloadError, sharokey.NetworkError, True),
    (aiohttp.ClientOSError, sharokey.NetworkError, True),
]


@pytest.mark.parametrize(("error", "cls", "sent"), AIOHTTP_CASES)
def test_aiohttp_failures_are_typed(error: type, cls: type, sent: bool) -> None:
    mapped = _aiohttp._map(bare(error), REQUEST, TIMEOUT)  # type: ignore[arg-type]
    assert type(mapped) is cls
    assert mapped.request_sent is sent  # type: ignore[attr-defined]
    assert "SECRETTOKEN" not in str(mapped)


def test_aiohttp_tls_and_url_failures() -> None:
    tls = _aiohttp._map(bare(aiohttp.ClientSSLError), REQUEST, TIMEOUT)  # type: ignore[arg-type]
    assert isinstance(tls, sharokey.NetworkError) and tls.code == TLS_ERROR
    invalid = _aiohttp._map(bare(aiohttp.InvalidURL), REQUEST, TIMEOUT)  # type: ignore[arg-type]
    assert isinstance(invalid, sharokey.ConfigurationError)


def _refused_request() -> Request:
    """A request to a loopback port nobody listens on, its path holding a request token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return Request(method="GET", url=f"http://127.0.0.1:{port}/api/v1/requests/SECRETTOKEN")


def _assert_unchained(error: BaseException) -> None:
    # The library's exception (its text holds the full URL) is neither cause nor context.
    assert isinstance(error, sharokey.NetworkError)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "SECRETTOKEN" not in str(error)


def test_a_requests_failure_carries_no_library_exception() -> None:
    transport = _requests.RequestsTransport()
    try:
        with pytest.raises(sharokey.NetworkError) as info:
            transport.send(_refused_request(), TIMEOUT)
    finally:
        transport.close()
    _assert_unchained(info.value)


async def test_an_aiohttp_failure_carries_no_library_exception() -> None:
    transport = AiohttpTransport()
    try:
        with pytest.raises(sharokey.NetworkError) as info:
            await transport.send(_refused_request(), TIMEOUT)
    finally:
        await transport.aclose()
    _assert_unchained(info.value)


def test_the_backends_satisfy_the_protocols() -> None:
    assert isinstance(_requests.RequestsTransport(), Transport)
    assert isinstance(AiohttpTransport(), AsyncTransport)
    assert repr(AiohttpTransport()) == "AiohttpTransport(owns_session=True)"


@pytest.mark.live
def test_a_total_timeout_bounds_a_slow_answer_sync() -> None:
    with run_emulator(tokens=[TOKEN], faults=["GET * delay=3 x1"]) as emu:
        client = sharokey.Sharokey(
            TOKEN,
            api_url=emu.api_url,
            timeout=Timeout(connect=2, read=20, total=0.3),
            max_retries=0,
        )
        with client, pytest.raises(sharokey.RequestTimeoutError, match=r"0\.3 s"):
            client.get_stats()


@pytest.mark.live
async def test_a_total_timeout_bounds_a_slow_answer_async() -> None:
    async with start_emulator(tokens=[TOKEN], faults=["GET * delay=3 x1"]) as emu:
        client = sharokey.AsyncSharokey(
            TOKEN,
            api_url=emu.api_url,
            timeout=Timeout(connect=2, read=20, total=0.3),
            max_retries=0,
        )
        async with client:
            with pytest.raises(sharokey.RequestTimeoutError):
                await client.get_stats()


# A server (or a proxy) that sends its headers and then the body a byte at a time never trips
# a per-read timeout, so only the total can stop it. The server here is a bare socket that
# trickles for a few seconds and notes whether the client hung up before it was done: the
# client must give up first, with a timeout error.
BYTES = 40  # sent one every STEP seconds: the whole answer takes 2 s
STEP = 0.05
LIMITS = Timeout(connect=2, read=1, total=0.4)  # each byte comes well within `read`


class Trickler:
    """Answers one request with headers at once, then the body one byte at a time."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.api_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api/v1"
        self.client_left_early = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % BYTES
            )
            try:
                for _ in range(BYTES):
                    connection.sendall(b" ")
                    time.sleep(STEP)
            except OSError:  # the client closed the connection while we were still sending
                self.client_left_early = True

    def join(self) -> None:
        self._thread.join(10)
        self._listener.close()


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    server = Trickler()
    yield server
    server.join()


@pytest.mark.live
def test_a_trickling_answer_is_cut_off_by_the_total_timeout_sync(trickler: Trickler) -> None:
    with (
        sharokey.Sharokey("t", api_url=trickler.api_url, timeout=LIMITS, max_retries=0) as client,
        pytest.raises(sharokey.RequestTimeoutError) as info,
    ):
        client.get_stats()
    assert info.value.request_sent is True
    trickler.join()
    assert trickler.client_left_early


@pytest.mark.live
async def test_a_trickling_answer_is_cut_off_by_the_total_timeout_async(
    trickler: Trickler,
) -> None:
    async with sharokey.AsyncSharokey(
        "t", api_url=trickler.api_url, timeout=LIMITS, max_retries=0
    ) as client:
        with pytest.raises(sharokey.RequestTimeoutError) as info:
            await client.get_stats()
    assert info.value.request_sent is True
    await asyncio.to_thread(trickler.join)
    assert trickler.client_left_early


@pytest.mark.live
async def test_big_bodies_travel_both_ways() -> None:
    payload = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB: streamed up, read back in pieces
    async with start_emulator(tokens=[TOKEN]) as emu:
        client = sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, attachment_nonces="unique")
        async with client:
            created = await client.create("big", attachments=[("big.bin", payload)])
            revealed = await client.reveal(created.share_url)  # type: ignore[arg-type]
    assert revealed.attachments[0].data == payload


@pytest.mark.live
def test_aclose_reaches_a_session_on_another_running_loop() -> None:
    with run_emulator(tokens=[TOKEN]) as emu:
        transport = AiohttpTransport()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever)
        thread.start()
        try:
            request = Request(method="GET", url=f"{emu.api_url}/health")
            future = asyncio.run_coroutine_threadsafe(transport.send(request, TIMEOUT), loop)
            assert future.result(30).status == 200
            session = transport._sessions[loop].session
            asyncio.run(transport.aclose())  # from another loop, in another thread
            assert session.closed
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            loop.close()
