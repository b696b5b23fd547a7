"""The ``requests`` backend of the sync client.

The session is the caller's when given (used as is, never closed), else our
own with one pool of ``max_connections`` connections that blocks rather than
opening more, no urllib3 retries (the client decides retries), and no
``trust_env``: netrc is never read, proxies come from the environment once
per host. Every
``requests``/``urllib3`` failure becomes a :class:`NetworkError` with a
message of our own: theirs carry the full URL, which may hold a request
token. For the same reason urllib3's DEBUG request lines get a filter that
cuts request tokens to their first 4 characters.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
import requests.utils
import urllib3
import urllib3.exceptions

from sharokey._mask import mask_request_tokens
from sharokey._messages import Request, Response
from sharokey.config import DEFAULT_MAX_RESPONSE_BYTES, Timeout, check_max_response_bytes
from sharokey.errors import (
    TLS_ERROR,
    ConfigurationError,
    NetworkError,
    RequestTimeoutError,
    SharokeyError,
)
from sharokey.transports._budget import ACCEPT_ENCODING, BodyReader
from sharokey.transports._exceptions import (
    ExceptionMap,
    ExceptionTable,
    Fault,
    host_of,
    limit_text,
    translate,
)
from sharokey.transports._progress import Transfer

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


class _Watch:
    """One attempt's total deadline: when it passes, the connection in use is shut down.

    urllib3's read timeout applies to each read, so a server sending a byte
    every few seconds (headers included) is never cut off by it. A timer
    thread does what no socket timeout can: at the deadline it shuts the
    socket down, which wakes the blocked read at once; the transport then
    reports the deadline rather than whatever the broken read raised.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._done = False
        self._connection: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, connection: Any) -> None:
        """Watch ``connection`` (an urllib3 connection, connected or about to be)."""
        with self._lock:
            self._connection = connection
            fired = self.fired and not self._done
        if fired:
            _shut(connection)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            connection = self._connection
        if connection is not None:
            _shut(connection)

    def stop(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            # The plain socket's shutdown, even under TLS: it only wakes the reader,
            # without touching the TLS object another thread is reading through.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedPoolMixin:
    """Hands every connection it gives out to the current attempt's :class:`_Watch`."""

    def __init__(self, *args: Any, watches: threading.local, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sharokey_watches = watches

    def _get_conn(self, timeout: Optional[float] = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        watch = getattr(self._sharokey_watches, "current", None)
        if watch is not None:
            watch.attach(connection)
        return connection


class _WatchedHTTPPool(_WatchedPoolMixin, urllib3.HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPoolMixin, urllib3.HTTPSConnectionPool):
    pass


def _watch_pools(manager: Any, watches: threading.local) -> None:
    # Only the stock pools are replaced (a SOCKS manager keeps its own).
    classes = getattr(manager, "pool_classes_by_scheme", None)
    if not isinstance(classes, dict) or classes.get("http") is not urllib3.HTTPConnectionPool:
        return
    manager.pool_classes_by_scheme = {
        "http": functools.partial(_WatchedHTTPPool, watches=watches),
        "https": functools.partial(_WatchedHTTPSPool, watches=watches),
    }


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter with watched pools, direct or through a proxy."""

    def __init__(self, watches: threading.local, **kwargs: Any) -> None:
        self._sharokey_watches = watches  # before super(): it builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager, self._sharokey_watches)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools(manager, self._sharokey_watches)
        return manager


class _NoAmbientAuth(requests.auth.AuthBase):
    """An explicit "no auth": keeps requests from reading ``~/.netrc`` (``trust_env``).

    With a netrc entry for the API host, requests would replace the bearer
    token with Basic credentials, and give reveal (which carries no
    ``Authorization`` at all) some. Any auth object stops it; this one
    leaves the request as built.
    """

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_AUTH = _NoAmbientAuth()


class _Environment:
    """Proxies and CA bundle from the environment, read once per host, never credentials.

    The transport's own session has ``trust_env`` off (no netrc); what legacy
    setups rely on from the environment (``HTTPS_PROXY``, ``NO_PROXY``,
    ``REQUESTS_CA_BUNDLE``) is resolved here instead, once per scheme and host.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proxies: dict[str, dict[str, str]] = {}
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.verify: Union[bool, str] = bundle or True

    def proxies(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            found = self._proxies.get(key)
        if found is None:
            found = dict(requests.utils.get_environ_proxies(key + "/"))
            with self._lock:
                self._proxies[key] = found
        return found


class RequestsTransport:
    """Sync transport over a ``requests.Session``; thread-safe for concurrent sends.

    ``max_response_bytes`` caps each answer once decoded (see ``_budget``).
    The total deadline of a :class:`Timeout` is enforced by a watch that shuts
    the connection down when it passes (see :class:`_Watch`); with a caller's
    own session, whose pools are not ours, it covers the answer's body but not
    a server slow to send its headers (their reads are bounded by ``read``).
    """

    def __init__(
        self,
        session: Optional[requests.Session] = None,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        _guard_urllib3_logs()
        self._limit = check_max_response_bytes(max_response_bytes)
        self._watches = threading.local()
        self._environment: Optional[_Environment] = None
        if session is not None:
            self._session = session
            self._owns_session = False
        else:
            self._session = requests.Session()
            # No netrc, no environment read per call: _Environment has what is needed.
            self._session.trust_env = False
            self._environment = _Environment()
            adapter = _Adapter(
                self._watches,
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

    def _settings(self, request: Request) -> dict[str, Any]:
        if self._environment is None:
            return {}
        return {
            "proxies": self._environment.proxies(request.url),
            "verify": self._environment.verify,
        }

    def send(self, request: Request, timeout: Timeout) -> Response:
        watch = _Watch(timeout.total) if timeout.total is not None else None
        self._watches.current = watch
        headers = dict(request.headers)
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        transfer = Transfer(request)  # the caller's progress, if any, counted per attempt
        mapping = ExceptionMap(_map, request, timeout, transfer)
        try:
            with mapping:
                with self._session.request(
                    request.method,
                    request.url,
                    headers=headers,
                    data=transfer.upload_file(request.body),
                    timeout=(_within_total(timeout.connect, timeout), _read_timeout(timeout)),
                    allow_redirects=False,
                    stream=True,
                    auth=_NO_AUTH,
                    **self._settings(request),
                ) as answer:
                    connection = getattr(answer.raw, "connection", None)
                    if watch is not None and connection is not None:
                        # A caller's session: at least the body is watched from here on.
                        watch.attach(connection)
                    status, headers_out = answer.status_code, list(answer.headers.items())
                    received = transfer.receiving(answer.headers)
                    reader = BodyReader(answer.headers, status, self._limit, received)
                    for chunk in iter(lambda: answer.raw.read(_CHUNK, decode_content=False), b""):
                        reader.feed(chunk)
                if watch is None or not watch.fired:
                    return Response(status=status, headers=headers_out, body=reader.body())
        finally:
            if watch is not None:
                watch.stop()
            self._watches.current = None
        if watch is not None and watch.fired:
            raise RequestTimeoutError(
                f"{host_of(request)} did not finish answering in time "
                f"({limit_text(timeout.total)} in all per attempt; "
                "the request may have been received).",
                request_sent=True,
            )
        mapping.raise_mapped()

    def close(self) -> None:
        """Close the session if this transport created it; a caller's session stays open."""
        if self._owns_session:
            self._session.close()

    def __repr__(self) -> str:
        return f"RequestsTransport(owns_session={self._owns_session})"


def _within_total(seconds: Optional[float], timeout: Timeout) -> Optional[float]:
    # No single wait may outlast the total either.
    if timeout.total is None:
        return seconds
    if seconds is None:
        return timeout.total
    return min(seconds, timeout.total)


def _read_timeout(timeout: Timeout) -> Optional[float]:
    return _within_total(timeout.read, timeout)


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
