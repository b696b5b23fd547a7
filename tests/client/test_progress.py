"""``progress=callable(done, total)`` on create and reveal, both clients, real sockets.

What a user of the hook sees: ``(0, total)`` first, then counts that only grow,
ending at exactly the size of the body that went out (create) or came in
(reveal); a retry starting again at 0; an exception of the callback's own
raised as is, once, with the client fine afterwards; a transport of the
user's own that knows nothing of it still working. Body sizes are taken from
a spy around the real transport, not computed by the test.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import requests

import sharokey
from sharokey._messages import Request, Response
from sharokey.config import Timeout
from sharokey.errors import RESPONSE_TOO_LARGE, InvalidResponseError, ValidationError
from sharokey.transports import MockTransport, RequestsTransport

live = pytest.mark.live
TOKEN = "progress-test-token-0001"
MIB = 1024 * 1024

Calls = list[tuple[int, Optional[int]]]


class Spy:
    """Around a real transport (sync or async): what was sent and what came back."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[Request] = []
        self.received: list[Response] = []

    def _keep(self, request: Request, response: Response) -> Response:
        self.sent.append(request)
        self.received.append(response)
        return response


class SyncSpy(Spy):
    def send(self, request: Request, timeout: Timeout) -> Response:
        return self._keep(request, self.inner.send(request, timeout))

    def close(self) -> None:
        self.inner.close()


class AsyncSpy(Spy):
    async def send(self, request: Request, timeout: Timeout) -> Response:
        return self._keep(request, await self.inner.send(request, timeout))

    async def aclose(self) -> None:
        await self.inner.aclose()


class Driven:
    """The client of one flavour behind plain calls; an async one runs on a loop of its own,
    kept for the test's life so that its connection pool outlives each call."""

    def __init__(self, flavour: str, api_url: str, transport: Any = None, **options: Any) -> None:
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        if transport is None:
            if flavour == "sync":
                transport = SyncSpy(RequestsTransport())
            else:
                from sharokey.transports import AiohttpTransport

                transport = AsyncSpy(AiohttpTransport())
        self.transport = transport
        options = {"api_url": api_url, "attachment_nonces": "unique", **options}
        if flavour == "sync":
            self.client: Any = sharokey.Sharokey(TOKEN, transport=transport, **options)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = sharokey.AsyncSharokey(TOKEN, transport=transport, **options)

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        return result if self.loop is None else self.loop.run_until_complete(result)

    def where(self) -> Any:
        """Where a callback runs: this thread for the sync client, the loop for the async one."""
        if self.loop is None:
            return threading.current_thread()
        return asyncio.get_running_loop()

    def close(self) -> None:
        if self.loop is None:
            self.client.close()
            self.transport.close()
            return
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.transport.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def recorder(calls: Calls, driven: Optional[Driven] = None) -> Callable[[int, Optional[int]], None]:
    expected = None if driven is None else (threading.current_thread(), driven.loop)

    def progress(done: int, total: Optional[int]) -> None:
        if driven is not None and expected is not None:
            assert driven.where() in expected
        calls.append((done, total))

    return progress


def assert_counted(calls: Calls, size: int) -> None:
    """From (0, size) up, strictly, to (size, size), with steps in between."""
    assert calls[0] == (0, size)
    assert calls[-1] == (size, size)
    assert {total for _, total in calls} == {size}
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones)), dones
    assert len(calls) > 3  # blocks, not one jump from 0 to the end


@pytest.fixture
def emu() -> Iterator[Any]:
    from sharokey.emulator import run_emulator

    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def driven(flavour: str, emu: Any, policy: Any) -> Iterator[Driven]:
    if flavour == "async":
        pytest.importorskip("aiohttp")
    made = Driven(flavour, emu.api_url, retry_policy=policy())
    yield made
    made.close()


@pytest.fixture
def attachment() -> bytes:
    return os.urandom(3 * MIB)


# --------------------------------------------------------------------------- counting


@live
@pytest.mark.usefixtures("clean_env")
def test_create_and_reveal_count_every_byte_of_the_bodies(
    driven: Driven, attachment: bytes
) -> None:
    up: Calls = []
    created = driven(
        "create", "big", attachments=[("a.bin", attachment)], progress=recorder(up, driven)
    )
    assert_counted(up, len(driven.transport.sent[-1].body))

    down: Calls = []
    revealed = driven("reveal", created.share_url, progress=recorder(down, driven))
    assert_counted(down, len(driven.transport.received[-1].body))
    assert revealed.attachments[0].data == attachment


@live
@pytest.mark.usefixtures("clean_env")
def test_a_retry_starts_the_count_again(driven: Driven, emu: Any, attachment: bytes) -> None:
    created = driven("create", "retried", attachments=[("a.bin", attachment)])
    emu.add_fault("POST /api/v1/secrets/*/reveal 503x1 retry-after=1")
    down: Calls = []
    driven("reveal", created.share_url, progress=recorder(down))
    starts = [i for i, (done, _) in enumerate(down) if done == 0]
    assert len(starts) == 2  # one per attempt
    refused, answered = down[: starts[1]], down[starts[1] :]
    assert_counted(answered, len(driven.transport.received[-1].body))
    assert refused[-1][0] == refused[-1][1] < 1024  # the 503's small envelope, counted whole


# --------------------------------------------------------------------------- the callback raises


class Stop(Exception):
    pass


class StopOS(OSError):
    """An OSError: what urllib3 and aiohttp would wrap into a connection error, and retry."""


def raising_at(kind: type[Exception], calls: Calls, raised: list[Exception]) -> Any:
    def progress(done: int, total: Optional[int]) -> None:
        calls.append((done, total))
        if done > 0:
            error = kind("enough")
            raised.append(error)
            raise error

    return progress


@live
@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("kind", [Stop, StopOS])
def test_a_callback_exception_on_create_is_raised_as_is_and_never_retried(
    flavour: str, emu: Any, policy: Any, attachment: bytes, kind: type[Exception]
) -> None:
    if flavour == "async":
        pytest.importorskip("aiohttp")
    # Even a client allowed to repeat creates does not repeat this one.
    driven = Driven(flavour, emu.api_url, retry_policy=policy(), retry_ambiguous_posts=True)
    try:
        calls: Calls = []
        raised: list[Exception] = []
        with pytest.raises(kind) as info:
            driven(
                "create",
                "abandoned",
                attachments=[("a.bin", attachment)],
                progress=raising_at(kind, calls, raised),
            )
        assert info.value is raised[0] and len(raised) == 1
        assert calls[-1][0] > 0 and len(calls) == 2  # no call after the one that raised
        assert emu.hits("POST", "/api/v1/secrets") <= 1
        assert emu.secret_count() == 0  # the body was cut short: nothing was stored

        # The same client (and its pool) goes on as if nothing happened.
        created = driven("create", "next", attachments=[("a.bin", attachment)])
        assert driven("reveal", created.share_url).attachments[0].data == attachment
    finally:
        driven.close()


@live
@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("kind", [Stop, StopOS])
def test_a_callback_exception_on_reveal_is_raised_as_is_and_the_view_is_spent(
    driven: Driven, emu: Any, attachment: bytes, kind: type[Exception]
) -> None:
    first = driven("create", "dropped", views=2, attachments=[("a.bin", attachment)])
    calls: Calls = []
    raised: list[Exception] = []
    with pytest.raises(kind) as info:
        driven("reveal", first.share_url, progress=raising_at(kind, calls, raised))
    assert info.value is raised[0] and len(raised) == 1
    assert len(calls) == 2
    assert emu.hits("POST", "/api/v1/secrets/*/reveal") == 1  # not retried
    # The service counted the view before the answer left (as for Ctrl-C mid-download).
    assert driven("get_details", first.slug).current_views == 1
    assert driven("reveal", first.share_url).attachments[0].data == attachment


# --------------------------------------------------------------------------- edges


class PlainRequests:
    """A transport of a user's own, written before progress existed: it never looks."""

    def send(self, request: Request, timeout: Timeout) -> Response:
        answer = requests.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body,
            timeout=(timeout.connect, timeout.read),
        )
        return Response(status=answer.status_code, headers=answer.headers, body=answer.content)

    def close(self) -> None:
        pass


class PlainAsync:
    def __init__(self) -> None:
        self.inner = PlainRequests()

    async def send(self, request: Request, timeout: Timeout) -> Response:
        return await asyncio.get_running_loop().run_in_executor(
            None, self.inner.send, request, timeout
        )

    async def aclose(self) -> None:
        pass


@live
@pytest.mark.usefixtures("clean_env")
def test_a_transport_of_your_own_without_progress_still_works(
    flavour: str, emu: Any, attachment: bytes
) -> None:
    own = PlainRequests() if flavour == "sync" else PlainAsync()
    driven = Driven(flavour, emu.api_url, transport=own)
    try:
        calls: Calls = []
        created = driven(
            "create", "x", attachments=[("a.bin", attachment)], progress=recorder(calls)
        )
        revealed = driven("reveal", created.share_url, progress=recorder(calls))
        assert revealed.attachments[0].data == attachment
        assert calls == []  # nobody counted, nothing broke
    finally:
        driven.close()


@live
def test_an_answer_of_unknown_length_counts_without_a_total(hostile: Any, flavour: str) -> None:
    calls: Calls = []
    # Close-delimited and endless: no Content-Length, the cap stops the reading.
    request = Request(
        method="GET", url=hostile.url("close") + "/secrets-stats", download_progress=recorder(calls)
    )
    timeout = Timeout(connect=5, read=10, total=30)
    if flavour == "sync":

        def go() -> None:
            transport = RequestsTransport(max_response_bytes=MIB)
            try:
                transport.send(request, timeout)
            finally:
                transport.close()

    else:
        pytest.importorskip("aiohttp")
        from sharokey.transports import AiohttpTransport

        async def send() -> None:
            transport = AiohttpTransport(max_response_bytes=MIB)
            try:
                await transport.send(request, timeout)
            finally:
                await transport.aclose()

        def go() -> None:
            asyncio.run(send())

    with pytest.raises(InvalidResponseError) as info:
        go()
    assert info.value.code == RESPONSE_TOO_LARGE
    assert calls[0] == (0, None)
    assert {total for _, total in calls} == {None}
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones)) and MIB // 2 < dones[-1] <= MIB


def test_progress_must_be_a_plain_function_and_nothing_is_sent() -> None:
    sent: list[Request] = []
    transport = MockTransport(lambda request: sent.append(request))  # type: ignore[func-returns-value]

    async def coroutine_function(done: int, total: Optional[int]) -> None:
        pass

    with sharokey.Sharokey(
        "tok", api_url="https://api.example.com/api/v1", transport=transport
    ) as c:
        for bad in (coroutine_function, 3):
            with pytest.raises(ValidationError) as info:
                c.create("x", progress=bad)
            assert info.value.details == {"progress": ["must be a plain callable"]}
            with pytest.raises(ValidationError):
                c.reveal("https://app.example.com/s/ABC#" + "k" * 24, progress=bad)
    assert sent == []


@live
def test_a_counted_body_still_goes_with_content_length_not_chunked(
    hostile: Any, flavour: str
) -> None:
    body = os.urandom(MIB + 12345)
    calls: Calls = []
    request = Request(
        method="POST",
        url=hostile.url("echo") + "/secrets",
        headers={"Content-Type": "application/json"},
        body=body,
        upload_progress=recorder(calls),
    )
    timeout = Timeout(connect=5, read=10, total=30)
    before = len(hostile.seen)
    if flavour == "sync":
        transport = RequestsTransport()
        try:
            answer = transport.send(request, timeout)
        finally:
            transport.close()
    else:
        pytest.importorskip("aiohttp")
        from sharokey.transports import AiohttpTransport

        async def send() -> Response:
            transport = AiohttpTransport()
            try:
                return await transport.send(request, timeout)
            finally:
                await transport.aclose()

        answer = asyncio.run(send())
    assert answer.status == 200
    [seen] = hostile.seen[before:]
    assert seen.get("content-length") == str(len(body))
    assert "transfer-encoding" not in seen
    assert_counted(calls, len(body))
