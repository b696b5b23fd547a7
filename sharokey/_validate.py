"""Argument checks against the service's limits, before anything leaves the machine.

Pure functions: no I/O, no clock. Every violation becomes one
:class:`~sharokey.errors.ValidationError` whose ``details`` are keyed by the
argument name the caller used (``hours``, ``ip_whitelist``, ...) and whose
message names the limit. Messages never quote a password or the content.
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union
from urllib.parse import quote

import attrs

from sharokey._messages import Progress
from sharokey.errors import ValidationError
from sharokey.limits import (
    MAX_HOURS,
    MAX_IDEMPOTENCY_KEY,
    MAX_REQUEST_VIEWS,
    MAX_TEXT,
    MAX_VIEWS,
    MIN_HOURS,
    MIN_VIEWS,
)

__all__ = [
    "AttachmentSource",
    "CreateArgs",
    "ListArgs",
    "RequestArgs",
    "RevealArgs",
    "Violations",
    "create_args",
    "list_args",
    "path_segment",
    "progress_callback",
    "request_args",
    "reveal_args",
]


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
_KEY_RE = re.compile(rf"^[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: A path segment of URL-unreserved characters only: nothing to strip, check or quote.
_PLAIN_SEGMENT_RE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,511}")
_STATUSES = ("active", "expired")
_LOCALES = ("en", "fr")


class Violations:
    """Collects problems, then raises them all as one ValidationError."""

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}
        self._order: list[str] = []

    def add(self, argument: str, problem: str) -> None:
        self._items.setdefault(argument, []).append(problem)
        self._order.append(f"{argument} {problem}")

    def raise_if_any(self) -> None:
        if self._items:
            raise ValidationError("; ".join(self._order) + ".", details=dict(self._items))


# --------------------------------------------------------------------------- primitives


def _int_between(v: Violations, name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        v.add(name, f"must be between {low} and {high}")
        return low
    return value


def _text(v: Violations, name: str, value: object, limit: int = MAX_TEXT) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        v.add(name, "must be a string")
        return None
    if len(value) > limit:
        v.add(name, f"must be at most {limit} characters")
    return value


def _email(v: Violations, name: str, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or _EMAIL_RE.match(value.strip()) is None:
        v.add(name, "must be an e-mail address")
        return None
    value = value.strip()
    if len(value) > MAX_TEXT:
        v.add(name, f"must be at most {MAX_TEXT} characters")
    return value


def _items(value: Union[str, Iterable[Any]]) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [part.strip() if isinstance(part, str) else part for part in value]


def _ip_whitelist(v: Violations, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, (str, list, tuple, set, frozenset)):
        v.add("ip_whitelist", "must be a comma-separated string or a list of IPv4 addresses")
        return None
    entries = _items(value)
    if not entries:
        v.add("ip_whitelist", "must name at least one IPv4 address or CIDR range")
        return None
    for index, entry in enumerate(entries, 1):
        ok = isinstance(entry, str)
        if ok:
            try:
                network = ipaddress.ip_network(entry, strict=False)
                ok = network.version == 4
            except ValueError:
                ok = False
        if not ok:
            v.add("ip_whitelist", f"entry {index} is not an IPv4 address or CIDR range")
    joined = ",".join(str(entry) for entry in entries)
    if len(joined) > MAX_TEXT:
        v.add("ip_whitelist", f"must be at most {MAX_TEXT} characters in all")
    return joined


def _geolocation(v: Violations, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, (str, list, tuple, set, frozenset)):
        v.add("geolocation", "must be a comma-separated string or a list of country codes")
        return None
    entries = _items(value)
    if not entries:
        v.add("geolocation", "must name at least one ISO 3166 alpha-2 country code")
        return None
    codes = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, str) or _COUNTRY_RE.match(entry) is None:
            v.add("geolocation", f"entry {index} is not an ISO 3166 alpha-2 code (two letters)")
        else:
            codes.append(entry.upper())
    joined = ",".join(codes)
    if len(joined) > MAX_TEXT:
        v.add("geolocation", f"must be at most {MAX_TEXT} characters in all")
    return joined


def path_segment(value: object, name: str) -> str:
    """A slug or request token made safe for one URL path segment (percent-quoted)."""
    if isinstance(value, str) and _PLAIN_SEGMENT_RE.fullmatch(value):
        return value  # every slug and token the service issues: taken as is
    if (
        not isinstance(value, str)
        or not value.strip()
        or value.strip() in (".", "..")
        or _CONTROL_RE.search(value)
        or len(value) > 512
    ):
        raise ValidationError(
            f"{name} must be a non-empty identifier without control characters.",
            details={name: ["must be a non-empty identifier"]},
        )
    return quote(value.strip(), safe="")


def idempotency_key(value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or _KEY_RE.match(value) is None:
        raise ValidationError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters.",
            details={
                "idempotency_key": [f"must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"]
            },
        )
    return value


def progress_callback(value: object) -> Optional[Progress]:
    """``progress=``: None, or a plain callable (a coroutine function would never be awaited)."""
    if value is None:
        return None
    if not callable(value) or inspect.iscoroutinefunction(value):
        raise ValidationError(
            "progress must be a plain function taking (done, total), not a coroutine function.",
            details={"progress": ["must be a plain callable"]},
        )
    return value


# --------------------------------------------------------------------------- attachments


@attrs.frozen
class AttachmentSource:
    """One attachment as the caller gave it, not yet read.

    ``kind`` is ``"bytes"`` (``data`` set), ``"path"`` or ``"file"`` (``source``
    set); files are read later, off the event loop.
    """

    kind: str
    name: str
    data: Optional[bytes] = attrs.field(default=None, repr=False)
    source: Any = attrs.field(default=None, repr=False)


def _attachments(v: Violations, value: object) -> tuple[AttachmentSource, ...]:
    # Shapes only: the budget (count and bytes) is checked where the files are read (_body).
    if value is None:
        return ()
    if isinstance(value, (str, bytes, bytearray, os.PathLike)) or not isinstance(
        value, (Sequence, Iterable)
    ):
        v.add("attachments", "must be a list of paths, (name, bytes) pairs or binary files")
        return ()
    if hasattr(value, "read"):
        # A lone open file is iterable (by lines); reading it as a list of items would
        # consume it and report each line as a bad item.
        v.add("attachments", "must be a list: wrap a single file as [file]")
        return ()
    items = list(value)
    out: list[AttachmentSource] = []
    for index, item in enumerate(items, 1):
        if isinstance(item, (str, os.PathLike)):
            name = os.path.basename(os.fspath(item))
            if not name:
                v.add("attachments", f"item {index} is not a file path")
                continue
            out.append(AttachmentSource("path", str(name), source=item))
        elif isinstance(item, tuple) and len(item) == 2:
            name, data = item
            if not isinstance(name, str) or not name.strip():
                v.add("attachments", f"item {index} needs a non-empty name")
                continue
            if not isinstance(data, (bytes, bytearray, memoryview)):
                v.add("attachments", f"item {index} ({name}) must hold bytes")
                continue
            data = bytes(data)
            out.append(AttachmentSource("bytes", name, data=data))
        elif hasattr(item, "read"):
            raw_name = getattr(item, "name", None)
            name = os.path.basename(raw_name) if isinstance(raw_name, str) else ""
            out.append(AttachmentSource("file", name or f"attachment-{index}", source=item))
        else:
            v.add("attachments", f"item {index} is not a path, a (name, bytes) pair or a file")
    return tuple(out)


# --------------------------------------------------------------------------- operations


@attrs.frozen(kw_only=True)
class CreateArgs:
    """A checked ``create`` call. Content and password stay out of ``repr``."""

    content: str = attrs.field(repr=False)
    hours: int
    views: int
    description: Optional[str] = None
    message: Optional[str] = None
    password: Optional[str] = attrs.field(default=None, repr=False)
    captcha: bool = False
    otp_type: Optional[str] = None
    otp_receiver: Optional[str] = attrs.field(default=None, repr=False)
    ip_whitelist: Optional[str] = None
    geolocation: Optional[str] = None
    attachments: tuple[AttachmentSource, ...] = ()


def create_args(
    content: object,
    hours: object,
    views: object,
    *,
    description: object = None,
    message: object = None,
    password: object = None,
    captcha: object = False,
    otp_email: object = None,
    otp_phone: object = None,
    ip_whitelist: object = None,
    geolocation: object = None,
    attachments: object = None,
) -> CreateArgs:
    v = Violations()
    files = _attachments(v, attachments)
    if not isinstance(content, str):
        v.add("content", "must be a string")
        content = ""
    elif not content and not files:
        v.add("content", "must not be empty (or give attachments)")
    checked_hours = _int_between(v, "hours", hours, MIN_HOURS, MAX_HOURS)
    checked_views = _int_between(v, "views", views, MIN_VIEWS, MAX_VIEWS)
    checked_description = _text(v, "description", description)
    checked_message = _text(v, "message", message)
    if password is not None and (not isinstance(password, str) or not password):
        v.add("password", "must be a non-empty string")
        password = None
    if not isinstance(captcha, bool):
        v.add("captcha", "must be True or False")
        captcha = False
    otp_type = otp_receiver = None
    if otp_email is not None and otp_phone is not None:
        v.add("otp_email", "cannot be combined with otp_phone (give one)")
        v.add("otp_phone", "cannot be combined with otp_email (give one)")
    elif otp_email is not None:
        otp_receiver = _email(v, "otp_email", otp_email)
        otp_type = "email"
    elif otp_phone is not None:
        if not isinstance(otp_phone, str) or _PHONE_RE.match(otp_phone.strip()) is None:
            v.add("otp_phone", "must be an E.164 number like +33612345678")
        else:
            otp_receiver = otp_phone.strip()
            otp_type = "phone"
    checked_ips = _ip_whitelist(v, ip_whitelist)
    checked_geo = _geolocation(v, geolocation)
    v.raise_if_any()
    assert isinstance(content, str)
    return CreateArgs(
        content=content,
        hours=checked_hours,
        views=checked_views,
        description=checked_description,
        message=checked_message,
        password=password if isinstance(password, str) else None,
        captcha=bool(captcha),
        otp_type=otp_type,
        otp_receiver=otp_receiver,
        ip_whitelist=checked_ips,
        geolocation=checked_geo,
        attachments=files,
    )


@attrs.frozen(kw_only=True)
class RequestArgs:
    """A checked ``create_request`` call, in wire field order."""

    secret_expiration_hours: int
    request_expiration_hours: int
    maximum_views: int
    message: Optional[str] = None
    description: Optional[str] = None
    email_to: Optional[str] = None
    email_reply: Optional[str] = None
    locale: Optional[str] = None


def request_args(
    *,
    secret_expiration_hours: object,
    request_expiration_hours: object,
    maximum_views: object,
    message: object = None,
    description: object = None,
    email_to: object = None,
    email_reply: object = None,
    locale: object = None,
) -> RequestArgs:
    v = Violations()
    secret_hours = _int_between(
        v, "secret_expiration_hours", secret_expiration_hours, MIN_HOURS, MAX_HOURS
    )
    request_hours = _int_between(
        v, "request_expiration_hours", request_expiration_hours, MIN_HOURS, MAX_HOURS
    )
    views = _int_between(v, "maximum_views", maximum_views, MIN_VIEWS, MAX_REQUEST_VIEWS)
    checked_message = _text(v, "message", message)
    checked_description = _text(v, "description", description)
    checked_to = _email(v, "email_to", email_to)
    checked_reply = _email(v, "email_reply", email_reply)
    checked_locale: Optional[str] = None
    if locale is not None:
        if not isinstance(locale, str) or locale.lower() not in _LOCALES:
            v.add("locale", "must be 'en' or 'fr'")
        else:
            checked_locale = locale.lower()
    v.raise_if_any()
    return RequestArgs(
        secret_expiration_hours=secret_hours,
        request_expiration_hours=request_hours,
        maximum_views=views,
        message=checked_message,
        description=checked_description,
        email_to=checked_to,
        email_reply=checked_reply,
        locale=checked_locale,
    )


@attrs.frozen(kw_only=True)
class ListArgs:
    status: Optional[str] = None
    limit: Optional[int] = None
    page: int = 1
    creator: Optional[str] = None
    search: Optional[str] = None


def list_args(
    *, status: object, limit: object, page: object, creator: object, search: object
) -> ListArgs:
    v = Violations()
    checked_status: Optional[str] = None
    if status is not None:
        if not isinstance(status, str) or status.lower() not in _STATUSES:
            v.add("status", "must be 'active' or 'expired'")
        else:
            checked_status = status.lower()
    checked_limit: Optional[int] = None
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            v.add("limit", "must be a positive integer (the page size)")
        else:
            checked_limit = limit
    checked_page = 1
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            v.add("page", "must be a positive integer")
        else:
            checked_page = page
    checked_creator = _text(v, "creator", creator)
    checked_search = _text(v, "search", search)
    v.raise_if_any()
    return ListArgs(
        status=checked_status,
        limit=checked_limit,
        page=checked_page,
        creator=checked_creator,
        search=checked_search,
    )


@attrs.frozen(kw_only=True)
class RevealArgs:
    """The answers to a secret's protections. Never shown in ``repr``."""

    password: Optional[str] = attrs.field(default=None, repr=False)
    otp: Optional[str] = attrs.field(default=None, repr=False)
    captcha: Optional[str] = attrs.field(default=None, repr=False)


def reveal_args(*, password: object, otp: object, captcha: object) -> RevealArgs:
    v = Violations()
    values: dict[str, Optional[str]] = {}
    for name, value in (("password", password), ("otp", otp), ("captcha", captcha)):
        if value is None:
            values[name] = None
        elif not isinstance(value, str) or not value:
            v.add(name, "must be a non-empty string")
            values[name] = None
        else:
            values[name] = value
    v.raise_if_any()
    return RevealArgs(**values)
