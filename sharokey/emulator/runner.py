"""Starting the emulator from Python: in a background thread or on your own loop.

``run_emulator()`` is for synchronous code and tests: the server runs on its
own event loop in a daemon thread, and the ``with`` block ends with the server
stopped and the thread joined. ``start_emulator()`` is the ``async with``
twin that runs on the caller's loop. Both yield an :class:`EmulatorHandle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any, Callable, Optional, Union

from aiohttp import web

from sharokey.emulator._clock import Clock
from sharokey.emulator.app import create_app
from sharokey.emulator.faults import parse_fault
from sharokey.emulator.state import DEFAULT_MAX_BODY_MIB, EmulatorState, OtpMessage

__all__ = ["EmulatorHandle", "run_emulator", "start_emulator"]

ClockOption = Union[Clock, Callable[[], datetime], datetime, None]


def _make_clock(clock: ClockOption) -> Clock:
    if clock is None:
        return Clock()
    if isinstance(clock, Clock):
        return clock
    if isinstance(clock, datetime):
        return Clock(start=clock)
    return Clock(clock)


class EmulatorHandle:
    """A running emulator, as tests and demos see it.

    Every method is safe to call from any thread while the server runs.
    """

    def __init__(self, state: EmulatorState, base_url: str) -> None:
        self._state = state
        self.base_url = base_url
        self.api_url = f"{base_url}/api/v1"

    def __repr__(self) -> str:
        return f"EmulatorHandle(api_url={self.api_url!r}, tokens=<{len(self.tokens)} hidden>)"

    @property
    def tokens(self) -> list[str]:
        """The read-write tokens; each is its own company."""
        return list(self._state.tokens)

    @property
    def readonly_tokens(self) -> list[str]:
        return list(self._state.readonly_tokens)

    @property
    def token(self) -> str:
        """The first token (read-only if only read-only tokens were given)."""
        return (self._state.tokens or self._state.readonly_tokens)[0]

    @property
    def other_token(self) -> str:
        """The second read-write token: another company, for isolation tests.

        ``LookupError`` when the emulator was started with fewer than two tokens.
        """
        if len(self._state.tokens) < 2:
            raise LookupError("this emulator has one read-write token; start it with two")
        return self._state.tokens[1]

    @property
    def public_url(self) -> str:
        """Where the links it answers point (``access_url``); the bound address by default."""
        return self._state.public_url

    def reset(self) -> None:
        """Forget everything a test did: secrets, requests, faults, codes, log, clock jumps.

        Tokens and options stay; the server keeps running on the same port.
        """
        self._state.reset()

    @property
    def db(self) -> str:
        """The SQLite database path (``:memory:`` for in-memory)."""
        return self._state.db

    # ---- clock

    def now(self) -> datetime:
        """The emulated time (aware UTC)."""
        return self._state.clock.now()

    def advance(
        self, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> datetime:
        """Move the emulated clock forward; expiry, lockouts and statistics follow."""
        return self._state.clock.advance(seconds=seconds, minutes=minutes, hours=hours, days=days)

    # ---- outbox

    @property
    def outbox(self) -> list[OtpMessage]:
        """Every one-time code "sent" so far, oldest first."""
        return self._state.outbox

    def last_otp(self, slug: Optional[str] = None) -> str:
        """The newest code sent (for ``slug`` if given); ``LookupError`` if none."""
        for message in reversed(self._state.outbox):
            if slug is None or message.slug == slug:
                return message.code
        raise LookupError("no one-time code was sent" + (f" for {slug}" if slug else ""))

    # ---- faults

    def add_fault(self, rule: str) -> None:
        """Add a fault rule (see ``sharokey.emulator.faults``); ``ValueError`` if malformed."""
        self._state.faults.add(parse_fault(rule))

    def fail_next(
        self,
        status: int = 503,
        times: int = 1,
        *,
        method: str = "*",
        path: str = "/api/v1/*",
        retry_after: Optional[int] = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (500, 502, 503, 504, 429).

        A typed front to ``add_fault``: ``fail_next(503, times=2)`` is the rule
        ``"* /api/v1/* 503x2"``. ``ValueError`` for a status or count it refuses.
        """
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a whole number, at least 1")
        rule = f"{method} {path} {int(status)}x{times}"
        if retry_after is not None:
            rule += f" retry-after={int(retry_after)}"
        self._state.faults.add(parse_fault(rule))

    def clear_faults(self) -> None:
        self._state.faults.clear()

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The active rules with their remaining counts."""
        return self._state.faults.snapshot()

    # ---- inspection

    def secret_count(self, token: Optional[str] = None) -> int:
        """Secrets stored, in any state: all companies', or the one ``token`` speaks for."""
        if token is None:
            return self._state.store.count_secrets()
        company = self._state.company_for(token)
        if company is None:
            raise ValueError("that token is not one of this emulator's tokens")
        return self._state.store.count_secrets(company.id)

    def creator(self, token: Optional[str] = None) -> str:
        """The ``creator`` e-mail the emulator shows for a token's company."""
        company = self._state.company_for(token or self.token)
        if company is None:
            raise ValueError("that token is not one of this emulator's tokens")
        return company.creator

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request; unanswered ones have status 0.

        Unanswered: dropped by a fault, or the client went away before the answer.
        """
        return self._state.request_log

    def hits(self, method: str, path_glob: str = "*") -> int:
        """How many logged requests match a method (or ``*``) and a path glob."""
        method = method.upper()
        return sum(
            1
            for m, path, _ in self._state.request_log
            if (method == "*" or m == method) and fnmatch.fnmatchcase(path, path_glob)
        )

    def set_list_shape(self, shape: str) -> None:
        """``"documented"`` (``data`` is the list) or ``"items"`` (``data.items``)."""
        self._state.set_list_shape(shape)

    @property
    def list_shape(self) -> str:
        return self._state.list_shape


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@asynccontextmanager
async def start_emulator(
    *,
    tokens: Sequence[str] = (),
    readonly_tokens: Sequence[str] = (),
    quota: Optional[int] = None,
    db: str = ":memory:",
    faults: Sequence[str] = (),
    list_shape: str = "documented",
    country_header: str = "X-Country",
    host: str = "127.0.0.1",
    port: int = 0,
    clock: ClockOption = None,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    public_url: Optional[str] = None,
) -> AsyncIterator[EmulatorHandle]:
    """Serve the emulator on the running loop for the duration of the block."""
    state = EmulatorState(
        tokens=tokens,
        readonly_tokens=readonly_tokens,
        quota=quota,
        db=db,
        faults=faults,
        list_shape=list_shape,
        country_header=country_header,
        clock=_make_clock(clock),
        max_body_mib=max_body_mib,
        public_url=public_url,
    )
    app = create_app(state)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        base_url = _base_url(host, int(bound[1]))
        if not state.public_url:
            state.public_url = base_url  # links follow the bind address, not the Host header
        yield EmulatorHandle(state, base_url)
    finally:
        await runner.cleanup()
        if not app.frozen:  # setup never ran, so on_cleanup will not close the state
            state.close()


class _ServerThread(threading.Thread):
    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(name="sharokey-emulator", daemon=True)
        self._options = options
        self._ready = threading.Event()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stop_event: Optional[asyncio.Event] = None
        self.handle: Optional[EmulatorHandle] = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        # asyncio.run also cancels what the server left behind (a connection still
        # lingering over an unread body) and shuts the loop's executor down.
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the starting thread
            self.error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        async with start_emulator(**self._options) as handle:
            self.handle = handle
            self._ready.set()
            await self._stop_event.wait()

    def wait_ready(self, timeout: float) -> EmulatorHandle:
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start in time")
        if self.handle is None:
            # A bad option (ValueError) or a busy port (OSError) reaches the caller as itself.
            if isinstance(self.error, Exception):
                raise self.error
            raise RuntimeError("the emulator failed to start") from self.error
        return self.handle

    def stop(self, timeout: float) -> None:
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            # The loop may close in between: then there is nothing left to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        self.join(timeout)


@contextmanager
def run_emulator(
    *,
    tokens: Sequence[str] = (),
    readonly_tokens: Sequence[str] = (),
    quota: Optional[int] = None,
    db: str = ":memory:",
    faults: Sequence[str] = (),
    list_shape: str = "documented",
    country_header: str = "X-Country",
    host: str = "127.0.0.1",
    port: int = 0,
    clock: ClockOption = None,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    public_url: Optional[str] = None,
) -> Iterator[EmulatorHandle]:
    """Run the emulator in a background thread for the duration of the ``with`` block."""
    for rule in faults:  # fail in the caller's thread, with the parser's message
        parse_fault(rule)
    thread = _ServerThread(
        {
            "tokens": tokens,
            "readonly_tokens": readonly_tokens,
            "quota": quota,
            "db": db,
            "faults": faults,
            "list_shape": list_shape,
            "country_header": country_header,
            "host": host,
            "port": port,
            "clock": clock,
            "max_body_mib": max_body_mib,
            "public_url": public_url,
        }
    )
    thread.start()
    try:
        handle = thread.wait_ready(timeout=30)
    except BaseException:
        thread.stop(timeout=30)
        raise
    try:
        yield handle
    finally:
        thread.stop(timeout=30)
