"""Whatever a server answers, every operation returns its model or raises a SharokeyError.

Each operation of the sans-I/O core is driven the way the clients drive it
(``gen.send``), with a fabricated :class:`Response` standing in for the
network: any status from 100 to 599, any headers (odd ``Retry-After`` values
included), and a body that is arbitrary JSON, an envelope with arbitrary
data, an error envelope, HTML, random bytes or nothing. A user must only
ever meet the SDK's own errors, never a ``KeyError`` or ``TypeError`` from
deep inside the parser; and a 2xx answer that is not a valid envelope must
be an ``InvalidResponseError``, so callers can tell a broken answer from a
refusal. Seal/open properties live in ``tests/crypto/test_crypto_properties.py``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any, Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharokey._core import Core
from sharokey._messages import Offload, Response, Send
from sharokey.errors import (
    CODE_TO_ERROR,
    InvalidResponseError,
    RateLimitError,
    ServerError,
    SharokeyError,
)
from sharokey.models import (
    CreatedSecret,
    Health,
    RequestList,
    RequestStats,
    RevealedSecret,
    Secret,
    SecretList,
    SecretRequest,
    SecretStats,
)

CORE = Core(api_url="https://api.example.com/api/v1", token="property-token")
LINK = "https://app.example.com/s/SLUG0001#" + "Ab1" * 8

#: Each operation, how to start it, and what it returns when the answer is good.
OPERATIONS: dict[str, tuple[Callable[[], Any], Optional[type]]] = {
    "list_secrets": (lambda: CORE.list_secrets(), SecretList),
    "create": (lambda: CORE.create("property text"), CreatedSecret),
    "get_details": (lambda: CORE.get_details("SLUG0001"), Secret),
    "delete": (lambda: CORE.delete("SLUG0001"), None),
    "get_stats": (lambda: CORE.get_stats(), SecretStats),
    "create_request": (lambda: CORE.create_request(), SecretRequest),
    "list_requests": (lambda: CORE.list_requests(), RequestList),
    "get_request": (lambda: CORE.get_request("REQTOKEN1234"), SecretRequest),
    "delete_request": (lambda: CORE.delete_request("REQTOKEN1234"), None),
    "get_request_stats": (lambda: CORE.get_request_stats(), RequestStats),
    "health": (lambda: CORE.health(), Health),
    "reveal": (lambda: CORE.reveal(LINK), RevealedSecret),
}
#: Operations whose answer must carry an object in ``data``.
OBJECT_DATA = [
    "create",
    "get_details",
    "get_stats",
    "create_request",
    "get_request",
    "get_request_stats",
    "reveal",
]
LISTS = ["list_secrets", "list_requests"]


def drive(operation: str, response: Response) -> Any:
    """Run one operation as a client shell would, every request answered by ``response``."""
    generator = OPERATIONS[operation][0]()
    value: Any = None
    try:
        while True:
            try:
                effect = generator.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(effect, Offload):
                value = effect.fn(*effect.args)
            else:
                assert isinstance(effect, Send)
                value = effect.parse(response)
    finally:
        generator.close()


# --------------------------------------------------------------------------- strategies

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python's json reads them
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

#: Field names the models know, so generated objects reach the typed conversion.
FIELDS = [
    "slug", "description", "message", "creator", "maximum_views", "current_views",
    "expiration", "has_password", "attachments", "is_expired", "status", "access_url",
    "share_url", "created_at", "total_secrets", "active_secrets", "total_views", "token",
    "request_url", "secret_expiration_hours", "locale", "content", "iv", "salt", "key",
    "remaining_views", "current_page", "per_page", "total", "last_page", "items",
    "pagination",
]  # fmt: skip

plausible = st.one_of(
    json_values,
    st.sampled_from(["3", "abc", "2025-08-11T18:52:37.000000Z", "http://h/s/x", "", "AAAA"]),
    st.integers(min_value=-2, max_value=1000),
)
objects = st.dictionaries(st.sampled_from(FIELDS), plausible, max_size=8) | st.dictionaries(
    st.text(max_size=8), json_values, max_size=4
)
data_values = objects | st.lists(objects, max_size=3) | json_values
items_shape = st.fixed_dictionaries(
    {"items": st.lists(objects, max_size=3) | json_values},
    optional={"pagination": objects | json_values},
)

envelopes = st.fixed_dictionaries(
    {"success": st.just(True) | json_values},
    optional={
        "data": data_values | items_shape,
        "message": json_values,
        "pagination": objects | json_values,
        "status": json_values,
    },
)
error_envelopes = st.fixed_dictionaries(
    {"success": st.just(False)},
    optional={
        "error": st.fixed_dictionaries(
            {},
            optional={
                "code": st.sampled_from(sorted(CODE_TO_ERROR)) | json_values,
                "message": json_values,
                "details": objects | json_values,
            },
        )
        | json_values,
        "message": json_values,
        "code": json_values,
        "errors": objects | json_values,
    },
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    envelopes.map(_dumps),
    error_envelopes.map(_dumps),
    json_values.map(_dumps),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"  \n",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            b"<!DOCTYPE html><title>x</title>",
            b'{"success": true, "data": {"slug": "SLUG',
            b"\xff\xfe\x00garbage",
        ]
    ),
)

retry_after_values = st.one_of(
    st.sampled_from(
        ["", " ", "0", "1", "2.5", "-5", "1e309", "nan", "inf", "-inf", "31", "10000000"]
    ),
    st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 99 Foo 99999", "Fri, 31 Dec 9999"]),
    st.text(max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
header_maps = st.dictionaries(
    st.sampled_from(["Retry-After", "retry-after", "Content-Type", "X-Other"])
    | st.text(max_size=8),
    retry_after_values
    | st.sampled_from(["application/json", "text/html; charset=utf-8", "text/plain"]),
    max_size=4,
)
responses = st.builds(
    Response, status=st.integers(min_value=100, max_value=599), headers=header_maps, body=bodies
)
#: Mostly 2xx, so that good answers are met often enough to be checked.
likely_ok = st.builds(
    Response,
    status=st.sampled_from([200, 200, 200, 201, 204]) | st.integers(min_value=100, max_value=599),
    headers=header_maps,
    body=bodies,
)


def bounded(examples: int) -> settings:
    """Hypothesis settings for a run of ``examples`` cases (the file stays at a few seconds)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_any_answer_gives_the_model_or_a_sharokey_error(operation: str) -> None:
    expected = OPERATIONS[operation][1]
    seen: Counter[str] = Counter()

    @bounded(50)
    @given(response=likely_ok | responses)
    def check(response: Response) -> None:
        try:
            result = drive(operation, response)
        except SharokeyError as error:
            seen["error"] += 1
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None:
                assert math.isfinite(retry_after) and retry_after >= 0
            return
        seen["model"] += 1
        assert 200 <= response.status < 300  # nothing else is ever a success
        if expected is None:
            assert result is None
        else:
            assert type(result) is expected

    check()
    assert seen["error"] > 0


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op != "reveal"])
def test_good_answers_are_parsed_among_arbitrary_ones(operation: str) -> None:
    """The strategies do reach success: parsing is not merely refusing everything."""
    good: Any = {
        "delete": None,
        "delete_request": None,
        "health": {"status": "ok"},
    }.get(operation, [] if operation in LISTS else {"slug": "SLUG0001", "token": "REQT"})
    seen: Counter[str] = Counter()

    @bounded(10)
    @given(extra=st.dictionaries(st.text(max_size=6), json_values, max_size=3))
    def check(extra: dict[str, Any]) -> None:
        body = {**extra, "success": True, "data": good}  # unknown envelope keys are fine
        result = drive(operation, Response(status=200, body=_dumps(body)))
        seen[type(result).__name__] += 1

    check()
    expected = OPERATIONS[operation][1]
    assert list(seen) == [expected.__name__ if expected else "NoneType"]


@bounded(100)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    status=st.integers(min_value=100, max_value=599).filter(lambda s: not 200 <= s < 300),
    headers=header_maps,
    body=bodies,
)
def test_no_answer_outside_2xx_is_a_success(
    operation: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(SharokeyError):
        drive(operation, Response(status=status, headers=headers, body=body))


@bounded(100)
@given(
    status=st.integers(min_value=300, max_value=599),
    code=st.sampled_from(sorted(CODE_TO_ERROR)),
    message=json_values,
)
def test_a_known_error_code_decides_the_class_whatever_the_status(
    status: int, code: str, message: Any
) -> None:
    body = _dumps({"success": False, "error": {"code": code, "message": message}})
    with pytest.raises(SharokeyError) as info:
        drive("get_details", Response(status=status, body=body))
    assert type(info.value) is CODE_TO_ERROR[code]
    assert info.value.status == status


@bounded(100)
@given(
    status=st.integers(min_value=500, max_value=599) | st.just(429),
    body=st.sampled_from([b"", b"<html>proxy</html>", b'{"message": "busy"}', b"\x00\x01"]),
    retry_after=retry_after_values,
)
def test_without_a_code_5xx_and_429_keep_their_kind_and_a_sane_retry_after(
    status: int, body: bytes, retry_after: str
) -> None:
    response = Response(status=status, headers={"Retry-After": retry_after}, body=body)
    with pytest.raises(SharokeyError) as info:
        drive("list_secrets", response)
    error = info.value
    assert type(error) is (RateLimitError if status == 429 else ServerError)
    assert isinstance(error, (RateLimitError, ServerError))
    if error.retry_after is not None:
        assert math.isfinite(error.retry_after) and error.retry_after >= 0
    try:
        as_number = float(retry_after)
    except ValueError:
        return
    if math.isfinite(as_number) and as_number >= 0:
        assert error.retry_after == as_number  # delta-seconds are kept exactly


# --------------------------------------------------------------------------- broken envelopes

ok_statuses = st.sampled_from([200, 201, 202, 203])
not_objects = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
not_objects_or_lists = not_objects | st.lists(json_values, min_size=1, max_size=3)


@bounded(100)
@given(
    operation=st.sampled_from(OBJECT_DATA + LISTS),
    status=ok_statuses,
    extra=st.dictionaries(
        st.text(max_size=6).filter(lambda k: k not in ("data", "success")),
        json_values,
        max_size=3,
    ),
)
def test_success_without_data_is_an_invalid_response(
    operation: str, status: int, extra: dict[str, Any]
) -> None:
    body = _dumps({**extra, "success": True})
    with pytest.raises(InvalidResponseError):
        drive(operation, Response(status=status, body=body))


@bounded(100)
@given(
    operation=st.sampled_from(OBJECT_DATA),
    status=ok_statuses,
    data=not_objects | st.lists(json_values, max_size=3),
)
def test_data_that_is_not_an_object_is_an_invalid_response(
    operation: str, status: int, data: Any
) -> None:
    body = _dumps({"success": True, "data": data})
    with pytest.raises(InvalidResponseError):
        drive(operation, Response(status=status, body=body))


@bounded(100)
@given(
    operation=st.sampled_from(LISTS),
    status=ok_statuses,
    data=not_objects
    | st.lists(not_objects, min_size=1, max_size=3)
    | st.dictionaries(st.text(max_size=6).filter(lambda k: k != "items"), json_values)
    | st.fixed_dictionaries({"items": not_objects}),
)
def test_a_list_answer_that_is_not_a_list_of_objects_is_an_invalid_response(
    operation: str, status: int, data: Any
) -> None:
    body = _dumps({"success": True, "data": data})
    with pytest.raises(InvalidResponseError):
        drive(operation, Response(status=status, body=body))


@bounded(100)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    status=ok_statuses,
    body=st.binary(max_size=64).filter(lambda b: not _is_json(b))
    | st.sampled_from([b"<html>", b'{"success": true, "da', b"\xff"]),
)
def test_a_2xx_body_that_is_not_json_is_an_invalid_response(
    operation: str, status: int, body: bytes
) -> None:
    with pytest.raises(InvalidResponseError) as info:
        drive(operation, Response(status=status, body=body))
    assert info.value.code == "INVALID_JSON"  # the one broken answer a repeat may cure


@bounded(100)
@given(
    operation=st.sampled_from(list(OPERATIONS)), status=ok_statuses, payload=not_objects_or_lists
)
def test_a_2xx_json_that_is_not_an_object_is_an_invalid_response(
    operation: str, status: int, payload: Any
) -> None:
    with pytest.raises(InvalidResponseError):
        drive(operation, Response(status=status, body=_dumps(payload)))


def _is_json(body: bytes) -> bool:
    if not body.strip():
        return True  # empty bodies have their own rule (204)
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
