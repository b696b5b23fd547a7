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
import re
import time
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from sharokey._core import TLS_ERROR, Request, Response
from sharokey.config import Timeout
from sharokey.errors import ConfigurationError, NetworkError, RequestTimeoutError

__all__ = ["RequestsTransport"]

_CHUNK = 256 * 1024
# urllib3 2 tells a DNS failure apart; urllib3 1.26 (the newest on Python 3.9) does not.
_NAME_RESOLUTION_ERROR: Any = getattr(urllib3.exceptions, "NameResolutionError", ())

# A secret request's token is a credential; urllib3 logs paths like /requests/<token>.
_REQUEST_TOKEN_IN_PATH = re.compile(r"(/requests/[^/?#\s\"']{0,4})[^/?#\s\"']*")


def _mask_paths(value: object) -> object:
    return _REQUEST_TOKEN_IN_PATH.sub(r"\1…", value) if isinstance(value, str) else value


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
        error: Optional[Exception] = None
        try:
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
        except requests.RequestException as exc:
            error = _map(exc, request, timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            error = NetworkError(
                f"The connection to {_host(request)} failed ({type(exc).__name__}).",
                request_sent=True,
            )
        if error is not None:
            # Raised outside the except block: the library's exception (whose text holds
            # the full URL, request tokens included) must not ride along as __context__.
            raise error
        if body is None:
            raise RequestTimeoutError(
                f"{_host(request)} did not finish answering in time "
                f"({_limit(timeout.total)}; the request may have been received).",
                request_sent=True,
            )
        return Response(status=status, headers=headers, body=body)

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


def _limit(seconds: Optional[float]) -> str:
    return f"limit {seconds:g} s" if seconds is not None else "no limit set"


def _host(request: Request) -> str:
    try:
        return urlsplit(request.url).netloc or "the server"
    except ValueError:
        return "the server"


def _reason(exc: BaseException) -> Optional[BaseException]:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if isinstance(inner, urllib3.exceptions.MaxRetryError):
        return inner.reason
    return inner


def _map(exc: requests.RequestException, request: Request, timeout: Timeout) -> Exception:
    host = _host(request)
    reason = _reason(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return RequestTimeoutError(
            f"Connecting to {host} took too long ({_limit(timeout.connect)}).", request_sent=False
        )
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    ):
        return RequestTimeoutError(
            f"{host} did not answer in time ({_limit(_read_timeout(timeout))}; "
            "the request may have been received).",
            request_sent=True,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkError(
            f"The TLS connection to {host} failed (certificate or protocol); check the API URL.",
            code=TLS_ERROR,
            request_sent=False,
        )
    if isinstance(exc, requests.exceptions.ProxyError):
        return NetworkError(f"Could not connect through the proxy to {host}.", request_sent=False)
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return ConfigurationError(
            f"The request could not be built ({type(exc).__name__}); check the API URL and token."
        )
    if isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ClosedPoolError)
    ):
        what = (
            "the name could not be resolved"
            if isinstance(reason, _NAME_RESOLUTION_ERROR)
            else "connection refused or unreachable"
        )
        return NetworkError(
            f"Could not connect to {host}: {what}. Check the network and the API URL.",
            request_sent=False,
        )
    return NetworkError(
        f"The connection to {host} failed after the request was sent "
        f"({type(reason or exc).__name__}).",
        request_sent=True,
    )
