"""Both clients, offline: every method against a mock transport, parsed into models.

Also the answers of other shapes a server may send: listings whose pagination omits
``last_page``, a health check answered by the web framework rather than the API, error bodies
in the shapes frameworks and proxies use, and a create answer carrying an unusable
``access_url``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import warnings
from datetime import datetime, timezone
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import requests

import sharokey
from sharokey import crypto
from sharokey._messages import Request, Response
from sharokey.transports import AsyncMockTransport, MockTransport

from ._support import client_of, reply

pytestmark = pytest.mark.usefixtures("clean_env")

API = "https://api.example.com/api/v1"
TOKEN = "client-test-token-SECRET"
TIMESTAMP = "2025-08-11T18:52:37.000000Z"

SECRET = {
    "slug": "ABC123XY",
    "description": "Database password",
    "creator": "someone@example.com",
    "maximum_views": "3",
    "current_views": 0,
    "expiration": TIMESTAMP,
    "has_password": True,
    "attachments": [{"name": "config.json"}],
    "ip_whitelist": "192.168.1.0/24,10.0.0.1",
    "is_expired": False,
    "status": "active",
    "created_at": TIMESTAMP,
    "something_new": {"tolerated": True},
}
REQUEST = {
    "token": "reqTOKENabcdefghijkl",
    "message": "Send me the password",
    "maximum_views": 1,
    "secret_expiration_hours": 24,
    "request_expiration_hours": 48,
    "locale": "fr",
    "status": "active",
    "request_url": "https://app.example.com/r/reqTOKENabcdefghijkl",
    "created_at": TIMESTAMP,
}
STATS = {"total_secrets": 1247, "active_secrets": 89, "total_views": "5432"}
REQUEST_STATS = {"total_requests": 7, "active_requests": 2, "expired_requests": 5}


def envelope(data: Any, status: int = 200, **extra: Any) -> Response:
    body = json.dumps({"success": True, "data": data, **extra}).encode()
    return Response(status=status, headers={"content-type": "application/json"}, body=body)


class FakeService:
    """A tiny in-memory service behind the mock transports; records every request."""

    def __init__(self, *, list_shape: str = "documented", per_page_total: int = 5) -> None:
        self.requests: list[Request] = []
        self.list_shape = list_shape
        self.total = per_page_total
        self.sealed: dict[str, Any] = {}
        self.protect: Optional[str] = None

    def listing(self, request: Request, item: dict[str, Any], key: str) -> Response:
        query = parse_qs(urlsplit(request.url).query)
        page = int(query.get("page", ["1"])[0])
        limit = int(query.get("limit", ["2"])[0])
        last = -(-self.total // limit)
        start = (page - 1) * limit
        items = [
            {**item, key: f"{item[key][:4]}{n:04d}"}
            for n in range(start, min(start + limit, self.total))
        ]
        pagination = {"current_page": page, "per_page": limit, "total": self.total}
        pagination["last_page"] = last
        if self.list_shape == "items":
            return envelope({"items": items, "pagination": pagination})
        return envelope(items, pagination=pagination)

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        path = urlsplit(request.url).path.replace("/api/v1", "", 1)
        method = request.method
        if method == "GET" and path == "/secrets":
            return self.listing(request, SECRET, "slug")
        if method == "GET" and path == "/requests":
            return self.listing(request, REQUEST, "token")
        if method == "POST" and path == "/secrets":
            body = json.loads(request.body or b"")
            self.sealed = body
            return envelope(
                {
                    "slug": "NEW12345",
                    "maximum_views": body["maximum_views"],
                    "expires_in_hours": body["expiration_hours"],
                    "share_url": "https://app.example.com/NEW12345#keyB_part_here",
                    "created_at": TIMESTAMP,
                },
                201,
            )
        if method == "POST" and path.endswith("/reveal"):
            answers = json.loads(request.body or b"{}")
            if self.protect and answers.get("password") != self.protect:
                code = "INVALID_PASSWORD" if "password" in answers else "PASSWORD_REQUIRED"
                body = {"success": False, "error": {"code": code, "message": "Password needed"}}
                return Response(status=401, body=json.dumps(body).encode())
            data = {k: v for k, v in self.sealed.items() if k in ("content", "iv", "salt", "key")}
            data["attachments"] = self.sealed.get("attachments", [])
            data["remaining_views"] = 0
            data["description"] = self.sealed.get("description")
            return envelope(data)
        if method == "GET" and path.startswith("/secrets/"):
            return envelope({**SECRET, "slug": path.rsplit("/", 1)[1]})
        if method == "DELETE":
            return envelope(None)
        if path == "/secrets-stats":
            return envelope(STATS)
        if path == "/requests-stats":
            return envelope(REQUEST_STATS)
        if method == "POST" and path == "/requests":
            return envelope({**REQUEST, **json.loads(request.body or b"")}, 201)
        if method == "GET" and path.startswith("/requests/"):
            return envelope(REQUEST)
        if path == "/health":
            return envelope({"status": "ok", "version": "1.2"})
        return Response(status=404, body=b'{"message": "no route"}')


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def call(flavour: str, service: FakeService) -> Callable[..., Any]:
    """``call(method, *args, **kwargs)`` on a sync or an async client over ``service``."""
    mode = flavour

    def run(method: str, *args: Any, client_options: Any = None, **kwargs: Any) -> Any:
        options = {"api_url": API, "attachment_nonces": "unique", **(client_options or {})}
        if mode == "sync":
            client = sharokey.Sharokey(TOKEN, transport=MockTransport(service), **options)
            return getattr(client, method)(*args, **kwargs)

        async def go() -> Any:
            aclient = sharokey.AsyncSharokey(
                TOKEN, transport=AsyncMockTransport(service), **options
            )
            result = getattr(aclient, method)(*args, **kwargs)
            if method in ("list_secrets", "list_requests"):
                first = await result
                walked = [item async for item in aclient.__getattribute__(method)(*args, **kwargs)]
                return first, walked
            return await result

        return asyncio.run(go())

    run.mode = mode  # type: ignore[attr-defined]
    return run


# --------------------------------------------------------------------------- methods


def test_get_details_parses_the_secret(call: Any, service: FakeService) -> None:
    secret = call("get_details", "ABC123XY")
    assert isinstance(secret, sharokey.Secret)
    assert secret.slug == "ABC123XY"
    assert secret.maximum_views == 3  # the service's numeric string
    assert secret.expiration == datetime(2025, 8, 11, 18, 52, 37, tzinfo=timezone.utc)
    assert secret.attachments == [sharokey.AttachmentInfo(name="config.json")]
    assert secret.is_active
    assert service.requests[0].url == f"{API}/secrets/ABC123XY"


def test_create_seals_locally_and_builds_the_share_link(call: Any, service: FakeService) -> None:
    created = call("create", "my secret", 48, 2, description="db", password="pw")
    assert isinstance(created, sharokey.CreatedSecret)
    assert created.slug == "NEW12345"
    assert (created.maximum_views, created.expires_in_hours) == (2, 48)
    base, _, key_b = created.share_url.partition("#")
    assert base == "https://app.example.com/NEW12345"  # the server's placeholder dropped
    assert len(key_b) == 24 and key_b != "keyB_part_here"
    assert created.access_url == base
    sent = service.sealed
    assert "my secret" not in json.dumps(sent)
    assert key_b not in json.dumps(sent)
    assert crypto.open_payload(sent, key_b).content == "my secret"
    assert (sent["password"], sent["description"]) == ("pw", "db")
    assert key_b not in repr(created)


def test_create_falls_back_to_the_api_origin_for_the_link(ok: Any) -> None:
    def handler(request: Request) -> Response:
        return ok({"slug": "ONLYSLUG"}, 201)

    client = sharokey.Sharokey(TOKEN, api_url=API, transport=MockTransport(handler))
    created = client.create("x")
    assert created.share_url.startswith("https://api.example.com/s/ONLYSLUG#")


@pytest.mark.parametrize(
    ("data", "expected_base"),
    [
        (
            {"slug": "SLUG0001", "access_url": "ftp://x/s/1", "share_url": "https://w/s/SLUG0001"},
            "https://w/s/SLUG0001#",
        ),
        (
            {"slug": "SLUG0001", "access_url": "not a link", "share_url": "https://w/"},
            "https://api.example.com/s/SLUG0001#",
        ),
    ],
    ids=["share_url used", "api origin used"],
)
def test_an_unusable_access_url_falls_back_to_a_working_link(
    data: dict[str, Any], expected_base: str
) -> None:
    created = client_of(lambda request: reply(201, {"success": True, "data": data})).create("x")
    assert created.share_url.startswith(expected_base)
    assert len(created.share_url) == len(expected_base) + 24  # keyB, made here, in the fragment


def test_create_with_every_kind_of_attachment(
    call: Any, service: FakeService, tmp_path: Any
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"from a path")
    with open(path, "rb") as handle:
        created = call(
            "create", "with files", attachments=[path, ("pair.bin", b"\x00\x01"), handle]
        )
    names = [a["name"] for a in service.sealed["attachments"]]
    assert names == ["notes.txt", "pair.bin", "notes.txt"]
    revealed = call("reveal", created.share_url)
    assert [a.data for a in revealed.attachments] == [b"from a path", b"\x00\x01", b"from a path"]


def test_reveal_decrypts_without_sending_the_token(call: Any, service: FakeService) -> None:
    created = call("create", "revealed text", description="about")
    link = created.share_url.replace("app.example.com", "phishing.example")
    revealed = call("reveal", link)
    assert isinstance(revealed, sharokey.RevealedSecret)
    assert (revealed.content, revealed.description, revealed.remaining_views) == (
        "revealed text",
        "about",
        0,
    )
    request = service.requests[-1]
    assert request.url == f"{API}/secrets/NEW12345/reveal"  # never the link's host
    assert "Authorization" not in request.headers
    assert "revealed text" not in repr(revealed)


def test_reveal_with_a_password(call: Any, service: FakeService) -> None:
    created = call("create", "guarded", password="open sesame")
    service.protect = "open sesame"
    with pytest.raises(sharokey.ProtectionError) as info:
        call("reveal", created.share_url)
    assert info.value.code == "PASSWORD_REQUIRED"
    with pytest.raises(sharokey.ProtectionError) as info:
        call("reveal", created.share_url, password="wrong")
    assert info.value.code == "INVALID_PASSWORD"
    assert call("reveal", created.share_url, password="open sesame").content == "guarded"
    key_b = created.share_url.rpartition("#")[2]
    assert json.loads(service.requests[-1].body or b"") == {
        "password": "open sesame",
        "key_check": crypto.key_check(key_b),
    }


def test_delete_returns_none(call: Any, service: FakeService) -> None:
    assert call("delete", "ABC123XY") is None
    assert (service.requests[0].method, service.requests[0].url) == (
        "DELETE",
        f"{API}/secrets/ABC123XY",
    )
    assert call("delete_request", "reqTOKENabcdefghijkl") is None


def test_statistics(call: Any) -> None:
    stats = call("get_stats")
    assert isinstance(stats, sharokey.SecretStats)
    assert (stats.total_secrets, stats.total_views, stats.expired_secrets) == (1247, 5432, 0)
    request_stats = call("get_request_stats")
    assert isinstance(request_stats, sharokey.RequestStats)
    assert request_stats.expired_requests == 5


def test_secret_requests(call: Any, service: FakeService) -> None:
    created = call(
        "create_request",
        maximum_views=2,
        message="please",
        email_to="bob@example.com",
        locale="FR",
    )
    assert isinstance(created, sharokey.SecretRequest)
    assert json.loads(service.requests[0].body or b"") == {
        "secret_expiration_hours": 24,
        "request_expiration_hours": 48,
        "maximum_views": 2,
        "message": "please",
        "email_to": "bob@example.com",
        "locale": "fr",
    }
    assert "reqTOKENabcdefghijkl" not in repr(created)
    fetched = call("get_request", "reqTOKENabcdefghijkl")
    assert fetched.token == "reqTOKENabcdefghijkl"
    assert fetched.request_url == REQUEST["request_url"]


def test_health(call: Any) -> None:
    health = call("health")
    assert health == sharokey.Health(status="ok", details={"version": "1.2"})


def test_a_health_check_answered_by_the_framework_is_read_as_is() -> None:
    bare = {"status": "degraded", "database": "slow"}
    health = client_of(lambda request: reply(200, bare)).health()
    assert health == sharokey.Health(status="degraded", details={"database": "slow"})


def test_a_health_envelope_without_data_means_ok() -> None:
    health = client_of(lambda request: reply(200, {"success": True, "data": None})).health()
    assert health == sharokey.Health()


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("shape", ["documented", "items"])
def test_listing_walks_every_page_lazily(call: Any, service: FakeService, shape: str) -> None:
    service.list_shape = shape
    result = call("list_secrets", status="active", limit=2)
    if call.mode == "sync":
        page = result
        assert len(service.requests) == 1  # only the first page so far
        walked = list(page)
    else:
        page, walked = result
    assert isinstance(page, (sharokey.SyncPage, sharokey.AsyncPage))
    assert [s.slug for s in page.data] == ["ABC10000", "ABC10001"]
    assert page.pagination == sharokey.Pagination(current_page=1, per_page=2, total=5, last_page=3)
    assert [s.slug for s in walked] == [f"ABC1{n:04d}" for n in range(5)]
    pages = [parse_qs(urlsplit(r.url).query) for r in service.requests]
    assert pages[-3:] == [
        {"status": ["active"], "limit": ["2"], "page": [str(n)]} for n in (1, 2, 3)
    ]


def test_request_listing_walks_every_page(call: Any, service: FakeService) -> None:
    result = call("list_requests", limit=2)
    walked = list(result) if call.mode == "sync" else result[1]
    assert len(walked) == 5
    assert all(isinstance(r, sharokey.SecretRequest) for r in walked)


def test_sync_pages_step_by_step(service: FakeService) -> None:
    client = sharokey.Sharokey(TOKEN, api_url=API, transport=MockTransport(service))
    page = client.list_secrets(limit=2, page=2)
    assert page.pagination.current_page == 2 and page.has_next_page()
    last = page.next_page()
    assert not last.has_next_page()
    with pytest.raises(LookupError):
        last.next_page()
    assert [len(p.data) for p in client.list_secrets(limit=2).iter_pages()] == [2, 2, 1]
    assert repr(page) == "SyncPage(items=2, page=2/3, total=5)"


async def test_async_pages_step_by_step(service: FakeService) -> None:
    client = sharokey.AsyncSharokey(TOKEN, api_url=API, transport=AsyncMockTransport(service))
    listing = client.list_secrets(limit=2)
    assert service.requests == []  # nothing is sent before await or async for
    page = await listing
    following = await page.next_page()
    assert following.pagination.current_page == 2
    assert [len(p.data) async for p in page.iter_pages()] == [2, 2, 1]
    assert len([s async for s in page]) == 5


def test_a_listing_without_pagination_is_one_page(ok: Any) -> None:
    client = sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(lambda r: ok([{"slug": "A"}, {"slug": "B"}]))
    )
    page = client.list_secrets()
    assert [s.slug for s in page] == ["A", "B"]
    assert not page.has_next_page()


def _pages(pagination: Callable[[int], dict[str, Any]]) -> tuple[list[int], Any]:
    asked: list[int] = []

    def handler(request: Request) -> Response:
        page = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
        asked.append(page)
        items = [{"slug": f"P{page}I{n}"} for n in range(2)]
        return reply(200, {"success": True, "data": items, "pagination": pagination(page)})

    return asked, handler


def test_a_listing_without_last_page_derives_it_from_total_and_per_page() -> None:
    asked, handler = _pages(lambda page: {"current_page": page, "per_page": 2, "total": 5})
    first = client_of(handler).list_secrets(limit=2)
    assert first.pagination.last_page == 3
    assert [s.slug for s in first] == ["P1I0", "P1I1", "P2I0", "P2I1", "P3I0", "P3I1"]
    assert asked == [1, 2, 3]


@pytest.mark.parametrize(
    "pagination",
    [{"current_page": 1}, {"current_page": 1, "per_page": 0, "total": 5}],
    ids=["no counters", "zero per page"],
)
def test_a_listing_without_usable_counters_is_one_page(pagination: dict[str, Any]) -> None:
    asked, handler = _pages(lambda page: pagination)
    first = client_of(handler).list_secrets()
    assert first.pagination.last_page == 1
    assert len(list(first)) == 2
    assert asked == [1]  # nothing invented: no second page asked for


def test_a_server_repeating_a_page_does_not_loop_forever(ok: Any) -> None:
    stuck = ok([{"slug": "A"}], pagination={"current_page": 1, "last_page": 9})
    client = sharokey.Sharokey(TOKEN, api_url=API, transport=MockTransport(lambda r: stuck))
    seen = []
    with pytest.raises(sharokey.InvalidResponseError, match="page 1 was followed by page 1"):
        seen.extend(s.slug for s in client.list_secrets())
    assert seen == ["A"]  # what was read is handed over before the walk stops


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "AUTHENTICATION_ERROR", sharokey.AuthenticationError),
        (403, "PERMISSION_DENIED", sharokey.PermissionDeniedError),
        (403, "QUOTA_EXCEEDED", sharokey.QuotaExceededError),
        (404, "NOT_FOUND", sharokey.NotFoundError),
        (422, "VALIDATION_ERROR", sharokey.ValidationError),
        (429, "RATE_LIMITED", sharokey.RateLimitError),
        (401, "OTP_REQUIRED", sharokey.OtpRequiredError),
        (403, "ACCESS_DENIED", sharokey.PermissionDeniedError),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_error_envelopes_raise_their_class(
    fail: Any, status: int, code: str, cls: type, mode: str
) -> None:
    answer = fail(status, code, "from the server", details={"field": ["bad"]})
    if mode == "sync":
        client = sharokey.Sharokey(
            TOKEN, api_url=API, transport=MockTransport(lambda r: answer), max_retries=0
        )
        with pytest.raises(cls) as info:
            client.get_details("abc")
    else:
        aclient = sharokey.AsyncSharokey(
            TOKEN, api_url=API, transport=AsyncMockTransport(lambda r: answer), max_retries=0
        )
        with pytest.raises(cls) as info:
            asyncio.run(aclient.get_details("abc"))
    assert (info.value.code, info.value.status) == (code, status)
    assert info.value.message == "from the server"
    assert info.value.details == {"field": ["bad"]}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_mistyped_link_is_an_invalid_key_error_that_says_nothing_was_spent(
    fail: Any, mode: str
) -> None:
    sent: list[Request] = []
    link = "https://h.example/s/SLUG1234#" + "b" * 24

    def answer(request: Request) -> Response:
        sent.append(request)
        return fail(401, "INVALID_KEY", "The link's key does not match")

    if mode == "sync":
        client = sharokey.Sharokey(TOKEN, api_url=API, transport=MockTransport(answer))
        with pytest.raises(sharokey.InvalidKeyError) as info:
            client.reveal(link)
    else:
        aclient = sharokey.AsyncSharokey(TOKEN, api_url=API, transport=AsyncMockTransport(answer))
        with pytest.raises(sharokey.InvalidKeyError) as info:
            asyncio.run(aclient.reveal(link))
    assert isinstance(info.value, sharokey.ProtectionError)
    assert (info.value.code, info.value.status) == ("INVALID_KEY", 401)
    assert "Nothing was spent" in str(info.value)
    assert "whole link" in str(info.value)
    assert "b" * 24 not in str(info.value)
    assert len(sent) == 1  # a refused key is not retried
    assert json.loads(sent[0].body or b"")["key_check"] == crypto.key_check("b" * 24)


def test_proxy_pages_and_empty_bodies_become_status_errors() -> None:
    answers = iter(
        [
            Response(status=502, headers={"content-type": "text/html"}, body=b"<html>502</html>"),
            Response(status=504, body=b""),
        ]
    )
    client = sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(lambda r: next(answers)), max_retries=0
    )
    with pytest.raises(sharokey.ServerError, match="an HTML page, not the API"):
        client.get_stats()
    with pytest.raises(sharokey.ServerError, match="empty body") as info:
        client.get_stats()
    assert info.value.status == 504


def test_an_error_given_as_a_plain_string_keeps_its_words() -> None:
    said = {"error": "Slow down, please"}
    with pytest.raises(sharokey.RateLimitError) as info:
        client_of(lambda request: reply(429, said)).get_stats()
    assert info.value.message == "Slow down, please"


def test_a_top_level_code_decides_the_error_class() -> None:
    said = {"code": "NOT_FOUND", "message": "No such secret"}
    with pytest.raises(sharokey.NotFoundError) as info:
        client_of(lambda request: reply(400, said)).get_details("ABCDEFGH")
    assert (info.value.code, info.value.status, info.value.message) == (
        "NOT_FOUND",
        400,
        "No such secret",
    )


def test_a_response_with_wrong_types_is_an_invalid_response(ok: Any) -> None:
    client = sharokey.Sharokey(
        TOKEN,
        api_url=API,
        transport=MockTransport(lambda r: ok({"slug": "A", "maximum_views": "many"})),
    )
    with pytest.raises(sharokey.InvalidResponseError, match="maximum_views"):
        client.get_details("A")


# --------------------------------------------------------------------------- secrets stay secret


def test_the_token_never_shows(fail: Any) -> None:
    client = sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(lambda r: fail(401, "AUTHENTICATION_ERROR"))
    )
    assert repr(client) == f"Sharokey(api_url={API!r})"
    assert TOKEN not in str(client)
    aclient = sharokey.AsyncSharokey(TOKEN, api_url=API)
    assert TOKEN not in repr(aclient)
    with pytest.raises(sharokey.AuthenticationError) as info:
        client.get_stats()
    assert TOKEN not in str(info.value) + repr(info.value)


def test_debug_logs_hold_no_secret(service: FakeService, caplog: pytest.LogCaptureFixture) -> None:
    client = sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(service), attachment_nonces="unique"
    )
    with caplog.at_level(logging.DEBUG, logger="sharokey"):
        created = client.create("plaintext-XYZ", password="password-XYZ", attachments=[("f", b"F")])
        service.protect = "password-XYZ"
        client.reveal(created.share_url, password="password-XYZ")
        client.get_request("reqTOKENabcdefghijkl")
        client.list_secrets(search="search-XYZ")
    text = caplog.text
    key_b = created.share_url.partition("#")[2]
    for secret in (TOKEN, "plaintext-XYZ", "password-XYZ", key_b, "reqTOKENabc", "search-XYZ"):
        assert secret not in text
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert lines[0].startswith("POST /api/v1/secrets -> 201 (attempt 1, ")
    assert any(line.startswith("GET /api/v1/requests/reqT… -> 200") for line in lines)


# --------------------------------------------------------------------------- nonces


def test_default_attachments_warn_about_the_shared_nonce(service: FakeService) -> None:
    client = sharokey.Sharokey(TOKEN, api_url=API, transport=MockTransport(service))
    with pytest.warns(sharokey.SharokeySecurityWarning, match="attachment_nonces") as record:
        client.create("x", attachments=[("a.txt", b"a")])
    assert record[0].filename == __file__  # points at the caller
    assert "iv" not in service.sealed["attachments"][0]
    chosen = sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(service), attachment_nonces="shared"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chosen.create("x", attachments=[("a.txt", b"a")])
        chosen.create("no files, no warning")


# --------------------------------------------------------------------------- lifecycle


def test_a_callers_requests_session_is_left_open(ok: Any) -> None:
    class Tracking(requests.Session):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    mine = Tracking()
    with sharokey.Sharokey(TOKEN, api_url=API, session=mine) as client:
        assert client._transport.session is mine  # type: ignore[attr-defined]
    assert not mine.closed
    own = sharokey.Sharokey(TOKEN, api_url=API)
    own_session = own._transport.session  # type: ignore[attr-defined]
    own_session.__class__ = Tracking
    own.close()
    assert own_session.closed
    mine.close()


async def test_a_callers_aiohttp_session_is_left_open() -> None:
    session = aiohttp.ClientSession()
    try:
        async with sharokey.AsyncSharokey(TOKEN, api_url=API, session=session):
            pass
        assert not session.closed
    finally:
        await session.close()


def test_a_callers_transport_is_not_closed() -> None:
    transport = MockTransport(lambda r: Response(status=204))
    with sharokey.Sharokey(TOKEN, transport=transport):
        pass
    assert not transport.closed


def test_import_is_light_and_the_sync_client_never_loads_asyncio() -> None:
    code = """
import sys
import sharokey
assert "aiohttp" not in sys.modules and "requests" not in sys.modules, "heavy import"
from sharokey.transports import MockTransport
from sharokey._messages import Response
client = sharokey.Sharokey("t", transport=MockTransport(
    lambda r: Response(status=200, body=b'{"success": true, "data": {"total_secrets": 1}}')))
assert client.get_stats().total_secrets == 1
real = sharokey.Sharokey("t", api_url="http://127.0.0.1:9/api/v1", max_retries=0)
try:
    real.get_stats()
except sharokey.NetworkError:
    pass
print("asyncio" in sys.modules, "aiohttp" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.split() == ["False", "False"]


def test_lazy_exports_resolve() -> None:
    for name in sharokey.__all__:
        assert getattr(sharokey, name) is not None
    assert "Sharokey" in dir(sharokey)
    with pytest.raises(AttributeError):
        sharokey.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize("call", ["delete", "delete_request"])
def test_a_repeated_delete_meeting_its_own_404_succeeds(
    call: str, fail: Callable[..., Response], policy: Callable[..., Any]
) -> None:
    """The first answer was lost after the server acted; the repeat finds nothing left."""
    answers: list[Any] = [
        sharokey.NetworkError("reset after sending", request_sent=True),
        fail(404, "NOT_FOUND"),
    ]

    def service(request: Request) -> Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    transport = MockTransport(service)
    with sharokey.Sharokey(
        TOKEN, api_url=API, transport=transport, retry_policy=policy()
    ) as client:
        assert getattr(client, call)("ABCDEFGH") is None
    assert answers == []


@pytest.mark.parametrize("call", ["delete", "delete_request"])
def test_a_first_404_on_delete_still_says_not_found(
    call: str, fail: Callable[..., Response]
) -> None:
    transport = MockTransport(lambda r: fail(404, "NOT_FOUND"))
    client = sharokey.Sharokey(TOKEN, api_url=API, transport=transport)
    with pytest.raises(sharokey.NotFoundError):
        getattr(client, call)("ABCDEFGH")


async def test_async_crypto_runs_on_the_clients_own_workers_which_aclose_stops(
    service: FakeService,
) -> None:
    import threading

    def workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith("sharokey")]

    # Workers of clients that earlier tests closed may still be on their way out: only
    # the threads this client started are its own.
    earlier = set(workers())
    client = sharokey.AsyncSharokey(
        TOKEN, api_url=API, transport=AsyncMockTransport(service), attachment_nonces="unique"
    )
    created = await client.create("on a worker", attachments=[("a.txt", b"x")])
    assert created.slug
    running = [worker for worker in workers() if worker not in earlier]
    assert 1 <= len(running) <= (os.cpu_count() or 2)  # one pool per client, a core each
    await client.aclose()
    for worker in running:
        worker.join(5)  # shut down without waiting: they finish and exit by themselves
    assert [worker for worker in running if worker.is_alive()] == []


def test_async_client_without_aiohttp_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['aiohttp'] = None\n"
        "import sharokey\n"
        "try:\n"
        "    sharokey.AsyncSharokey('t')\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc.name, '|', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.startswith("aiohttp |")
    assert "pip install 'sharokey[aiohttp]'" in done.stdout
