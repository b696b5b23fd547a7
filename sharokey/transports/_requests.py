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
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
import requests.structures
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
    every few seconds (headers included) is never cut off by it. The
    transport's :class:`_Watchdog` does what no socket timeout can: at the
    deadline it shuts the socket down, which wakes the blocked read at once;
    the transport then reports the deadline rather than whatever the broken
    read raised. One watch per in-flight attempt (the client is shared
    between threads); they share their watchdog's lock.
    """

    __slots__ = ("_connection", "_done", "_lock", "_sock", "fired")

    def __init__(self, lock: threading.Condition) -> None:
        self.fired = False
        self._done = False
        self._connection: Any = None
        self._sock: Any = None
        self._lock = lock

    def attach(self, connection: Any) -> None:
        """Watch ``connection`` (an urllib3 connection, connected or about to be)."""
        with self._lock:
            self._connection = connection
            # Kept: an answer with "Connection: close" takes the socket from the connection.
            self._sock = getattr(connection, "sock", None) or self._sock
            if self.fired and not self._done:
                self._shut()

    def fire(self) -> None:
        """The deadline passed (called by the watchdog, its lock held)."""
        if self._done:
            return
        self.fired = True
        self._shut()

    def _shut(self) -> None:
        sock = getattr(self._connection, "sock", None) or self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, even under TLS: it only wakes the reader,
                # without touching the TLS object another thread is reading through.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    @property
    def done(self) -> bool:
        return self._done

    def stop(self) -> None:
        """The attempt is over (called by the watchdog, its lock held)."""
        self._done = True
        self._connection = self._sock = None


class _Watchdog:
    """One daemon thread firing every in-flight attempt's deadline, in order.

    A ``threading.Timer`` per attempt cost 130-330 µs to start (more than a
    whole GET on loopback, see benchmarks/PROFILE.md); this thread is started
    on the first watched attempt, sleeps on a condition until the earliest
    deadline, and leaves after :data:`IDLE` seconds with nothing to watch (so
    a transport dropped without ``close()`` leaves no thread behind for
    long). A watch that stops early stays in the heap until it surfaces, or
    until stopped ones are most of it, when the heap is rebuilt.
    """

    IDLE = 30.0

    def __init__(self) -> None:
        self._lock = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._stopped = 0
        self._thread: Optional[threading.Thread] = None

    def watch(self, seconds: float) -> _Watch:
        """A watch that fires ``seconds`` from now unless released first."""
        watch = _Watch(self._lock)
        entry = (time.monotonic() + seconds, next(self._order), watch)
        with self._lock:
            if len(self._heap) > 64 and self._stopped * 2 > len(self._heap):
                self._heap = [item for item in self._heap if not item[2].done]
                heapq.heapify(self._heap)
                self._stopped = 0
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="sharokey-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is entry:
                self._lock.notify()
        return watch

    def release(self, watch: _Watch) -> None:
        """Stop ``watch``: its attempt is over."""
        with self._lock:
            if not watch.fired:
                self._stopped += 1  # still in the heap: counted for the rebuild
            watch.stop()

    def _serve(self) -> None:
        me = threading.current_thread()
        with self._lock:
            while self._thread is me:
                heap = self._heap
                while heap and heap[0][2].done:
                    heapq.heappop(heap)
                    self._stopped = max(0, self._stopped - 1)
                if not heap:
                    if not self._lock.wait(self.IDLE) and not self._heap and self._thread is me:
                        self._thread = None
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:
                    self._lock.wait(delay)
                    continue
                heapq.heappop(heap)[2].fire()

    def close(self) -> None:
        """Let the thread go (a later watch starts a new one)."""
        with self._lock:
            self._thread = None
            self._lock.notify_all()


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

    def _new_conn(self) -> Any:
        # A new connection has no socket when handed out: the watch learns it on connect.
        connection = super()._new_conn()  # type: ignore[misc]
        connect, watches = connection.connect, self._sharokey_watches

        def connect_watched() -> None:
            connect()
            watch = getattr(watches, "current", None)
            if watch is not None:
                watch.attach(connection)

        connection.connect = connect_watched
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
    """Proxies and CA bundle from the environment, read once per origin, never credentials.

    The transport's own session has ``trust_env`` off (no netrc); what legacy
    setups rely on from the environment (``HTTPS_PROXY``, ``NO_PROXY``,
    ``REQUESTS_CA_BUNDLE``) is resolved here instead, once per scheme and
    host, together with the session's own ``proxies`` (the environment wins,
    as in ``Session.request``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proxies: dict[str, dict[str, str]] = {}
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.verify: Union[bool, str] = bundle or True

    def proxies(self, url: str, session: requests.Session) -> dict[str, str]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        found = self._proxies.get(key)  # a dict read: atomic, no lock on the hot path
        if found is None:
            found = {**session.proxies, **requests.utils.get_environ_proxies(key + "/")}
            with self._lock:
                found = self._proxies.setdefault(key, found)
        return found


def _prepared(
    request: Request, headers: dict[str, str], body: Any, session: requests.Session
) -> Any:
    """``request`` as requests would prepare it for our own session, minus what it has not.

    ``Session.prepare_request`` also merges a cookie jar, auth and hooks,
    none of which the transport's own session holds; its headers are merged
    here (the call's win).
    """
    prepared = requests.PreparedRequest()
    prepared.prepare_method(request.method)
    prepared.prepare_url(request.url, None)
    merged = requests.structures.CaseInsensitiveDict(session.headers)
    merged.update(headers)
    prepared.prepare_headers({k: v for k, v in merged.items() if v is not None})
    prepared.prepare_body(body, None)
    return prepared


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
        self._watchdog = _Watchdog()
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

    def _open(self, request: Request, timeout: Timeout, transfer: Transfer) -> requests.Response:
        """Send ``request``; the answer's headers are in, its body still to be read."""
        headers = dict(request.headers)
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        timeouts: Any = (_within_total(timeout.connect, timeout), _read_timeout(timeout))
        if self._environment is None:
            # A caller's session: through Session.request, so their hooks, cookies,
            # mounts and environment apply (their auth excepted: see _NoAmbientAuth).
            return self._session.request(
                request.method,
                request.url,
                headers=headers,
                data=transfer.upload_file(request.body),
                timeout=timeouts,
                allow_redirects=False,
                stream=True,
                auth=_NO_AUTH,
            )
        # Our own session: straight to the mounted adapter. Session.request would add
        # ~300 µs per call of merging cookies, hooks and settings it has none of.
        prepared = _prepared(request, headers, transfer.upload_file(request.body), self._session)
        return self._session.get_adapter(prepared.url).send(
            prepared,
            stream=True,
            timeout=timeouts,
            verify=self._environment.verify,
            cert=self._session.cert,
            proxies=self._environment.proxies(request.url, self._session),
        )

    def _read(
        self, answer: requests.Response, watch: Optional[_Watch], transfer: Transfer
    ) -> Response:
        """The answer's body, read raw into the budget's reader."""
        with answer:
            connection = getattr(answer.raw, "connection", None)
            if watch is not None and connection is not None:
                # A caller's session: at least the body is watched from here on.
                watch.attach(connection)
            status, headers = answer.status_code, list(answer.headers.items())
            received = transfer.receiving(answer.headers)  # download progress, if any
            reader = BodyReader(answer.headers, status, self._limit, received)
            for chunk in iter(lambda: answer.raw.read(_CHUNK, decode_content=False), b""):
                reader.feed(chunk)
        return Response(status=status, headers=headers, body=reader.body())

    def send(self, request: Request, timeout: Timeout) -> Response:
        watch = self._watchdog.watch(timeout.total) if timeout.total is not None else None
        self._watches.current = watch
        transfer = Transfer(request)  # the caller's progress, if any, counted per attempt
        mapping = ExceptionMap(_map, request, timeout, transfer)
        try:
            with mapping:
                response = self._read(self._open(request, timeout, transfer), watch, transfer)
                if watch is None or not watch.fired:
                    return response
        finally:
            if watch is not None:
                self._watchdog.release(watch)
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
        self._watchdog.close()
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
