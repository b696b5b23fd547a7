"""Base64 in pieces is exactly as strict as one ``base64.b64decode(..., validate=True)``.

The pieces are shrunk to a few characters so that every cut meets padding, bad
characters and short tails; text may also come as a memoryview of ASCII bytes
(a long string left in a reveal's body).
"""

from __future__ import annotations

import base64
import binascii
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharokey import _b64


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_b64, "_DECODE_CHUNK", 8)
    monkeypatch.setattr(_b64, "_ENCODE_CHUNK", 6)


def _one_call(text: str) -> Optional[bytes]:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


TEXT = st.text(alphabet=st.sampled_from(list("QUJDab+/=\n -_\u00e9")), max_size=60) | st.binary(
    max_size=45
).map(lambda raw: base64.b64encode(raw).decode("ascii"))


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
def test_decoding_in_pieces_accepts_and_refuses_what_one_call_does(tiny: None, text: str) -> None:
    expected = _one_call(text)
    assert _b64.decode_strict(text) == expected
    if text.isascii():
        assert _b64.decode_strict(memoryview(text.encode("ascii"))) == expected
    buffer = _b64.decode_buffer(text)
    assert (None if buffer is None else buffer.getvalue()) == expected


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=80))
def test_pieces_join_into_the_one_call_encoding(tiny: None, data: bytes) -> None:
    pieces = _b64.Pieces(_b64.encode_pieces(data))
    assert str(pieces) == base64.b64encode(data).decode("ascii")
    assert len(pieces) == len(str(pieces))
    assert repr(pieces) == f"Pieces(<{len(pieces)} characters of base64>)"  # never the text
