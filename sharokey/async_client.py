"""``AsyncSharokey``: the asyncio client.

The same operations as :class:`~sharokey.Sharokey`, from the same core: this
shell only awaits sends (with retries), sleeps with ``asyncio.sleep`` and
runs the heavy work (reading files, sealing, decoding and decrypting large
answers) in worker threads so the event loop keeps running. It may be built
outside any loop and used from successive ``asyncio.run`` calls.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar, Union

import tenacity

from sharokey._gil import pausing_worker
from sharokey._many import CreateItem, CreateOutcome, create_in_tasks
from sharokey._messages import Offload, Operation, Send
from sharokey._retry import log_attempt, replay, retries_after, retry_kwargs, timed_out
from sharokey._shell import ClientShell
from sharokey.errors import RequestTimeoutError, SharokeyError
from sharokey.models import (
    CreatedSecret,
    Health,
    RequestStats,
    RevealedSecret,
    Secret,
    SecretRequest,
    SecretStats,
)
from sharokey.pagination import AsyncPage, AsyncPageRequest
from sharokey.transports import AsyncTransport

__all__ = ["AsyncSharokey"]

T = TypeVar("T")


class AsyncSharokey(ClientShell[AsyncTransport]):
    """Asyncio Sharokey client (``aiohttp``).

    Same arguments as :class:`~sharokey.Sharokey`; ``session`` is an
    ``aiohttp.ClientSession`` used as is and never closed. Use ``async with``
    or call :meth:`aclose`.
    """

    def _default_transport(
        self, session: Any, max_connections: int, max_response_bytes: int
    ) -> AsyncTransport:
        try:
            from sharokey.transports._aiohttp import AiohttpTransport
        except ModuleNotFoundError as exc:
            if exc.name != "aiohttp":
                raise
            raise ModuleNotFoundError(
                "AsyncSharokey needs aiohttp: pip install 'sharokey[aiohttp]' "
                "(or pass transport= with your own AsyncTransport).",
                name="aiohttp",
            ) from None

        return AiohttpTransport(
            session=session,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
        )

    def _setup(self) -> None:
        self._pool: Optional[ThreadPoolExecutor] = None  # made on first use, in aclose shut
        self._pool_lock = threading.Lock()

    def _offload(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]:
        """Run CPU work (key derivation, AES, base64, big JSON) off the event loop.

        One worker per core, owned by this client: the crypto releases the GIL,
        so more threads than cores only add switching (measured: 100 concurrent
        creates went from 1.17x to 1.08x of the floor against the default pool).
        """
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=os.cpu_count() or 2,
                    thread_name_prefix="sharokey",
                    initializer=pausing_worker,  # big work lets the loop in between pieces
                )
            pool = self._pool
        return asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    # ----------------------------------------------------------------- the shell

    async def _run(self, operation: Operation[T]) -> T:
        """Drive one operation: await sends with retries, offload heavy work to threads."""
        value: Any = None
        try:
            while True:
                try:
                    effect = operation.send(value)
                except StopIteration as stop:
                    result: T = stop.value
                    return result
                if isinstance(effect, Offload):
                    value = await self._offload(effect.fn, *effect.args)
                    continue
                started, number = time.monotonic(), 1
                late: Optional[RequestTimeoutError] = None
                first: Optional[SharokeyError] = None
                try:
                    try:
                        value = await self._attempt(effect, number)
                    except SharokeyError as exc:
                        if not retries_after(exc, effect.request, self._policy):
                            raise
                        first = exc
                    if first is not None:  # outside the handler: no __context__ chains
                        kwargs = retry_kwargs(
                            self._policy, effect.request, is_async=True, first=first
                        )
                        async for attempt in tenacity.AsyncRetrying(**kwargs):
                            with attempt:
                                number = attempt.retry_state.attempt_number
                                replay(first, number)
                                value = await self._attempt(effect, number)
                except RequestTimeoutError as exc:
                    late = timed_out(exc, number, time.monotonic() - started)
                if late is not None:
                    try:
                        raise late  # outside the handler: no __context__
                    finally:
                        late.__context__ = None  # before 3.11 a coroutine still chains it
        finally:
            operation.close()

    async def _attempt(self, send: Send, number: int) -> Any:
        started = time.perf_counter()
        try:
            response = await self._transport.send(send.request, self._timeout)
        except SharokeyError as exc:
            log_attempt(send.request, exc.code, number, started)
            raise
        log_attempt(send.request, response.status, number, started)
        response = self._within_budget(response)
        if send.offload:
            return await self._offload(send.outcome, response, number)
        return send.outcome(response, number)

    # ----------------------------------------------------------------- secrets

    def list_secrets(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> AsyncPageRequest[Secret]:
        """``await`` it for the first page, or ``async for`` over every secret of every page."""

        async def fetch(number: Optional[int]) -> AsyncPage[Secret]:
            found = await self._run(self._core.list_secrets(status, limit, number, creator, search))
            return AsyncPage(found.data, found.pagination, fetch)

        return AsyncPageRequest(fetch, page)

    async def create(
        self,
        content: str,
        hours: int = 24,
        views: int = 1,
        *,
        description: Optional[str] = None,
        message: Optional[str] = None,
        password: Optional[str] = None,
        captcha: bool = False,
        otp_email: Optional[str] = None,
        otp_phone: Optional[str] = None,
        ip_whitelist: Union[str, Sequence[str], None] = None,
        geolocation: Union[str, Sequence[str], None] = None,
        attachments: Optional[Sequence[Any]] = None,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> CreatedSecret:
        """Encrypt and store a secret (files are read and sealed in a worker thread).

        ``progress(done, total)``: as for :meth:`Sharokey.create
        <sharokey.Sharokey.create>`, a plain function (not a coroutine
        function) called on the event loop's thread as the body is written:
        it must return at once (no blocking I/O; hand the numbers to your
        own task if it must do more).
        """
        return await self._run(
            self._core.create(
                content,
                hours,
                views,
                description=description,
                message=message,
                password=password,
                captcha=captcha,
                otp_email=otp_email,
                otp_phone=otp_phone,
                ip_whitelist=ip_whitelist,
                geolocation=geolocation,
                attachments=attachments,
                idempotency_key=idempotency_key,
                progress=progress,
            )
        )

    async def get_details(self, slug: str) -> Secret:
        """A secret's metadata (never its content; counts no view)."""
        return await self._run(self._core.get_details(slug))

    async def delete(self, slug: str) -> None:
        """Clear a secret's content and expire it now (its metadata stays)."""
        return await self._run(self._core.delete(slug))

    async def get_stats(self) -> SecretStats:
        """Company-wide counters of secrets (expired and deleted ones included)."""
        return await self._run(self._core.get_stats())

    async def reveal(
        self,
        share_url: str,
        password: Optional[str] = None,
        otp: Optional[str] = None,
        captcha: Optional[str] = None,
        *,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> RevealedSecret:
        """Fetch and decrypt a secret from its share link (decoded and decrypted off the loop).

        ``progress(done, total)``: as for :meth:`Sharokey.reveal
        <sharokey.Sharokey.reveal>`, a plain function called on the event
        loop's thread as the answer arrives; it must return at once.
        """
        return await self._run(
            self._core.reveal(share_url, password, otp, captcha, progress=progress)
        )

    # ----------------------------------------------------------------- requests

    async def create_request(
        self,
        *,
        secret_expiration_hours: int = 24,
        request_expiration_hours: int = 48,
        maximum_views: int = 1,
        message: Optional[str] = None,
        description: Optional[str] = None,
        email_to: Optional[str] = None,
        email_reply: Optional[str] = None,
        locale: Optional[str] = None,
    ) -> SecretRequest:
        """Ask someone to send you a secret (never repeated on an unknown outcome)."""
        return await self._run(
            self._core.create_request(
                secret_expiration_hours=secret_expiration_hours,
                request_expiration_hours=request_expiration_hours,
                maximum_views=maximum_views,
                message=message,
                description=description,
                email_to=email_to,
                email_reply=email_reply,
                locale=locale,
            )
        )

    def list_requests(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> AsyncPageRequest[SecretRequest]:
        """``await`` it for the first page, or ``async for`` over every request of every page."""

        async def fetch(number: Optional[int]) -> AsyncPage[SecretRequest]:
            found = await self._run(
                self._core.list_requests(status, limit, number, creator, search)
            )
            return AsyncPage(found.data, found.pagination, fetch)

        return AsyncPageRequest(fetch, page)

    async def get_request(self, token: str) -> SecretRequest:
        """A secret request by its token (a credential: keep it private)."""
        return await self._run(self._core.get_request(token))

    async def delete_request(self, token: str) -> None:
        """Expire a secret request now (it stays listed, as expired)."""
        return await self._run(self._core.delete_request(token))

    async def get_request_stats(self) -> RequestStats:
        """Company-wide counters of secret requests."""
        return await self._run(self._core.get_request_stats())

    async def health(self) -> Health:
        """The service's health answer (needs no token)."""
        return await self._run(self._core.health())

    # ----------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        """Close the connections this client opened (a caller's session or transport stays)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)
        if self._owns_transport:
            await self._transport.aclose()

    async def __aenter__(self) -> AsyncSharokey:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ----------------------------------------------------------------- many at once

    async def create_many(
        self, items: Iterable[CreateItem], *, concurrency: Optional[int] = None
    ) -> list[CreateOutcome]:
        """Create one secret per item, at most ``concurrency`` at a time.

        Items and results as :meth:`Sharokey.create_many <sharokey.Sharokey.create_many>`:
        one entry per item in input order, its ``CreatedSecret`` or the
        exception it ended in (``gather(..., return_exceptions=True)``), each
        item one ``create()`` with its own Idempotency-Key. A plain iterable is
        read on the event loop, an item at a time as a slot frees up.
        Cancelling the call cancels the items in flight (their outcome is then
        unknown, as for a cancelled ``create``) and leaves no task running.
        ``concurrency``: 1 to 100; ``None`` (the default) means this client's
        ``max_connections`` (at most 100).
        """
        return await create_in_tasks(self.create, items, concurrency, self._max_connections)
