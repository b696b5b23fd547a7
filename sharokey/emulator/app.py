"""The emulator's HTTP application: the Sharokey API over the SQLite store.

``EmulatorState`` holds everything a running emulator knows (tokens, store,
clock, faults, outbox, logs); ``create_app`` wires it into an
``aiohttp.web.Application``. Handlers never touch SQLite on the event loop:
each store call runs in the state's small thread pool.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import quote

from aiohttp import web

from sharokey._version import __version__
from sharokey.emulator._clock import Clock
from sharokey.emulator.faults import FaultRule, FaultSet, parse_fault
from sharokey.emulator.identifiers import random_token
from sharokey.emulator.passwords import check_password, hash_password
from sharokey.emulator.store import Store
from sharokey.emulator.validation import (
    Details,
    RevealInput,
    validate_request,
    validate_reveal,
    validate_secret,
)

__all__ = [
    "LIST_SHAPES",
    "ApiError",
    "Company",
    "EmulatorState",
    "OtpMessage",
    "create_app",
    "redact_path",
]

logger = logging.getLogger("sharokey.emulator")

T = TypeVar("T")
_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

LIST_SHAPES = ("documented", "items")
IDEMPOTENCY_TTL = 300.0
LOCKOUT_LIMIT = 5
LOCKOUT_WINDOW = 900.0
LOCKOUT_SECONDS = 300.0
OTP_TTL = 600.0
CAPTCHA_ANSWER = "PASS"
CAPTCHA_QUESTION = f"Type {CAPTCHA_ANSWER} to prove you are here (emulator captcha)"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
CONFIG_PLACEHOLDER = "{{SHAROKEY_CONFIG}}"
VIEWER_PATH = Path(__file__).resolve().parent / "static" / "viewer.html"
NOT_FOUND_MESSAGE = "Secret not found or expired"
REQUEST_NOT_FOUND = "Secret request not found or expired"

_STATE_KEY = web.AppKey("sharokey_state", object)
_TOKEN_PATH_RE = re.compile(r"^(/api/v1/requests/|/r/)([^/]+)")
_INLINE_SCRIPT_RE = re.compile(
    r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_FALLBACK_VIEWER = (
    "<!doctype html><meta charset=utf-8><title>Sharokey</title>"
    '<script type="application/json" id="sharokey-config">'
    + CONFIG_PLACEHOLDER
    + "</script><p>The viewer page is not installed.</p>"
)
_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_PROTECTION_ORDER = ("captcha", "password", "otp_email", "otp_phone")
_PAGE_HEAD = (
    '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="robots" content="noindex">\n<title>{title} - Sharokey emulator</title>\n'
    "<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
    "padding:0 1rem;line-height:1.5}}.text{{white-space:pre-wrap}}</style>\n"
    "<h1>{title}</h1>\n"
)
_REQUEST_NOT_EMULATED = (
    "<p>Answering secret requests is not emulated: this local Sharokey emulator shows "
    "the request but cannot send a secret back. On the real service, this page lets "
    "the recipient encrypt a secret and send it to whoever asked.</p>\n"
)
_REQUEST_GONE = "<p>This secret request does not exist, was deleted or has expired.</p>\n"


# --------------------------------------------------------------------------- small types


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


class ApiError(Exception):
    """An answer in the error envelope; raised by handlers, rendered by middleware."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Optional[Any] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> web.Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return _json({"success": False, "error": error}, self.status, self.headers)


def _json(
    payload: Any, status: int = 200, headers: Optional[dict[str, str]] = None
) -> web.Response:
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def _ok(data: Any, message: Optional[str] = None, status: int = 200) -> web.Response:
    payload: dict[str, Any] = {"success": True}
    if message is not None:
        payload["message"] = message
    payload["data"] = data
    return _json(payload, status)


def _validation(details: Details) -> ApiError:
    first = next(iter(details.values()))[0]
    return ApiError(422, "VALIDATION_ERROR", first, details)


def _stamp(epoch: float) -> str:
    """``2025-08-11T18:52:37.000000Z``, the service's timestamp format."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def redact_path(path: str) -> str:
    """The path as logs may show it: a request token cut to its first 4 characters."""
    return _TOKEN_PATH_RE.sub(lambda m: m.group(1) + m.group(2)[:4] + "...", path)


def _client_ip(remote: Optional[str]) -> Optional[_Address]:
    """The peer's address (IPv4-mapped IPv6 unwrapped); ``None`` off IP, e.g. a Unix socket."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_loopback(remote: Optional[str]) -> bool:
    address = _client_ip(remote)
    return address is not None and address.is_loopback


def _mask(channel: str, destination: str) -> str:
    """``a***@example.com`` / ``+33******78``: enough to recognise, not to reuse."""
    if channel == "email":
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{destination[:3]}******{destination[-2:]}"


def _protection(row: dict[str, Any]) -> Optional[str]:
    """The one protection that applies: captcha < password < OTP e-mail < OTP phone."""
    if row.get("otp_type") == "phone":
        return "otp_phone"
    if row.get("otp_type") == "email":
        return "otp_email"
    if row.get("password_hash") or row.get("has_password"):
        return "password"
    if row.get("captcha"):
        return "captcha"
    return None


def _period_starts(now: datetime) -> dict[str, float]:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    return {"day": day.timestamp(), "week": week.timestamp(), "month": month.timestamp()}


# --------------------------------------------------------------------------- idempotency


@dataclass(frozen=True)
class _Stored:
    expires: float
    fingerprint: str
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


class _KeyedLocks:
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


class _Idempotency:
    """First answers by key, replayed for 5 minutes of clock time.

    Runs on the event loop only. A per-key ``asyncio.Lock`` makes a concurrent
    duplicate wait for the first and then replay it, never run in parallel.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, ...], _Stored] = {}
        self._locks = _KeyedLocks()

    async def run(
        self,
        scope: tuple[str, ...],
        fingerprint: str,
        produce: Callable[[], Awaitable[web.Response]],
    ) -> web.Response:
        now = self._clock.timestamp()
        for stale in [k for k, v in self._entries.items() if v.expires <= now]:
            del self._entries[stale]
        async with self._locks.hold(scope):
            stored = self._entries.get(scope)
            if stored is not None and stored.expires > self._clock.timestamp():
                if not hmac.compare_digest(stored.fingerprint, fingerprint):
                    raise ApiError(
                        409,
                        "IDEMPOTENCY_CONFLICT",
                        "This Idempotency-Key was already used with a different request",
                    )
                replay = web.Response(
                    body=stored.body, status=stored.status, headers=dict(stored.headers)
                )
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            try:
                response = await produce()
            except ApiError as error:
                response = error.response()
            # Like Stripe: an answer is kept once the request was acted on; a body
            # refused as malformed (400/422) or a server fault may be fixed and retried.
            if (
                response.status < 500
                and response.status not in (400, 409, 422)
                and isinstance(response.body, bytes)
            ):
                self._entries[scope] = _Stored(
                    expires=self._clock.timestamp() + IDEMPOTENCY_TTL,
                    fingerprint=fingerprint,
                    status=response.status,
                    body=response.body,
                    headers=tuple(
                        (k, v) for k, v in response.headers.items() if k != "Content-Length"
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
        max_body_mib: float = 16,
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
        self.max_body = int(max_body_mib * 1024 * 1024)
        self.clock = clock or Clock()
        self.db = db
        self.faults = FaultSet()
        for rule in faults:
            self.faults.add(rule if isinstance(rule, FaultRule) else parse_fault(rule))
        self._list_shape = "documented"
        self.set_list_shape(list_shape)
        self._companies: dict[str, Company] = {}
        for token in self.tokens:
            self._companies[token] = self._company(token, readonly=False)
        for token in self.readonly_tokens:
            self._companies[token] = self._company(token, readonly=True)
        self._outbox: list[OtpMessage] = []
        self._log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self.idempotency = _Idempotency(self.clock)
        self.reveal_gate = _KeyedLocks()
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

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.store.close()

    async def db_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call (or any blocking work) off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))


# --------------------------------------------------------------------------- handlers


class _Api:
    """The route handlers; one instance per application."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    # ---- helpers

    def _auth(self, request: web.Request, *, write: bool = False) -> Company:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "AUTHENTICATION_ERROR",
                "Authentication token is missing",
                headers={"WWW-Authenticate": "Bearer"},
            )
        company = self.state.company_for(token.strip())
        if company is None:
            raise ApiError(
                401,
                "AUTHENTICATION_ERROR",
                "Token is invalid or expired",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if write and company.readonly:
            what = "delete" if request.method == "DELETE" else "create"
            noun = "requests" if "/requests" in request.path else "secrets"
            raise ApiError(403, "PERMISSION_DENIED", f"Insufficient permissions to {what} {noun}")
        return company

    async def _body(self, request: web.Request) -> tuple[Any, bytes]:
        length = request.content_length
        if length is not None and length > self.state.max_body:
            raise web.HTTPRequestEntityTooLarge(max_size=self.state.max_body, actual_size=length)
        raw = await request.read()
        if not raw or raw.isspace():
            return None, raw
        try:
            if len(raw) > 256 * 1024:
                body = await self.state.db_call(json.loads, raw)
            else:
                body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                400,
                "INVALID_JSON",
                "The request body is not valid JSON",
                {"body": ["The request body is not valid JSON"]},
            ) from None
        return body, raw

    def _origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _secret_view(
        self, request: web.Request, row: dict[str, Any], *, details: bool
    ) -> dict[str, Any]:
        url = f"{self._origin(request)}/s/{row['slug']}"
        expired = bool(row["is_expired"])
        view: dict[str, Any] = {
            "slug": row["slug"],
            "description": row["description"],
            "message": row["message"],
            "creator": row["creator"],
            "maximum_views": row["maximum_views"],
            "current_views": row["current_views"],
            "expiration": _stamp(row["expiration"]),
            "has_password": bool(row["has_password"]),
            "has_attachments": row["attachments_count"] > 0,
            "attachments_count": row["attachments_count"],
        }
        if details and "attachments" in row:
            view["attachments"] = row["attachments"]
        view.update(
            {
                "captcha": bool(row["captcha"]),
                "otp_type": row["otp_type"],
                "ip_whitelist": row["ip_whitelist"],
                "geolocation": row["geolocation"],
                "is_expired": expired,
                "status": "expired" if expired else "active",
                "access_url": url,
                "share_url": url,
                "created_at": _stamp(row["created_at"]),
                "updated_at": _stamp(row["updated_at"]),
            }
        )
        return view

    def _request_view(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        expired = bool(row["is_expired"])
        return {
            "token": row["token"],
            "message": row["message"],
            "description": row["description"],
            "maximum_views": row["maximum_views"],
            "secret_expiration_hours": row["secret_expiration_hours"],
            "request_expiration_hours": row["request_expiration_hours"],
            "email_to": row["email_to"],
            "email_reply": row["email_reply"],
            "locale": row["locale"],
            "status": "expired" if expired else "active",
            "is_expired": expired,
            "request_url": f"{self._origin(request)}/r/{row['token']}",
            "expiration": _stamp(row["expiration"]),
            "created_at": _stamp(row["created_at"]),
            "updated_at": _stamp(row["updated_at"]),
        }

    def _list_params(
        self, request: web.Request
    ) -> tuple[Optional[str], Optional[str], Optional[str], int, int]:
        query = request.query
        details: Details = {}
        status = query.get("status") or None
        if status is not None and status not in ("active", "expired"):
            details["status"] = ["The selected status is invalid"]
        limit = _query_int(query.get("limit"), DEFAULT_PAGE_SIZE)
        if limit is None or limit < 1:
            details["limit"] = [f"The limit must be an integer between 1 and {MAX_PAGE_SIZE}"]
            limit = DEFAULT_PAGE_SIZE
        page = _query_int(query.get("page"), 1)
        if page is None or page < 1:
            details["page"] = ["The page must be an integer of at least 1"]
            page = 1
        if details:
            raise _validation(details)
        return (
            status,
            query.get("creator") or None,
            query.get("search") or None,
            min(limit, MAX_PAGE_SIZE),
            page,
        )

    def _list_response(
        self, items: list[dict[str, Any]], total: int, limit: int, page: int, message: str
    ) -> web.Response:
        pagination = {
            "current_page": page,
            "per_page": limit,
            "total": total,
            "last_page": max(1, math.ceil(total / limit)),
        }
        if self.state.list_shape == "items":
            return _ok({"items": items, "pagination": pagination}, message)
        return _json({"success": True, "message": message, "data": items, "pagination": pagination})

    # ---- health

    async def health(self, request: web.Request) -> web.Response:
        return _ok(
            {
                "status": "ok",
                "service": "sharokey-emulator",
                "version": __version__,
                "time": _stamp(self.state.clock.timestamp()),
            },
            "OK",
        )

    # ---- secrets

    async def list_secrets(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        status, creator, search, limit, page = self._list_params(request)
        rows, total = await self.state.db_call(
            self.state.store.list_secrets,
            company.id,
            self.state.clock.timestamp(),
            status=status,
            creator=creator,
            search=search,
            limit=limit,
            page=page,
        )
        items = [self._secret_view(request, row, details=False) for row in rows]
        return self._list_response(items, total, limit, page, "Secrets retrieved successfully")

    async def create_secret(self, request: web.Request) -> web.Response:
        company = self._auth(request, write=True)
        body, raw = await self._body(request)
        key = _idempotency_key(request)
        if key is None:
            return await self._create_secret(request, company, body)
        return await self.state.idempotency.run(
            ("create", company.id, key),
            hashlib.sha256(raw).hexdigest(),
            lambda: self._create_secret(request, company, body),
        )

    async def _create_secret(
        self, request: web.Request, company: Company, body: Any
    ) -> web.Response:
        checked = await self.state.db_call(validate_secret, body)
        if isinstance(checked, dict):
            raise _validation(checked)
        password_hash = None
        if checked.password is not None:
            password_hash = await self.state.db_call(hash_password, checked.password)
        row = await self.state.db_call(
            self.state.store.create_secret,
            company=company.id,
            creator=company.creator,
            data=checked,
            password_hash=password_hash,
            now=self.state.clock.timestamp(),
            quota=self.state.quota,
        )
        if row is None:
            raise ApiError(
                403,
                "QUOTA_EXCEEDED",
                "You have reached the maximum allowed secrets for your current plan.",
            )
        data = self._secret_view(request, row, details=False)
        data["expires_in_hours"] = row["expires_in_hours"]
        return _ok(data, "Secret created successfully", status=201)

    async def get_secret(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        row = await self.state.db_call(
            self.state.store.get_secret,
            company.id,
            request.match_info["slug"],
            self.state.clock.timestamp(),
        )
        if row is None:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
        return _ok(self._secret_view(request, row, details=True), "Secret retrieved successfully")

    async def delete_secret(self, request: web.Request) -> web.Response:
        company = self._auth(request, write=True)
        deleted = await self.state.db_call(
            self.state.store.delete_secret,
            company.id,
            request.match_info["slug"],
            self.state.clock.timestamp(),
        )
        if not deleted:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
        return _ok(None, "Secret deleted successfully")

    async def secret_stats(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        now = self.state.clock.now()
        stats = await self.state.db_call(
            self.state.store.secret_stats, company.id, now.timestamp(), _period_starts(now)
        )
        return _ok(stats, "Secrets statistics retrieved successfully")

    # ---- reveal

    async def reveal(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        body, raw = await self._body(request)
        checked = validate_reveal(body)
        if isinstance(checked, dict):
            raise _validation(checked)
        key = _idempotency_key(request)
        if key is None:
            return await self._reveal(request, slug, checked)
        return await self.state.idempotency.run(
            ("reveal", slug, key),
            hashlib.sha256(raw).hexdigest(),
            lambda: self._reveal(request, slug, checked),
        )

    async def _reveal(self, request: web.Request, slug: str, answers: RevealInput) -> web.Response:
        state = self.state
        now = state.clock.timestamp()
        info = await state.db_call(state.store.reveal_info, slug, now)
        if info is None:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
        # One answer per secret is judged at a time, so a burst of parallel guesses
        # meets the lockout after the fifth wrong one, not after the whole burst.
        async with state.reveal_gate.hold(slug):
            now = state.clock.timestamp()
            locked = await state.db_call(state.store.locked_until, slug, now)
            if locked is not None:
                raise _locked(locked - now)
            if info["ip_whitelist"]:
                client = _client_ip(request.remote)
                allowed = client is not None and any(
                    client in ipaddress.ip_network(item, strict=False)
                    for item in info["ip_whitelist"].split(",")
                )
                if not allowed:
                    raise ApiError(403, "ACCESS_DENIED", "Access from your address is not allowed")
            if info["geolocation"]:
                country = request.headers.get(state.country_header, "").strip().upper()
                if country not in info["geolocation"].split(","):
                    raise ApiError(403, "ACCESS_DENIED", "Access from your country is not allowed")

            protection = _protection(info)
            if protection in ("otp_email", "otp_phone"):
                await self._check_otp(slug, info, answers, now)
            elif protection == "password":
                if answers.password is None:
                    raise ApiError(
                        401, "PASSWORD_REQUIRED", "This secret is protected by a password"
                    )
                good = await state.db_call(check_password, answers.password, info["password_hash"])
                if not good:
                    await self._wrong(slug, now, "INVALID_PASSWORD", "The password is incorrect")
            elif protection == "captcha":
                question = {"question": CAPTCHA_QUESTION}
                if answers.captcha is None:
                    raise ApiError(
                        401, "CAPTCHA_REQUIRED", "Solve the captcha to reveal this secret", question
                    )
                if answers.captcha.strip() != CAPTCHA_ANSWER:
                    await self._wrong(
                        slug, now, "INVALID_CAPTCHA", "The captcha answer is wrong", question
                    )

        payload = await state.db_call(state.store.consume_view, slug, state.clock.timestamp())
        if payload is None:  # another reveal took the last view meanwhile
            raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
        return _ok(payload, "Secret revealed successfully")

    async def _check_otp(
        self, slug: str, info: dict[str, Any], answers: RevealInput, now: float
    ) -> None:
        state = self.state
        channel = str(info["otp_type"])
        destination = str(info["otp_receiver"])
        if answers.otp is None:
            code = f"{secrets.randbelow(1_000_000):06d}"
            await state.db_call(state.store.store_otp, slug, code, now + OTP_TTL)
            state.send_otp(
                OtpMessage(
                    channel=channel,
                    destination=destination,
                    code=code,
                    slug=slug,
                    sent_at=state.clock.now(),
                )
            )
            masked = _mask(channel, destination)
            raise ApiError(
                401,
                "OTP_REQUIRED",
                f"A one-time code was sent to {masked}",
                {"channel": channel, "destination": masked},
            )
        if not await state.db_call(state.store.check_otp, slug, answers.otp, now):
            await self._wrong(slug, now, "INVALID_OTP", "The one-time code is wrong or expired")

    async def _wrong(
        self, slug: str, now: float, code: str, message: str, details: Optional[Any] = None
    ) -> None:
        """Count a wrong answer (towards the lockout) and refuse."""
        await self.state.db_call(
            self.state.store.record_failure,
            slug,
            now,
            window=LOCKOUT_WINDOW,
            limit=LOCKOUT_LIMIT,
            lock_seconds=LOCKOUT_SECONDS,
        )
        raise ApiError(401, code, message, details)

    # ---- secret requests

    async def list_requests(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        status, creator, search, limit, page = self._list_params(request)
        rows, total = await self.state.db_call(
            self.state.store.list_requests,
            company.id,
            self.state.clock.timestamp(),
            status=status,
            creator=creator,
            search=search,
            limit=limit,
            page=page,
        )
        items = [self._request_view(request, row) for row in rows]
        return self._list_response(
            items, total, limit, page, "Secret requests retrieved successfully"
        )

    async def create_request(self, request: web.Request) -> web.Response:
        company = self._auth(request, write=True)
        body, _ = await self._body(request)
        checked = validate_request(body)
        if isinstance(checked, dict):
            raise _validation(checked)
        row = await self.state.db_call(
            self.state.store.create_request,
            company=company.id,
            creator=company.creator,
            data=checked,
            now=self.state.clock.timestamp(),
        )
        return _ok(self._request_view(request, row), "Secret request created successfully", 201)

    async def get_request(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        row = await self.state.db_call(
            self.state.store.get_request,
            company.id,
            request.match_info["token"],
            self.state.clock.timestamp(),
        )
        if row is None:
            raise ApiError(404, "NOT_FOUND", REQUEST_NOT_FOUND)
        return _ok(self._request_view(request, row), "Secret request retrieved successfully")

    async def delete_request(self, request: web.Request) -> web.Response:
        company = self._auth(request, write=True)
        deleted = await self.state.db_call(
            self.state.store.delete_request,
            company.id,
            request.match_info["token"],
            self.state.clock.timestamp(),
        )
        if not deleted:
            raise ApiError(404, "NOT_FOUND", REQUEST_NOT_FOUND)
        return _ok(None, "Secret request deleted successfully")

    async def request_stats(self, request: web.Request) -> web.Response:
        company = self._auth(request)
        now = self.state.clock.now()
        stats = await self.state.db_call(
            self.state.store.request_stats, company.id, now.timestamp(), _period_starts(now)
        )
        return _ok(stats, "Secret requests statistics retrieved successfully")

    # ---- viewer page

    async def viewer(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        info = await self.state.db_call(
            self.state.store.public_info, slug, self.state.clock.timestamp()
        )
        protection = _protection(info) if info is not None else None
        config = {
            "slug": slug,
            "description": info["description"] if info is not None else None,
            "has_password": protection == "password",
            "captcha": protection == "captcha",
            "otp_type": (
                info["otp_type"]
                if info is not None and protection in ("otp_email", "otp_phone")
                else None
            ),
            "reveal_url": f"/api/v1/secrets/{quote(slug, safe='')}/reveal",
            "expired": info is None or bool(info["expired"]),
        }
        try:
            template = await self.state.db_call(VIEWER_PATH.read_text, encoding="utf-8")
        except OSError:
            template = _FALLBACK_VIEWER
        page = template.replace(CONFIG_PLACEHOLDER, script_json(config))
        return _page(page, 200 if info is not None else 404)

    async def request_page(self, request: web.Request) -> web.Response:
        """Where ``request_url`` leads: the request's words, and that answering is not emulated.

        The token is the credential of whoever may answer: the page never shows it.
        """
        row = await self.state.db_call(
            self.state.store.public_request,
            request.match_info["token"],
            self.state.clock.timestamp(),
        )
        if row is None:
            title = "Secret request not found or expired"
            return _page(_PAGE_HEAD.format(title=title) + _REQUEST_GONE, 404)
        parts = [_PAGE_HEAD.format(title="Secret request")]
        for name in ("description", "message"):
            if row[name]:
                parts.append(f'<p class="text {name}">{html.escape(row[name])}</p>\n')
        expires = datetime.fromtimestamp(row["expiration"], timezone.utc)
        parts.append(f"<p>The request expires on {expires:%Y-%m-%d %H:%M} UTC.</p>\n")
        parts.append(_REQUEST_NOT_EMULATED)
        return _page("".join(parts), 200)

    async def favicon(self, request: web.Request) -> web.Response:
        """No icon, and no 404 either: browsers ask on every viewer page load."""
        return web.Response(status=204)

    # ---- control surface

    def _control(self, request: web.Request) -> None:
        if not _is_loopback(request.remote):
            raise ApiError(403, "PERMISSION_DENIED", "The control endpoints answer loopback only")

    async def control_state(self, request: web.Request) -> web.Response:
        self._control(request)
        state = self.state
        count = await state.db_call(state.store.count_secrets)
        return _ok(
            {
                "secret_count": count,
                "faults": state.faults.snapshot(),
                "clock": {
                    "now": _stamp(state.clock.timestamp()),
                    "offset_seconds": state.clock.offset_seconds,
                },
                "list_shape": state.list_shape,
                "outbox_size": len(state.outbox),
                "quota": state.quota,
            }
        )

    async def control_clock(self, request: web.Request) -> web.Response:
        self._control(request)
        body, _ = await self._body(request)
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise _validation({"advance_seconds": ["Give a number of seconds, zero or more"]})
        moved = self.state.clock.advance(seconds=float(seconds))
        return _ok(
            {"now": _stamp(moved.timestamp()), "offset_seconds": self.state.clock.offset_seconds}
        )

    async def control_outbox(self, request: web.Request) -> web.Response:
        self._control(request)
        return _ok(
            [
                {
                    "channel": m.channel,
                    "destination": m.destination,
                    "code": m.code,
                    "slug": m.slug,
                    "sent_at": _stamp(m.sent_at.timestamp()),
                }
                for m in self.state.outbox
            ]
        )

    async def control_add_fault(self, request: web.Request) -> web.Response:
        self._control(request)
        body, _ = await self._body(request)
        rule = body.get("rule") if isinstance(body, dict) else None
        try:
            parsed = parse_fault(rule)  # type: ignore[arg-type]  # checked inside
        except ValueError as error:
            raise _validation({"rule": [str(error)]}) from None
        self.state.faults.add(parsed)
        return _ok({"faults": self.state.faults.snapshot()}, "Fault added", 201)

    async def control_clear_faults(self, request: web.Request) -> web.Response:
        self._control(request)
        self.state.faults.clear()
        return _ok({"faults": []}, "Faults cleared")

    async def control_list_shape(self, request: web.Request) -> web.Response:
        self._control(request)
        body, _ = await self._body(request)
        shape = body.get("shape") if isinstance(body, dict) else None
        try:
            self.state.set_list_shape(str(shape))
        except ValueError as error:
            raise _validation({"shape": [str(error)]}) from None
        return _ok({"list_shape": self.state.list_shape})


def _query_int(value: Optional[str], default: int) -> Optional[int]:
    if value is None or value == "":
        return default
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _idempotency_key(request: web.Request) -> Optional[str]:
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip():
        return None
    if len(key) > 255:
        raise _validation(
            {"Idempotency-Key": ["The Idempotency-Key may have 255 characters at most"]}
        )
    return key.strip()


def _too_large(limit: int) -> ApiError:
    mib = limit / (1024 * 1024)
    return ApiError(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is larger than {mib:g} MiB",
    )


def _locked(seconds_left: float) -> ApiError:
    wait = max(1, math.ceil(seconds_left))
    return ApiError(
        429,
        "TOO_MANY_ATTEMPTS",
        f"Too many wrong answers; try again in {wait} seconds",
        {"retry_after": wait},
        {"Retry-After": str(wait)},
    )


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``."""
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _page(page: str, status: int) -> web.Response:
    """An HTML page with the viewer's security headers: no framing, no referrer, no cache."""
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": _viewer_csp(page),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        },
    )


def _viewer_csp(page: str) -> str:
    """A policy allowing this page's own inline scripts (by hash) and nothing foreign."""
    hashes = []
    for match in _INLINE_SCRIPT_RE.finditer(page):
        attrs = match.group("attrs").lower()
        if re.search(r"\bsrc\s*=", attrs) or "application/json" in attrs:
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    scripts = " ".join(["'self'", *sorted(set(hashes))])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


# --------------------------------------------------------------------------- middleware


def _fault_response(rule: FaultRule) -> web.Response:
    status = rule.status or 500
    headers: dict[str, str] = {}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    if status in (502, 504):
        reason = "Bad Gateway" if status == 502 else "Gateway Time-out"
        return web.Response(
            text=_NGINX_PAGE.format(status=status, reason=reason),
            status=status,
            content_type="text/html",
            headers=headers,
        )
    if status == 429:
        return ApiError(429, "RATE_LIMITED", "Too many requests", headers=headers).response()
    if status == 503:
        return ApiError(
            503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable", headers=headers
        ).response()
    return ApiError(
        500, "SERVER_ERROR", "The server failed to handle the request", headers=headers
    ).response()


def _drop(request: web.Request, dropped: set[int]) -> web.Response:
    """Close the connection without a byte of answer; the returned object is never sent."""
    dropped.add(id(request))
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=204)


def _truncate(response: web.StreamResponse) -> web.StreamResponse:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return response
    cut = response.body[: len(response.body) // 2]
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return web.Response(body=cut, status=response.status, headers=headers)


async def _receive_body(request: web.Request, state: EmulatorState) -> Optional[web.Response]:
    """Read the whole body now, before a delay, so the handler finds it later.

    aiohttp keeps what ``read()`` returned; without this, a client giving up
    during the delay would leave the handler a body that fails to read. A body
    too large to accept is refused here (``None`` means: go on).
    """
    length = request.content_length
    if not request.body_exists or (length is not None and length > state.max_body):
        return None  # nothing to read, or the handler refuses it unread
    try:
        await request.read()
    except web.HTTPException as error:
        return _http_error(error, state)
    except ConnectionResetError:  # the client left before its body was in
        return _unanswered()
    return None


def _unanswered() -> web.Response:
    """What a handler returns when the client is gone: aiohttp drops it unsent."""
    return web.Response(status=204)


def _middlewares(state: EmulatorState) -> list[Any]:
    dropped: set[int] = set()  # ids of in-flight requests whose connection was dropped

    @web.middleware
    async def access_log(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            if id(request) in dropped:
                dropped.discard(id(request))
                status = 0
            elif request.transport is None:
                # A client going away (a timeout, a closed tab) is normal: one quiet line.
                status = 0
                logger.debug(
                    "client went away before the answer: %s %s",
                    request.method,
                    redact_path(request.path),
                )
            state.log_request(request.method, request.path, status)
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                redact_path(request.path),
                status,
                (time.perf_counter() - started) * 1000,
            )

    @web.middleware
    async def faults(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            return await handler(request)
        rule = state.faults.take(request.method, request.path)
        if rule is None:
            return await handler(request)
        if rule.delay:
            if rule.effect not in ("status", "drop"):
                refused = await _receive_body(request, state)
                if refused is not None:
                    return refused
            await asyncio.sleep(rule.delay)
        if rule.effect == "status":
            return _fault_response(rule)
        if rule.effect == "drop":
            return _drop(request, dropped)
        response = await handler(request)
        if rule.effect == "delay-after":
            await asyncio.sleep(rule.delay_after)
        if rule.effect == "drop-after":
            return _drop(request, dropped)
        if rule.effect == "truncate":
            return _truncate(response)
        return response

    @web.middleware
    async def errors(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error.response()
        except web.HTTPException as error:
            return _http_error(error, state)
        except Exception as error:
            if isinstance(error, ConnectionResetError) and request.transport is None:
                return _unanswered()  # the client went away; the access log notes it
            # Type and place only: an exception's text may quote the request.
            frame = error.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
            logger.error(
                "unhandled %s in %s %s at %s",
                type(error).__name__,
                request.method,
                redact_path(request.path),
                where,
            )
            return ApiError(
                500, "SERVER_ERROR", "The emulator failed to handle the request"
            ).response()

    return [access_log, faults, errors]


def _http_error(error: web.HTTPException, state: EmulatorState) -> web.Response:
    status = error.status
    if status == 404:
        return ApiError(404, "NOT_FOUND", "The requested resource does not exist").response()
    if status == 405:
        allow = error.headers.get("Allow", "")
        return ApiError(
            405, "METHOD_NOT_ALLOWED", "This method is not allowed here", headers={"Allow": allow}
        ).response()
    if status == 413:
        too_large = _too_large(state.max_body).response()
        too_large.force_close()  # do not wait for the rest of an oversized upload
        return too_large
    code = "SERVER_ERROR" if status >= 500 else "BAD_REQUEST"
    return ApiError(status, code, error.reason or "The request failed").response()


# --------------------------------------------------------------------------- app


def create_app(state: EmulatorState) -> web.Application:
    """The aiohttp application serving ``state``; closing the app closes the state."""
    app = web.Application(middlewares=_middlewares(state), client_max_size=state.max_body)
    app[_STATE_KEY] = state
    api = _Api(state)
    add = app.router.add_route
    add("GET", "/api/v1/health", api.health)
    add("GET", "/api/v1/secrets", api.list_secrets)
    add("POST", "/api/v1/secrets", api.create_secret)
    add("GET", "/api/v1/secrets-stats", api.secret_stats)
    add("GET", "/api/v1/secrets/{slug}", api.get_secret)
    add("DELETE", "/api/v1/secrets/{slug}", api.delete_secret)
    add("POST", "/api/v1/secrets/{slug}/reveal", api.reveal)
    add("GET", "/api/v1/requests", api.list_requests)
    add("POST", "/api/v1/requests", api.create_request)
    add("GET", "/api/v1/requests-stats", api.request_stats)
    add("GET", "/api/v1/requests/{token}", api.get_request)
    add("DELETE", "/api/v1/requests/{token}", api.delete_request)
    add("GET", "/s/{slug}", api.viewer)
    add("GET", "/r/{token}", api.request_page)
    add("GET", "/favicon.ico", api.favicon)
    add("GET", "/_emulator/state", api.control_state)
    add("POST", "/_emulator/clock", api.control_clock)
    add("GET", "/_emulator/outbox", api.control_outbox)
    add("POST", "/_emulator/faults", api.control_add_fault)
    add("DELETE", "/_emulator/faults", api.control_clear_faults)
    add("POST", "/_emulator/list-shape", api.control_list_shape)

    async def close_state(_: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, state.close)

    app.on_cleanup.append(close_state)
    return app
