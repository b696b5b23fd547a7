"""Secret requests in the management API: list, create, details, delete, statistics.

The same rules as secrets (a token, one company's rows), with a request
token in the path instead of a slug (docs/protocol.md#2-endpoints). The
token is a credential: the access log masks it (``sharokey._mask``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sharokey.emulator.responses import ApiError, ok, stamp, validation_error
from sharokey.emulator.routes._common import (
    auth,
    delete_owned,
    list_params,
    list_response,
    origin,
    period_starts,
    read_body,
    state_of,
)
from sharokey.emulator.validation import validate_request

__all__ = ["REQUEST_NOT_FOUND", "add_routes", "request_view"]

REQUEST_NOT_FOUND = "Secret request not found or expired"


def request_view(request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
    """A secret request as the API shows it, fields in the service's order."""
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
        "request_url": f"{origin(request)}/r/{row['token']}",
        "expiration": stamp(row["expiration"]),
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
    }


async def list_requests(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    status, creator, search, limit, page = list_params(request)
    rows, total = await state.db_call(
        state.store.list_requests,
        company.id,
        state.clock.timestamp(),
        status=status,
        creator=creator,
        search=search,
        limit=limit,
        page=page,
    )
    items = [request_view(request, row) for row in rows]
    return list_response(state, items, total, limit, page, "Secret requests retrieved successfully")


async def create_request(request: web.Request) -> web.Response:
    company = auth(request, write=True)
    state = state_of(request)
    body, _ = await read_body(request)
    checked = validate_request(body)
    if isinstance(checked, dict):
        raise validation_error(checked)
    row = await state.db_call(
        state.store.create_request,
        company=company.id,
        creator=company.creator,
        data=checked,
        now=state.clock.timestamp(),
    )
    return ok(request_view(request, row), "Secret request created successfully", 201)


async def get_request(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    row = await state.db_call(
        state.store.get_request,
        company.id,
        request.match_info["token"],
        state.clock.timestamp(),
    )
    if row is None:
        raise ApiError(404, "NOT_FOUND", REQUEST_NOT_FOUND)
    return ok(request_view(request, row), "Secret request retrieved successfully")


async def delete_request(request: web.Request) -> web.Response:
    return await delete_owned(
        request,
        state_of(request).store.delete_request,
        "token",
        REQUEST_NOT_FOUND,
        "Secret request deleted successfully",
    )


async def request_stats(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    now = state.clock.now()
    stats = await state.db_call(
        state.store.request_stats, company.id, now.timestamp(), period_starts(now)
    )
    return ok(stats, "Secret requests statistics retrieved successfully")


def add_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/api/v1/requests", list_requests)
    add("POST", "/api/v1/requests", create_request)
    add("GET", "/api/v1/requests-stats", request_stats)
    add("GET", "/api/v1/requests/{token}", get_request)
    add("DELETE", "/api/v1/requests/{token}", delete_request)
