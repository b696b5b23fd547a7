"""Counting a body's bytes as the HTTP library moves them, for the caller's ``progress``.

A request carries at most a callback per direction (``Request.upload_progress``
for a create's body, ``Request.download_progress`` for a reveal's answer). A
transport makes one :class:`Transfer` per attempt and wires it in:

- requests: :meth:`Transfer.upload_file` is a read-only file of known length,
  so requests still sends ``Content-Length`` (never chunked) and http.client
  or urllib3 read it a block at a time;
- aiohttp: :meth:`Transfer.upload_slices` yields slices of the body; the
  transport sets ``Content-Length`` itself;
- both: :meth:`Transfer.receiving` is the hook ``_budget.BodyReader`` calls
  with each raw chunk it reads, counted against the answer's
  ``Content-Length`` (``None`` when there is none).

A block counts as sent when the library asks for the next one (it has written
the previous one to the connection by then) or for the end, so the count is
what was handed to the socket, not what was merely read from memory. Each
attempt starts again at ``(0, total)``: a retry restarts the count. The file
and the slices are views of the request's body: no copy of it is made.

The callback's own exception: a library may wrap what a body file or iterator
raises (urllib3 makes an ``OSError`` a ``ProtocolError``, aiohttp anything a
``ClientPayloadError``) and the backend's table would then make it a
retryable ``NetworkError``. So the first ``Exception`` the callback raises is
kept in :attr:`Transfer.failure`, no further call is made, and
``ExceptionMap`` raises it as is once the library has abandoned the exchange
(and closed its connection). ``KeyboardInterrupt`` and the like go their own
way, as anywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Callable, Optional, Union

from sharokey._messages import Progress, Request
from sharokey.transports._budget import content_length

__all__ = ["Transfer"]


class _Count:
    """One direction of one attempt: ``(done, total)`` reported when ``done`` grew, 0 once."""

    __slots__ = ("_callback", "_reported", "_total", "_transfer")

    def __init__(self, transfer: Transfer, callback: Progress, total: Optional[int]) -> None:
        self._transfer = transfer
        self._callback = callback
        self._total = total
        self._reported: Optional[int] = None

    def report(self, done: int) -> None:
        if self._reported is not None and done <= self._reported:
            return
        failure = self._transfer.failure
        if failure is not None:  # the library carried on after a failed call: stop it again
            raise failure
        self._reported = done
        try:
            self._callback(done, self._total)
        except Exception as exc:
            self._transfer.failure = exc
            raise


class _UploadFile:
    """A create body as requests sends a file: ``len()`` for ``Content-Length``, then ``read``."""

    __slots__ = ("_count", "_position", "_view")

    def __init__(self, body: bytes, count: _Count) -> None:
        self._view = memoryview(body)
        self._position = 0
        self._count = count

    def __len__(self) -> int:
        return len(self._view)

    def read(self, size: Optional[int] = -1) -> bytes:
        # Called for the next block: everything returned before has been written.
        self._count.report(self._position)
        start = self._position
        end = len(self._view) if size is None or size < 0 else start + size
        block = bytes(self._view[start:end])  # one block at a time, never the whole body
        self._position += len(block)
        return block


async def _slices(
    body: bytes, size: int, count: Optional[_Count]
) -> AsyncIterator[Union[memoryview, bytes]]:
    view = memoryview(body)
    for start in range(0, len(view), size):
        if count is not None:
            count.report(start)  # aiohttp asks for a slice once the previous one is written
        yield view[start : start + size]
    if count is not None:
        count.report(len(view))


class Transfer:
    """One attempt's progress, both ways, and the callback's exception if it raised one."""

    __slots__ = ("_download", "_upload", "failure")

    def __init__(self, request: Request) -> None:
        self._upload = request.upload_progress
        self._download = request.download_progress
        self.failure: Optional[Exception] = None

    def upload_file(self, body: Optional[bytes]) -> Union[bytes, _UploadFile, None]:
        """What requests is given as ``data``: the body itself, or a counted file of it."""
        if not body or self._upload is None:
            return body
        return _UploadFile(body, _Count(self, self._upload, len(body)))

    def upload_slices(self, body: bytes, size: int) -> AsyncIterator[Union[memoryview, bytes]]:
        """The body in slices of ``size`` bytes for aiohttp, counted when a callback wants it."""
        count = None if self._upload is None else _Count(self, self._upload, len(body))
        return _slices(body, size, count)

    def receiving(self, headers: Mapping[str, str]) -> Optional[Callable[[int], None]]:
        """``received(n)``, called with each raw chunk's length (``0`` first), or None."""
        if self._download is None:
            return None
        count = _Count(self, self._download, content_length(headers))
        done = 0

        def received(size: int) -> None:
            nonlocal done
            done += size
            count.report(done)

        return received
