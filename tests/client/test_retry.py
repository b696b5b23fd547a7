"""Retries as a user sees them: what is repeated, how often, after how long, with which key."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, Callable

import pytest

import sharokey
from sharokey._messages import Request, Response
from sharokey._retry import RetryPolicy
from sharokey.transports import AsyncMockTransport, MockTransport

pytestmark = pytest.mark.usefixtures("clean_env")

API = "https://api.example.com/api/v1"
CREATED = {"slug": "SLUG0001", "access_url": "https://app.example.com/s/SLUG0001"}


class Script:
    """Answers requests from a list of outcomes (a Response or an exception), then repeats
    the last one; records every request."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, Response)
        return outcome

    @property
    def count(self) -> int:
        return len(self.requests)


@pytest.fixture
def run(flavour: str) -> Callable[..., Any]:
    """``run(script, method, *args, client_options..., **kwargs)`` on either client."""
    mode = flavour

    def call(script: Script, method: str, *args: Any, options: Any = None, **kwargs: Any) -> Any:
        options = dict(options or {})
        if mode == "sync":
            client: Any = sharokey.Sharokey(
                "retry-token", api_url=API, transport=MockTransport(script), **options
            )
            return getattr(client, method)(*args, **kwargs)

        async def go() -> Any:
            aclient = sharokey.AsyncSharokey(
                "retry-token", api_url=API, transport=AsyncMockTransport(script), **options
            )
            result = getattr(aclient, method)(*args, **kwargs)
            return await result

        return asyncio.run(go())

    return call


def test_429_waits_for_retry_after_then_succeeds(
    run: Any, policy: Any, sleeps: Any, ok: Any, fail: Any
) -> None:
    script = Script(
        fail(429, "RATE_LIMITED", headers={"Retry-After": "2"}), ok({"total_secrets": 4})
    )
    stats = run(script, "get_stats", options={"retry_policy": policy()})
    assert stats.total_secrets == 4
    assert script.count == 2
    assert sleeps.delays == [2.0]


def test_retry_after_above_the_cap_is_raised_at_once(
    run: Any, policy: Any, sleeps: Any, fail: Any
) -> None:
    script = Script(fail(429, "RATE_LIMITED", headers={"Retry-After": "120"}))
    with pytest.raises(sharokey.RateLimitError) as info:
        run(script, "get_stats", options={"retry_policy": policy()})
    assert info.value.retry_after == 120.0
    assert script.count == 1
    assert sleeps.delays == []


def test_503_on_a_create_is_retried_with_the_same_idempotency_key(
    run: Any, policy: Any, ok: Any, fail: Any
) -> None:
    script = Script(fail(503), ok(CREATED, 201))
    created = run(script, "create", "x", options={"retry_policy": policy()})
    assert created.slug == "SLUG0001"
    assert script.count == 2
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(keys) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_an_ambiguous_failure_of_a_create_is_not_repeated_by_default(
    run: Any, policy: Any, fail: Any, status: int
) -> None:
    script = Script(fail(status))
    with pytest.raises(sharokey.ServerError):
        run(script, "create", "x", options={"retry_policy": policy()})
    assert script.count == 1


def test_ambiguous_creates_are_repeated_when_allowed_with_one_key(
    run: Any, policy: Any, ok: Any, fail: Any
) -> None:
    script = Script(fail(500), sharokey.NetworkError(request_sent=True), ok(CREATED, 201))
    options = {"retry_policy": policy(), "retry_ambiguous_posts": True}
    created = run(script, "create", "x", idempotency_key="caller-key-1", options=options)
    assert created.slug == "SLUG0001"
    assert script.count == 3
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["caller-key-1"] * 3
    assert len({r.body for r in script.requests}) == 1  # the same sealed body every time


def test_a_generated_idempotency_key_is_new_for_each_call(ok: Any) -> None:
    script = Script(ok(CREATED, 201))
    client = sharokey.Sharokey("t", api_url=API, transport=MockTransport(script))
    client.create("a")
    client.create("b")
    first, second = (r.headers["Idempotency-Key"] for r in script.requests)
    assert first != second


def test_secret_requests_are_never_repeated_on_an_unknown_outcome(
    run: Any, policy: Any, fail: Any
) -> None:
    script = Script(fail(500))
    options = {"retry_policy": policy(), "retry_ambiguous_posts": True}
    with pytest.raises(sharokey.ServerError):
        run(script, "create_request", options=options)
    assert script.count == 1
    assert "Idempotency-Key" not in script.requests[0].headers


def test_reads_are_retried_until_the_budget_is_spent(
    run: Any, policy: Any, sleeps: Any, fail: Any
) -> None:
    script = Script(fail(502))
    with pytest.raises(sharokey.ServerError):
        run(script, "get_details", "SLUG0001", options={"retry_policy": policy()})
    assert script.count == 3  # max_retries=2
    assert sleeps.delays == [0.5, 1.0]  # exponential backoff, jitter pinned


def test_max_retries_sets_the_budget(run: Any, policy: Any, fail: Any) -> None:
    script = Script(fail(503))
    with pytest.raises(sharokey.ServerError):
        run(script, "delete", "SLUG0001", options={"retry_policy": policy(max_retries=4)})
    assert script.count == 5
    script = Script(fail(503))
    with pytest.raises(sharokey.ServerError):
        run(script, "delete", "SLUG0001", options={"max_retries": 0})
    assert script.count == 1


def test_a_request_never_sent_is_retried_whatever_the_method(
    run: Any, policy: Any, ok: Any
) -> None:
    script = Script(sharokey.NetworkError(request_sent=False), ok(CREATED, 201))
    assert run(script, "create", "x", options={"retry_policy": policy()}).slug == "SLUG0001"
    assert script.count == 2


def test_a_request_maybe_sent_is_retried_only_when_safe(run: Any, policy: Any, ok: Any) -> None:
    lost = sharokey.RequestTimeoutError(request_sent=True)
    script = Script(lost)
    with pytest.raises(sharokey.RequestTimeoutError):
        run(script, "create", "x", options={"retry_policy": policy()})
    assert script.count == 1
    script = Script(lost, ok({"slug": "SLUG0001"}))
    assert run(script, "get_details", "SLUG0001", options={"retry_policy": policy()}).slug
    assert script.count == 2


def test_a_truncated_answer_is_retried_only_when_safe(run: Any, policy: Any, ok: Any) -> None:
    cut = Response(status=200, body=b'{"success": true, "data": {"slu')
    script = Script(cut, ok({"slug": "SLUG0001"}))
    assert run(script, "get_details", "SLUG0001", options={"retry_policy": policy()}).slug
    assert script.count == 2
    script = Script(cut)
    with pytest.raises(sharokey.InvalidResponseError):
        run(script, "create", "x", options={"retry_policy": policy()})
    assert script.count == 1


@pytest.mark.parametrize(
    "error",
    [
        (404, "NOT_FOUND"),
        (401, "AUTHENTICATION_ERROR"),
        (403, "QUOTA_EXCEEDED"),
        (422, "VALIDATION_ERROR"),
        (429, "TOO_MANY_ATTEMPTS"),
    ],
)
def test_answers_that_cannot_change_are_not_retried(
    run: Any, policy: Any, fail: Any, error: tuple[int, str]
) -> None:
    script = Script(fail(*error))
    with pytest.raises(sharokey.SharokeyError) as info:
        run(script, "get_details", "SLUG0001", options={"retry_policy": policy()})
    assert info.value.code == error[1]
    assert script.count == 1


def test_retries_are_logged_at_info_with_the_delay(
    policy: Any, fail: Any, ok: Any, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(fail(503), ok({"slug": "S"}))
    client = sharokey.Sharokey(
        "t", api_url=API, transport=MockTransport(script), retry_policy=policy()
    )
    with caplog.at_level(logging.INFO, logger="sharokey"):
        client.get_details("S")
    retries = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(retries) == 1
    assert "retrying in 0.50 s" in retries[0].getMessage()
    assert "HTTP 503" in retries[0].getMessage()


async def test_concurrent_calls_count_their_attempts_separately(policy: Any, fail: Any) -> None:
    script = Script(fail(503))
    client = sharokey.AsyncSharokey(
        "t", api_url=API, transport=AsyncMockTransport(script), retry_policy=policy()
    )
    outcomes = await asyncio.gather(
        *(client.get_details(f"S{i}") for i in range(4)), return_exceptions=True
    )
    assert all(isinstance(o, sharokey.ServerError) for o in outcomes)
    assert script.count == 4 * 3


async def test_cancellation_raised_by_a_transport_is_not_retried(policy: Any) -> None:
    attempts = 0

    async def handler(request: Request) -> Response:
        nonlocal attempts
        attempts += 1
        raise asyncio.CancelledError

    client = sharokey.AsyncSharokey(
        "t", api_url=API, transport=AsyncMockTransport(handler), retry_policy=policy()
    )
    with pytest.raises(asyncio.CancelledError):
        await client.get_stats()
    assert attempts == 1


def test_retry_policy_values_are_checked() -> None:
    with pytest.raises(sharokey.ConfigurationError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(sharokey.ConfigurationError):
        RetryPolicy(base_delay=-0.1)


# --------------------------------------------------------------------------- real sockets


@pytest.fixture
def closed_port() -> str:
    """An API URL on a loopback port nobody listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def test_connection_refused_is_retried_then_reported(
    closed_port: str, policy: Any, sleeps: Any
) -> None:
    client = sharokey.Sharokey("t", api_url=closed_port, retry_policy=policy())
    with client, pytest.raises(sharokey.NetworkError) as info:
        client.create("x")  # a POST: retried, since nothing was sent
    assert info.value.request_sent is False
    assert len(sleeps.delays) == 2
    assert "127.0.0.1" in str(info.value) and "/api/v1" not in str(info.value)


async def test_connection_refused_is_retried_then_reported_async(
    closed_port: str, policy: Any, sleeps: Any
) -> None:
    async with sharokey.AsyncSharokey("t", api_url=closed_port, retry_policy=policy()) as client:
        with pytest.raises(sharokey.NetworkError) as info:
            await client.create("x")
    assert info.value.request_sent is False
    assert len(sleeps.delays) == 2


def test_custom_jitter_and_delays_are_used(closed_port: str, sleeps: Any) -> None:
    custom = RetryPolicy(
        max_retries=3, base_delay=0.1, max_delay=0.25, jitter=lambda d: d, sleep=sleeps.sleep
    )
    client = sharokey.Sharokey("t", api_url=closed_port, retry_policy=custom)
    with client, pytest.raises(sharokey.NetworkError):
        client.get_stats()
    assert sleeps.delays == [0.1, 0.2, 0.25]
