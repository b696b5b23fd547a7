"""The ``requests`` backend of the sync client.

The session is the caller's when given (used as is, never closed), else our
own with one pool of ``max_connections`` connections that blocks rather than
opening more, and no urllib3 retries (the client decides retries). Every
``requests``/``urllib3`` failure becomes a :class:`NetworkError` with a
message of our own: theirs carry the full URL, which may hold a request
token. For the same reason urllib3's DEBUG request lines get a filter that
cuts request tokens to their first 4 characters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any, Optional

import requests
import requests.adapters
import urllib3.exceptions

from sharokey._mask import mask_request_tokens
from sharokey._messages import Request, Response
from sharokey.config import Timeout
from sharokey.errors import (
    TLS_ERROR,
    ConfigurationError,
    NetworkError,
    RequestTimeoutError,
    SharokeyError,
)
from sharokey.transports._exceptions import (
    ExceptionMap,
    ExceptionTable,
    Fault,
    host_of,
    limit_text,
    translate,
)

__all__ = ["RequestsTransport"]

_CHUNK = 256 * 1024
# urllib3 2 tells a DNS failure apart; urllib3 1.26 (the newest on Python 3.9) does not.
_NAME_RESOLUTION_ERROR: Any = getattr(urllib3.exceptions, "NameResolutionError", ())


def _mask_paths(value: object) -> object:
    # A secret request's token is a credential; urllib3 logs paths like /requests/<token>.
    return mask_request_tokens(value) if isinstance(value, str) else value


class _MaskRequestTokens(logging.Filter):
    """Rewrites urllib3's log records so request tokens show 4 characters at most."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_paths(arg) for arg in record.args)
        return True


_URLLIB3_LOG_FILTER = _MaskRequestTokens()


def _guard_urllib3_logs() -> None:
    # Stateless filter, added once: whoever turns on DEBUG logging sees no token.
    logger = logging.getLogger("urllib3.connectionpool")
    if _URLLIB3_LOG_FILTER not in logger.filters:
        logger.addFilter(_URLLIB3_LOG_FILTER)


class RequestsTransport:
    """Sync transport over a ``requests.Session``; thread-safe for concurrent sends."""

    def __init__(
        self, session: Optional[requests.Session] = None, max_connections: int = 10
    ) -> None:
        _guard_urllib3_logs()
        if session is not None:
            self._session = session
            self._owns_session = False
        else:
            self._session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=1,
                pool_maxsize=max_connections,
                pool_block=True,
                max_retries=0,
            )
            self._session.mount("http://", adapter)
            self._session.mount("https://", adapter)
            self._owns_session = True

    @property
    def session(self) -> requests.Session:
        return self._session

    def send(self, request: Request, timeout: Timeout) -> Response:
        started = time.monotonic()
        mapping = ExceptionMap(_map, request, timeout)
        with mapping:
            with self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body,
                timeout=(timeout.connect, _read_timeout(timeout)),
                allow_redirects=False,
                stream=True,
            ) as answer:
                body = _read(answer, None if timeout.total is None else started + timeout.total)
                status, headers = answer.status_code, list(answer.headers.items())
            if body is None:
                raise RequestTimeoutError(
                    f"{host_of(request)} did not finish answering in time "
                    f"({limit_text(timeout.total)}; the request may have been received).",
                    request_sent=True,
                )
            return Response(status=status, headers=headers, body=body)
        mapping.raise_mapped()

    def close(self) -> None:
        """Close the session if this transport created it; a caller's session stays open."""
        if self._owns_session:
            self._session.close()

    def __repr__(self) -> str:
        return f"RequestsTransport(owns_session={self._owns_session})"


def _read_timeout(timeout: Timeout) -> Optional[float]:
    # requests has no overall deadline: no single wait may outlast the total either.
    if timeout.total is None:
        return timeout.read
    if timeout.read is None:
        return timeout.total
    return min(timeout.read, timeout.total)


def _read(answer: requests.Response, deadline: Optional[float]) -> Optional[bytes]:
    """The whole body, or None when the total deadline passed while it arrived."""
    if deadline is None:
        return answer.content
    raw = answer.raw
    # read1 returns what has arrived instead of waiting for a full chunk, so a body
    # that trickles in is still cut off at the deadline (urllib3 1.26 lacks it).
    pieces: Iterator[bytes] = (
        iter(lambda: raw.read1(_CHUNK, decode_content=True), b"")
        if hasattr(raw, "read1")
        else answer.iter_content(_CHUNK)
    )
    parts = []
    for chunk in pieces:
        parts.append(chunk)
        if time.monotonic() > deadline:
            return None
    if time.monotonic() > deadline:
        return None
    return b"".join(parts)


def _with_reason(exc: BaseException) -> tuple[BaseException, ...]:
    """The exception and, inside requests' wrapper, urllib3's reason for it."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if isinstance(inner, urllib3.exceptions.MaxRetryError):
        inner = inner.reason
    return (exc,) if inner is None else (exc, inner)


def _connect(timeout: Timeout) -> Optional[float]:
    return timeout.connect


#: requests' and urllib3's exceptions, most specific first (see ``ExceptionMap``).
_EXCEPTIONS: ExceptionTable = (
    (
        requests.exceptions.ConnectTimeout,
        Fault(
            RequestTimeoutError,
            "Connecting to {host} took too long ({limit}).",
            request_sent=False,
            limit=_connect,
        ),
    ),
    (
        (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError),
        Fault(
            RequestTimeoutError,
            "{host} did not answer in time ({limit}; the request may have been received).",
            limit=_read_timeout,
        ),
    ),
    (
        requests.exceptions.SSLError,
        Fault(
            NetworkError,
            "The TLS connection to {host} failed (certificate or protocol); check the API URL.",
            request_sent=False,
            code=TLS_ERROR,
        ),
    ),
    (
        requests.exceptions.ProxyError,
        Fault(NetworkError, "Could not connect through the proxy to {host}.", request_sent=False),
    ),
    (
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ),
        Fault(
            ConfigurationError,
            "The request could not be built ({name}); check the API URL and token.",
        ),
    ),
    (
        _NAME_RESOLUTION_ERROR,
        Fault(
            NetworkError,
            "Could not connect to {host}: the name could not be resolved. "
            "Check the network and the API URL.",
            request_sent=False,
        ),
    ),
    (
        (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ClosedPoolError),
        Fault(
            NetworkError,
            "Could not connect to {host}: connection refused or unreachable. "
            "Check the network and the API URL.",
            request_sent=False,
        ),
    ),
    (
        requests.RequestException,
        Fault(NetworkError, "The connection to {host} failed after the request was sent ({name})."),
    ),
    (
        (urllib3.exceptions.HTTPError, OSError),
        Fault(NetworkError, "The connection to {host} failed ({name})."),
    ),
)


def _map(exc: BaseException, request: Request, timeout: Timeout) -> Optional[SharokeyError]:
    return translate(_EXCEPTIONS, exc, request, timeout, _with_reason)
