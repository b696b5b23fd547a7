"""``SharokeyClient``, the official SDK 1.0.0's surface, against the emulator.

What a 1.0.0 user must see: the same constructor and coroutines (names,
arguments, defaults), the service's envelope as a plain ``dict``, exceptions
catchable by 1.0.0's names and by this SDK's, one ``DeprecationWarning``; and
where 1.0.0 behaved badly, this SDK's behaviour (a 429 is a ``RateLimitError``
and is retried, a truncated body is never a success).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("aiohttp", reason="SharokeyClient is async (sharokey[aiohttp])")

import sharokey
from sharokey import compat, exceptions
from sharokey._retry import RetryPolicy
from sharokey.emulator import EmulatorHandle, run_emulator

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("clean_env")]

TOKEN = "compat-layer-token-0001"

#: 1.0.0's public methods as its source defines them (sharokey/client.py of the
#: 1.0.0 wheel): coroutine or not, and the parameters after ``self``.
OFFICIAL_SURFACE = {
    "__init__": (
        False,
        "token, api_url='https://api.sharokey.com/api/v1', timeout=30",
    ),
    "create": (
        True,
        "content, hours=24, views=1, *, description=None, message=None, password=None, "
        "otp_email=None, otp_phone=None, captcha=None, ip_whitelist=None, geolocation=None, "
        "attachments=None",
    ),
    "list": (True, "*, limit=50, status=None, creator=None, search=None"),
    "get": (True, "slug"),
    "delete": (True, "slug"),
    "stats": (True, ""),
    "test_connection": (True, ""),
    "create_request": (
        True,
        "*, message=None, description=None, secret_expiration_hours=24, "
        "request_expiration_hours=48, maximum_views=1, email_to=None, email_reply=None",
    ),
    "list_requests": (True, "*, limit=50, status=None, creator=None, search=None"),
    "get_request": (True, "token"),
    "delete_request": (True, "token"),
    "request_stats": (True, ""),
    "search": (True, "query, *, limit=50, status=None"),
    "get_active_secrets": (True, "*, limit=50"),
    "health": (True, ""),
    "test": (True, ""),
    "get_info": (False, ""),
    "get_config": (False, ""),
}


def _parameters(function: Callable[..., Any]) -> str:
    """The parameters after ``self`` as source spells them, without annotations."""
    out: list[str] = []
    star = False
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        default = parameter.default
        out.append(parameter.name + ("" if default is parameter.empty else f"={default!r}"))
    return ", ".join(out)


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


@pytest.fixture
def client(emu: EmulatorHandle, policy: Callable[..., RetryPolicy]) -> sharokey.SharokeyClient:
    """A 1.0.0-style client whose retries never really wait."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        made = sharokey.SharokeyClient(token=emu.token, api_url=emu.api_url, timeout=20)
    made._options = {"retry_policy": policy()}
    return made


@pytest.fixture
def reader(emu: EmulatorHandle) -> Iterator[sharokey.Sharokey]:
    with sharokey.Sharokey(emu.token, api_url=emu.api_url) as opened:
        yield opened


# --------------------------------------------------------------------------- the surface


@pytest.mark.parametrize("name", sorted(OFFICIAL_SURFACE))
def test_every_official_method_exists_with_its_arguments_and_defaults(name: str) -> None:
    is_async, parameters = OFFICIAL_SURFACE[name]
    method = getattr(sharokey.SharokeyClient, name)
    assert inspect.iscoroutinefunction(method) is is_async
    assert _parameters(method) == parameters


def test_a_missing_token_is_refused_when_the_client_is_built_as_in_1_0_0() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exceptions.ValidationError) as caught:
            sharokey.SharokeyClient(token="")
    assert isinstance(caught.value, sharokey.ValidationError)
    assert caught.value.fields == {"token": ["is required"]}


def test_building_clients_warns_once_per_process_pointing_at_the_migration_guide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat, "_warned", False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = sharokey.SharokeyClient(token="t-1", api_url="http://127.0.0.1:9/api/v1")
        sharokey.SharokeyClient(token="t-2", api_url="http://127.0.0.1:9/api/v1")
    deprecations = [w for w in seen if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert "docs/migrating.md" in str(deprecations[0].message)
    assert deprecations[0].filename == __file__  # the caller's line, not the SDK's
    assert first.get_config() == {
        "api_url": "http://127.0.0.1:9/api/v1",
        "timeout": 30,
        "has_token": True,
        "token_length": 3,
    }
    assert "t-1" not in repr(first)


def test_the_1_0_0_names_are_this_sdks_classes_too() -> None:
    pairs = [
        (exceptions.SharokeyError, sharokey.SharokeyError),
        (exceptions.AuthenticationError, sharokey.AuthenticationError),
        (exceptions.ValidationError, sharokey.ValidationError),
        (exceptions.NotFoundError, sharokey.NotFoundError),
        (exceptions.NetworkError, sharokey.NetworkError),
        (exceptions.AttachmentError, sharokey.ValidationError),
        (exceptions.EncryptionError, sharokey.SharokeyError),
    ]
    for old, new in pairs:
        assert issubclass(old, new) and issubclass(old, exceptions.SharokeyError)
    assert sharokey.AttachmentError is exceptions.AttachmentError  # 1.0.0 exported it there


def test_1_0_0_exports_that_are_gone_say_where_to_go() -> None:
    with pytest.raises(AttributeError, match=r"sharokey\.crypto.*migrating"):
        sharokey.SharokeyCrypto  # noqa: B018


# --------------------------------------------------------------------------- answers


async def test_create_returns_the_envelope_and_a_share_link_this_sdk_opens(
    client: sharokey.SharokeyClient, reader: sharokey.Sharokey, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.txt", tmp_path / "two.bin"
    one.write_text("first file")
    two.write_bytes(bytes(range(256)))
    with pytest.warns(sharokey.SharokeySecurityWarning) as warned:
        response = await client.create(
            "db password: hunter2",
            hours=2,
            views=1,
            password="opensesame",
            attachments=[str(one), two],
        )
    assert warned[0].filename == __file__
    assert response["success"] is True
    data = response["data"]
    assert data["share_url"].startswith(data["access_url"] + "#")
    assert data["has_password"] is True

    revealed = reader.reveal(data["share_url"], password="opensesame")
    assert revealed.content == "db password: hunter2"
    assert [(a.name, a.data) for a in revealed.attachments] == [
        ("one.txt", b"first file"),
        ("two.bin", bytes(range(256))),
    ]


@pytest.mark.parametrize("shape", ["documented", "items"])
async def test_list_returns_the_page_asked_for_in_the_shape_the_service_sent(
    client: sharokey.SharokeyClient, emu: EmulatorHandle, shape: str
) -> None:
    emu.set_list_shape(shape)
    for number in range(3):
        await client.create(f"secret {number}", hours=1)

    response = await client.list(limit=2)

    data = response["data"]
    entries = data["items"] if shape == "items" else data
    assert isinstance(entries, list) and len(entries) == 2
    assert emu.hits("GET", "/api/v1/secrets*") == 1  # the first page only, as 1.0.0
    active = await client.get_active_secrets(limit=10)
    found = active["data"]["items"] if shape == "items" else active["data"]
    assert len(found) == 3


async def test_details_delete_stats_and_requests_come_back_as_envelopes(
    client: sharokey.SharokeyClient,
) -> None:
    slug = (await client.create("to delete", hours=1))["data"]["slug"]
    assert (await client.get(slug))["data"]["slug"] == slug
    deleted = await client.delete(slug)
    assert deleted["success"] is True
    assert (await client.stats())["data"]["expired_secrets"] == 1

    made = await client.create_request(message="send the key", maximum_views=2)
    token = made["data"]["token"]
    assert (await client.get_request(token))["data"]["maximum_views"] == 2
    assert (await client.request_stats())["data"]["total_requests"] == 1
    assert (await client.delete_request(token))["success"] is True
    assert await client.test_connection() is True


async def test_a_changed_answer_does_not_change_the_next_one(
    client: sharokey.SharokeyClient,
) -> None:
    first = await client.stats()
    first["data"].clear()
    assert (await client.stats())["data"]["total_secrets"] == 0


# --------------------------------------------------------------------------- errors


async def test_errors_are_caught_by_1_0_0_names_and_by_this_sdks(
    client: sharokey.SharokeyClient, emu: EmulatorHandle, tmp_path: Path
) -> None:
    with pytest.raises(exceptions.NotFoundError) as missing:
        await client.get("NoSuchSecret404")
    assert isinstance(missing.value, sharokey.NotFoundError)
    assert missing.value.status == 404

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        intruder = sharokey.SharokeyClient(token="not-a-valid-token", api_url=emu.api_url)
    with pytest.raises(exceptions.AuthenticationError) as refused:
        await intruder.stats()
    assert isinstance(refused.value, sharokey.AuthenticationError)

    with pytest.raises(exceptions.AttachmentError) as no_file:
        await client.create("x", attachments=[str(tmp_path / "absent.pdf")])
    assert isinstance(no_file.value, sharokey.ValidationError)
    assert "attachments" in no_file.value.fields
    assert emu.secret_count() == 0


async def test_a_429_is_a_retried_rate_limit_error_not_a_network_error(
    client: sharokey.SharokeyClient, emu: EmulatorHandle
) -> None:
    emu.add_fault("GET /api/v1/secrets-stats 429 retry-after=0")
    with pytest.raises(sharokey.RateLimitError) as caught:
        await client.stats()
    assert isinstance(caught.value, exceptions.SharokeyError)
    assert not isinstance(caught.value, exceptions.NetworkError)
    assert emu.hits("GET", "/api/v1/secrets-stats") == 3  # 1.0.0 tried once


async def test_a_truncated_answer_is_retried_never_taken_as_success(
    client: sharokey.SharokeyClient, emu: EmulatorHandle
) -> None:
    emu.add_fault("GET /api/v1/secrets-stats truncate x1")
    assert (await client.stats())["data"]["total_secrets"] == 0
    assert emu.hits("GET", "/api/v1/secrets-stats") == 2

    emu.add_fault("GET /api/v1/secrets-stats truncate")
    with pytest.raises(sharokey.InvalidResponseError) as caught:
        await client.stats()
    assert isinstance(caught.value, exceptions.SharokeyError)


async def test_health_reports_a_failure_as_1_0_0_did_and_test_counts_it() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        offline = sharokey.SharokeyClient(token="t", api_url="http://127.0.0.1:9/api/v1")
    offline._options = {"max_retries": 0}

    health = await offline.health()
    assert health["status"] == "error" and health["message"]
    assert await offline.test_connection() is False
    report = await offline.test()
    assert report["total"] == 6
    assert report["passed"] == 1  # only the configuration check


async def test_search_requests_and_the_self_test_answer_as_in_1_0_0(
    client: sharokey.SharokeyClient, emu: EmulatorHandle
) -> None:
    await client.create("invoice R&D", hours=1, description="R&D invoice")
    await client.create("other", hours=1, description="other")
    found = await client.search("R&D", status="active")
    assert [s["description"] for s in found["data"]] == ["R&D invoice"]  # & stays in the value
    await client.create_request(message="a")
    assert len((await client.list_requests(limit=5))["data"]) == 1

    report = await client.test()
    assert (report["passed"], report["total"]) == (6, 6)
    assert emu.secret_count() == 3  # the write check's secret exists, deleted (expired)
    assert client.get_info()["version"] == sharokey.__version__
    assert "create" in client.get_info()["methods"]


def test_a_bad_api_url_is_refused_with_a_1_0_0_named_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exceptions.SharokeyError) as caught:
            sharokey.SharokeyClient(token="t", api_url="ftp://example.com/api/v1")
    assert isinstance(caught.value, sharokey.ConfigurationError)
