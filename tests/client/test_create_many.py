"""``create_many``: many creates at once, on both clients.

What a user must see: one outcome per item in input order, a failed item's
exception in its place and nothing else lost; a bad item named by its index
(a list is checked before anything is sent); never more than ``concurrency``
items drawn from a generator and in flight; cancelling the async call leaves
no task running; and, against the emulator's faults, never a second secret
for one item.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest

import sharokey
from sharokey._messages import Request, Response
from sharokey.emulator import EmulatorHandle, run_emulator
from sharokey.errors import NetworkError, ValidationError
from sharokey.transports import AsyncMockTransport, MockTransport

API = "https://api.example.com/api/v1"
TOKEN = "many-token-0001"
WAIT = 10.0  # seconds, at most, for a condition another thread or task brings about


def created(description: str, key: str) -> Response:
    """The service's answer to a create; the slug tells which item it was."""
    data = {
        "slug": description,
        "maximum_views": 1,
        "expires_in_hours": 24,
        "access_url": f"https://app.example.com/s/{description}",
        "created_at": "2025-08-10T18:52:37Z",
        "idempotency": key,
    }
    body = {"success": True, "message": "ok", "data": data}
    return Response(
        status=201, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode()
    )


def refused(status: int, code: str) -> Response:
    body = {"success": False, "error": {"code": code, "message": "refused"}}
    return Response(
        status=status, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode()
    )


def description_of(request: Request) -> str:
    return str(json.loads(request.body or b"{}")["description"])


class Service:
    """Answers creates, records them; ``fail`` maps a description to its failure."""

    def __init__(self, fail: Optional[dict[str, Callable[[], Response]]] = None) -> None:
        self.requests: list[Request] = []
        self.fail = fail or {}
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
        name = description_of(request)
        if name in self.fail:
            return self.fail[name]()
        return created(name, request.headers["Idempotency-Key"])

    @property
    def sent(self) -> list[str]:
        return sorted(description_of(r) for r in self.requests)


def many(flavour: str, handler: Any, items: Any, **options: Any) -> list[Any]:
    """``create_many(items, **options)`` on a client of ``flavour`` whose requests ``handler``
    answers (a coroutine function for the async client may wait)."""
    settings: dict[str, Any] = {"api_url": API, "max_retries": 0}
    if flavour == "sync":
        with sharokey.Sharokey(TOKEN, transport=MockTransport(handler), **settings) as client:
            return client.create_many(items, **options)

    async def run() -> list[Any]:
        transport = AsyncMockTransport(handler)
        async with sharokey.AsyncSharokey(TOKEN, transport=transport, **settings) as client:
            return await client.create_many(items, **options)

    return asyncio.run(run())


def items(n: int, prefix: str = "item") -> list[dict[str, Any]]:
    return [{"content": f"secret {i}", "description": f"{prefix}{i}"} for i in range(n)]


class Recorded:
    """A generator over ``source`` that counts how many items were read from it."""

    def __init__(self, source: list[Any]) -> None:
        self.source = source
        self.read = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.source:
            self.read += 1
            yield item


# --------------------------------------------------------------------------- outcomes


def test_outcomes_come_back_in_input_order_whatever_order_the_answers_arrive(
    flavour: str,
) -> None:
    # item0 is answered last: its handler waits until every other item was answered.
    answered: list[str] = []
    others_done_sync = threading.Event()

    def answer(request: Request) -> Response:
        name = description_of(request)
        if name == "item0":
            assert others_done_sync.wait(WAIT)
        answered.append(name)
        if len(answered) == 4:
            others_done_sync.set()
        return created(name, request.headers["Idempotency-Key"])

    others_done: list[asyncio.Event] = []  # made inside the loop (Python 3.9 binds it)

    async def answer_async(request: Request) -> Response:
        if not others_done:
            others_done.append(asyncio.Event())
        name = description_of(request)
        if name == "item0":
            await asyncio.wait_for(others_done[0].wait(), WAIT)
        answered.append(name)
        if len(answered) == 4:
            others_done[0].set()
        return created(name, request.headers["Idempotency-Key"])

    handler = answer if flavour == "sync" else answer_async
    results = many(flavour, handler, items(5), concurrency=5)

    assert answered[-1] == "item0"
    assert [r.slug for r in results] == [f"item{i}" for i in range(5)]
    assert all(isinstance(r, sharokey.CreatedSecret) for r in results)
    assert all("#" in r.share_url for r in results)  # each with its own key in the link


def test_a_failed_item_holds_its_exception_and_the_others_are_kept(flavour: str) -> None:
    def drop() -> Response:
        raise NetworkError("connection reset", request_sent=False)

    service = Service(fail={"item1": lambda: refused(422, "VALIDATION_ERROR"), "item3": drop})

    results = many(flavour, service, items(5), concurrency=2)

    assert [type(r).__name__ for r in results] == [
        "CreatedSecret",
        "ValidationError",
        "CreatedSecret",
        "NetworkError",
        "CreatedSecret",
    ]
    assert [results[i].slug for i in (0, 2, 4)] == ["item0", "item2", "item4"]
    assert results[1].status == 422
    # Every item was sent: a failure stops nothing else.
    assert service.sent[:5] == sorted(f"item{i}" for i in range(5))


def test_a_failure_keeps_its_traceback_but_not_the_locals_of_its_frames(flavour: str) -> None:
    service = Service(fail={"item0": lambda: refused(500, "SERVER_ERROR")})

    (failure,) = many(flavour, service, items(1))

    assert isinstance(failure, sharokey.ServerError)
    frames = []
    tb = failure.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    assert frames, "the traceback is kept, for the lines it shows"
    # Below the frame that caught it (the core's create, the shell's loop, where the
    # request body was): every frame let go of its locals.
    assert all(not frame.f_locals for frame in frames[1:])


def test_each_item_is_one_create_with_its_own_idempotency_key(flavour: str) -> None:
    service = Service()

    given = [*items(3), sharokey.NewSecret("mine", description="item3", idempotency_key="k-3")]
    results = many(flavour, service, given)

    keys = {description_of(r): r.headers["Idempotency-Key"] for r in service.requests}
    assert len(service.requests) == 4
    assert len(set(keys.values())) == 4
    assert keys["item3"] == "k-3"
    assert [r.slug for r in results] == ["item0", "item1", "item2", "item3"]


def test_items_may_be_the_content_alone_a_mapping_or_a_new_secret(flavour: str) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: Request) -> Response:
        body = json.loads(request.body or b"{}")
        seen.append(body)
        return created(f"s{len(seen)}", request.headers["Idempotency-Key"])

    given = [
        "just the content",
        {"content": "as a mapping", "hours": 2, "views": 3},
        sharokey.NewSecret("as a record", hours=5, ip_whitelist=["10.0.0.1", "10.0.0.2"]),
    ]
    results = many(flavour, answer, given, concurrency=1)

    assert all(isinstance(r, sharokey.CreatedSecret) for r in results)
    assert [(b["expiration_hours"], b["maximum_views"]) for b in seen] == [(24, 1), (2, 3), (5, 1)]
    assert seen[2]["ip_whitelist"] == "10.0.0.1,10.0.0.2"
    assert all("just the content" not in json.dumps(b) for b in seen)  # sealed, as create does


def test_nothing_to_create_is_an_empty_list(flavour: str) -> None:
    service = Service()
    assert many(flavour, service, []) == []
    assert many(flavour, service, iter(())) == []
    assert service.requests == []


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("bad", "detail"),
    [
        ({"content": "x", "hourz": 3}, "items[2]"),
        ({"hours": 3}, "items[2].content"),
        ({"content": "x", "hours": 0}, "items[2].hours"),
        (42, "items[2]"),
        (sharokey.NewSecret("x", views=10_000), "items[2].views"),
        (sharokey.NewSecret("x", idempotency_key="has space"), "items[2].idempotency_key"),
    ],
)
def test_a_bad_item_in_a_list_is_named_and_nothing_is_sent(
    flavour: str, bad: Any, detail: str
) -> None:
    service = Service()
    given = [*items(2), bad, *items(2, prefix="later")]

    with pytest.raises(ValidationError) as info:
        many(flavour, service, given)

    assert "create_many item 2:" in info.value.message
    assert detail in info.value.details
    assert service.requests == []


def test_a_key_given_twice_in_one_batch_is_refused_before_sending(flavour: str) -> None:
    service = Service()
    given = [sharokey.NewSecret(f"s{i}", idempotency_key="same") for i in range(2)]

    with pytest.raises(ValidationError) as info:
        many(flavour, service, given)

    assert info.value.details == {
        "items[1].idempotency_key": ["repeats item 0's (one key per secret)"]
    }
    assert service.requests == []


def test_a_bad_item_of_a_generator_holds_its_error_and_the_rest_go_on(flavour: str) -> None:
    service = Service()

    given = (item for item in [*items(2), {"content": "x", "views": 0}, *items(1, "last")])
    results = many(flavour, service, given)

    assert isinstance(results[2], ValidationError)
    assert "create_many item 2:" in results[2].message
    assert "items[2].views" in results[2].details
    assert [r.slug for r in (results[0], results[1], results[3])] == ["item0", "item1", "last0"]
    assert service.sent == ["item0", "item1", "last0"]


def test_a_generator_that_fails_ends_the_batch_with_its_exception_last(flavour: str) -> None:
    service = Service()

    def given() -> Iterator[Any]:
        yield from items(3)
        raise LookupError("the caller's own source broke")

    results = many(flavour, service, given())

    assert [r.slug for r in results[:3]] == ["item0", "item1", "item2"]  # nothing lost
    assert isinstance(results[3], LookupError)
    assert len(results) == 4


@pytest.mark.parametrize("concurrency", [0, -1, 101, True, 2.5, "4"])
def test_a_concurrency_out_of_bounds_is_refused_before_anything_is_read(
    flavour: str, concurrency: Any
) -> None:
    source = Recorded(items(3))
    service = Service()

    with pytest.raises(ValidationError) as info:
        many(flavour, service, source, concurrency=concurrency)

    assert info.value.details == {"concurrency": ["must be an integer from 1 to 100"]}
    assert source.read == 0
    assert service.requests == []


@pytest.mark.parametrize("given", ["abc", b"abc", {"content": "x"}, sharokey.NewSecret("x"), 7])
def test_one_item_where_items_were_expected_is_refused(flavour: str, given: Any) -> None:
    with pytest.raises(ValidationError) as info:
        many(flavour, Service(), given)
    assert "items" in info.value.details


def test_a_new_secret_never_shows_what_it_protects() -> None:
    new = sharokey.NewSecret(
        "the plaintext", password="the password", otp_email="a@b.example", description="shown"
    )
    assert "the plaintext" not in repr(new)
    assert "the password" not in repr(new)
    assert "a@b.example" not in repr(new)
    assert "shown" in repr(new)


def test_a_file_given_alone_as_attachments_is_never_read_while_the_item_is_built(
    tmp_path: Any,
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"line one\nline two\n")
    with path.open("rb") as handle:
        new = sharokey.NewSecret("x", attachments=handle, ip_whitelist=iter(["10.0.0.1"]))
        assert new.attachments is handle
        assert handle.tell() == 0
    assert new.ip_whitelist == ("10.0.0.1",)  # a one-shot iterable is kept as a tuple


def test_an_interrupt_stops_the_drawing_and_waits_for_the_items_being_sent() -> None:
    source = Recorded(items(10))
    started: list[str] = []
    finished: list[str] = []

    def answer(request: Request) -> Response:
        name = description_of(request)
        started.append(name)
        if name == "item0":
            raise KeyboardInterrupt  # what Ctrl-C raises; here in a worker, then re-raised
        finished.append(name)
        return created(name, request.headers["Idempotency-Key"])

    with (
        sharokey.Sharokey(
            TOKEN, api_url=API, transport=MockTransport(answer), max_retries=0
        ) as client,
        pytest.raises(KeyboardInterrupt),
    ):
        client.create_many(source, concurrency=2)

    assert source.read < 10  # the rest was never drawn
    # Every item that reached the transport was seen through before the call ended.
    assert sorted(finished) == sorted(set(started) - {"item0"})
    assert not [t for t in threading.enumerate() if t.name.startswith("sharokey-many")]


# --------------------------------------------------------------------------- bounds


# By default as many items are in flight as the client has connections.
IN_FLIGHT = [({"concurrency": 4}, {}), ({}, {"max_connections": 4})]


@pytest.mark.parametrize(("options", "settings"), IN_FLIGHT)
def test_a_generator_is_read_only_as_far_as_the_items_in_flight_sync(
    options: dict[str, Any], settings: dict[str, Any]
) -> None:
    source = Recorded(items(50))
    release = threading.Event()
    in_flight = threading.Semaphore(0)
    busiest = [0, 0]  # now, most at once
    lock = threading.Lock()

    def answer(request: Request) -> Response:
        with lock:
            busiest[0] += 1
            busiest[1] = max(busiest)
        in_flight.release()
        assert release.wait(WAIT)
        with lock:
            busiest[0] -= 1
        return created(description_of(request), request.headers["Idempotency-Key"])

    outcome: list[Any] = []
    transport = MockTransport(answer)
    with sharokey.Sharokey(TOKEN, api_url=API, transport=transport, **settings) as client:
        worker = threading.Thread(
            target=lambda: outcome.append(client.create_many(source, **options))
        )
        worker.start()
        for _ in range(4):
            assert in_flight.acquire(timeout=WAIT)
        assert source.read == 4  # four sent and waiting: nothing more was read
        release.set()
        worker.join(WAIT)

    assert source.read == 50
    assert [r.slug for r in outcome[0]] == [f"item{i}" for i in range(50)]
    assert busiest[1] == 4


@pytest.mark.parametrize(("options", "settings"), IN_FLIGHT)
async def test_a_generator_is_read_only_as_far_as_the_items_in_flight_async(
    options: dict[str, Any], settings: dict[str, Any]
) -> None:
    source = Recorded(items(50))
    release = asyncio.Event()
    full = asyncio.Event()
    busiest = [0, 0]

    async def answer(request: Request) -> Response:
        busiest[0] += 1
        busiest[1] = max(busiest)
        if busiest[0] == 4:
            full.set()
        await release.wait()
        busiest[0] -= 1
        return created(description_of(request), request.headers["Idempotency-Key"])

    async with sharokey.AsyncSharokey(
        TOKEN, api_url=API, transport=AsyncMockTransport(answer), **settings
    ) as client:
        batch = asyncio.ensure_future(client.create_many(source, **options))
        await asyncio.wait_for(full.wait(), WAIT)
        assert source.read == 4  # four sent and waiting: nothing more was read
        release.set()
        results = await asyncio.wait_for(batch, WAIT)

    assert source.read == 50
    assert [r.slug for r in results] == [f"item{i}" for i in range(50)]
    assert busiest[1] == 4


async def test_cancelling_create_many_cancels_the_items_in_flight_and_leaves_no_task() -> None:
    source = Recorded(items(20))
    full = asyncio.Event()
    started: list[str] = []
    cancelled: list[str] = []
    never = asyncio.Event()

    async def answer(request: Request) -> Response:
        name = description_of(request)
        started.append(name)
        if len(started) == 3:
            full.set()
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        raise AssertionError("unreachable: never is never set")

    before = asyncio.all_tasks()
    async with sharokey.AsyncSharokey(
        TOKEN, api_url=API, transport=AsyncMockTransport(answer)
    ) as client:
        batch = asyncio.ensure_future(client.create_many(source, concurrency=3))
        await asyncio.wait_for(full.wait(), WAIT)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch

    assert sorted(cancelled) == sorted(started) == ["item0", "item1", "item2"]
    assert source.read == 3
    assert asyncio.all_tasks() == before  # every worker task has ended


# --------------------------------------------------------------------------- the emulator


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


def live_many(flavour: str, emu: EmulatorHandle, given: Any, **options: Any) -> list[Any]:
    names = ("retry_policy", "retry_ambiguous_posts")
    client_options = {k: options.pop(k) for k in names if k in options}
    if flavour == "sync":
        with sharokey.Sharokey(TOKEN, api_url=emu.api_url, **client_options) as client:
            return client.create_many(given, **options)

    async def run() -> list[Any]:
        async with sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, **client_options) as client:
            return await client.create_many(given, **options)

    return asyncio.run(run())


def revealed(emu: EmulatorHandle, results: list[Any]) -> list[str]:
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
        return [check.reveal(r.share_url).content for r in results]


@pytest.mark.live
def test_against_the_emulator_every_link_opens_its_own_secret(
    flavour: str, emu: EmulatorHandle
) -> None:
    given = (f"secret number {i}" for i in range(30))

    results = live_many(flavour, emu, given, concurrency=7)

    assert emu.secret_count() == 30
    assert revealed(emu, results) == [f"secret number {i}" for i in range(30)]


@pytest.mark.live
def test_lost_answers_retried_with_the_items_key_make_no_second_secret(
    flavour: str, emu: EmulatorHandle, policy: Any
) -> None:
    # Two creates are stored and their answers lost; the client may repeat (same key).
    # Two, not more: one item could meet both and still has a third attempt.
    emu.add_fault("POST /api/v1/secrets drop-after x2")

    results = live_many(
        flavour,
        emu,
        [f"secret number {i}" for i in range(12)],
        concurrency=4,
        retry_policy=policy(),
        retry_ambiguous_posts=True,
    )

    assert emu.hits("POST", "/api/v1/secrets") == 12 + 2
    assert emu.secret_count() == 12  # one per item, none twice
    assert revealed(emu, results) == [f"secret number {i}" for i in range(12)]


@pytest.mark.live
def test_a_lost_answer_not_retried_is_that_items_error_and_no_duplicate(
    flavour: str, emu: EmulatorHandle, policy: Any
) -> None:
    emu.add_fault("POST /api/v1/secrets drop-after x1")  # stored, answer lost: unknown outcome

    results = live_many(
        flavour, emu, [f"secret number {i}" for i in range(8)], retry_policy=policy()
    )

    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1
    assert isinstance(failed[0], NetworkError) and failed[0].request_sent is True
    assert emu.hits("POST", "/api/v1/secrets") == 8  # the unknown one was not repeated
    assert emu.secret_count() == 8  # stored once, by the lost attempt
    good = [(i, r) for i, r in enumerate(results) if not isinstance(r, Exception)]
    assert revealed(emu, [r for _, r in good]) == [f"secret number {i}" for i, _ in good]


@pytest.mark.live
def test_items_with_attachments_open_with_their_own_files(
    flavour: str, emu: EmulatorHandle, tmp_path: Any
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"from a path")
    given = [
        sharokey.NewSecret("with a pair", attachments=(p for p in [("a.bin", b"\x00\x01")])),
        sharokey.NewSecret("with a path", attachments=[path]),
        sharokey.NewSecret("", attachments=[("only.txt", b"only a file")]),
    ]

    with pytest.warns(sharokey.SharokeySecurityWarning):
        results = live_many(flavour, emu, given, concurrency=3)

    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
        opened = [check.reveal(r.share_url) for r in results]
    assert [o.content for o in opened] == ["with a pair", "with a path", ""]
    assert [[(a.name, a.data) for a in o.attachments] for o in opened] == [
        [("a.bin", b"\x00\x01")],
        [("notes.txt", b"from a path")],
        [("only.txt", b"only a file")],
    ]
