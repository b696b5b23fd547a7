"""What the route handlers share: the token check, the body, lists, the delete answer.

Handlers find the state on the application (``STATE_KEY``) and raise
:class:`~sharokey.emulator.responses.ApiError` to refuse; the error
middleware renders it (docs/protocol.md#5-errors-and-retries).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Union

from aiohttp import web

from sharokey.emulator.responses import ApiError, json_response, ok, too_large, validation_error
from sharokey.emulator.state import STATE_KEY, Company, EmulatorState
from sharokey.emulator.validation import Details
from sharokey.limits import MAX_IDEMPOTENCY_KEY

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_DEPTH",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_NUMBER",
    "NOT_FOUND_MESSAGE",
    "SMALL_BODY",
    "auth",
    "body_limit",
    "client_ip",
    "delete_owned",
    "idempotency_key",
    "list_params",
    "list_response",
    "origin",
    "period_starts",
    "read_body",
    "receive",
    "state_of",
]

#: A list page's size when ``limit`` is not given, and the most one page holds.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
NOT_FOUND_MESSAGE = "Secret not found or expired"
#: The body cap of every endpoint but create (docs/protocol.md#emulator-safety).
SMALL_BODY = 64 * 1024
#: How deep a JSON body may nest, and how many arrays and objects it may hold.
MAX_DEPTH = 64
MAX_CONTAINERS = 10_000
# Bodies larger than this are parsed in a worker thread, not on the event loop.
_PARSE_IN_THREAD = 256 * 1024
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
#: The largest ``limit`` or ``page`` read (nine ASCII digits); more is a 422.
MAX_QUERY_NUMBER = 999_999_999

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
#: ``(status, creator, search, limit, page)`` of a list request.
ListQuery = tuple[Optional[str], Optional[str], Optional[str], int, int]


def state_of(request: web.Request) -> EmulatorState:
    """The state of the emulator serving ``request``."""
    return request.app[STATE_KEY]


def auth(request: web.Request, *, write: bool = False) -> Company:
    """The company the bearer token speaks for; 401 without one, 403 if it may not write."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "AUTHENTICATION_ERROR",
            "Authentication token is missing",
            headers={"WWW-Authenticate": "Bearer"},
        )
    company = state_of(request).company_for(token.strip())
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


async def read_body(request: web.Request) -> tuple[Any, bytes]:
    """The JSON body (``None`` if empty) and its raw bytes (docs/protocol.md#emulator-safety).

    At most ``body_limit`` bytes (the state's cap on create, 64 KiB elsewhere): a
    larger one is 413, refused by its ``Content-Length`` before a byte is read, or
    as soon as a chunked one passes the cap. A body that is not
    ``application/json`` is 415, nesting deeper than ``MAX_DEPTH`` 400, and text
    that is not JSON 400.
    """
    state = state_of(request)
    raw = await receive(request, body_limit(state, request.method, request.path))
    if not raw or raw.isspace():
        return None, raw
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The request body must be JSON, sent as Content-Type: application/json",
        )
    shape = json_shape_error(raw)
    if shape is not None:
        raise ApiError(400, "INVALID_JSON", shape, {"body": [shape]})
    try:
        if len(raw) > _PARSE_IN_THREAD:
            body = await state.db_call(json.loads, raw)
        else:
            body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(
            400,
            "INVALID_JSON",
            "The request body is not valid JSON",
            {"body": ["The request body is not valid JSON"]},
        ) from None
    return body, raw


def body_limit(state: EmulatorState, method: str, path: str) -> int:
    """The most a request's body may carry: the state's cap on create, 64 KiB elsewhere."""
    if method == "POST" and path.rstrip("/") == "/api/v1/secrets":
        return state.max_body
    return min(SMALL_BODY, state.max_body)


async def receive(request: web.Request, limit: int) -> bytes:
    """Read the body once, at most ``limit`` bytes (413 beyond); later calls get the same bytes.

    The bytes wait in ``state.bodies`` until the access log middleware drops them.
    """
    bodies = state_of(request).bodies
    kept = bodies.get(id(request))
    if kept is not None:
        return kept
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    if request.body_exists:
        while True:
            chunk = await request.content.readany()
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    raw = b"".join(chunks)
    bodies[id(request)] = raw
    return raw


def json_shape_error(raw: bytes) -> Optional[str]:
    """Why a JSON text is too deep or has too many arrays and objects; ``None`` if neither.

    Counted before parsing, so a body of a million empty lists is refused without
    building them. Brackets inside strings are taken out first (C-speed regex).
    """
    opened = raw.count(b"[") + raw.count(b"{")
    if opened <= MAX_DEPTH:
        return None
    structure = _BRACKETS.findall(_STRINGS.sub(b'""', raw))
    if sum(1 for b in structure if b in (b"[", b"{")) > MAX_CONTAINERS:
        return f"The request body may hold at most {MAX_CONTAINERS} arrays and objects"
    depth = 0
    for bracket in structure:
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return f"The request body may nest at most {MAX_DEPTH} levels deep"
    return None


def origin(request: web.Request) -> str:
    """Where the links the emulator answers point: its configured public URL.

    Never the request's ``Host`` header, which any client (or a rebound DNS
    name) sets at will (docs/protocol.md#emulator-safety).
    """
    return state_of(request).public_url


def idempotency_key(request: web.Request) -> Optional[str]:
    """The ``Idempotency-Key`` header, stripped; ``None`` if absent or blank."""
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip():
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise validation_error(
            {
                "Idempotency-Key": [
                    f"The Idempotency-Key may have {MAX_IDEMPOTENCY_KEY} characters at most"
                ]
            }
        )
    return key.strip()


def _query_int(value: Optional[str], default: int) -> Optional[int]:
    """ASCII digits only: ``str.isdigit`` (and ``int``) also take ``²`` or ``٣``."""
    if value is None or value == "":
        return default
    value = value.strip(" ")
    return int(value) if _ASCII_NUMBER.fullmatch(value) else None


def list_params(request: web.Request) -> ListQuery:
    """A list's filters and page from the query string; 422 for a bad one."""
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
        raise validation_error(details)
    return (
        status,
        query.get("creator") or None,
        query.get("search") or None,
        min(limit, MAX_PAGE_SIZE),
        page,
    )


def list_response(
    state: EmulatorState,
    items: list[dict[str, Any]],
    total: int,
    limit: int,
    page: int,
    message: str,
) -> web.Response:
    """One page of a list, in the state's list shape (``documented`` or ``items``)."""
    pagination = {
        "current_page": page,
        "per_page": limit,
        "total": total,
        "last_page": max(1, math.ceil(total / limit)),
    }
    if state.list_shape == "items":
        return ok({"items": items, "pagination": pagination}, message)
    return json_response(
        {"success": True, "message": message, "data": items, "pagination": pagination}
    )


async def delete_owned(
    request: web.Request,
    delete: Callable[[str, str, float], bool],
    key: str,
    not_found: str,
    deleted: str,
) -> web.Response:
    """A DELETE of one of the company's resources, named by the path's ``key``.

    ``delete(company, key, now)`` is the store's call; ``False`` (unknown, not
    this company's, or already deleted) answers 404 with ``not_found``.
    """
    company = auth(request, write=True)
    state = state_of(request)
    done = await state.db_call(delete, company.id, request.match_info[key], state.clock.timestamp())
    if not done:
        raise ApiError(404, "NOT_FOUND", not_found)
    return ok(None, deleted)


def period_starts(now: datetime) -> dict[str, float]:
    """When "today", "this week" (from Monday) and "this month" began, for statistics."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    return {"day": day.timestamp(), "week": week.timestamp(), "month": month.timestamp()}


def client_ip(remote: Optional[str]) -> Optional[Address]:
    """The peer's address (IPv4-mapped IPv6 unwrapped); ``None`` off IP, e.g. a Unix socket."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
