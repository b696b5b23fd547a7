"""The sync transport's quick paths keep their promises: deadlines, proxies, a caller's session.

The requests transport sends through its own session's adapter (not ``Session.request``) and
watches every attempt's deadline from one long-lived thread; these tests check that what a user
relied on before still holds: each in-flight attempt keeps its own deadline, the environment's
proxies are honoured, a caller's session still runs its hooks and cookies, and closing the
transport lets its watchdog thread go.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
from collections.abc import Iterator
from typing import Any, Optional

import pytest
import requests

import sharokey
from sharokey.config import Timeout
from sharokey.errors import RESPONSE_TOO_LARGE
from sharokey.transports import RequestsTransport

pytestmark = pytest.mark.usefixtures("clean_env")

SLOW = Timeout(connect=2, read=1, total=0.4)


class Listener:
    """A loopback socket server that answers each connection with ``reply`` and notes what came.

    ``heads`` holds each request's head (a proxy sees ``CONNECT host:443`` or an absolute URL
    in its first line); with ``trickle`` the body is sent a byte every 50 ms for 2 s, and
    ``left_early`` records that the client hung up before it ended.
    """

    def __init__(self, reply: bytes, *, trickle: bool = False) -> None:
        self._reply = reply
        self._trickle = trickle
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.root = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.heads: list[str] = []
        self.left_early = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping:
                connection.close()
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    piece = connection.recv(65536)
                    if not piece:
                        break
                    head += piece
                self.heads.append(head.decode("latin-1"))
                try:
                    connection.sendall(self._reply)
                    for _ in range(40 if self._trickle else 0):
                        connection.sendall(b" ")
                        self.left_early.wait(0.05)
                except OSError:
                    self.left_early.set()

    @property
    def first_lines(self) -> list[str]:
        return [head.split("\r\n", 1)[0] for head in self.heads]

    def stop(self) -> None:
        # A blocked accept() is not woken by close(): one last connection wakes it.
        self._stopping = True
        socket.create_connection(self._listener.getsockname(), timeout=5).close()
        self._thread.join(5)
        self._listener.close()


def _answer(body: bytes, status: str = "200 OK", length: Optional[int] = None) -> bytes:
    size = len(body) if length is None else length
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
    ).encode() + body


STATS = _answer(b'{"success": true, "data": {"total_secrets": 7}}')


@pytest.fixture
def stats_server() -> Iterator[Listener]:
    server = Listener(STATS)
    yield server
    server.stop()


@pytest.mark.live
def test_each_attempt_in_flight_keeps_its_own_deadline(
    hostile: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One transport shared by two threads: a trickling answer is cut off at its deadline while
    # the quick calls made meanwhile on the other thread all finish untouched.
    monkeypatch.delenv("NO_PROXY", raising=False)
    trickler = Listener(_answer(b"", length=40), trickle=True)
    transport = RequestsTransport()
    slow = sharokey.Sharokey(
        "t", api_url=trickler.root + "/api/v1", transport=transport, timeout=SLOW, max_retries=0
    )
    quick = sharokey.Sharokey("t", api_url=hostile.url("echo"), transport=transport, timeout=SLOW)
    failures: list[BaseException] = []

    def cut_off() -> None:
        try:
            slow.get_stats()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=cut_off)
    thread.start()
    calls = 0
    while thread.is_alive() or calls < 5:
        assert quick.get_stats().total_secrets == 1
        calls += 1
    thread.join()
    transport.close()
    trickler.stop()
    assert [type(exc) for exc in failures] == [sharokey.RequestTimeoutError]
    assert trickler.left_early.is_set()


def _watchdogs() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sharokey-watchdog"}


@pytest.mark.live
def test_one_watchdog_thread_serves_every_attempt_and_close_ends_it(
    stats_server: Listener,
) -> None:
    before = _watchdogs()
    client = sharokey.Sharokey("t", api_url=stats_server.root + "/api/v1", timeout=SLOW)
    client.get_stats()
    ours = _watchdogs() - before
    assert len(ours) == 1
    for _ in range(20):
        assert client.get_stats().total_secrets == 7
    assert _watchdogs() - before <= ours
    client.close()
    (thread,) = ours
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.live
def test_https_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = Listener(_answer(b"", status="403 Forbidden"))
    monkeypatch.setenv("HTTPS_PROXY", proxy.root)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = sharokey.Sharokey("t", api_url="https://sharokey.invalid/api/v1", max_retries=0)
    with client, pytest.raises(sharokey.NetworkError):
        client.get_stats()
    proxy.stop()
    assert proxy.first_lines[0].startswith("CONNECT sharokey.invalid:443 ")


@pytest.mark.live
def test_no_proxy_sends_straight_to_the_host(
    stats_server: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Listener(_answer(b"", status="403 Forbidden"))
    monkeypatch.setenv("HTTP_PROXY", proxy.root)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with sharokey.Sharokey("t", api_url=stats_server.root + "/api/v1") as client:
        assert client.get_stats().total_secrets == 7
        assert client.get_stats().total_secrets == 7
    proxy.stop()
    assert proxy.first_lines == []
    assert [line.split(" ")[1] for line in stats_server.first_lines] == [
        "/api/v1/secrets-stats"
    ] * 2


@pytest.mark.live
def test_a_callers_session_keeps_its_hooks_and_cookies(stats_server: Listener) -> None:
    seen: list[int] = []
    session = requests.Session()
    session.hooks["response"].append(lambda answer, **_: seen.append(answer.status_code))
    session.cookies.set("visitor", "v1")
    with sharokey.Sharokey("t", api_url=stats_server.root + "/api/v1", session=session) as client:
        assert client.get_stats().total_secrets == 7
    assert seen == [200]
    assert "\r\nCookie: visitor=v1\r\n" in stats_server.heads[0]
    session.close()


def _small_bomb() -> bytes:
    # 2 MiB of JSON-ish bytes gzipped into a few KiB: well under the one-read size.
    body = gzip.compress(b'{"success": true, "data": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


@pytest.mark.live
async def test_a_small_compressed_answer_read_in_one_go_is_still_capped() -> None:
    server = Listener(_small_bomb())
    client = sharokey.AsyncSharokey(
        "t", api_url=server.root + "/api/v1", max_response_bytes=1024 * 1024, max_retries=0
    )
    async with client:
        with pytest.raises(sharokey.InvalidResponseError) as info:
            await client.get_stats()
    server.stop()
    assert info.value.code == RESPONSE_TOO_LARGE


@pytest.mark.live
async def test_concurrent_async_calls_on_one_loop_all_get_their_answers(
    stats_server: Listener,
) -> None:
    client = sharokey.AsyncSharokey("t", api_url=stats_server.root + "/api/v1")
    async with client:
        stats = await asyncio.gather(*(client.get_stats() for _ in range(5)))
        assert [s.total_secrets for s in stats] == [7] * 5
        assert await client.get_stats() == stats[0]
    assert len(stats_server.heads) == 6
