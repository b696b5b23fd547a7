"""The sans-I/O core: decoding answers, mapping errors, deciding retries, building bodies."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Optional

import pytest

import sharokey
from sharokey import _bigjson, _validate, crypto
from sharokey._body import build_create_body
from sharokey._core import Core
from sharokey._decode import decode_envelope, parse_retry_after
from sharokey._messages import Headers, Request, Response, Send
from sharokey._retry import retry_delay, should_retry
from sharokey.errors import CODE_TO_ERROR, INVALID_JSON

CORE = Core(api_url="https://api.example.com/api/v1", token="core-token-123456")


def response(status: int, body: Any, content_type: str = "application/json") -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status=status, headers={"Content-Type": content_type}, body=raw)


def first_request(operation: Any) -> Request:
    effect = next(operation)
    assert isinstance(effect, Send)
    return effect.request


# --------------------------------------------------------------------------- decoding


def test_success_envelope_is_returned() -> None:
    envelope = decode_envelope(response(200, {"success": True, "data": {"slug": "A"}}))
    assert envelope["data"] == {"slug": "A"}


@pytest.mark.parametrize(("code", "cls"), sorted(CODE_TO_ERROR.items()))
def test_every_error_code_maps_to_its_class(code: str, cls: type) -> None:
    status = 429 if cls is sharokey.RateLimitError else 403
    body = {"success": False, "error": {"code": code, "message": "server says no"}}
    with pytest.raises(cls) as info:
        decode_envelope(response(status, body))
    assert (info.value.code, info.value.status) == (code, status)
    # An invalid key speaks the SDK's own words: that nothing was spent is the protocol's
    # promise, not the server's prose.
    own = cls is sharokey.InvalidKeyError
    assert info.value.message == (cls.default_message if own else "server says no")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, sharokey.ValidationError),
        (401, sharokey.AuthenticationError),
        (403, sharokey.PermissionDeniedError),
        (404, sharokey.NotFoundError),
        (422, sharokey.ValidationError),
        (429, sharokey.RateLimitError),
        (500, sharokey.ServerError),
        (502, sharokey.ServerError),
        (503, sharokey.ServerError),
        (504, sharokey.ServerError),
    ],
)
def test_without_a_code_the_status_decides(status: int, cls: type) -> None:
    with pytest.raises(cls) as info:
        decode_envelope(response(status, {"message": "framework default"}))
    assert info.value.message == "framework default"


def test_an_html_proxy_page_gives_a_helpful_status_error() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    with pytest.raises(sharokey.ServerError) as info:
        decode_envelope(response(502, page, "text/html"))
    assert info.value.status == 502
    assert "HTTP 502 from the server or a proxy (an HTML page, not the API)" in str(info.value)
    # The content type is not trusted: the bytes decide.
    with pytest.raises(sharokey.ServerError, match="HTML page"):
        decode_envelope(response(504, page, "application/json"))


def test_an_empty_error_body_gives_a_helpful_status_error() -> None:
    with pytest.raises(sharokey.ServerError, match="HTTP 503 with an empty body"):
        decode_envelope(response(503, b""))
    with pytest.raises(sharokey.NotFoundError, match="Check the API URL"):
        decode_envelope(response(404, b"  "))


def test_framework_validation_errors_keep_their_fields() -> None:
    body = {"message": "The given data was invalid.", "errors": {"expiration_hours": ["too big"]}}
    with pytest.raises(sharokey.ValidationError) as info:
        decode_envelope(response(422, body))
    assert info.value.fields == {"expiration_hours": ["too big"]}


def test_retry_after_is_kept_on_rate_limits() -> None:
    answer = Response(
        status=429,
        headers={"retry-after": "7"},
        body=b'{"success": false, "error": {"code": "RATE_LIMITED", "message": "slow down"}}',
    )
    with pytest.raises(sharokey.RateLimitError) as info:
        decode_envelope(answer)
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize(
    "body", [b'{"success": true, "data": {"slug": "AB', b"<html>oops</html>", b"", b"\n"]
)
def test_a_2xx_body_that_is_not_json_is_invalid_and_marked_retryable(body: bytes) -> None:
    with pytest.raises(sharokey.InvalidResponseError) as info:
        decode_envelope(response(200, body))
    assert info.value.code == INVALID_JSON
    assert info.value.status == 200


@pytest.mark.parametrize("body", [[1, 2], {"slug": "A"}, "text", None])
def test_json_that_is_not_an_envelope_is_invalid(body: Any) -> None:
    with pytest.raises(sharokey.InvalidResponseError) as info:
        decode_envelope(response(200, body))
    assert info.value.code != INVALID_JSON


def test_a_204_is_an_empty_success() -> None:
    assert decode_envelope(Response(status=204))["data"] is None


def test_a_redirect_is_not_followed_and_says_why() -> None:
    with pytest.raises(sharokey.InvalidResponseError, match="redirect"):
        decode_envelope(Response(status=301, headers={"Location": "https://x/"}, body=b""))


def test_headers_are_case_insensitive() -> None:
    headers = Headers([("Retry-After", "3"), ("X-A", "1"), ("x-a", "2")])
    assert headers["retry-after"] == headers["RETRY-AFTER"] == "3"
    assert headers["X-A"] == "1, 2"
    assert "Retry-after" in headers
    assert len(headers) == 2


# --------------------------------------------------------------------------- Retry-After


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2025, 8, 11, 18, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    later = format_datetime(datetime(2025, 8, 11, 18, 0, 42, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp) == pytest.approx(42.0)
    earlier = format_datetime(datetime(2025, 8, 11, 17, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp) == 0.0
    for unusable in (None, "", "soon", "inf", "nan"):
        assert parse_retry_after(unusable) is None


# --------------------------------------------------------------------------- retry decision

GET = Request(method="GET", url="https://h/api/v1/secrets", ambiguous_safe=True)
DELETE = Request(method="DELETE", url="https://h/api/v1/secrets/A", ambiguous_safe=True)
POST = Request(method="POST", url="https://h/api/v1/secrets", ambiguous_safe=False)
POST_KEYED = Request(method="POST", url="https://h/api/v1/secrets", ambiguous_safe=True)


def server(status: int, retry_after: Optional[float] = None) -> sharokey.SharokeyError:
    return sharokey.errors.error_for(status, None, "x", retry_after=retry_after)


def rate(code: str = "RATE_LIMITED", retry_after: Optional[float] = None) -> Exception:
    return sharokey.errors.error_for(429, code, "x", retry_after=retry_after)


CASES = [
    # (error, GET, DELETE, POST, POST with retry_ambiguous_posts)
    (rate(), True, True, True, True),
    (rate(retry_after=5), True, True, True, True),
    (rate(retry_after=31), False, False, False, False),
    (rate("TOO_MANY_ATTEMPTS"), False, False, False, False),
    (rate("TOO_MANY_ATTEMPTS", retry_after=10), True, True, True, True),
    (server(503), True, True, True, True),
    (server(503, retry_after=120), False, False, False, False),
    (server(500), True, True, False, True),
    (server(502), True, True, False, True),
    (server(504), True, True, False, True),
    (server(501), False, False, False, False),
    (sharokey.NetworkError(request_sent=False), True, True, True, True),
    (sharokey.NetworkError(request_sent=True), True, True, False, True),
    (sharokey.RequestTimeoutError(request_sent=True), True, True, False, True),
    (sharokey.RequestTimeoutError(request_sent=False), True, True, True, True),
    (sharokey.NetworkError(code="TLS_ERROR", request_sent=False), False, False, False, False),
    (
        sharokey.InvalidResponseError(code=INVALID_JSON, status=200),
        True,
        True,
        False,
        True,
    ),
    (sharokey.InvalidResponseError(status=200), False, False, False, False),
    (sharokey.NotFoundError(status=404), False, False, False, False),
    (sharokey.AuthenticationError(status=401), False, False, False, False),
    (sharokey.ValidationError(status=422), False, False, False, False),
    (sharokey.QuotaExceededError(status=403), False, False, False, False),
    (sharokey.ProtectionError(status=401), False, False, False, False),
    (sharokey.DecryptionError(), False, False, False, False),
    (ValueError("a bug"), False, False, False, False),
    (KeyboardInterrupt(), False, False, False, False),
]


@pytest.mark.parametrize(("error", "get", "delete", "post", "post_keyed"), CASES)
def test_should_retry_follows_the_spec(
    error: BaseException, get: bool, delete: bool, post: bool, post_keyed: bool
) -> None:
    decide = [
        should_retry(error, request, retry_after_cap=30.0)
        for request in (GET, DELETE, POST, POST_KEYED)
    ]
    assert decide == [get, delete, post, post_keyed]


def test_cancellation_is_never_retried() -> None:
    import asyncio

    assert should_retry(asyncio.CancelledError(), GET, retry_after_cap=30.0) is False


def test_delays_honour_retry_after_else_back_off_exponentially() -> None:
    options = {"base_delay": 0.5, "max_delay": 8.0, "retry_after_cap": 30.0, "jitter": float}
    assert retry_delay(1, rate(retry_after=12), **options) == 12.0
    assert [retry_delay(n, server(500), **options) for n in range(1, 7)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    halved = {**options, "jitter": lambda d: d / 2}
    assert retry_delay(3, None, **halved) == 1.0


def test_default_jitter_stays_within_half_and_full_delay() -> None:
    from sharokey._retry import equal_jitter

    samples = [equal_jitter(4.0) for _ in range(200)]
    assert all(2.0 <= s <= 4.0 for s in samples)
    assert len(set(samples)) > 1


# --------------------------------------------------------------------------- requests


def test_requests_carry_the_documented_headers() -> None:
    request = first_request(CORE.get_stats())
    assert request.url == "https://api.example.com/api/v1/secrets-stats"
    assert request.headers["Authorization"] == "Bearer core-token-123456"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith(
        f"sharokey-python/{sharokey.__version__} python/"
    )
    assert "Content-Type" not in request.headers
    assert request.body is None
    assert request.ambiguous_safe


def test_labels_mask_request_tokens_and_search_terms() -> None:
    request = first_request(CORE.get_request("tokABCDEFGHIJKLMNOP"))
    assert request.label == "/api/v1/requests/tokA…"
    assert "tokABCDEFGHIJKLMNOP" in request.url
    assert "tokABCDEF" not in repr(request)
    request = first_request(CORE.list_secrets(search="my bank", status="active", limit=5))
    assert "search=***" in request.label and "bank" not in request.label
    assert "search=my+bank" in request.url
    assert "core-token" not in repr(request)


def test_post_requests_are_ambiguous_safe_only_when_allowed() -> None:
    for allowed in (False, True):
        core = Core(api_url="https://h/api/v1", token="t", retry_ambiguous_posts=allowed)
        create = core.create("x")
        next(create)  # the offloaded build
        request = create.send(build_create_body(_validate.create_args("x", 24, 1), None)).request
        assert request.ambiguous_safe is allowed
        assert request.method == "POST"
        reveal = first_request(core.reveal("https://other.example/s/SLUG#" + "a" * 24))
        assert reveal.ambiguous_safe is allowed
        assert first_request(core.create_request()).ambiguous_safe is False


def test_reveal_goes_to_the_api_without_the_token() -> None:
    request = first_request(CORE.reveal("https://evil.example/s/SLUG1234#" + "a" * 24, "pw"))
    assert request.url == "https://api.example.com/api/v1/secrets/SLUG1234/reveal"
    assert "Authorization" not in request.headers
    assert json.loads(request.body or b"") == {
        "password": "pw",
        "key_check": crypto.key_check("a" * 24),
    }
    assert len(request.headers["Idempotency-Key"]) == 36


# --------------------------------------------------------------------------- create body


@pytest.mark.parametrize("nonces", ["shared", "unique"])
def test_the_spliced_create_body_is_json_that_opens_to_the_original(nonces: str) -> None:
    files = [("a.txt", b"alpha"), ("b.bin", bytes(range(256)) * 5000)]
    args = _validate.create_args(
        "the content ✓",
        48,
        3,
        description="desc",
        password="pw",
        otp_email="a@b.co",
        ip_whitelist=["10.0.0.1"],
        geolocation="fr",
        captcha=True,
        attachments=files,
    )
    built = build_create_body(args, nonces)  # type: ignore[arg-type]
    body = json.loads(built.body)
    assert body["expiration_hours"] == 48 and body["maximum_views"] == 3
    assert body["password"] == "pw" and body["captcha"] is True
    assert (body["otp_type"], body["otp_receiver"]) == ("email", "a@b.co")
    assert (body["ip_whitelist"], body["geolocation"]) == ("10.0.0.1", "FR")
    assert body["attachments_total_size"] == sum(len(d) for _, d in files)
    assert [("iv" in item) for item in body["attachments"]] == [nonces == "unique"] * 2
    opened = crypto.open_payload(body, built.key_b)
    assert opened.content == "the content ✓"
    assert [(a.name, a.data) for a in opened.attachments] == files


def test_optional_fields_are_left_out() -> None:
    built = build_create_body(_validate.create_args("x", 24, 1), None)
    assert set(json.loads(built.body)) == {
        "content",
        "iv",
        "salt",
        "key",
        "expiration_hours",
        "maximum_views",
        "key_check",
    }


def test_create_sends_the_check_of_the_key_its_link_carries() -> None:
    built = build_create_body(_validate.create_args("x", 24, 1), None)
    assert json.loads(built.body)["key_check"] == crypto.key_check(built.key_b)


#: Innermost values: a number, and a string long enough to make the body "large" (past
#: 1 MiB the string is cut out and decoded alone, and the nesting is judged by walking
#: what was parsed rather than by counting brackets through the whole body).
_INNERMOST = {"small": "1", "large": json.dumps("A" * (_bigjson.WHOLE_BELOW + 1))}


@pytest.mark.parametrize("depth", [64, 65, 200])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
@pytest.mark.parametrize("size", sorted(_INNERMOST))
def test_an_answer_nested_past_the_limit_is_refused_whatever_its_size(
    depth: int, opener: str, size: str
) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * (depth - 1) + _INNERMOST[size] + closer * (depth - 1)
    body = ('{"success":true,"data":' + nested + "}").encode()
    response = Response(status=200, body=body)
    if depth > 64:
        with pytest.raises(sharokey.InvalidResponseError, match="nested deeper"):
            decode_envelope(response)
    else:
        assert decode_envelope(response)["success"] is True
