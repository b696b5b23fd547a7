"""What the route handlers share: the token check, the body, lists, the delete answer.

Handlers find the state on the application (``STATE_KEY``) and raise
:class:`~sharokey.emulator.responses.ApiError` to refuse; the error
middleware renders it (docs/protocol.md#5-errors-and-retries).
"""

from __future__ import annotations

import ipaddress
import json
import math
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Union

from aiohttp import web

from sharokey.emulator.responses import ApiError, json_response, ok, validation_error
from sharokey.emulator.state import STATE_KEY, Company, EmulatorState
from sharokey.emulator.validation import Details
from sharokey.limits import MAX_IDEMPOTENCY_KEY

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "NOT_FOUND_MESSAGE",
    "auth",
    "client_ip",
    "delete_owned",
    "idempotency_key",
    "list_params",
    "list_response",
    "origin",
    "period_starts",
    "read_body",
    "state_of",
]

#: A list page's size when ``limit`` is not given, and the most one page holds.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
NOT_FOUND_MESSAGE = "Secret not found or expired"
# Bodies larger than this are parsed in a worker thread, not on the event loop.
_PARSE_IN_THREAD = 256 * 1024

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
    """The JSON body (``None`` if empty) and its raw bytes; 400 if it is not JSON."""
    state = state_of(request)
    length = request.content_length
    if length is not None and length > state.max_body:
        raise web.HTTPRequestEntityTooLarge(max_size=state.max_body, actual_size=length)
    raw = await request.read()
    if not raw or raw.isspace():
        return None, raw
    try:
        if len(raw) > _PARSE_IN_THREAD:
            body = await state.db_call(json.loads, raw)
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


def origin(request: web.Request) -> str:
    """``scheme://host`` as the client reached the emulator, for the links it answers."""
    return f"{request.scheme}://{request.host}"


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
    if value is None or value == "":
        return default
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


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
