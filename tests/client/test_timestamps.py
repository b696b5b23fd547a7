"""``parse_timestamp``'s fast path for the service's shape changes nothing it accepts or refuses.

The reference below is the general parser as it was before the fast path
(the one pattern for every shape); generated strings, near misses of the
service's shape (other separators, Unicode digits, impossible dates, spaces)
included, must give the same datetime or the same error type and message.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sharokey._convert import format_timestamp, parse_timestamp

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)


def reference(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 timestamp string")
    match = _TS_RE.match(value.strip())
    if match is None:
        raise ValueError("expected an ISO 8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or "0"), micro, tz
    )
    return parsed.astimezone(timezone.utc)


def outcome(parse: Any, value: Any) -> Any:
    try:
        parsed = parse(value)
    except (TypeError, ValueError, OverflowError) as exc:
        return ("error", type(exc), str(exc))
    return ("value", parsed, parsed.tzinfo)


SERVICE = "2025-08-11T18:52:37.123456Z"
CHARS = st.sampled_from(list("0123456789-T:.Z z+,\u0660\uff11\u00b2x"))


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """The service's shape with a few characters replaced, dropped or added."""
    text = list(
        draw(
            st.sampled_from([SERVICE, "9999-12-31T23:59:59.999999Z", "0001-13-32T24:60:61.000000Z"])
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace" and at < len(text):
            text[at] = draw(CHARS)
        elif action == "drop" and at < len(text):
            del text[at]
        else:
            text.insert(at, draw(CHARS))
    return "".join(text)


@settings(max_examples=2000, deadline=None)
@given(
    value=near_misses() | st.text(CHARS, max_size=32) | st.datetimes().map(lambda d: d.isoformat())
)
def test_the_fast_path_accepts_and_refuses_exactly_what_the_pattern_does(value: str) -> None:
    assert outcome(parse_timestamp, value) == outcome(reference, value)


@settings(max_examples=300, deadline=None)
# strftime writes years before 1000 with fewer than four digits: not the service's shape.
@given(moment=st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(timezone.utc)))
def test_the_services_own_shape_reads_back_what_was_written(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert outcome(parse_timestamp, text) == outcome(reference, text)
    assert parse_timestamp(text) == moment


def test_non_text_is_refused_alike() -> None:
    for value in (None, 12, b"2025-08-11T18:52:37.000000Z"):
        assert outcome(parse_timestamp, value) == outcome(reference, value)
