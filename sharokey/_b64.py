"""Standard base64 in bounded pieces: megabytes of it never hold the GIL in one call.

``base64.b64encode`` over a 10 MiB buffer holds the GIL for tens of
milliseconds, which stalls an event loop even when the work runs in a
thread. Encoding in pieces of a multiple of 3 bytes gives pieces that join
without inner padding; decoding in pieces of a multiple of 4 characters,
with padding allowed only at the very end, is exactly as strict as one call.
"""

from __future__ import annotations

import base64
from typing import Optional, Union

from sharokey._gil import breathe

__all__ = ["decode_strict", "encode", "encode_pieces"]

_ENCODE_CHUNK = 192 * 1024  # bytes, a multiple of 3: pieces join without padding
_DECODE_CHUNK = 256 * 1024  # characters, a multiple of 4


def encode_pieces(data: Union[bytes, bytearray, memoryview]) -> list[str]:
    """Standard base64 of ``data`` as pieces that join into one string."""
    pieces = []
    with memoryview(data) as view:
        for start in range(0, view.nbytes, _ENCODE_CHUNK):
            pieces.append(base64.b64encode(view[start : start + _ENCODE_CHUNK]).decode("ascii"))
            breathe()
    return pieces


def encode(data: bytes) -> str:
    """Standard base64 of a small ``data`` (nonces, salts)."""
    return base64.b64encode(data).decode("ascii")


def decode_strict(text: str) -> Optional[bytes]:
    """Strict base64 decode in pieces; ``None`` when the text is not valid base64."""
    try:
        if len(text) <= _DECODE_CHUNK:
            return base64.b64decode(text, validate=True)
        parts = []
        for start in range(0, len(text), _DECODE_CHUNK):
            piece = text[start : start + _DECODE_CHUNK]
            # Padding is legal only at the very end of the whole text.
            if start + _DECODE_CHUNK < len(text) and "=" in piece:
                return None
            parts.append(base64.b64decode(piece, validate=True))
            breathe()
        return b"".join(parts)
    except ValueError:  # binascii.Error, and non-ASCII text
        return None
