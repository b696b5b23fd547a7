"""The response budget's reader: what it decodes, what it refuses, and when."""

from __future__ import annotations

import gzip
import zlib

import pytest

from sharokey.errors import RESPONSE_TOO_LARGE, InvalidResponseError
from sharokey.transports._budget import SLICE, BodyReader

BODY = b'{"success": true, "data": {"blob": "' + b"x" * 300_000 + b'"}}'


def read(data: bytes, limit: int = 10**7, piece: int = 1000, **headers: str) -> bytes:
    names = {k.replace("_", "-"): v for k, v in headers.items()}
    reader = BodyReader(names, 200, limit)
    for start in range(0, len(data), piece):
        reader.feed(data[start : start + piece])
    return reader.body()


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("", BODY),
        ("identity", BODY),
        ("gzip", gzip.compress(BODY)),
        ("x-gzip", gzip.compress(BODY)),
        ("deflate", zlib.compress(BODY)),  # the zlib format, as the RFC says
        ("deflate", zlib.compress(BODY)[2:-4]),  # raw deflate, as some servers send
        ("gzip", gzip.compress(BODY[:1000]) + gzip.compress(BODY[1000:])),  # two members
        ("deflate, gzip", gzip.compress(zlib.compress(BODY))),  # two layers
    ],
)
def test_every_encoding_asked_for_decodes_to_the_same_bytes(encoding: str, packed: bytes) -> None:
    assert read(packed, content_encoding=encoding) == BODY


def test_decoded_bytes_count_not_the_compressed_ones() -> None:
    packed = gzip.compress(b" " * (50 * SLICE))
    assert len(packed) < 100_000
    with pytest.raises(InvalidResponseError) as info:
        read(packed, limit=10 * SLICE, content_encoding="gzip")
    assert info.value.code == RESPONSE_TOO_LARGE
    assert read(packed, limit=50 * SLICE, content_encoding="gzip") == b" " * (50 * SLICE)


def test_a_content_length_over_the_cap_is_refused_before_reading() -> None:
    with pytest.raises(InvalidResponseError) as info:
        BodyReader({"content-length": "1001"}, 200, 1000)
    assert info.value.code == RESPONSE_TOO_LARGE


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress\x1b[2J"])
def test_an_encoding_not_asked_for_is_an_invalid_response(encoding: str) -> None:
    with pytest.raises(InvalidResponseError, match="not asked for") as info:
        BodyReader({"content-encoding": encoding}, 200, 1000)
    assert "\x1b" not in info.value.message


def test_a_damaged_gzip_body_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponseError, match="damaged"):
        read(b"\x1f\x8b\x08\x00" + b"garbage" * 10, content_encoding="gzip")
