"""A total timeout bounds an answer that trickles in, on both transports.

``Timeout(total=...)`` promises a bound on the whole exchange. A server (or a
proxy) that sends its headers and then the body a byte at a time never trips
a per-read timeout, so only the total can stop it. The server here is a bare
socket that trickles for a few seconds and notes whether the client hung up
before it was done: the client must give up first, with a timeout error.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import sharokey
from sharokey.config import Timeout

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("clean_env")]

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


def test_a_trickling_answer_is_cut_off_by_the_total_timeout_sync(trickler: Trickler) -> None:
    with (
        sharokey.Sharokey("t", api_url=trickler.api_url, timeout=LIMITS, max_retries=0) as client,
        pytest.raises(sharokey.RequestTimeoutError) as info,
    ):
        client.get_stats()
    assert info.value.request_sent is True
    trickler.join()
    assert trickler.client_left_early


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
