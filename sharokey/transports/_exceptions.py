"""How a backend's exceptions become the SDK's: one table per backend, one applier.

The model is httpx's ``map_httpcore_exceptions`` over ``HTTPCORE_EXC_MAP``: a
backend declares an ordered table of *(its exception types, the fault they
mean)*, and :class:`ExceptionMap` applies it around the exchange. The first
row whose types match wins, so specific types go before their bases.

The chain is always cut the same way: the SDK error is raised *after* the
``with`` block, outside any handler, so it has neither ``__cause__`` nor
``__context__``. A library's exception text carries the full URL (request
tokens included): it must never ride along. Exceptions no row matches are
not ours to judge and pass through untouched, and so does the exception of a
caller's progress callback, whatever the library wrapped it in (``_progress``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Callable, NoReturn, Optional, Union
from urllib.parse import urlsplit

import attrs

from sharokey._messages import Request
from sharokey.config import Timeout
from sharokey.errors import NetworkError, SharokeyError
from sharokey.transports._progress import Transfer

__all__ = [
    "ExceptionMap",
    "ExceptionTable",
    "Fault",
    "Mapper",
    "host_of",
    "limit_text",
    "translate",
]

ExceptionTypes = Union[type[BaseException], tuple[type[BaseException], ...]]


def host_of(request: Request) -> str:
    """The host a message may name (never the path or query: they can hold a token)."""
    try:
        return urlsplit(request.url).netloc or "the server"
    except ValueError:
        return "the server"


def limit_text(seconds: Optional[float]) -> str:
    return f"limit {seconds:g} s" if seconds is not None else "no limit set"


@attrs.frozen
class Fault:
    """What one row of a table means: the error class, its message, whether the request left.

    ``message`` may name ``{host}``, ``{name}`` (the backend exception's type)
    and ``{limit}`` (the timeout ``limit(timeout)`` picks, as "limit N s").
    ``request_sent`` is the fact retries are decided on (``sharokey._retry``):
    ``False`` only when nothing can have reached the server.
    """

    error: type[SharokeyError]
    message: str
    request_sent: bool = True
    code: Optional[str] = None
    limit: Optional[Callable[[Timeout], Optional[float]]] = None

    def build(self, request: Request, timeout: Timeout, name: str) -> SharokeyError:
        text = self.message.format(
            host=host_of(request),
            name=name,
            limit=limit_text(self.limit(timeout)) if self.limit is not None else "",
        )
        if issubclass(self.error, NetworkError):
            return self.error(text, code=self.code, request_sent=self.request_sent)
        return self.error(text, code=self.code)


ExceptionTable = Sequence[tuple[ExceptionTypes, Fault]]


def _candidates(exc: BaseException) -> Iterable[BaseException]:
    return (exc,)


def translate(
    table: ExceptionTable,
    exc: BaseException,
    request: Request,
    timeout: Timeout,
    unwrap: Callable[[BaseException], Iterable[BaseException]] = _candidates,
) -> Optional[SharokeyError]:
    """The SDK error the first matching row of ``table`` makes of ``exc``; None if no row does.

    ``unwrap`` lists the exceptions to match for ``exc``, outer first (requests
    wraps urllib3's reason inside its own); ``{name}`` is the innermost one's type.
    """
    if isinstance(exc, SharokeyError) or not isinstance(exc, Exception):
        return None  # ours already, or CancelledError/KeyboardInterrupt: untouched
    candidates = list(unwrap(exc))
    for types, fault in table:
        if any(isinstance(candidate, types) for candidate in candidates):
            return fault.build(request, timeout, type(candidates[-1]).__name__)
    return None


#: A backend's whole mapping: ``translate`` over its own table.
Mapper = Callable[[BaseException, Request, Timeout], Optional[SharokeyError]]


def _interrupt(exc: Optional[BaseException]) -> bool:
    """A cancellation or Ctrl-C under way: it goes first, whatever else happened."""
    return exc is not None and not isinstance(exc, Exception)


class ExceptionMap:
    """Context manager applying a backend's ``mapper`` to what the block raises.

    A mapped exception is swallowed at the end of the block; the transport
    calls :meth:`raise_mapped` right after it, outside any handler. When the
    ``transfer``'s progress callback raised, that exception leaves the block
    instead, as the callback raised it, even if the library went on to an answer.
    """

    def __init__(
        self,
        mapper: Mapper,
        request: Request,
        timeout: Timeout,
        transfer: Optional[Transfer] = None,
    ) -> None:
        self._mapper = mapper
        self._request = request
        self._timeout = timeout
        self._transfer = transfer
        self.error: Optional[SharokeyError] = None

    def __enter__(self) -> ExceptionMap:
        return self

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool:
        transfer = self._transfer
        if transfer is not None and transfer.failure is not None and not _interrupt(exc):
            failure, transfer.failure = transfer.failure, None
            context = failure.__context__
            try:
                raise failure
            finally:
                failure.__context__ = context  # not the library's wrapper being handled here
        if exc is None:
            return False
        self.error = self._mapper(exc, self._request, self._timeout)
        return self.error is not None

    def raise_mapped(self) -> NoReturn:
        """Raise the mapped error; call it right after the ``with`` block it guarded."""
        error = self.error
        if error is None:  # pragma: no cover - the block returned or raised instead
            raise RuntimeError("raise_mapped() without a mapped exception")
        self.error = None
        try:
            raise error
        finally:
            # Before 3.11 a coroutine can still see the library's exception as being handled
            # here, and the raise would chain it as __context__: cut it on the way out.
            error.__context__ = None
