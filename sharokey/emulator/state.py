"""What one running emulator holds, and the two in-memory guards its routes share.

``EmulatorState`` is the state (tokens, store, clock, faults, outbox, logs),
shared by the application and by :class:`~sharokey.emulator.EmulatorHandle`.
The idempotency cache (docs/protocol.md#idempotency) and the keyed locks live
here too: they are state, held for the life of the emulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import urlsplit

from aiohttp import web

from sharokey.emulator._clock import Clock
from sharokey.emulator.faults import FaultRule, FaultSet, parse_fault
from sharokey.emulator.identifiers import random_token
from sharokey.emulator.responses import ApiError
from sharokey.emulator.store import Store

__all__ = [
    "DEFAULT_MAX_BODY_MIB",
    "IDEMPOTENCY_MAX_BYTES",
    "IDEMPOTENCY_MAX_ENTRIES",
    "IDEMPOTENCY_TTL",
    "LIST_SHAPES",
    "STATE_KEY",
    "Company",
    "EmulatorState",
    "Idempotency",
    "KeyedLocks",
    "OtpMessage",
]

T = TypeVar("T")

#: How a list answer is shaped: ``data`` is the list, or ``data.items`` is.
LIST_SHAPES = ("documented", "items")
#: The largest request body the emulator reads, in MiB (the 14 MB of a full reveal fit).
DEFAULT_MAX_BODY_MIB = 16.0
#: The most ``max_body_mib`` may be: the cap exists to keep memory bounded.
MAX_BODY_MIB_LIMIT = 256.0
#: Seconds of clock time an answer is replayed for its ``Idempotency-Key``.
IDEMPOTENCY_TTL = 300.0
#: The idempotency cache's bounds: answers kept, and bytes of their bodies.
IDEMPOTENCY_MAX_ENTRIES = 1024
IDEMPOTENCY_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class OtpMessage:
    """A one-time code the emulator "sent": what a real service would e-mail or text."""

    channel: str
    destination: str
    code: str
    slug: str
    sent_at: datetime


@dataclass(frozen=True)
class Company:
    """Who a token speaks for. Each token is its own company."""

    id: str
    creator: str
    readonly: bool


# --------------------------------------------------------------------------- guards


@dataclass(frozen=True)
class _Stored:
    expires: float
    fingerprint: str
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    secret: Optional[str]  # the slug the answer is about, purged with it


class KeyedLocks:
    """One ``asyncio.Lock`` per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]


class Idempotency:
    """First answers by key, replayed for 5 minutes of clock time, within bounds.

    Runs on the event loop only. A per-key ``asyncio.Lock`` makes a concurrent
    duplicate wait for the first and then replay it, never run in parallel.
    At most ``max_entries`` answers and ``max_bytes`` of bodies are kept, the
    oldest going first (docs/protocol.md#emulator-safety). An answer about a
    secret is kept and replayed only while ``replayable(slug)`` says the
    secret can still be revealed, and ``forget_secret`` drops them all: a
    deleted, expired or used-up secret is never handed out again.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        max_entries: int = IDEMPOTENCY_MAX_ENTRIES,
        max_bytes: int = IDEMPOTENCY_MAX_BYTES,
    ) -> None:
        self._clock = clock
        self._entries: OrderedDict[tuple[str, ...], _Stored] = OrderedDict()
        self._bytes = 0
        self._locks = KeyedLocks()
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    @property
    def size(self) -> tuple[int, int]:
        """``(entries, bytes)`` held now."""
        return len(self._entries), self._bytes

    def _drop(self, scope: tuple[str, ...]) -> None:
        stored = self._entries.pop(scope, None)
        if stored is not None:
            self._bytes -= len(stored.body)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def forget_secret(self, slug: str, *, create: bool = True) -> None:
        """Drop the answers about ``slug``: its reveals, and its create unless ``create=False``.

        A used-up secret keeps its create answer, so a late retry of the create
        still gets the first secret rather than making a second.
        """
        for scope, stored in list(self._entries.items()):
            if stored.secret == slug and (create or scope[0] != "create"):
                self._drop(scope)

    def _keep(self, scope: tuple[str, ...], stored: _Stored) -> None:
        self._drop(scope)
        if len(stored.body) > self.max_bytes:
            return  # larger than the whole cache: not kept (a repeat acts again)
        self._entries[scope] = stored
        self._bytes += len(stored.body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    async def run(
        self,
        scope: tuple[str, ...],
        fingerprint: str,
        produce: Callable[[], Awaitable[web.Response]],
        *,
        secret_of: Callable[[web.Response], Optional[str]] = lambda _: None,
        replayable: Optional[Callable[[str], Awaitable[bool]]] = None,
        shrink: Callable[[bytes], bytes] = lambda body: body,
        expand: Optional[Callable[[str, bytes], Awaitable[Optional[bytes]]]] = None,
    ) -> web.Response:
        """Replay the answer kept for ``scope``, or ``produce`` one and keep it.

        ``secret_of(answer)`` names the secret an answer is about (so it goes with
        it); ``replayable(slug)`` says whether that secret may still be handed out.
        A success is kept as ``shrink(body)`` and replayed as ``expand(slug, kept)``
        (``None``: the secret is gone), so a reveal keeps a few bytes, not megabytes.
        """
        now = self._clock.timestamp()
        for stale in [k for k, v in self._entries.items() if v.expires <= now]:
            self._drop(stale)
        async with self._locks.hold(scope):
            stored = self._entries.get(scope)
            if stored is not None and stored.expires > self._clock.timestamp():
                if not hmac.compare_digest(stored.fingerprint, fingerprint):
                    raise ApiError(
                        409,
                        "IDEMPOTENCY_CONFLICT",
                        "This Idempotency-Key was already used with a different request",
                    )
                body: Optional[bytes] = stored.body
                if stored.secret is not None and stored.status < 300 and expand is not None:
                    body = await expand(stored.secret, stored.body)
                elif stored.secret is not None and replayable is not None:
                    body = stored.body if await replayable(stored.secret) else None
                if body is not None:
                    replay = web.Response(
                        body=body, status=stored.status, headers=dict(stored.headers)
                    )
                    replay.headers["Idempotent-Replayed"] = "true"
                    return replay
                assert stored.secret is not None
                self.forget_secret(stored.secret, create=False)
                raise ApiError(404, "NOT_FOUND", "Secret not found or expired")
            try:
                response = await produce()
            except ApiError as error:
                response = error.response()
            secret = secret_of(response) if response.status < 300 else None
            # Like Stripe: an answer is kept once the request was acted on; a body
            # refused as malformed (400/422) or a server fault may be fixed and retried.
            keep = (
                response.status < 500
                and response.status not in (400, 409, 413, 415, 422)
                and isinstance(response.body, bytes)
            )
            if keep and secret is not None and replayable is not None:
                keep = await replayable(secret)
            if keep:
                assert isinstance(response.body, bytes)
                self._keep(
                    scope,
                    _Stored(
                        expires=self._clock.timestamp() + IDEMPOTENCY_TTL,
                        fingerprint=fingerprint,
                        status=response.status,
                        body=shrink(response.body) if secret is not None else response.body,
                        headers=tuple(
                            (k, v) for k, v in response.headers.items() if k != "Content-Length"
                        ),
                        secret=secret,
                    ),
                )
            return response


# --------------------------------------------------------------------------- state


class EmulatorState:
    """Everything one running emulator holds; shared by the app and the handle.

    The mutable parts a test thread touches (clock, faults, outbox, request
    log, list shape, store) are each guarded by their own lock.
    """

    def __init__(
        self,
        *,
        tokens: Sequence[str] = (),
        readonly_tokens: Sequence[str] = (),
        quota: Optional[int] = None,
        db: str = ":memory:",
        faults: Sequence[Union[str, FaultRule]] = (),
        list_shape: str = "documented",
        country_header: str = "X-Country",
        clock: Optional[Clock] = None,
        max_body_mib: float = DEFAULT_MAX_BODY_MIB,
        public_url: Optional[str] = None,
    ) -> None:
        self.tokens = [str(t) for t in tokens]
        self.readonly_tokens = [str(t) for t in readonly_tokens]
        if not self.tokens and not self.readonly_tokens:
            self.tokens = [random_token(32)]
        if any(not t or any(c.isspace() for c in t) for t in self.tokens + self.readonly_tokens):
            raise ValueError("tokens must be non-empty and contain no white space")
        if quota is not None and quota < 0:
            raise ValueError("quota must be zero or more")
        self.quota = quota
        self.country_header = country_header
        if not 0 < max_body_mib <= MAX_BODY_MIB_LIMIT:
            raise ValueError(f"the body cap must be above 0 and at most {MAX_BODY_MIB_LIMIT:g} MiB")
        self.max_body = int(max_body_mib * 1024 * 1024)
        #: Where the links it answers point (``access_url``, ``request_url``); the
        #: runner sets it to the bound address when none is given. Never the Host header.
        self.public_url = public_url.rstrip("/") if public_url else ""
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise ValueError("the public URL must be http(s)://HOST[:PORT][/PATH]")
        self.clock = clock or Clock()
        self.db = db
        self.faults = FaultSet()
        for rule in faults:
            self.faults.add(rule if isinstance(rule, FaultRule) else parse_fault(rule))
        self._list_shape = "documented"
        self.set_list_shape(list_shape)
        self._initial_list_shape = self._list_shape
        self._companies: dict[str, Company] = {}
        for token in self.tokens:
            self._companies[token] = self._company(token, readonly=False)
        for token in self.readonly_tokens:
            self._companies[token] = self._company(token, readonly=True)
        self._outbox: list[OtpMessage] = []
        #: Bodies read ahead of their handler (by a delay fault), by ``id(request)``.
        self.bodies: dict[int, bytes] = {}
        self._log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self.idempotency = Idempotency(self.clock)
        self.reveal_gate = KeyedLocks()
        # Resources last: every check above may still refuse the options.
        self.store = Store(db)
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sharokey-emulator")

    @staticmethod
    def _company(token: str, *, readonly: bool) -> Company:
        # Derived from the token, so a file database keeps its owners across restarts.
        tag = hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]
        name = f"company-{tag}"
        return Company(id=name, creator=f"owner@{name}.example", readonly=readonly)

    def company_for(self, token: str) -> Optional[Company]:
        for known, company in self._companies.items():
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                return company
        return None

    @property
    def list_shape(self) -> str:
        return self._list_shape

    def set_list_shape(self, shape: str) -> None:
        if shape not in LIST_SHAPES:
            raise ValueError(f"list shape must be one of {', '.join(LIST_SHAPES)}")
        self._list_shape = shape

    def send_otp(self, message: OtpMessage) -> None:
        with self._lock:
            self._outbox.append(message)

    @property
    def outbox(self) -> list[OtpMessage]:
        with self._lock:
            return list(self._outbox)

    def log_request(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._log.append((method, path, status))

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Back to a fresh start: no rows, faults, codes, log or cached answers; clock undone.

        Tokens, options and the public URL stay. Called between tests (the pytest plugin).
        """
        self.store.wipe()
        self.faults.clear()
        self.idempotency.clear()
        self.clock.reset()
        with self._lock:
            self._outbox.clear()
            self._log.clear()
        self._list_shape = self._initial_list_shape

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.store.close()

    async def db_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call (or any blocking work) off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))


#: Where ``create_app`` puts the state for the route handlers to find.
STATE_KEY = web.AppKey("sharokey_state", EmulatorState)
