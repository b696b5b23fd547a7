"""``SharokeyClient``: the official SDK 1.0.0's surface, over :class:`~sharokey.AsyncSharokey`.

Code written for 1.0.0 keeps running: the same constructor, the same
coroutines with the same arguments and defaults, the same return values (the
service's JSON envelope as a plain ``dict``, ``data`` inside, ``share_url``
with the key after ``#``) and exceptions named as 1.0.0 named them
(:mod:`sharokey.exceptions`).

Nothing is implemented twice. Each call runs the core's own operation
through an ``AsyncSharokey`` (its transport, retries, validation, crypto);
this layer only keeps the envelope the core decoded on the way and hands it
back as 1.0.0 did. So where 1.0.0 behaved badly, this layer behaves as the
rest of the SDK does (errors typed by the wire code, a 429 as
``RateLimitError``, retries where safe, a truncated body never taken as a
success); CHANGELOG.md lists each difference.

Building a ``SharokeyClient`` warns once per process (``DeprecationWarning``):
docs/migrating.md says how to move call by call.
"""

from __future__ import annotations

import copy
import os
import threading
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional, TypeVar, Union

from sharokey import exceptions
from sharokey._core import Core
from sharokey._messages import Operation, Send
from sharokey._version import __version__
from sharokey.async_client import AsyncSharokey
from sharokey.config import Timeout
from sharokey.crypto import PBKDF2_ITERATIONS, warn_shared_nonces
from sharokey.errors import SharokeyError

__all__ = ["DEPRECATION", "SharokeyClient"]

T = TypeVar("T")
Envelope = dict[str, Any]

DEPRECATION = (
    "sharokey.SharokeyClient is the compatibility layer for code written for the official "
    "SDK 1.0.0; move to sharokey.AsyncSharokey or sharokey.Sharokey call by call "
    "(docs/migrating.md)."
)

_warning_lock = threading.Lock()
_warned = False  # one DeprecationWarning per process, whatever the number of clients


def _warn_deprecated() -> None:
    global _warned
    with _warning_lock:
        if _warned:
            return
        _warned = True
    # stacklevel 3: this function, SharokeyClient.__init__, the caller's line.
    warnings.warn(DEPRECATION, DeprecationWarning, stacklevel=3)


def _tap(operation: Operation[T], seen: list[Envelope]) -> Operation[T]:
    """Run ``operation`` unchanged, keeping each envelope its sends decoded."""
    value: Any = None
    try:
        while True:
            try:
                effect = operation.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = yield effect
            if isinstance(effect, Send) and isinstance(value, dict):
                seen.append(value)
    finally:
        operation.close()


class SharokeyClient:
    """The 1.0.0 client: ``await client.create(...)`` returns ``{"success": ..., "data": ...}``.

    ``timeout`` bounds each whole exchange, as in 1.0.0. ``token`` is required
    here (1.0.0 raised ``ValidationError`` without one); ``api_url`` is used
    as given, never taken from the environment or the config file.
    """

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.sharokey.com/api/v1",
        timeout: int = 30,
    ) -> None:
        _warn_deprecated()
        if not token:
            raise exceptions.ValidationError(
                "Token is required", details={"token": ["is required"]}
            )
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        #: Further AsyncSharokey arguments (1.0.0 had none): the tests' retry-policy seam.
        self._options: dict[str, Any] = {}
        self._fresh()  # refuses a bad URL or timeout now, as a 1.0.0-named error

    def _fresh(self) -> AsyncSharokey:
        """A client for one call, closed at its end: 1.0.0 opened a session per call and
        offered nothing to close, so nothing may outlive a call (and calls may overlap)."""
        try:
            # 1.0.0 left the nonce of its attachments silent; create() warns itself,
            # from the caller's line.
            return AsyncSharokey(
                self.token,
                api_url=self.api_url,
                # 1.0.0's one bound: the whole exchange (aiohttp's total), nothing else.
                timeout=Timeout(connect=None, read=None, total=self.timeout),
                attachment_nonces="shared",
                **self._options,
            )
        except SharokeyError as error:
            raise exceptions.from_sdk(error) from None

    def __repr__(self) -> str:
        return f"SharokeyClient(api_url={self.api_url!r})"

    async def _call(self, start: Callable[[Core], Operation[T]]) -> tuple[T, Envelope]:
        """Run the core's operation ``start(core)``: its result, and the last envelope it decoded.

        The envelope is a copy (the caller may change it). A repeated delete that met
        its own 404 decoded none: the thing is gone, as asked.
        """
        seen: list[Envelope] = []
        try:
            async with self._fresh() as client:
                result = await client._run(_tap(start(client._core), seen))
        except SharokeyError as error:
            raise exceptions.from_sdk(error) from None
        return result, (copy.deepcopy(seen[-1]) if seen else {"success": True, "data": None})

    async def _envelope(self, start: Callable[[Core], Operation[Any]]) -> Envelope:
        return (await self._call(start))[1]

    # ----------------------------------------------------------------- secrets

    async def create(
        self,
        content: str,
        hours: int = 24,
        views: int = 1,
        *,
        description: Optional[str] = None,
        message: Optional[str] = None,
        password: Optional[str] = None,
        otp_email: Optional[str] = None,
        otp_phone: Optional[str] = None,
        captcha: Optional[bool] = None,
        ip_whitelist: Optional[str] = None,
        geolocation: Optional[str] = None,
        attachments: Optional[Sequence[Union[str, os.PathLike[str]]]] = None,
    ) -> Envelope:
        """Encrypt and store a secret; ``response["data"]["share_url"]`` carries the key."""
        created, response = await self._call(
            lambda core: core.create(
                content,
                hours,
                views,
                description=description,
                message=message,
                password=password,
                captcha=bool(captcha),
                otp_email=otp_email,
                otp_phone=otp_phone,
                ip_whitelist=ip_whitelist,
                geolocation=geolocation,
                attachments=list(attachments) if attachments is not None else None,
            )
        )
        if attachments:
            warn_shared_nonces(stacklevel=2)
        if not isinstance(response.get("data"), dict):
            response["data"] = {}
        response["data"]["share_url"] = created.share_url
        response["data"].setdefault("slug", created.slug)
        return response

    async def list(
        self,
        *,
        limit: int = 50,
        status: Optional[str] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> Envelope:
        """The first page of secrets, ``limit`` long, in the shape the service sent it."""
        return await self._envelope(
            lambda core: core.list_secrets(status, limit, None, creator, search)
        )

    async def get(self, slug: str) -> Envelope:
        """A secret's details (never its content)."""
        return await self._envelope(lambda core: core.get_details(slug))

    async def delete(self, slug: str) -> Envelope:
        """Delete a secret."""
        return await self._envelope(lambda core: core.delete(slug))

    async def stats(self) -> Envelope:
        """Counters of the company's secrets."""
        return await self._envelope(lambda core: core.get_stats())

    async def search(
        self, query: str, *, limit: int = 50, status: Optional[str] = None
    ) -> Envelope:
        """``list(search=query, ...)``."""
        return await self.list(limit=limit, status=status, search=query)

    async def get_active_secrets(self, *, limit: int = 50) -> Envelope:
        """``list(status="active", ...)``."""
        return await self.list(limit=limit, status="active")

    async def test_connection(self) -> bool:
        """True when the statistics can be read with this token."""
        try:
            await self.stats()
        except SharokeyError:
            return False
        return True

    # ----------------------------------------------------------------- requests

    async def create_request(
        self,
        *,
        message: Optional[str] = None,
        description: Optional[str] = None,
        secret_expiration_hours: int = 24,
        request_expiration_hours: int = 48,
        maximum_views: int = 1,
        email_to: Optional[str] = None,
        email_reply: Optional[str] = None,
    ) -> Envelope:
        """Ask someone to send you a secret."""
        return await self._envelope(
            lambda core: core.create_request(
                message=message,
                description=description,
                secret_expiration_hours=secret_expiration_hours,
                request_expiration_hours=request_expiration_hours,
                maximum_views=maximum_views,
                email_to=email_to,
                email_reply=email_reply,
            )
        )

    async def list_requests(
        self,
        *,
        limit: int = 50,
        status: Optional[str] = None,
        creator: Optional[str] = None,
        search: Optional[str] = None,
    ) -> Envelope:
        """The first page of secret requests, ``limit`` long, in the shape the service sent."""
        return await self._envelope(
            lambda core: core.list_requests(status, limit, None, creator, search)
        )

    async def get_request(self, token: str) -> Envelope:
        """A secret request by its token."""
        return await self._envelope(lambda core: core.get_request(token))

    async def delete_request(self, token: str) -> Envelope:
        """Expire a secret request."""
        return await self._envelope(lambda core: core.delete_request(token))

    async def request_stats(self) -> Envelope:
        """Counters of the company's secret requests."""
        return await self._envelope(lambda core: core.get_request_stats())

    # ----------------------------------------------------------------- utilities

    async def health(self) -> Envelope:
        """The health answer, or ``{"status": "error", "message": ...}`` when it failed."""
        try:
            return await self._envelope(lambda core: core.health())
        except SharokeyError as error:
            return {"status": "error", "message": str(error)}

    async def test(self) -> dict[str, Any]:
        """1.0.0's six checks (one writes and deletes a test secret); counts what passed."""
        details: list[dict[str, Any]] = []

        def record(name: str, success: bool, message: str) -> None:
            details.append({"name": name, "success": success, "message": message})

        record(
            "Configuration",
            bool(self.token),
            "API token is configured" if self.token else "API token is missing",
        )
        health = await self.health()
        if health.get("status") == "error":
            record("Network", False, f"Network error: {health.get('message')}")
        else:
            record("Network", True, "Server connectivity OK")
        try:
            await self.stats()
            record("Authentication", True, "Token authentication OK")
        except exceptions.AuthenticationError:
            record("Authentication", False, "Invalid token")
        except SharokeyError as error:
            record("Authentication", False, f"Auth error: {error}")
        try:
            await self.list(limit=1)
            record("Read Access", True, "Secrets listing OK")
        except SharokeyError as error:
            record("Read Access", False, f"Read error: {error}")
        try:
            made = await self.create(
                "SDK test secret - safe to delete", 1, 1, description="Python SDK test"
            )
            await self.delete(made["data"]["slug"])
            record("Write Access", True, "Secret creation/deletion OK")
        except SharokeyError as error:
            record("Write Access", False, f"Write error: {error}")
        try:
            await self.stats()
            record("Statistics", True, "Statistics endpoint OK")
        except SharokeyError as error:
            record("Statistics", False, f"Stats error: {error}")
        passed = sum(1 for detail in details if detail["success"])
        return {"passed": passed, "total": len(details), "details": details}

    def get_info(self) -> dict[str, Any]:
        """What this SDK is and which 1.0.0 methods this layer offers."""
        return {
            "name": "Sharokey Python SDK",
            "version": __version__,
            "language": "Python",
            "platform": "Cross-platform",
            "features": [
                "Zero Knowledge encryption",
                "AES-GCM-256 + PBKDF2",
                "File attachments",
                "OTP authentication",
                "IP/geolocation filtering",
                "Secret requests",
                "Comprehensive testing",
                "Async/await support",
                "Type hints",
            ],
            "methods": [
                "create",
                "list",
                "get",
                "delete",
                "stats",
                "create_request",
                "list_requests",
                "get_request",
                "delete_request",
                "request_stats",
                "search",
                "get_active_secrets",
                "health",
                "test",
                "get_info",
                "test_connection",
            ],
            "encryption": {
                "algorithm": "AES-GCM-256",
                "key_derivation": "PBKDF2",
                "iterations": PBKDF2_ITERATIONS,
                "zero_knowledge": True,
            },
        }

    def get_config(self) -> dict[str, Any]:
        """The client's settings, without the token."""
        return {
            "api_url": self.api_url,
            "timeout": self.timeout,
            "has_token": bool(self.token),
            "token_length": len(self.token) if self.token else 0,
        }
