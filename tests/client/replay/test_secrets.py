"""Secrets from both clients, replayed: create, details, delete, listings in both wire shapes
and across pages, statistics, health."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from sharokey import CreatedSecret, Health, Secret, SecretStats
from sharokey.errors import NotFoundError

from ._support import KEY_B, OTHER_PLAINTEXT, PASSWORD, PLAINTEXT, Api, Tidy

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

#: Searched for in listings, so a real deployment's other secrets stay out of the counts.
LIST_MARK = "replay-listing-4b2e"


def is_utc(moment: Any) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)


async def test_create_gives_a_share_link_and_details_show_the_metadata(
    api: Api, tidy: Tidy
) -> None:
    created = await api.create(
        PLAINTEXT, hours=2, views=3, description="replay: create", message="for you"
    )
    tidy.secret(created.slug)

    assert isinstance(created, CreatedSecret)
    assert created.slug and isinstance(created.slug, str)
    assert created.access_url is not None
    assert created.access_url.rstrip("/").endswith(f"/s/{created.slug}")
    # The link is the server's URL plus keyB, which only the client knows.
    assert created.share_url == f"{created.access_url}#{KEY_B}"
    assert created.maximum_views == 3
    assert created.description == "replay: create"

    details = await api.get_details(created.slug)
    assert isinstance(details, Secret)
    assert not isinstance(details, CreatedSecret)
    assert details.slug == created.slug
    assert (details.status, details.is_expired, details.is_active) == ("active", False, True)
    assert (details.maximum_views, details.current_views) == (3, 0)
    assert (details.description, details.message) == ("replay: create", "for you")
    assert details.has_password is False
    assert details.has_attachments is False
    assert isinstance(details.creator, str) and "@" in details.creator
    assert details.created_at is not None and is_utc(details.created_at)
    assert details.expiration is not None and is_utc(details.expiration)
    assert details.expiration - details.created_at == timedelta(hours=2)
    assert details.share_url is None or KEY_B not in details.share_url


async def test_metadata_beyond_ascii_survives_both_transports(api: Api, tidy: Tidy) -> None:
    # The answer is raw UTF-8: the SDK decodes the bytes itself (aiohttp's replayed text()
    # would ignore the charset), so both clients read the same characters.
    description = "résumé — clé « été » ✓ 🔐 日本"
    created = await api.create(PLAINTEXT, hours=1, views=1, description=description)
    tidy.secret(created.slug)
    assert created.description == description
    details = await api.get_details(created.slug)
    assert details.description == description
    listed = await api.walk("list_secrets", status="active", search="résumé — clé")
    assert [secret.description for secret in listed] == [description]


async def test_details_never_count_a_view(api: Api, tidy: Tidy) -> None:
    created = await api.create(PLAINTEXT, hours=1, views=1, password=PASSWORD)
    tidy.secret(created.slug)
    first = await api.get_details(created.slug)
    second = await api.get_details(created.slug)
    assert first.current_views == second.current_views == 0
    assert first.has_password is second.has_password is True
    assert second.is_active


async def test_delete_expires_the_secret_and_keeps_its_metadata(api: Api) -> None:
    created = await api.create(PLAINTEXT, hours=5, views=2, description="replay: delete")

    assert await api.delete(created.slug) is None

    details = await api.get_details(created.slug)
    assert details.slug == created.slug
    assert (details.status, details.is_expired, details.is_active) == ("expired", True, False)
    assert details.description == "replay: delete"
    expired = await api.walk("list_secrets", status="expired", search="replay: delete")
    assert created.slug in [secret.slug for secret in expired]
    assert {secret.status for secret in expired} == {"expired"}
    with pytest.raises(NotFoundError) as caught:
        await api.reveal(created.share_url)
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")


async def test_statistics_count_what_was_done(api: Api, tidy: Tidy) -> None:
    before = await api.get_stats()
    kept = await api.create(PLAINTEXT, hours=1, views=1, password=PASSWORD)
    tidy.secret(kept.slug)
    gone = await api.create(OTHER_PLAINTEXT, hours=1, views=1)
    await api.delete(gone.slug)
    after = await api.get_stats()

    assert isinstance(before, SecretStats) and isinstance(after, SecretStats)
    assert kept.slug != gone.slug
    assert after.total_secrets - before.total_secrets == 2
    assert after.active_secrets - before.active_secrets == 1
    assert after.expired_secrets - before.expired_secrets == 1
    assert after.secrets_with_password - before.secrets_with_password == 1
    assert after.secrets_created_today - before.secrets_created_today == 2
    assert after.total_views == before.total_views
    assert all(type(value) is int for value in attrs.asdict(after).values())


async def _three_marked(api: Api, tidy: Tidy) -> list[str]:
    slugs = []
    for number in range(3):
        created = await api.create(
            f"{PLAINTEXT} #{number}", hours=1, views=1, description=f"{LIST_MARK} {number}"
        )
        slugs.append(tidy.secret(created.slug))
    return slugs


async def test_list_in_the_documented_shape(api: Api, tidy: Tidy) -> None:
    slugs = await _three_marked(api, tidy)

    page = await api.list_secrets(status="active", search=LIST_MARK)

    assert sorted(secret.slug for secret in page.data) == sorted(slugs)
    assert all(isinstance(secret, Secret) for secret in page.data)
    assert {secret.status for secret in page.data} == {"active"}
    assert sorted(secret.description or "" for secret in page.data) == [
        f"{LIST_MARK} {n}" for n in range(3)
    ]
    assert (page.pagination.current_page, page.pagination.last_page) == (1, 1)
    assert page.pagination.total == 3
    assert not page.has_next_page()


@pytest.mark.needs_emulator("switches the emulator to the other list shape")
async def test_list_in_the_items_shape(api: Api, tidy: Tidy, target: Any) -> None:
    slugs = await _three_marked(api, tidy)
    target.set_list_shape("items")  # {"data": {"items": [...], "pagination": {...}}}

    page = await api.list_secrets(status="active", search=LIST_MARK, limit=2)

    assert len(page.data) == 2
    assert all(isinstance(secret, Secret) for secret in page.data)
    assert (page.pagination.current_page, page.pagination.last_page) == (1, 2)
    assert (page.pagination.per_page, page.pagination.total) == (2, 3)
    walked = await api.walk("list_secrets", status="active", search=LIST_MARK, limit=2)
    assert sorted(secret.slug for secret in walked) == sorted(slugs)


async def test_listing_walks_every_page_by_itself(api: Api, tidy: Tidy) -> None:
    slugs = await _three_marked(api, tidy)

    first = await api.list_secrets(status="active", search=LIST_MARK, limit=1)
    assert len(first.data) == 1
    assert (first.pagination.current_page, first.pagination.last_page) == (1, 3)
    assert (first.pagination.per_page, first.pagination.total) == (1, 3)
    assert first.has_next_page()

    # Three page requests, each fetched only when the walk reaches it.
    walked = await api.walk("list_secrets", status="active", search=LIST_MARK, limit=1)
    assert len(walked) == 3
    assert sorted(secret.slug for secret in walked) == sorted(slugs)


async def test_a_later_page_on_its_own(api: Api, tidy: Tidy) -> None:
    slugs = await _three_marked(api, tidy)
    last = await api.list_secrets(status="active", search=LIST_MARK, limit=1, page=3)
    assert (last.pagination.current_page, last.pagination.last_page) == (3, 3)
    assert not last.has_next_page()
    assert len(last.data) == 1 and last.data[0].slug in slugs


async def test_health(api: Api) -> None:
    health = await api.health()
    assert isinstance(health, Health)
    assert health.status == "ok"
    assert isinstance(health.details, dict)
