"""What the shells, the core and the transports hand each other, and nothing else.

A :class:`Request` goes down to a transport, a :class:`Response` comes back
up. The core talks to the shells in *effects*: :class:`Send` (send this,
with retries, and parse the answer) and :class:`Offload` (call this, off the
event loop when there is one). Transports import only this module and
:mod:`sharokey.errors`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import Any, Callable, Optional, TypeVar, Union

import attrs

from sharokey.errors import NotFoundError

__all__ = [
    "Effect",
    "Headers",
    "Offload",
    "Operation",
    "Progress",
    "Request",
    "Response",
    "Send",
]

T = TypeVar("T")

#: ``progress(done, total)``: bytes of one body moved so far, and how many there are in all
#: (``None`` when the other side did not say: an answer without ``Content-Length``).
Progress = Callable[[int, Optional[int]], None]


class Headers(Mapping[str, str]):
    """Response headers with case-insensitive lookup; repeated headers are joined.

    The pairs are copied at once and merged on the first lookup: a successful
    answer is usually never asked for a header, so most are never merged.
    """

    __slots__ = ("_items", "_pairs")

    def __init__(self, items: Union[Mapping[str, str], Iterable[tuple[str, str]]] = ()) -> None:
        self._pairs = tuple(items.items() if isinstance(items, Mapping) else items)
        self._items: Optional[dict[str, str]] = None

    def _merged(self) -> dict[str, str]:
        merged = self._items
        if merged is None:
            merged = {}
            for name, value in self._pairs:
                key = name.lower()
                merged[key] = f"{merged[key]}, {value}" if key in merged else value
            self._items = merged
        return merged

    def __getitem__(self, name: str) -> str:
        return self._merged()[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._merged()

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return f"Headers({sorted(self._merged())!r})"


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request, fully built: absolute URL, headers, body.

    ``ambiguous_safe``: may be repeated when its outcome is unknown (a 500, a
    read timeout); ``sharokey._retry.repeatable`` decides it. ``label`` is what
    logs show: the path with request tokens masked and the ``search`` value
    hidden. The URL, headers and body never appear in ``repr``.

    ``upload_progress`` / ``download_progress``: the caller's
    :data:`Progress` callback for this request's body (a create) or for its
    answer's body (a reveal), when one was given. A transport may call it as
    bytes go out or come in (the built-in ones do, see
    ``sharokey.transports._progress``) or ignore it.
    """

    method: str
    url: str = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(repr=False, factory=dict)
    body: Optional[bytes] = attrs.field(default=None, repr=False)
    ambiguous_safe: bool = False
    label: str = ""
    upload_progress: Optional[Progress] = attrs.field(default=None, repr=False, eq=False)
    download_progress: Optional[Progress] = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Response:
    """What a transport received: status, headers (case-insensitive), the whole body."""

    status: int
    headers: Headers = attrs.field(factory=Headers, converter=Headers)
    body: bytes = attrs.field(default=b"", repr=False)


@attrs.frozen
class Send:
    """Effect: send ``request`` (retrying as policy allows), return ``parse(response)``.

    The shell runs ``parse`` inside the retry loop, so a body cut short can be
    retried like a reset. ``offload`` asks the async shell to run ``parse`` in
    a worker thread (a revealed secret's body can weigh 14 MB).
    """

    request: Request
    parse: Callable[[Response], Any] = attrs.field(repr=False)
    offload: bool = False
    #: For a DELETE: a NOT_FOUND on a repeat means an earlier attempt whose answer was
    #: lost already removed it. The caller asked for it gone, and it is.
    gone_is_done: bool = False

    def outcome(self, response: Response, attempt: int) -> Any:
        """``parse(response)``, except that a repeated delete meeting its own 404 succeeds."""
        try:
            return self.parse(response)
        except NotFoundError:
            if self.gone_is_done and attempt > 1:
                return None
            raise


class Offload:
    """Effect: call ``fn(*args)`` (inline when sync, in a worker thread when async)."""

    __slots__ = ("args", "fn")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn = fn
        self.args = args

    def __repr__(self) -> str:
        return f"Offload({getattr(self.fn, '__name__', self.fn)!r})"


Effect = Union[Send, Offload]
#: One operation of the core: yields effects, returns its result.
Operation = Generator[Effect, Any, T]
