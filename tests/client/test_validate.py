"""Arguments are checked against the service's limits before anything is sent.

Attachments given as streams that cannot seek are read to learn their size: one that fails to
read, or outgrows the 10 MiB budget while being read, is refused with nothing sent.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sharokey
from sharokey import _validate
from sharokey._body import build_create_body
from sharokey._messages import Request, Response
from sharokey.transports import AsyncMockTransport, MockTransport

from ._support import client_of, reply

pytestmark = pytest.mark.usefixtures("clean_env")


def never_called(request: Request) -> Response:
    raise AssertionError(f"a request was sent: {request.method} {request.label}")


@pytest.fixture
def client() -> sharokey.Sharokey:
    return sharokey.Sharokey("validate-token", transport=MockTransport(never_called))


@pytest.fixture
def aclient() -> sharokey.AsyncSharokey:
    return sharokey.AsyncSharokey("validate-token", transport=AsyncMockTransport(never_called))


BAD_CREATE = [
    ({"hours": 0}, "hours", "between 1 and 1000"),
    ({"hours": 1001}, "hours", "between 1 and 1000"),
    ({"hours": 2.5}, "hours", "between 1 and 1000"),
    ({"hours": True}, "hours", "between 1 and 1000"),
    ({"views": 0}, "views", "between 1 and 1000"),
    ({"views": 1001}, "views", "between 1 and 1000"),
    ({"description": "d" * 256}, "description", "at most 255"),
    ({"message": "m" * 256}, "message", "at most 255"),
    ({"password": ""}, "password", "non-empty"),
    ({"captcha": "yes"}, "captcha", "True or False"),
    ({"otp_email": "not-an-address"}, "otp_email", "e-mail"),
    ({"otp_phone": "0612345678"}, "otp_phone", "E.164"),
    ({"otp_phone": "+0612345678"}, "otp_phone", "E.164"),
    ({"otp_email": "a@b.co", "otp_phone": "+33612345678"}, "otp_phone", "otp_email"),
    ({"ip_whitelist": "300.1.1.1"}, "ip_whitelist", "IPv4"),
    ({"ip_whitelist": ["10.0.0.1", "::1"]}, "ip_whitelist", "IPv4"),
    ({"ip_whitelist": ",".join(["192.168.100.100"] * 20)}, "ip_whitelist", "255"),
    ({"ip_whitelist": 17}, "ip_whitelist", "list"),
    ({"geolocation": "FRA"}, "geolocation", "alpha-2"),
    ({"geolocation": ["FR", "1X"]}, "geolocation", "alpha-2"),
    ({"geolocation": ",".join(["FR"] * 90)}, "geolocation", "255"),
    ({"attachments": [("f.txt", b"x")] * 11}, "attachments", "at most 10"),
    ({"attachments": [("f.txt", "text, not bytes")]}, "attachments", "bytes"),
    ({"attachments": [("", b"x")]}, "attachments", "name"),
    ({"attachments": [42]}, "attachments", "path"),
    ({"attachments": "one/path.txt"}, "attachments", "list"),
    ({"idempotency_key": ""}, "idempotency_key", "255"),
    ({"idempotency_key": "has space"}, "idempotency_key", "255"),
]


@pytest.mark.parametrize(("kwargs", "argument", "fragment"), BAD_CREATE)
def test_create_refuses_bad_arguments_before_sending(
    client: sharokey.Sharokey, kwargs: dict[str, Any], argument: str, fragment: str
) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("the content", **kwargs)
    assert argument in info.value.details
    assert fragment in str(info.value)
    assert info.value.code == "VALIDATION_ERROR"


async def test_async_create_refuses_bad_arguments_before_sending(
    aclient: sharokey.AsyncSharokey,
) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        await aclient.create("the content", hours=0)
    assert str(info.value).endswith("hours must be between 1 and 1000.")


def test_every_violation_is_reported_at_once(client: sharokey.Sharokey) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", hours=0, views=5000, geolocation="France")
    assert set(info.value.details) == {"hours", "views", "geolocation"}
    assert info.value.fields["views"] == ["must be between 1 and 1000"]


def test_messages_never_hold_the_password_or_the_content(client: sharokey.Sharokey) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("top-secret-content", hours=0, password="hunter2-password")
    shown = str(info.value) + repr(info.value) + repr(info.value.details)
    assert "hunter2" not in shown
    assert "top-secret" not in shown


def test_ten_mib_of_attachments_is_the_limit(client: sharokey.Sharokey) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", attachments=[("a.bin", b"\0" * (6 << 20)), ("b.bin", b"\0" * (5 << 20))])
    assert "10 MiB" in str(info.value)


def test_content_must_be_text(client: sharokey.Sharokey) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create(b"bytes are not text")  # type: ignore[arg-type]
    assert "content" in info.value.details
    with pytest.raises(sharokey.ValidationError):
        client.create("")


def test_lists_are_normalised() -> None:
    args = _validate.create_args(
        "x",
        24,
        1,
        ip_whitelist=[" 10.0.0.1", "192.168.1.0/24 "],
        geolocation="fr, us ,ca",
        otp_phone=" +33612345678 ",
    )
    assert args.ip_whitelist == "10.0.0.1,192.168.1.0/24"
    assert args.geolocation == "FR,US,CA"
    assert (args.otp_type, args.otp_receiver) == ("phone", "+33612345678")
    assert "33612345678" not in repr(args)


BAD_REQUEST = [
    ({"secret_expiration_hours": 0}, "secret_expiration_hours"),
    ({"request_expiration_hours": 1001}, "request_expiration_hours"),
    ({"maximum_views": 11}, "maximum_views"),
    ({"message": "m" * 256}, "message"),
    ({"description": "d" * 256}, "description"),
    ({"email_to": "nobody"}, "email_to"),
    ({"email_reply": "a@b"}, "email_reply"),
    ({"locale": "de"}, "locale"),
]


@pytest.mark.parametrize(("kwargs", "argument"), BAD_REQUEST)
def test_create_request_refuses_bad_arguments(
    client: sharokey.Sharokey, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.create_request(**kwargs)
    assert list(info.value.details) == [argument]


def test_maximum_views_of_a_request_is_at_most_ten(client: sharokey.Sharokey) -> None:
    with pytest.raises(sharokey.ValidationError, match="maximum_views must be between 1 and 10"):
        client.create_request(maximum_views=11)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"status": "old"}, "status"), ({"limit": 0}, "limit"), ({"page": 0}, "page")],
)
def test_listing_arguments_are_checked(
    client: sharokey.Sharokey, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.list_secrets(**kwargs)
    assert argument in info.value.details
    with pytest.raises(sharokey.ValidationError):
        client.list_requests(**kwargs)


@pytest.mark.parametrize("slug", ["", "   ", "..", "a\nb"])
def test_identifiers_must_be_usable_in_a_path(client: sharokey.Sharokey, slug: str) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.get_details(slug)
    assert "slug" in info.value.details
    with pytest.raises(sharokey.ValidationError) as info:
        client.delete_request(slug)
    assert "token" in info.value.details


def test_identifiers_are_quoted_into_one_path_segment(ok: Any) -> None:
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.url)
        return ok({"slug": "a/b?c"})

    sharokey.Sharokey("t", api_url="http://h/api/v1", transport=MockTransport(handler)).get_details(
        "a/b?c"
    )
    assert seen == ["http://h/api/v1/secrets/a%2Fb%3Fc"]


def _segment_by_the_rule(value: str) -> Optional[str]:
    """The general rule, written out: None where path_segment must refuse."""
    stripped = value.strip()
    if not stripped or stripped in (".", "..") or re.search(r"[\x00-\x1f\x7f]", value):
        return None
    return None if len(value) > 512 else quote(stripped, safe="")


@given(
    st.one_of(
        st.text(max_size=20),
        st.text(alphabet="abcXYZ019._~-", min_size=1, max_size=520),
        st.sampled_from([".", "..", ".a", "a.", "~", "-", " a", "a" * 512, "a" * 513]),
    )
)
def test_a_slug_becomes_the_path_segment_the_rule_gives(value: str) -> None:
    # Slugs of unreserved characters take a shortcut; it must give what the rule gives.
    expected = _segment_by_the_rule(value)
    try:
        got: Optional[str] = _validate.path_segment(value, "slug")
    except sharokey.ValidationError:
        got = None
    assert got == expected


@pytest.mark.parametrize(
    ("kwargs", "argument"), [({"otp": 123456}, "otp"), ({"password": ""}, "password")]
)
def test_reveal_answers_are_strings(
    client: sharokey.Sharokey, kwargs: dict[str, Any], argument: str
) -> None:
    link = "https://app.sharokey.com/s/ABC123XY#" + "k" * 24
    with pytest.raises(sharokey.ValidationError) as info:
        client.reveal(link, **kwargs)
    assert argument in info.value.details


@pytest.mark.parametrize(
    "link", ["https://app.sharokey.com/s/ABC123XY", "ABC123XY#" + "k" * 24, "https://h/s/X#short"]
)
def test_a_broken_share_link_is_refused_before_sending(
    client: sharokey.Sharokey, link: str
) -> None:
    with pytest.raises(sharokey.ValidationError) as info:
        client.reveal(link)
    assert "share_url" in info.value.details


def test_file_sizes_are_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:  # sparse: 11 MiB on paper, nothing to read
        handle.truncate(11 << 20)
    args = _validate.create_args("x", 24, 1, attachments=[big])
    with pytest.raises(sharokey.ValidationError, match="10 MiB"):
        build_create_body(args, "unique")


def test_missing_and_text_mode_files_are_refused(tmp_path: Path) -> None:
    missing = _validate.create_args("x", 24, 1, attachments=[tmp_path / "nope.txt"])
    with pytest.raises(sharokey.ValidationError, match=r"nope\.txt"):
        build_create_body(missing, "unique")
    text = _validate.create_args("x", 24, 1, attachments=[io.StringIO("text")])
    with pytest.raises(sharokey.ValidationError, match="binary mode"):
        build_create_body(text, "unique")


def test_a_lone_file_is_refused_unread(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_bytes(b"line one\nline two\n")
    with key.open("rb") as handle:
        with pytest.raises(sharokey.ValidationError, match=r"wrap a single file as \[file\]"):
            _validate.create_args("x", 24, 1, attachments=handle)
        assert handle.tell() == 0  # not a line of it was consumed


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
        return reply(201, {"success": True, "data": {"slug": "SLUG0001"}})

    return bodies, handler


@pytest.mark.parametrize("tell_fails", [False, True], ids=["cannot seek", "cannot tell"])
def test_a_stream_of_unknown_size_is_read_and_sealed(tell_fails: bool) -> None:
    bodies, handler = _stored()
    client = client_of(handler, attachment_nonces="unique")
    created = client.create("x", attachments=[Stream(b"streamed bytes", tell_fails=tell_fails)])
    assert created.slug == "SLUG0001"
    sent = bodies[0]["attachments"]
    assert [(a["name"], a["size"]) for a in sent] == [("stream.bin", len(b"streamed bytes"))]


def test_a_stream_that_fails_to_read_is_a_validation_error_and_nothing_is_sent() -> None:
    bodies, handler = _stored()
    client = client_of(handler, attachment_nonces="unique")
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", attachments=[Stream(b"", fail=OSError("device gone"))])
    assert info.value.fields == {"attachments": ["stream.bin cannot be read"]}
    assert bodies == []


def test_a_stream_outgrowing_10_mib_is_refused_while_read_and_nothing_is_sent() -> None:
    bodies, handler = _stored()
    client = client_of(handler, attachment_nonces="unique")
    too_big = Stream(b"\0" * (10 * 1024 * 1024 + 1))  # its size shows only when read
    with pytest.raises(sharokey.ValidationError) as info:
        client.create("x", attachments=[("small.txt", b"ok"), too_big])
    assert "attachments" in info.value.fields
    assert "10 MiB" in str(info.value)
    assert bodies == []
