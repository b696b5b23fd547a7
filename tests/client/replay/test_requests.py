"""Secret requests from both clients, replayed: create, read, list, delete, statistics."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from sharokey import RequestStats, SecretRequest
from sharokey.errors import NotFoundError

from ._support import Api, Tidy

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

#: Searched for in listings, so a real deployment's other requests stay out of the counts.
REQUEST_MARK = "replay-requests-9a3f"


def is_utc(moment: object) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)


async def test_create_read_list_and_delete_a_request(api: Api, tidy: Tidy) -> None:
    made = await api.create_request(
        secret_expiration_hours=12,
        request_expiration_hours=36,
        maximum_views=2,
        message="please send the staging password",
        description=f"{REQUEST_MARK} crud",
        email_to="colleague@example.com",
        email_reply="me@example.com",
        locale="fr",
    )
    tidy.request(made.token)

    assert isinstance(made, SecretRequest)
    assert isinstance(made.token, str) and len(made.token) >= 16
    assert (made.secret_expiration_hours, made.request_expiration_hours) == (12, 36)
    assert made.maximum_views == 2
    assert made.message == "please send the staging password"
    assert (made.email_to, made.email_reply, made.locale) == (
        "colleague@example.com",
        "me@example.com",
        "fr",
    )
    assert (made.status, made.is_expired) == ("active", False)
    assert made.request_url is not None and made.token in made.request_url
    assert made.created_at is not None and made.expiration is not None
    assert is_utc(made.created_at) and is_utc(made.expiration)
    assert made.expiration - made.created_at == timedelta(hours=36)
    # The token is a credential: repr shows 4 characters of it.
    assert made.token not in repr(made)

    read = await api.get_request(made.token)
    assert isinstance(read, SecretRequest)
    assert attrs.evolve(read, updated_at=None) == attrs.evolve(made, updated_at=None)

    listed = await api.walk("list_requests", status="active", search=REQUEST_MARK)
    assert [request.token for request in listed] == [made.token]
    assert isinstance(listed[0], SecretRequest)

    assert await api.delete_request(made.token) is None

    gone = await api.get_request(made.token)
    assert (gone.token, gone.status, gone.is_expired) == (made.token, "expired", True)
    expired = await api.walk("list_requests", status="expired", search=REQUEST_MARK)
    assert made.token in [request.token for request in expired]
    assert {request.status for request in expired} == {"expired"}
    assert await api.walk("list_requests", status="active", search=REQUEST_MARK) == []


async def test_request_defaults(api: Api) -> None:
    made = await api.create_request()
    assert (made.secret_expiration_hours, made.request_expiration_hours) == (24, 48)
    assert made.maximum_views == 1
    assert (made.message, made.description, made.email_to) == (None, None, None)


async def test_request_listing_walks_every_page(api: Api, tidy: Tidy) -> None:
    tokens = []
    for number in range(3):
        made = await api.create_request(description=f"{REQUEST_MARK} page {number}")
        tokens.append(tidy.request(made.token))

    first = await api.list_requests(status="active", search=REQUEST_MARK, limit=1)
    assert len(first.data) == 1 and isinstance(first.data[0], SecretRequest)
    assert (first.pagination.current_page, first.pagination.last_page) == (1, 3)
    assert first.pagination.total == 3
    assert first.has_next_page()

    walked = await api.walk("list_requests", status="active", search=REQUEST_MARK, limit=1)
    assert sorted(request.token for request in walked) == sorted(tokens)


async def test_request_statistics_count_what_was_done(api: Api, tidy: Tidy) -> None:
    before = await api.get_request_stats()
    kept = await api.create_request(description=f"{REQUEST_MARK} stats kept")
    tidy.request(kept.token)
    gone = await api.create_request(description=f"{REQUEST_MARK} stats gone")
    await api.delete_request(gone.token)
    after = await api.get_request_stats()

    assert isinstance(before, RequestStats) and isinstance(after, RequestStats)
    assert kept.token != gone.token
    assert after.total_requests - before.total_requests == 2
    assert after.active_requests - before.active_requests == 1
    assert after.expired_requests - before.expired_requests == 1
    assert after.requests_created_today - before.requests_created_today == 2
    assert all(type(value) is int for value in attrs.asdict(after).values())


async def test_a_missing_request_is_not_found(api: Api) -> None:
    missing = "replayMissingRequestToken0000000000000000"
    with pytest.raises(NotFoundError) as caught:
        await api.get_request(missing)
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")
    assert missing not in str(caught.value)
    with pytest.raises(NotFoundError):
        await api.delete_request(missing)
