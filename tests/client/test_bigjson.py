"""A large answer parsed piece by piece gives exactly what ``json.loads`` gives, errors included.

``sharokey._bigjson`` cuts long strings out of a big body and decodes them in pieces (so a
reveal's 14 MB parse never holds the GIL in one call); the pieces' sizes are shrunk here so that
every cut lands on escapes, surrogate pairs and multi-byte characters.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharokey import _bigjson


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same constants for every example (nothing else is patched): safe to share.
    monkeypatch.setattr(_bigjson, "WHOLE_BELOW", 0)
    monkeypatch.setattr(_bigjson, "LONG", 8)
    monkeypatch.setattr(_bigjson, "PIECE", 5)


def _outcome(body: bytes) -> Any:
    try:
        return ("value", json.loads(body))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc), str(exc))


def _ours(body: bytes) -> Any:
    try:
        return ("value", _bigjson.loads(body))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc), str(exc))


TEXT = st.text(alphabet=st.sampled_from(list('ab/"\\\u00e9\u20ac\U0001f600\n\x01')), max_size=40)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES, ascii_only=st.booleans(), slashes=st.booleans())
def test_any_document_parses_to_the_same_value(
    tiny: None, value: Any, ascii_only: bool, slashes: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if slashes:
        text = text.replace("/", "\\/")  # as PHP's json_encode sends base64
    body = text.encode("utf-8")
    assert _ours(body) == _outcome(body)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES, cut=st.integers(min_value=0, max_value=400), junk=st.binary(max_size=3))
def test_a_damaged_document_fails_as_json_loads_fails(
    tiny: None, value: Any, cut: int, junk: bytes
) -> None:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    damaged = body[:cut] + junk + body[cut + len(junk) :]
    assert _ours(damaged) == _outcome(damaged)


@pytest.mark.parametrize("tail", ["+/==", "\\/+==", "\\u00e9", "\u00e9"])
def test_a_reveal_sized_answer_comes_back_whole(tail: str) -> None:
    # 16 MB of base64 ending plainly, with an escaped slash, an escape or a raw non-ASCII.
    data = "QUJD" * (4 * 1024 * 1024) + tail
    body = ('{"success":true,"data":{"files":[{"data":"' + data + '"}]}}').encode()
    assert _bigjson.loads(body) == json.loads(body)


def _as_text(value: Any) -> Any:
    """``value`` with every memoryview read back as the ASCII text it holds."""
    if isinstance(value, memoryview):
        return str(value, "ascii")
    if isinstance(value, dict):
        return {key: _as_text(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_as_text(child) for child in value]
    return value


def _views_only_under(value: Any, raw: frozenset[str], key: object = None) -> bool:
    if isinstance(value, memoryview):
        return key in raw
    if isinstance(value, dict):
        return all(_views_only_under(child, raw, k) for k, child in value.items())
    if isinstance(value, list):
        return all(_views_only_under(child, raw, i) for i, child in enumerate(value))
    return True


RAW = frozenset({"a", "ab"})


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES, ascii_only=st.booleans(), slashes=st.booleans())
def test_strings_left_in_the_body_read_back_as_json_loads_gives_them(
    tiny: None, value: Any, ascii_only: bool, slashes: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if slashes:
        text = text.replace("/", "\\/")
    body = text.encode("utf-8")
    try:
        expected: Any = ("value", json.loads(body))
    except ValueError as exc:
        expected = ("error", type(exc), str(exc))
    try:
        parsed = _bigjson.loads(body, raw=RAW)
        ours: Any = ("value", _as_text(parsed))
    except ValueError as exc:
        ours = ("error", type(exc), str(exc))
    assert ours == expected
    if ours[0] == "value":
        assert _views_only_under(parsed, RAW)


@pytest.mark.parametrize(("tail", "kept"), [("+/==", True), ("\\/+==", False), ("\u00e9", False)])
def test_a_reveal_sized_base64_stays_in_the_body_only_when_plain(tail: str, kept: bool) -> None:
    data = "QUJD" * (4 * 1024 * 1024) + tail
    body = ('{"success":true,"data":{"files":[{"data":"' + data + '"}]}}').encode()
    value = _bigjson.loads(body, raw=frozenset({"data"}))
    found = value["data"]["files"][0]["data"]
    assert isinstance(found, memoryview) is kept
    assert _as_text(value) == json.loads(body)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=VALUES,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32"]),
    junk=st.binary(max_size=6),
    opener=st.sampled_from([b"", b"{", b"[", b"{\x00", b"[\x00\x00"]),
)
def test_a_small_answer_parses_as_json_loads_parses_it(
    value: Any, encoding: str, junk: bytes, opener: bytes
) -> None:
    # Small answers skip json.loads' encoding sniff when they open on "{" or "[":
    # any body, well-formed or not, in any encoding json.loads reads, gives the same.
    for body in (json.dumps(value).encode(encoding), opener + junk, junk):
        assert _ours(body) == _outcome(body)
