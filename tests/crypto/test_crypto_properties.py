"""Properties of seal/open: identity for any input, refusal of any single mutation."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharokey.crypto import ALPHABET, open_payload, seal
from sharokey.errors import DecryptionError

# Each example derives a key twice (PBKDF2, ~2 ms): bounded so the file runs in seconds.
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MODES = st.sampled_from(["shared", "unique"])
NAMES = st.text(min_size=1, max_size=20).filter(lambda name: name.strip() != "")
FILES = st.lists(st.tuples(NAMES, st.binary(max_size=300)), max_size=3)


@BOUNDED
@given(content=st.text(max_size=300), files=FILES, mode=MODES)
def test_open_undoes_seal_for_any_text_and_files(
    content: str, files: list[tuple[str, bytes]], mode: Any
) -> None:
    sealed = seal(content, files, nonces=mode)
    opened = open_payload(sealed.payload, sealed.key_b)
    assert opened.content == content
    assert [(a.name, a.data) for a in opened.attachments] == files


def _decoded_fields(payload: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(path to the holder, field) of every base64 field, in the payload or its files."""
    fields: list[tuple[tuple[Any, ...], str]] = [((), "content"), ((), "iv"), ((), "salt")]
    for index, item in enumerate(payload.get("attachments", [])):
        fields.append((("attachments", index), "data"))
        if "iv" in item:
            fields.append((("attachments", index), "iv"))
    return fields


def _required_fields(payload: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """Fields whose loss must be noticed (``size`` is informative, not authenticated)."""
    fields: list[tuple[tuple[Any, ...], str]] = [((), f) for f in ("content", "iv", "salt", "key")]
    for index, item in enumerate(payload.get("attachments", [])):
        fields += [(("attachments", index), f) for f in ("name", "data")]
        if "iv" in item:
            fields.append((("attachments", index), "iv"))
    return fields


def _holder(payload: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    node: Any = payload
    for step in path:
        node = node[step]
    return node  # type: ignore[no-any-return]


@BOUNDED
@given(
    content=st.text(max_size=100),
    files=FILES,
    mode=MODES,
    kind=st.sampled_from(["flip", "delete", "key_a", "key_b"]),
    data=st.data(),
)
def test_any_single_mutation_is_refused_with_decryption_error(
    content: str,
    files: list[tuple[str, bytes]],
    mode: Any,
    kind: str,
    data: st.DataObject,
) -> None:
    sealed = seal(content, files, nonces=mode)
    payload = copy.deepcopy(sealed.payload)
    key_b = sealed.key_b
    if kind == "flip":
        path, field = data.draw(st.sampled_from(_decoded_fields(payload)), label="field")
        holder = _holder(payload, path)
        raw = bytearray(base64.b64decode(holder[field]))
        index = data.draw(st.integers(0, len(raw) - 1), label="byte")
        raw[index] ^= data.draw(st.integers(1, 255), label="mask")
        holder[field] = base64.b64encode(bytes(raw)).decode("ascii")
    elif kind == "delete":
        path, field = data.draw(st.sampled_from(_required_fields(payload)), label="field")
        del _holder(payload, path)[field]
    else:
        text = payload["key"] if kind == "key_a" else key_b
        index = data.draw(st.integers(0, len(text) - 1), label="position")
        other = data.draw(st.sampled_from([c for c in ALPHABET if c != text[index]]), label="char")
        text = text[:index] + other + text[index + 1 :]
        if kind == "key_a":
            payload["key"] = text
        else:
            key_b = text
    with pytest.raises(DecryptionError) as caught:
        open_payload(payload, key_b)
    assert sealed.key_b not in str(caught.value)
