"""``Sharokey``: the synchronous client.

A thin shell over :mod:`sharokey._core`: it drives each operation's
generator, sending requests through its transport with retries and calling
offloaded work inline. It holds no per-call state, so one client can be
shared by many threads, and it never imports asyncio, so it also works from a
thread while an event loop runs elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional, TypeVar, Union

import tenacity

from sharokey._many import CreateItem, CreateOutcome, create_in_threads
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
from sharokey.pagination import SyncPage
from sharokey.transports import Transport

__all__ = ["Sharokey"]

T = TypeVar("T")


class Sharokey(ClientShell[Transport]):
    """Synchronous Sharokey client (``requests``); arguments as :class:`ClientShell`.

    Safe to share between threads. Use it as a context manager, or call
    :meth:`close`.
    """

    def _default_transport(
        self, session: Any, max_connections: int, max_response_bytes: int
    ) -> Transport:
        from sharokey.transports._requests import RequestsTransport

        return RequestsTransport(
            session=session,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
        )

    # ----------------------------------------------------------------- the shell

    def _run(self, operation: Operation[T]) -> T:
        """Drive one operation: send with retries, run offloaded work inline."""
        value: Any = None
        try:
            while True:
                try:
                    effect = operation.send(value)
                except StopIteration as stop:
                    result: T = stop.value
                    return result
                if isinstance(effect, Offload):
                    value = effect.fn(*effect.args)
                    continue
                started, number = time.monotonic(), 1
                late: Optional[RequestTimeoutError] = None
                first: Optional[SharokeyError] = None
                try:
                    try:
                        value = self._attempt(effect, number)
                    except SharokeyError as exc:
                        if not retries_after(exc, effect.request, self._policy):
                            raise
                        first = exc
                    if first is not None:  # outside the handler: no __context__ chains
                        kwargs = retry_kwargs(self._policy, effect.request, first=first)
                        for attempt in tenacity.Retrying(**kwargs):
                            with attempt:
                                number = attempt.retry_state.attempt_number
                                replay(first, number)
                                value = self._attempt(effect, number)
                except RequestTimeoutError as exc:
                    late = timed_out(exc, number, time.monotonic() - started)
                if late is not None:
                    raise late  # outside the handler: no __context__
        finally:
            operation.close()

    def _attempt(self, send: Send, number: int) -> Any:
        started = time.perf_counter()
        try:
            response = self._transport.send(send.request, self._timeout)
        except SharokeyError as exc:
            log_attempt(send.request, exc.code, number, started)
            raise
        log_attempt(send.request, response.status, number, started)
        response = self._within_budget(response)
        return send.outcome(response, number)

    # ----------------------------------------------------------------- secrets

    def list_secrets(
        self,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> SyncPage[Secret]:
        """The secrets, a page at a time; iterating the page walks all following pages."""

        def fetch(number: Optional[int]) -> SyncPage[Secret]:
            found = self._run(self._core.list_secrets(status, limit, number, creator, search))
            return SyncPage(found.data, found.pagination, fetch)

        return fetch(page)

    def create(
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
        """Encrypt and store a secret; ``share_url`` of the result is the link to hand out.

        ``attachments``: paths, ``(name, bytes)`` pairs or binary file objects
        (at most 10 files, 10 MiB in all).

        ``progress(done, total)`` is called, in the calling thread, as the
        request body goes out: ``(0, total)`` when it starts, then after each
        block handed to the socket, the last call with ``done == total`` (the
        body's size in bytes; encryption is over by then). A retry starts again
        at 0. An exception it raises abandons the request (its connection is
        closed) and propagates as is, never retried; the secret may or may
        not have been created. Transports of your own may ignore it.
        """
        return self._run(
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

    def get_details(self, slug: str) -> Secret:
        """A secret's metadata (never its content; counts no view)."""
        return self._run(self._core.get_details(slug))

    def delete(self, slug: str) -> None:
        """Clear a secret's content and expire it now (its metadata stays)."""
        return self._run(self._core.delete(slug))

    def get_stats(self) -> SecretStats:
        """Company-wide counters of secrets (expired and deleted ones included)."""
        return self._run(self._core.get_stats())

    def reveal(
        self,
        share_url: str,
        password: Optional[str] = None,
        otp: Optional[str] = None,
        captcha: Optional[str] = None,
        *,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> RevealedSecret:
        """Fetch and decrypt a secret from its share link (counts one view).

        Sent to this client's API URL without the token. A protected secret
        raises ``ProtectionError``; for OTP, the first call raises
        ``OtpRequiredError`` (a code was sent): call again with ``otp=``.

        ``progress(done, total)`` is called, in the calling thread, as the
        answer comes in: ``(0, total)`` once its headers arrived, then after
        each chunk received; ``total`` is the answer's ``Content-Length``
        (``None`` when the server sends none), so the last call has
        ``done == total``. Decryption follows it. A retry starts again at 0.
        An exception it raises abandons the answer (its connection is closed)
        and propagates as is; the view was already counted by the service.
        """
        return self._run(self._core.reveal(share_url, password, otp, captcha, progress=progress))

    # ----------------------------------------------------------------- requests

    def create_request(
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
        return self._run(
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
    ) -> SyncPage[SecretRequest]:
        """The secret requests, a page at a time; iterating walks all following pages."""

        def fetch(number: Optional[int]) -> SyncPage[SecretRequest]:
            found = self._run(self._core.list_requests(status, limit, number, creator, search))
            return SyncPage(found.data, found.pagination, fetch)

        return fetch(page)

    def get_request(self, token: str) -> SecretRequest:
        """A secret request by its token (a credential: keep it private)."""
        return self._run(self._core.get_request(token))

    def delete_request(self, token: str) -> None:
        """Expire a secret request now (it stays listed, as expired)."""
        return self._run(self._core.delete_request(token))

    def get_request_stats(self) -> RequestStats:
        """Company-wide counters of secret requests."""
        return self._run(self._core.get_request_stats())

    def health(self) -> Health:
        """The service's health answer (needs no token)."""
        return self._run(self._core.health())

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Release the connections this client opened (a caller's session or transport stays)."""
        if self._owns_transport:
            self._transport.close()

    def __enter__(self) -> Sharokey:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------- many at once

    def create_many(
        self, items: Iterable[CreateItem], *, concurrency: Optional[int] = None
    ) -> list[CreateOutcome]:
        """Create one secret per item, ``concurrency`` at a time on worker threads.

        An item is a :class:`~sharokey.NewSecret`, a mapping of ``create()``'s
        keyword arguments (``{"content": "hunter2", "hours": 48}``) or the
        content alone. The result has one entry per item, in input order: its
        ``CreatedSecret``, or the exception that item ended in, as
        ``asyncio.gather(..., return_exceptions=True)`` gives them, so one
        failure loses nothing else. Each item is one ``create()`` call with its
        own Idempotency-Key, so a retry never makes a second secret.

        A list (any sequence) is checked whole first: a bad item raises
        ``ValidationError`` naming its index, and nothing is sent. Other
        iterables are read lazily, an item only when a worker is free (so
        10,000 items never hold 10,000 bodies); a bad item's entry is then its
        ``ValidationError``. ``concurrency``: 1 to 100; ``None`` (the default)
        means this client's ``max_connections`` (at most 100), since items
        beyond the pool would only wait for a connection.
        """
        return create_in_threads(self.create, items, concurrency, self._max_connections)
