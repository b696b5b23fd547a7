"""Every documented error (docs/protocol.md#5-errors-and-retries) from both clients, replayed
from the server's own answers: the right class, status and code, no credential in the message,
and retries only where the contract allows them (a retry the cassette does not hold fails the
test)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from sharokey import RetryPolicy, SecretStats
from sharokey.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    ValidationError,
)

from ._support import PLAINTEXT, READONLY_TOKEN, WRONG_TOKEN, Api

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

FAULTS = "fault injection"


def outcome(error: BaseException) -> tuple[type[BaseException], Any, Any]:
    return type(error), getattr(error, "status", None), getattr(error, "code", None)


class Delays:
    """A retry policy that records the delays it would sleep, and never sleeps."""

    def __init__(self) -> None:
        self.seen: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.seen.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.seen.append(seconds)

    def policy(self, max_retries: int = 2) -> RetryPolicy:
        return RetryPolicy(
            max_retries=max_retries,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            jitter=lambda delay: delay,
        )


async def test_a_wrong_token_is_an_authentication_error(make_api: Callable[..., Api]) -> None:
    api = make_api(token=WRONG_TOKEN)
    with pytest.raises(AuthenticationError) as caught:
        await api.list_secrets()
    assert outcome(caught.value) == (AuthenticationError, 401, "AUTHENTICATION_ERROR")
    assert WRONG_TOKEN not in str(caught.value) and WRONG_TOKEN not in repr(caught.value)


@pytest.mark.needs_emulator("a read-only token")
async def test_a_read_only_token_may_read_but_not_write(make_api: Callable[..., Api]) -> None:
    api = make_api(token=READONLY_TOKEN)
    page = await api.list_secrets()
    assert page.data == [] and page.pagination.total == 0

    with pytest.raises(PermissionDeniedError) as create:
        await api.create(PLAINTEXT)
    assert outcome(create.value) == (PermissionDeniedError, 403, "PERMISSION_DENIED")
    with pytest.raises(PermissionDeniedError) as ask:
        await api.create_request(message="read-only")
    assert outcome(ask.value) == (PermissionDeniedError, 403, "PERMISSION_DENIED")


@pytest.mark.needs_emulator("a quota of one secret", quota=1)
async def test_the_quota_refuses_the_next_secret(api: Api) -> None:
    first = await api.create(PLAINTEXT)
    with pytest.raises(QuotaExceededError) as caught:
        await api.create(PLAINTEXT)
    assert outcome(caught.value) == (QuotaExceededError, 403, "QUOTA_EXCEEDED")
    assert isinstance(caught.value, PermissionDeniedError)

    # Deleted secrets no longer count.
    await api.delete(first.slug)
    second = await api.create(PLAINTEXT)
    assert second.slug != first.slug


async def test_a_missing_secret_is_not_found(api: Api) -> None:
    for call in (api.get_details, api.delete):
        with pytest.raises(NotFoundError) as caught:
            await call("NOSUCH42")
        assert outcome(caught.value) == (NotFoundError, 404, "NOT_FOUND")


async def test_the_server_refuses_what_the_client_cannot_know(api: Api) -> None:
    # "ZZ" has the shape of a country code (the client's check) but names no country.
    with pytest.raises(ValidationError) as caught:
        await api.create(PLAINTEXT, geolocation="ZZ")
    assert outcome(caught.value) == (ValidationError, 422, "VALIDATION_ERROR")
    assert set(caught.value.details) == {"geolocation"}
    assert all(isinstance(text, str) for text in caught.value.details["geolocation"])
    assert PLAINTEXT not in str(caught.value)


@pytest.mark.needs_emulator(FAULTS)
async def test_rate_limited_without_retries(make_api: Callable[..., Api], target: Any) -> None:
    target.add_fault("GET /api/v1/secrets-stats 429x1 retry-after=7")
    api = make_api(max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        await api.get_stats()
    assert outcome(caught.value) == (RateLimitError, 429, "RATE_LIMITED")
    assert caught.value.retry_after == 7


@pytest.mark.needs_emulator(FAULTS)
async def test_rate_limited_then_served_after_retry_after(
    make_api: Callable[..., Api], target: Any
) -> None:
    target.add_fault("GET /api/v1/secrets-stats 429x2 retry-after=2")
    delays = Delays()
    api = make_api(retry_policy=delays.policy())
    stats = await api.get_stats()
    assert isinstance(stats, SecretStats)
    assert delays.seen == [2.0, 2.0]


@pytest.mark.needs_emulator(FAULTS)
async def test_unavailable_is_retried_then_served(
    make_api: Callable[..., Api], target: Any
) -> None:
    target.add_fault("POST /api/v1/secrets 503x1 retry-after=1")
    delays = Delays()
    api = make_api(retry_policy=delays.policy())
    created = await api.create(PLAINTEXT)
    assert created.slug
    assert delays.seen == [1.0]


@pytest.mark.needs_emulator(FAULTS)
async def test_a_create_answered_500_is_not_repeated(
    make_api: Callable[..., Api], target: Any
) -> None:
    target.add_fault("POST /api/v1/secrets 500x1")
    delays = Delays()
    api = make_api(retry_policy=delays.policy())
    with pytest.raises(ServerError) as caught:
        await api.create(PLAINTEXT)
    assert (caught.value.status, delays.seen) == (500, [])


@pytest.mark.needs_emulator(FAULTS)
async def test_a_proxy_page_is_a_server_error(make_api: Callable[..., Api], target: Any) -> None:
    target.add_fault("GET /api/v1/secrets/* 502x1")
    api = make_api(max_retries=0)
    with pytest.raises(ServerError) as caught:
        await api.get_details("ANYSLUG1")
    assert caught.value.status == 502
    assert "HTML" in str(caught.value)
