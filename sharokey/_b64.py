"""Standard base64 in bounded pieces: megabytes of it never hold the GIL in one call.

``base64.b64encode`` over a 10 MiB buffer holds the GIL for tens of
milliseconds, which stalls an event loop even when the work runs in a
thread. Encoding in pieces of a multiple of 3 bytes gives pieces that join
without inner padding; decoding in pieces of a multiple of 4 characters,
with padding allowed only at the very end, is exactly as strict as one call.
"""

from __future__ import annotations

import base64
import io
from typing import Optional, Union

from sharokey._gil import breathe

__all__ = ["Pieces", "decode_buffer", "decode_strict", "encode", "encode_pieces"]

_ENCODE_CHUNK = 192 * 1024  # bytes, a multiple of 3: pieces join without padding
_DECODE_CHUNK = 256 * 1024  # characters, a multiple of 4


def encode_pieces(data: Union[bytes, bytearray, memoryview]) -> list[str]:
    """Standard base64 of ``data`` as pieces that join into one string."""
    pieces = []
    with memoryview(data) as view:
        for start in range(0, view.nbytes, _ENCODE_CHUNK):
            pieces.append(base64.b64encode(view[start : start + _ENCODE_CHUNK]).decode("ascii"))
            if start + _ENCODE_CHUNK < view.nbytes:  # between pieces only: small data never waits
                breathe()
    return pieces


class Pieces:
    """Long base64 text kept as the pieces it was encoded in, never joined into one ``str``.

    Joining 14 MB of text is one copy that holds the GIL for milliseconds; the
    create body copies each piece into place instead (``_body``). ``len`` is
    the text's length; ``str()`` joins (for anyone who needs the text whole).
    """

    __slots__ = ("length", "parts")

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        self.length = sum(map(len, parts))

    def __len__(self) -> int:
        return self.length

    def __str__(self) -> str:
        return "".join(self.parts)

    def __repr__(self) -> str:
        return f"Pieces(<{self.length} characters of base64>)"


def encode(data: bytes) -> str:
    """Standard base64 of a small ``data`` (nonces, salts)."""
    return base64.b64encode(data).decode("ascii")


def decode_strict(text: Union[str, memoryview]) -> Optional[bytes]:
    """Strict base64 decode in pieces; ``None`` when the text is not valid base64.

    ``text`` is a ``str``, or a memoryview of ASCII bytes (a long string left in
    the answer's body by ``_bigjson``).
    """
    if len(text) <= _DECODE_CHUNK:
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:  # binascii.Error, and non-ASCII text
            return None
    out = decode_buffer(text)
    return None if out is None else out.getvalue()  # hands the buffer over: no copy


def decode_buffer(text: Union[str, memoryview]) -> Optional[io.BytesIO]:
    """As :func:`decode_strict`, the bytes left in a ``BytesIO`` (to decrypt in place).

    Each piece is written as it is decoded, so the text, the decoded pieces and
    a joined copy are never all alive: memory is the text plus the bytes.
    """
    out = io.BytesIO()
    if len(text) > _DECODE_CHUNK:
        # One buffer of the decoded size at once: grown piece by piece among the
        # pieces' own allocations, it moved (copied) and left holes behind it.
        out.seek(len(text) // 4 * 3 - 1)
        out.write(b"\0")
        out.seek(0)
    pad: Union[str, bytes] = "=" if isinstance(text, str) else b"="
    try:
        for start in range(0, len(text), _DECODE_CHUNK):
            cut = text[start : start + _DECODE_CHUNK]
            piece = cut.tobytes() if isinstance(cut, memoryview) else cut
            # Padding is legal only at the very end of the whole text.
            if start + _DECODE_CHUNK < len(text) and pad in piece:  # type: ignore[operator]
                return None
            out.write(base64.b64decode(piece, validate=True))
            if start + _DECODE_CHUNK < len(text):
                breathe()
    except ValueError:  # binascii.Error, and non-ASCII text
        return None
    out.truncate()  # the padding's bytes, reserved above and never written
    return out
