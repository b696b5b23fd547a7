"""The response budget: an answer is read, and decompressed, only up to a cap.

Both transports read the raw bytes themselves (no library decompression:
urllib3 1.26 and aiohttp hand back whatever one compressed chunk inflates
to, which for a 1 MB gzip bomb is a gigabyte) and feed them to a
:class:`BodyReader`. It inflates each piece with ``zlib`` in slices of at
most :data:`SLICE` bytes and counts the *decoded* bytes as they come, so a
decompression bomb, a lying ``Content-Length`` and an endless chunked body
all stop a slice past the cap, with memory near the cap, never beyond it.

The largest legitimate answer (a reveal of 10 MiB of attachments) is about
14 MB; the default cap (``config.DEFAULT_MAX_RESPONSE_BYTES``, 32 MiB) leaves room.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator, Mapping
from typing import Callable, Optional

from sharokey.config import DEFAULT_MAX_RESPONSE_BYTES
from sharokey.errors import RESPONSE_TOO_LARGE, InvalidResponseError

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "SLICE",
    "BodyReader",
    "content_length",
    "too_large",
]

#: The most one inflate step may produce (bounds memory per step, and time between checks).
SLICE = 256 * 1024
#: What the transports ask for: the encodings :class:`BodyReader` can decode.
ACCEPT_ENCODING = "gzip, deflate"

_Inflate = Callable[[bytes], Iterator[bytes]]


def content_length(headers: Mapping[str, str]) -> Optional[int]:
    """The answer's ``Content-Length`` when it is a plain ASCII number, else None.

    Not ``str.isdigit`` alone: it takes ``"²"`` and ``"٣"``, and ``int`` then fails
    on the first (a hostile server's header, seen through requests, which keeps it).
    """
    value = headers.get("content-length")
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def too_large(limit: int, status: Optional[int] = None) -> InvalidResponseError:
    """The error for an answer past ``limit`` decoded bytes (never retried: see _retry)."""
    return InvalidResponseError(
        f"The answer is larger than the limit of {limit:,} bytes (max_response_bytes); "
        "reading stopped there. Check that the API URL points at a Sharokey API.",
        code=RESPONSE_TOO_LARGE,
        status=status,
    )


def _unsupported(encoding: str, status: int) -> InvalidResponseError:
    shown = "".join(c if c.isalnum() or c in "-_" else "?" for c in encoding[:20])
    return InvalidResponseError(
        f"The answer is encoded as {shown!r}, which was not asked for "
        f"(the SDK accepts {ACCEPT_ENCODING}).",
        status=status,
    )


def _broken(status: int) -> InvalidResponseError:
    return InvalidResponseError(
        "The answer's compressed body is damaged and cannot be decoded.", status=status
    )


class _Zlib:
    """One gzip or deflate layer, inflated a slice at a time (several gzip members too)."""

    def __init__(self, gzip: bool, status: int) -> None:
        # 47 = 32 + 15: a zlib or gzip header, detected; raw deflate is tried if neither.
        self._wbits = 47 if gzip else 15
        self._status = status
        self._object = zlib.decompressobj(self._wbits)
        self._seen_output = False

    def __call__(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                piece = self._object.decompress(data, SLICE)
            except zlib.error:
                if self._seen_output or self._wbits != 15:
                    raise _broken(self._status) from None
                # Some servers send "deflate" without the zlib header: raw deflate.
                self._wbits = -15
                self._object = zlib.decompressobj(self._wbits)
                continue
            if piece:
                self._seen_output = True
                yield piece
            data = self._object.unconsumed_tail
            if self._object.eof:
                data = self._object.unused_data
                if data:  # another gzip member follows
                    self._object = zlib.decompressobj(self._wbits)


def _layers_for(header: str, status: int) -> list[_Inflate]:
    """The inflaters for a ``Content-Encoding``: applied in the order listed, undone in reverse."""
    encodings = [e.strip().lower() for e in header.split(",")]
    layers: list[_Inflate] = []
    for encoding in reversed([e for e in encodings if e and e != "identity"]):
        if encoding in ("gzip", "x-gzip"):
            layers.append(_Zlib(gzip=True, status=status))
        elif encoding == "deflate":
            layers.append(_Zlib(gzip=False, status=status))
        else:
            raise _unsupported(encoding, status)
    return layers


class BodyReader:
    """Decodes and collects one answer's body, refusing it past ``limit`` decoded bytes.

    ``feed`` takes raw bytes as they arrive; ``body`` returns the decoded
    whole. ``headers`` decide the decoding (``Content-Encoding``) and, when a
    ``Content-Length`` already says the answer is over the cap, refuse it
    before a byte is read. ``received`` (``_progress.Transfer.receiving``)
    is told the length of each raw chunk once it is taken in, ``0`` first.
    """

    def __init__(
        self,
        headers: Mapping[str, str],
        status: int,
        limit: int,
        received: Optional[Callable[[int], None]] = None,
    ) -> None:
        self._limit = limit
        self._status = status
        self._count = 0
        # The first piece is kept as is; a BytesIO takes over from the second (most
        # answers come in one piece, and a 14 MB one is then not copied to be returned).
        self._first = b""
        self._buffer: Optional[io.BytesIO] = None
        self._layers: list[_Inflate] = []
        encoding = headers.get("content-encoding")
        if encoding:
            self._layers = _layers_for(encoding, status)
        #: The answer's declared ``Content-Length`` (None when absent or not a number).
        self.length = content_length(headers)
        if self.length is not None and self.length > limit:
            raise too_large(limit, status)
        self._received = received
        if received is not None:
            received(0)

    def _decoded(self, data: bytes, depth: int = 0) -> Iterator[bytes]:
        if depth == len(self._layers):
            yield data
            return
        for piece in self._layers[depth](data):
            yield from self._decoded(piece, depth + 1)

    def feed(self, data: bytes) -> None:
        """Decode ``data`` and keep it; ``InvalidResponseError`` once past the cap."""
        for piece in self._decoded(data) if self._layers else (data,):
            self._count += len(piece)
            if self._count > self._limit:
                self._first, self._buffer = b"", None  # let go of what was read at once
                raise too_large(self._limit, self._status)
            if self._buffer is not None:
                self._buffer.write(piece)
            elif not self._first:
                self._first = bytes(piece)
            else:
                self._buffer = io.BytesIO(self._first)
                self._buffer.seek(0, io.SEEK_END)
                self._first = b""
                self._buffer.write(piece)
        if self._received is not None:
            self._received(len(data))

    def body(self) -> bytes:
        """The decoded body (``getvalue`` does not copy it)."""
        return self._first if self._buffer is None else self._buffer.getvalue()
