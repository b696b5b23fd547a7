"""Both clients against the emulator on loopback: real HTTP, real faults, real threads."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import sharokey
from sharokey._messages import Request, Response
from sharokey.config import Timeout
from sharokey.emulator import EmulatorHandle, run_emulator, start_emulator
from sharokey.transports import RequestsTransport

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("clean_env")]

TOKEN = "live-client-token-0001"
READONLY = "live-readonly-token-01"


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN], readonly_tokens=[READONLY]) as handle:
        yield handle


@pytest.fixture
def client(emu: EmulatorHandle, policy: Any) -> Iterator[sharokey.Sharokey]:
    with sharokey.Sharokey(
        TOKEN, api_url=emu.api_url, attachment_nonces="unique", retry_policy=policy()
    ) as made:
        yield made


class Spy:
    """A transport that records what a real one sends."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[Request] = []

    def send(self, request: Request, timeout: Timeout) -> Response:
        self.requests.append(request)
        response: Response = self.inner.send(request, timeout)
        return response

    def close(self) -> None:
        self.inner.close()


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("nonces", ["shared", "unique"])
def test_sync_round_trip_with_attachments(emu: EmulatorHandle, nonces: str, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 40)
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url, attachment_nonces=nonces) as client:  # type: ignore[arg-type]
        created = client.create("round trip ✓", 2, 2, attachments=[path, ("b.bin", b"\x00" * 1000)])
        assert created.share_url.startswith(f"{emu.base_url}/s/{created.slug}#")
        details = client.get_details(created.slug)
        assert details.has_attachments and details.attachments_count == 2
        revealed = client.reveal(created.share_url)
    assert revealed.content == "round trip ✓"
    assert [(a.name, a.data) for a in revealed.attachments] == [
        ("report.pdf", path.read_bytes()),
        ("b.bin", b"\x00" * 1000),
    ]
    assert revealed.remaining_views == 1


@pytest.mark.parametrize("nonces", ["shared", "unique"])
async def test_async_round_trip_with_attachments(nonces: str) -> None:
    async with (
        start_emulator(tokens=[TOKEN]) as emu,
        sharokey.AsyncSharokey(
            TOKEN,
            api_url=emu.api_url,
            attachment_nonces=nonces,  # type: ignore[arg-type]
        ) as client,
    ):
        created = await client.create("async ✓", attachments=[("a.txt", b"alpha")])
        revealed = await client.reveal(created.share_url)
        assert (revealed.content, revealed.attachments[0].data) == ("async ✓", b"alpha")
        with pytest.raises(sharokey.NotFoundError):  # one view only
            await client.reveal(created.share_url)


def test_every_method_of_the_sync_client(client: sharokey.Sharokey, emu: EmulatorHandle) -> None:
    assert client.health().status == "ok"
    slugs = [client.create(f"secret {n}", description=f"d{n}").slug for n in range(5)]
    page = client.list_secrets(limit=2)
    assert page.pagination.last_page == 3
    assert sorted(s.slug for s in page) == sorted(slugs)
    emu.set_list_shape("items")
    assert sorted(s.slug for s in client.list_secrets(limit=2)) == sorted(slugs)
    client.delete(slugs[0])
    assert client.get_details(slugs[0]).status == "expired"
    assert [s.slug for s in client.list_secrets(status="expired")] == [slugs[0]]
    stats = client.get_stats()
    assert (stats.total_secrets, stats.expired_secrets) == (5, 1)
    request = client.create_request(message="send it", maximum_views=2, locale="fr")
    assert client.get_request(request.token).message == "send it"
    assert [r.token for r in client.list_requests()] == [request.token]
    client.delete_request(request.token)
    assert client.get_request_stats().total_requests == 1
    with pytest.raises(sharokey.NotFoundError):
        client.get_details("NOPE0000")


async def test_every_method_of_the_async_client() -> None:
    async with (
        start_emulator(tokens=[TOKEN]) as emu,
        sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url) as client,
    ):
        assert (await client.health()).status == "ok"
        slugs = {(await client.create(f"s{n}")).slug for n in range(5)}
        first = await client.list_secrets(limit=2)
        assert len(first.data) == 2 and first.has_next_page()
        assert {s.slug async for s in client.list_secrets(limit=2)} == slugs
        await client.delete(next(iter(slugs)))
        assert (await client.get_stats()).expired_secrets == 1
        request = await client.create_request(email_to="bob@example.com")
        assert (await client.get_request(request.token)).email_to == "bob@example.com"
        assert [r.token async for r in client.list_requests()] == [request.token]
        await client.delete_request(request.token)
        assert (await client.get_request_stats()).total_requests == 1


def _mistyped(link: str) -> str:
    base, _, key_b = link.partition("#")
    return f"{base}#{key_b[:-1]}{'B' if key_b[-1] == 'A' else 'A'}"


def test_a_mistyped_link_spends_no_view_sync(client: sharokey.Sharokey) -> None:
    created = client.create("one view only", views=1)
    with pytest.raises(sharokey.InvalidKeyError) as info:
        client.reveal(_mistyped(created.share_url))
    assert "Nothing was spent" in str(info.value)
    assert client.get_details(created.slug).current_views == 0
    assert client.reveal(created.share_url).content == "one view only"


async def test_a_mistyped_link_spends_no_view_async(emu: EmulatorHandle) -> None:
    async with sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url) as client:
        created = await client.create("one view only", views=1)
        for _ in range(4):  # four typos, and the fifth try is the right link
            with pytest.raises(sharokey.InvalidKeyError):
                await client.reveal(_mistyped(created.share_url))
        assert (await client.get_details(created.slug)).current_views == 0
        assert (await client.reveal(created.share_url)).content == "one view only"


def test_password_protected_reveal(client: sharokey.Sharokey) -> None:
    created = client.create("guarded", password="correct horse")
    with pytest.raises(sharokey.ProtectionError) as info:
        client.reveal(created.share_url)
    assert info.value.code == "PASSWORD_REQUIRED"
    with pytest.raises(sharokey.ProtectionError) as info:
        client.reveal(created.share_url, password="wrong")
    assert info.value.code == "INVALID_PASSWORD"
    assert client.reveal(created.share_url, password="correct horse").content == "guarded"


def test_otp_flow(client: sharokey.Sharokey, emu: EmulatorHandle) -> None:
    created = client.create("by e-mail", otp_email="alice@example.com")
    with pytest.raises(sharokey.OtpRequiredError) as info:
        client.reveal(created.share_url)
    assert info.value.channel == "email"
    assert info.value.destination and "alice@example.com" not in info.value.destination
    with pytest.raises(sharokey.ProtectionError) as wrong:
        client.reveal(created.share_url, otp="000000" if emu.last_otp() != "000000" else "111111")
    assert wrong.value.code == "INVALID_OTP"
    assert client.reveal(created.share_url, otp=emu.last_otp(created.slug)).content == "by e-mail"


def test_reveal_sends_no_token_over_the_wire(emu: EmulatorHandle) -> None:
    spy = Spy(RequestsTransport())
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url, transport=spy) as client:
        created = client.create("no bearer here")
        client.reveal(created.share_url)
    create, reveal = spy.requests
    assert create.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in reveal.headers
    assert len(reveal.headers["Idempotency-Key"]) == 36
    spy.close()


def test_service_refusals(emu: EmulatorHandle) -> None:
    stranger = sharokey.Sharokey("not-a-valid-token", api_url=emu.api_url)
    with stranger, pytest.raises(sharokey.AuthenticationError):
        stranger.get_stats()
    reader = sharokey.Sharokey(READONLY, api_url=emu.api_url)
    with reader, pytest.raises(sharokey.PermissionDeniedError):
        reader.create("not allowed")
    with run_emulator(tokens=[TOKEN], quota=1) as small:
        client = sharokey.Sharokey(TOKEN, api_url=small.api_url)
        client.create("the only one")
        with client, pytest.raises(sharokey.QuotaExceededError):
            client.create("one too many")


# --------------------------------------------------------------------------- faults


def test_a_failing_read_is_retried(client: sharokey.Sharokey, emu: EmulatorHandle) -> None:
    slug = client.create("x").slug
    emu.add_fault("GET /api/v1/secrets/* 500x2")
    assert client.get_details(slug).slug == slug
    assert emu.hits("GET", "/api/v1/secrets/*") == 3


@pytest.mark.parametrize("fault", ["drop x1", "truncate x1", "502x1", "504x1"])
def test_lost_and_broken_answers_to_reads_are_retried(
    client: sharokey.Sharokey, emu: EmulatorHandle, fault: str
) -> None:
    client.create("x")
    emu.add_fault(f"GET /api/v1/secrets {fault}")
    assert len(client.list_secrets().data) == 1
    assert emu.hits("GET", "/api/v1/secrets") == 2


def test_a_500_on_create_is_not_repeated(client: sharokey.Sharokey, emu: EmulatorHandle) -> None:
    emu.add_fault("POST /api/v1/secrets 500x1")
    with pytest.raises(sharokey.ServerError):
        client.create("x")
    assert emu.hits("POST", "/api/v1/secrets") == 1


def test_a_lost_create_answer_is_repeated_safely_when_allowed(
    emu: EmulatorHandle, policy: Any
) -> None:
    emu.add_fault("POST /api/v1/secrets drop-after x1")  # stored, then the answer is lost
    with sharokey.Sharokey(
        TOKEN, api_url=emu.api_url, retry_ambiguous_posts=True, retry_policy=policy()
    ) as client:
        created = client.create("exactly once")
        assert client.reveal(created.share_url).content == "exactly once"
    assert emu.hits("POST", "/api/v1/secrets") == 2
    assert emu.secret_count() == 1  # the Idempotency-Key kept it single


def test_a_lost_create_answer_is_not_repeated_by_default(
    client: sharokey.Sharokey, emu: EmulatorHandle
) -> None:
    emu.add_fault("POST /api/v1/secrets drop-after x1")
    with pytest.raises(sharokey.NetworkError) as info:
        client.create("maybe stored")
    assert info.value.request_sent is True
    assert emu.hits("POST", "/api/v1/secrets") == 1


def test_503_with_retry_after_on_a_post(
    client: sharokey.Sharokey, emu: EmulatorHandle, sleeps: Any
) -> None:
    emu.add_fault("POST /api/v1/secrets 503x1 retry-after=1")
    assert client.create("after a pause").slug
    assert sleeps.delays == [1.0]
    assert emu.secret_count() == 1


async def test_async_faults_are_retried(policy: Any, sleeps: Any) -> None:
    async with (
        start_emulator(
            tokens=[TOKEN], faults=["GET /api/v1/secrets-stats 429x1 retry-after=2"]
        ) as emu,
        sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, retry_policy=policy()) as client,
    ):
        assert (await client.get_stats()).total_secrets == 0
        emu.add_fault("GET /api/v1/secrets truncate x1")
        assert (await client.list_secrets()).data == []
    assert sleeps.delays == [2.0, 0.5]


def test_read_timeout_is_a_timeout_error(emu: EmulatorHandle) -> None:
    emu.add_fault("GET /api/v1/secrets-stats delay=2 x1")
    with sharokey.Sharokey(
        TOKEN, api_url=emu.api_url, timeout=Timeout(connect=2, read=0.3), max_retries=0
    ) as client:
        with pytest.raises(sharokey.RequestTimeoutError) as info:
            client.get_stats()
        assert isinstance(info.value, TimeoutError)
        assert info.value.request_sent is True
        assert client.get_stats().total_secrets == 0  # the client is fine afterwards


async def test_async_read_timeout_is_a_timeout_error() -> None:
    async with start_emulator(tokens=[TOKEN], faults=["GET * delay=2 x1"]) as emu:
        client = sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, timeout=0.3, max_retries=0)
        async with client:
            with pytest.raises(sharokey.RequestTimeoutError) as info:
                await client.get_stats()
            assert isinstance(info.value, TimeoutError)


async def test_cancellation_mid_request_propagates_and_is_not_retried(policy: Any) -> None:
    from sharokey.transports import AiohttpTransport

    class AsyncSpy:
        def __init__(self) -> None:
            self.inner = AiohttpTransport()
            self.sent = 0

        async def send(self, request: Request, timeout: Timeout) -> Response:
            self.sent += 1
            response: Response = await self.inner.send(request, timeout)
            return response

        async def aclose(self) -> None:
            await self.inner.aclose()

    spy = AsyncSpy()
    rule = "GET /api/v1/secrets-stats delay=3 x1"
    async with start_emulator(tokens=[TOKEN], faults=[rule]) as emu:
        client = sharokey.AsyncSharokey(
            TOKEN, api_url=emu.api_url, transport=spy, retry_policy=policy()
        )
        task = asyncio.create_task(client.get_stats())
        await asyncio.sleep(0.3)  # the request is now waiting on the server
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.2)
        assert spy.sent == 1  # not retried
        assert (await client.get_stats()).total_secrets == 0  # still usable
        assert spy.sent == 2
        await spy.aclose()


# --------------------------------------------------------------------------- threads and loops


def test_one_sync_client_shared_by_eight_threads(client: sharokey.Sharokey) -> None:
    def work(n: int) -> str:
        created = client.create(f"thread {n}")
        assert client.get_details(created.slug).slug == created.slug
        client.get_stats()
        assert client.reveal(created.share_url).content == f"thread {n}"
        return created.slug

    with ThreadPoolExecutor(max_workers=8) as pool:
        slugs = list(pool.map(work, range(24)))
    assert len(set(slugs)) == 24
    assert sum(1 for _ in client.list_secrets(limit=10)) == 24


def test_the_sync_client_works_beside_a_running_loop(client: sharokey.Sharokey) -> None:
    async def main() -> str:
        created = await asyncio.to_thread(client.create, "from a worker thread")
        revealed = await asyncio.to_thread(client.reveal, created.share_url)
        return revealed.content

    assert asyncio.run(main()) == "from a worker thread"

    results: list[str] = []
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    try:
        worker = threading.Thread(target=lambda: results.append(client.create("x").slug))
        worker.start()
        worker.join(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(30)
        loop.close()
    assert len(results) == 1


@pytest.mark.filterwarnings("error::ResourceWarning")
def test_async_client_built_outside_a_loop_serves_two_asyncio_runs(emu: EmulatorHandle) -> None:
    client = sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url)

    async def once(text: str) -> str:
        created = await client.create(text)
        return (await client.reveal(created.share_url)).content

    assert asyncio.run(once("first run")) == "first run"
    assert asyncio.run(once("second run")) == "second run"

    async def close() -> None:
        await client.aclose()

    asyncio.run(close())
    gc.collect()


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_no_unclosed_session_after_use(emu: EmulatorHandle) -> None:
    async with sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url) as client:
        await asyncio.gather(*(client.create(f"c{n}") for n in range(12)))
    gc.collect()


def test_a_stopped_server_refuses_and_nothing_was_sent() -> None:
    with run_emulator(tokens=[TOKEN]) as gone:
        url = gone.api_url
    client = sharokey.Sharokey(TOKEN, api_url=url, max_retries=0)
    with client, pytest.raises(sharokey.NetworkError) as info:
        client.create("x")
    assert info.value.request_sent is False
