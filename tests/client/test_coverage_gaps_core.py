"""Answers and inputs the rest of the suite does not meet, as a user of the client meets them.

Listings whose pagination omits ``last_page``; a health check answered by the
web framework rather than the API; error bodies in the shapes frameworks and
proxies use; a create answer carrying an unusable ``access_url``; and
attachments given as streams that cannot seek, fail to read or outgrow the
10 MiB budget while being read. Each is driven through the sync client over a
mock transport: the wire shapes are the point, not the network.
"""

from __future__ import annotations

import io
import json
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

import sharokey
from sharokey._core import Request, Response
from sharokey.transports import MockTransport

pytestmark = pytest.mark.usefixtures("clean_env")

API = "https://api.example.com/api/v1"
TOKEN = "gaps-token-000000001"


def _answer(status: int, payload: Any) -> Response:
    return Response(
        status=status,
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
    )


def _client(handler: Callable[[Request], Response], **options: Any) -> sharokey.Sharokey:
    return sharokey.Sharokey(
        TOKEN, api_url=API, transport=MockTransport(handler), max_retries=0, **options
    )


# --------------------------------------------------------------------------- listings


def _pages(pagination: Callable[[int], dict[str, Any]]) -> tuple[list[int], Any]:
    asked: list[int] = []

    def handler(request: Request) -> Response:
        page = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
        asked.append(page)
        items = [{"slug": f"P{page}I{n}"} for n in range(2)]
        return _answer(200, {"success": True, "data": items, "pagination": pagination(page)})

    return asked, handler


def test_a_listing_without_last_page_derives_it_from_total_and_per_page() -> None:
    asked, handler = _pages(lambda page: {"current_page": page, "per_page": 2, "total": 5})
    first = _client(handler).list_secrets(limit=2)
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
    first = _client(handler).list_secrets()
    assert first.pagination.last_page == 1
    assert len(list(first)) == 2
    assert asked == [1]  # nothing invented: no second page asked for


# --------------------------------------------------------------------------- health


def test_a_health_check_answered_by_the_framework_is_read_as_is() -> None:
    bare = {"status": "degraded", "database": "slow"}
    health = _client(lambda request: _answer(200, bare)).health()
    assert health == sharokey.Health(status="degraded", details={"database": "slow"})


def test_a_health_envelope_without_data_means_ok() -> None:
    health = _client(lambda request: _answer(200, {"success": True, "data": None})).health()
    assert health == sharokey.Health()


# --------------------------------------------------------------------------- error shapes


def test_an_error_given_as_a_plain_string_keeps_its_words() -> None:
    said = {"error": "Slow down, please"}
    with pytest.raises(sharokey.RateLimitError) as info:
        _client(lambda request: _answer(429, said)).get_stats()
    assert info.value.message == "Slow down, please"


def test_a_top_level_code_decides_the_error_class() -> None:
    said = {"code": "NOT_FOUND", "message": "No such secret"}
    with pytest.raises(sharokey.NotFoundError) as info:
        _client(lambda request: _answer(400, said)).get_details("ABCDEFGH")
    assert (info.value.code, info.value.status, info.value.message) == (
        "NOT_FOUND",
        400,
        "No such secret",
    )


# --------------------------------------------------------------------------- create answers


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
    created = _client(lambda request: _answer(201, {"success": True, "data": data})).create("x")
    assert created.share_url.startswith(expected_base)
    assert len(created.share_url) == len(expected_base) + 24  # keyB, made here, in the fragment


# --------------------------------------------------------------------------- attachment streams


class Stream(io.RawIOBase):
    """A binary stream that cannot seek (a pipe, a socket), optionally failing to read."""

    def __init__(
        self, data: bytes, *, fail: Optional[BaseException] = None, tell_fails: bool = False
    ) -> None:
        self._source = io.BytesIO(data)
        self._fail = fail
        self._tell_fails = tell_fails
        self.name = "stream.bin"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._tell_fails  # claims to seek, then fails to tell

    def tell(self) -> int:
        raise OSError("illegal seek")

    def readinto(self, buffer: Any) -> int:
        if self._fail is not None:
            raise self._fail
        return self._source.readinto(buffer)


def _stored() -> tuple[list[dict[str, Any]], Callable[[Request], Response]]:
    bodies: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        assert request.body is not None
        bodies.append(json.loads(request.body))
        return _answer(201, {"success": True, "data": {"slug": "SLUG0001"}})

    return bodies, handler


@pytest.mark.parametrize("tell_fails", [False, True], ids=["cannot seek", "cannot tell"])
def test_a_stream_of_unknown_size_is_read_and_sealed(tell_fails: bool) -> None:
    bodies, handler = _stored()
    client = _client(handler, attachment_nonces="unique")
    created = client.create("x", attachments=[Stream(b"streamed bytes", tell_fails=tell_fails)])
    assert created.slug == "SLUG0001"
    sent = bodies[0]["attachments"]
    assert [(a["name"], a["size"]) for a in sent] == [("stream.bin", len(b"streamed bytes"))]


def test_a_stream_that_fails_to_read_is_a_validation_error_and_nothing_is_sent() -> None:
    bodies, handler = _stored()
    client = _client(handler, attachment_nonces="unique")
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", attachments=[Stream(b"", fail=OSError("device gone"))])
    assert info.value.fields == {"attachments": ["stream.bin cannot be read"]}
    assert bodies == []


def test_a_stream_outgrowing_10_mib_is_refused_while_read_and_nothing_is_sent() -> None:
    bodies, handler = _stored()
    client = _client(handler, attachment_nonces="unique")
    too_big = Stream(b"\0" * (10 * 1024 * 1024 + 1))  # its size shows only when read
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", attachments=[("small.txt", b"ok"), too_big])
    assert "attachments" in info.value.fields
    assert "10 MiB" in str(info.value)
    assert bodies == []
