"""The retry table (docs/protocol.md#5-errors-and-retries), played for real against the
emulator's faults.

Every fault the emulator can inject (500, HTML 502/504, 503 and 429 with
Retry-After, a dropped connection, a lost answer, a read timeout, a truncated
body) meets every kind of call (a read, a delete, a create) on both clients.
What a user must see: a transient fault is absorbed by the default two
retries; a lasting one ends in the right typed error after exactly three
attempts; a create whose outcome is unknown is never repeated unless the
client allows it, and then it carries one Idempotency-Key so the server keeps
exactly one secret. Attempts are counted where they land, on the server.

Retries never really wait: the policy records the delays instead of sleeping,
and read timeouts are 0.3 s against a 1 s server delay.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest

import sharokey
from sharokey._messages import Request, Response
from sharokey.config import Timeout
from sharokey.emulator import EmulatorHandle, run_emulator, start_emulator
from sharokey.transports import AiohttpTransport, RequestsTransport

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("clean_env")]

TOKEN = "fault-matrix-token-0001"
DELAY = 0.8  # seconds the server sits on a delayed request
FAST = Timeout(connect=2, read=0.3)  # a read timeout well below DELAY
SETTLE = 10.0  # how long to wait, at most, for the server to log what it was sent

#: Fault effects (without a count), as the emulator's grammar spells them.
FAULTS = {
    "500": "500",
    "502-html": "502",
    "504-html": "504",
    "503-retry-after": "503 retry-after=1",
    "429-retry-after": "429 retry-after=1",
    "drop": "drop",
    "read-timeout": f"delay={DELAY:g}",
    "truncated-json": "truncate",
}

#: The call each kind of operation makes, and the path its fault rule targets.
OPERATIONS = {
    "get": ("GET", "/api/v1/secrets/*"),
    "delete": ("DELETE", "/api/v1/secrets/*"),
    "create": ("POST", "/api/v1/secrets"),
}

#: Faults after which any call may be repeated (the request did not act).
RETRIED_FOR_EVERY_METHOD = {"503-retry-after", "429-retry-after"}
#: Faults whose outcome is unknown: repeated for GET and DELETE only.
AMBIGUOUS = {"500", "502-html", "504-html", "drop", "read-timeout", "truncated-json"}


def _rule(op: str, fault: str, count: Optional[int], effect: Optional[str] = None) -> str:
    method, path = OPERATIONS[op]
    times = f" x{count}" if count is not None else ""
    return f"{method} {path} {effect or FAULTS[fault]}{times}"


# --------------------------------------------------------------------------- harness


class SpySync:
    """The real requests transport, recording what the client asked it to send."""

    def __init__(self, max_connections: int = 10) -> None:
        self.inner = RequestsTransport(max_connections=max_connections)
        self.sent: list[Request] = []

    def send(self, request: Request, timeout: Timeout) -> Response:
        self.sent.append(request)
        response: Response = self.inner.send(request, timeout)
        return response

    def close(self) -> None:
        self.inner.close()


class SpyAsync:
    """The real aiohttp transport, recording what the client asked it to send."""

    def __init__(self, max_connections: int = 10) -> None:
        self.inner = AiohttpTransport(max_connections=max_connections)
        self.sent: list[Request] = []

    async def send(self, request: Request, timeout: Timeout) -> Response:
        self.sent.append(request)
        response: Response = await self.inner.send(request, timeout)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Caller:
    """Runs one client call (sync or async) the way a user would, and keeps the spy."""

    def __init__(self, mode: str, api_url: str, policy: Callable[..., Any]) -> None:
        self.mode = mode
        self.api_url = api_url
        self.policy = policy
        self.sent: list[Request] = []

    def __call__(self, method: str, *args: Any, ambiguous: bool = False, **kwargs: Any) -> Any:
        options: dict[str, Any] = {
            "api_url": self.api_url,
            "timeout": FAST,
            "retry_policy": self.policy(),
            "retry_ambiguous_posts": ambiguous,
        }
        if self.mode == "sync":
            spy = SpySync()
            try:
                with sharokey.Sharokey(TOKEN, transport=spy, **options) as client:
                    return getattr(client, method)(*args, **kwargs)
            finally:
                self.sent = spy.sent
                spy.close()

        async def run() -> Any:
            spy = SpyAsync()
            try:
                async with sharokey.AsyncSharokey(TOKEN, transport=spy, **options) as client:
                    return await getattr(client, method)(*args, **kwargs)
            finally:
                self.sent = spy.sent
                await spy.aclose()

        return asyncio.run(run())

    @property
    def keys(self) -> list[Optional[str]]:
        """The Idempotency-Key of each attempt the client made."""
        return [r.headers.get("Idempotency-Key") for r in self.sent]


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def call(flavour: str, emu: EmulatorHandle, policy: Any) -> Caller:
    return Caller(flavour, emu.api_url, policy)


def _existing_slug(emu: EmulatorHandle) -> str:
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as setup:
        return setup.create("already there").slug


def _invoke(call: Caller, op: str, slug: str = "", **options: Any) -> Any:
    """Make the call ``op`` names: details or delete of ``slug``, or a create."""
    if op == "create":
        return call("create", "created under faults", **options)
    return call("get_details" if op == "get" else "delete", slug, **options)


async def _eventually(condition: Callable[[], bool]) -> None:
    """Let the loop run (the emulator shares it) until ``condition`` holds, or SETTLE passes."""
    for _ in range(int(SETTLE / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


def _server_hits(emu: EmulatorHandle, op: str, at_least: int, delayed: bool = False) -> int:
    """Requests of ``op`` the server logged, once every one the client sent has landed.

    Call it right after the client call returned. An answered request is logged before
    its answer leaves; a delayed one only when the server is done with it, up to DELAY
    later: wait that long, so that an extra attempt cannot stand in for a late one.
    """
    method, path = OPERATIONS[op]
    if delayed:
        time.sleep(DELAY + 0.1)
    deadline = time.monotonic() + SETTLE
    while emu.hits(method, path) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
    return emu.hits(method, path)


def _check_error(error: BaseException, fault: str) -> None:
    """The typed error a lasting ``fault`` must end in, with what the user needs from it."""
    if fault in ("500", "502-html", "504-html"):
        assert type(error) is sharokey.ServerError
        assert error.status == int(FAULTS[fault][:3])
    elif fault == "503-retry-after":
        assert type(error) is sharokey.ServerError
        assert error.status == 503
        assert error.retry_after == 1.0
    elif fault == "429-retry-after":
        assert type(error) is sharokey.RateLimitError
        assert error.status == 429
        assert error.retry_after == 1.0
    elif fault == "drop":
        assert type(error) is sharokey.NetworkError
        assert error.request_sent is True
    elif fault == "read-timeout":
        assert type(error) is sharokey.RequestTimeoutError
        assert isinstance(error, TimeoutError)
        assert error.request_sent is True
    else:
        assert type(error) is sharokey.InvalidResponseError
        assert error.code == "INVALID_JSON"


# --------------------------------------------------------------------------- retried faults

# A DELETE whose answer was cut short had acted: what its repeat must say is the subject
# of test_a_delete_whose_answer_was_lost_is_not_reported_as_missing, not of the matrix.
_RETRIED = [
    (op, fault)
    for op in OPERATIONS
    for fault in FAULTS
    if (fault in RETRIED_FOR_EVERY_METHOD or op != "create")
    and (op, fault) != ("delete", "truncated-json")
]


@pytest.mark.parametrize(("op", "fault"), _RETRIED)
def test_a_passing_fault_is_absorbed_by_the_default_retries(
    call: Caller, emu: EmulatorHandle, sleeps: Any, op: str, fault: str
) -> None:
    # Two faults then success; a read timeout costs 0.3 s per attempt, so only one.
    count = 1 if fault == "read-timeout" else 2
    slug = _existing_slug(emu) if op != "create" else ""
    before = emu.hits(*OPERATIONS[op])
    emu.add_fault(_rule(op, fault, count))

    result = _invoke(call, op, slug)

    if op == "create":
        assert emu.secret_count() == 1
        with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
            assert check.reveal(result.share_url).content == "created under faults"
    elif op == "get":
        assert result.slug == slug
    else:
        assert result is None
        with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
            assert check.get_details(slug).status == "expired"

    landed = _server_hits(emu, op, before + count + 1, fault == "read-timeout")
    assert landed - before == count + 1
    assert len(call.sent) == count + 1  # every repeat was the client's own
    assert len(sleeps.delays) == count  # one pause before each
    if fault.endswith("retry-after"):
        assert sleeps.delays == [1.0] * count  # the server's Retry-After, not backoff


@pytest.mark.parametrize(("op", "fault"), _RETRIED)
def test_a_lasting_fault_ends_in_its_typed_error_after_three_attempts(
    call: Caller, emu: EmulatorHandle, sleeps: Any, op: str, fault: str
) -> None:
    # Counted on the server: aiohttp's own silent resend of a dropped GET would show here.
    slug = _existing_slug(emu) if op != "create" else ""
    before = emu.hits(*OPERATIONS[op])
    # A delay rule without a count would hold the server past the test; 3 is all it needs.
    emu.add_fault(_rule(op, fault, 3 if fault == "read-timeout" else None))

    with pytest.raises(sharokey.SharokeyError) as info:
        _invoke(call, op, slug)

    _check_error(info.value, fault)
    assert len(sleeps.delays) == 2
    assert len(call.sent) == 3
    assert _server_hits(emu, op, before + 3, fault == "read-timeout") - before == 3
    if op == "create":
        assert emu.secret_count() == 0


@pytest.mark.parametrize("effect", ["truncate", "drop-after"])
def test_a_delete_whose_answer_was_lost_is_not_reported_as_missing(
    call: Caller, emu: EmulatorHandle, effect: str
) -> None:
    slug = _existing_slug(emu)
    emu.add_fault(f"DELETE /api/v1/secrets/* {effect} x1")  # deleted, then the answer is lost

    assert _invoke(call, "delete", slug) is None  # the user asked for it gone, and it is

    assert _server_hits(emu, "delete", 2) == 2
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
        assert check.get_details(slug).status == "expired"


# --------------------------------------------------------------------------- creates


@pytest.mark.parametrize("fault", sorted(AMBIGUOUS | {"drop-after"}))
def test_a_create_with_an_unknown_outcome_is_not_repeated(
    call: Caller, emu: EmulatorHandle, sleeps: Any, fault: str
) -> None:
    effect = "drop-after" if fault == "drop-after" else None
    emu.add_fault(_rule("create", fault, 1, effect))

    with pytest.raises(sharokey.SharokeyError) as info:
        _invoke(call, "create")

    if fault == "drop-after":
        assert type(info.value) is sharokey.NetworkError
        assert info.value.request_sent is True
    else:
        _check_error(info.value, fault)
    assert sleeps.delays == []
    assert _server_hits(emu, "create", 1, fault == "read-timeout") == 1
    if fault == "read-timeout":
        # The server may still store it after the client gave up (the emulator does,
        # once its delay ends, perhaps after this line): never more than one secret.
        assert emu.secret_count() <= 1
    else:
        # Stored when the fault struck after the handler (answer lost or cut short).
        acted = fault in ("drop-after", "truncated-json")
        assert emu.secret_count() == (1 if acted else 0)


@pytest.mark.parametrize("fault", sorted(AMBIGUOUS | {"drop-after"}))
def test_an_allowed_repeat_of_a_create_keeps_one_secret(
    call: Caller, emu: EmulatorHandle, sleeps: Any, fault: str
) -> None:
    count = 1 if fault == "read-timeout" else 2
    effect = "drop-after" if fault == "drop-after" else None
    emu.add_fault(_rule("create", fault, count, effect))

    created = _invoke(call, "create", ambiguous=True)

    assert len(call.sent) == count + 1
    assert len(set(call.keys)) == 1 and call.keys[0]  # one Idempotency-Key on every attempt
    assert _server_hits(emu, "create", count + 1, fault == "read-timeout") == count + 1
    assert emu.secret_count() == 1
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as check:
        assert check.reveal(created.share_url).content == "created under faults"


@pytest.mark.parametrize("fault", ["drop-after", "truncated-json", "500"])
def test_a_lasting_fault_on_an_allowed_create_still_stores_at_most_one(
    call: Caller, emu: EmulatorHandle, fault: str
) -> None:
    effect = "drop-after" if fault == "drop-after" else None
    emu.add_fault(_rule("create", fault, None, effect))

    with pytest.raises(sharokey.SharokeyError):
        _invoke(call, "create", ambiguous=True)

    assert _server_hits(emu, "create", 3) == 3
    assert len(set(call.keys)) == 1
    # drop-after and truncate act before the answer is lost; a 500 fault acts not at all.
    assert emu.secret_count() == (0 if fault == "500" else 1)


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize("op", list(OPERATIONS))
@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_above_the_cap_is_raised_at_once(
    call: Caller, emu: EmulatorHandle, sleeps: Any, op: str, status: int
) -> None:
    slug = _existing_slug(emu) if op != "create" else ""
    before = emu.hits(*OPERATIONS[op])
    emu.add_fault(_rule(op, "", None, f"{status} retry-after=31"))  # the cap is 30 s

    with pytest.raises((sharokey.RateLimitError, sharokey.ServerError)) as info:
        _invoke(call, op, slug)

    error = info.value
    assert isinstance(error, (sharokey.RateLimitError, sharokey.ServerError))
    assert error.status == status
    assert error.retry_after == 31.0
    assert sleeps.delays == []
    assert _server_hits(emu, op, before + 1) - before == 1


@pytest.fixture
def closed_port() -> str:
    """An API URL on a loopback port nobody listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


@pytest.mark.parametrize("op", list(OPERATIONS))
def test_a_refused_connection_is_retried_for_every_method_then_reported(
    call: Caller, closed_port: str, sleeps: Any, op: str
) -> None:
    call.api_url = closed_port
    with pytest.raises(sharokey.NetworkError) as info:
        _invoke(call, op, "NOSUCHSLUG")
    assert type(info.value) is sharokey.NetworkError
    assert info.value.request_sent is False
    assert len(call.sent) == 3
    assert len(sleeps.delays) == 2


async def test_cancelling_during_a_slow_answer_is_not_retried_and_the_client_stays_usable(
    policy: Any, sleeps: Any
) -> None:
    async with (
        start_emulator(tokens=[TOKEN]) as emu,
        sharokey.AsyncSharokey(
            TOKEN, api_url=emu.api_url, timeout=Timeout(connect=2, read=5), retry_policy=policy()
        ) as client,
    ):
        emu.add_fault(f"GET /api/v1/secrets-stats delay={DELAY:g} x1")
        task = asyncio.create_task(client.get_stats())
        await _eventually(lambda: not emu.faults)  # fired: the request waits on the server
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sleeps.delays == []

        # The delayed request is logged when the server is done with it; a retry would
        # have been answered at once, before it.
        await _eventually(lambda: emu.hits("GET", "/api/v1/secrets-stats") >= 1)
        assert emu.hits("GET", "/api/v1/secrets-stats") == 1

        assert (await client.get_stats()).total_secrets == 0
        assert emu.hits("GET", "/api/v1/secrets-stats") == 2
