"""The secrets of the management API: list, create, details, delete, statistics.

Every route needs a bearer token and sees only its company's secrets
(docs/protocol.md#2-endpoints); a create is validated as the service does
(docs/protocol.md#3-creating-a-secret) and may carry an ``Idempotency-Key``
(docs/protocol.md#idempotency).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from aiohttp import web

from sharokey.emulator.passwords import hash_password
from sharokey.emulator.responses import ApiError, ok, stamp, validation_error
from sharokey.emulator.routes._common import (
    NOT_FOUND_MESSAGE,
    auth,
    delete_owned,
    idempotency_key,
    list_params,
    list_response,
    origin,
    period_starts,
    read_body,
    state_of,
)
from sharokey.emulator.state import Company
from sharokey.emulator.validation import validate_secret

__all__ = ["add_routes", "secret_view"]


def secret_view(request: web.Request, row: dict[str, Any], *, details: bool) -> dict[str, Any]:
    """A secret as the API shows it, fields in the service's order; never its content."""
    url = f"{origin(request)}/s/{row['slug']}"
    expired = bool(row["is_expired"])
    view: dict[str, Any] = {
        "slug": row["slug"],
        "description": row["description"],
        "message": row["message"],
        "creator": row["creator"],
        "maximum_views": row["maximum_views"],
        "current_views": row["current_views"],
        "expiration": stamp(row["expiration"]),
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
            "created_at": stamp(row["created_at"]),
            "updated_at": stamp(row["updated_at"]),
        }
    )
    return view


async def list_secrets(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    status, creator, search, limit, page = list_params(request)
    rows, total = await state.db_call(
        state.store.list_secrets,
        company.id,
        state.clock.timestamp(),
        status=status,
        creator=creator,
        search=search,
        limit=limit,
        page=page,
    )
    items = [secret_view(request, row, details=False) for row in rows]
    return list_response(state, items, total, limit, page, "Secrets retrieved successfully")


async def create_secret(request: web.Request) -> web.Response:
    company = auth(request, write=True)
    body, raw = await read_body(request)
    key = idempotency_key(request)
    if key is None:
        return await _create_secret(request, company, body)
    return await state_of(request).idempotency.run(
        ("create", company.id, key),
        hashlib.sha256(raw).hexdigest(),
        lambda: _create_secret(request, company, body),
        secret_of=_created_slug,  # its kept answer goes when the secret is deleted
    )


def _created_slug(answer: web.Response) -> Optional[str]:
    if not isinstance(answer.body, bytes):
        return None
    slug = json.loads(answer.body).get("data", {}).get("slug")
    return slug if isinstance(slug, str) else None


async def _create_secret(request: web.Request, company: Company, body: Any) -> web.Response:
    state = state_of(request)
    checked = await state.db_call(validate_secret, body)
    if isinstance(checked, dict):
        raise validation_error(checked)
    password_hash = None
    if checked.password is not None:
        password_hash = await state.db_call(hash_password, checked.password)
    row = await state.db_call(
        state.store.create_secret,
        company=company.id,
        creator=company.creator,
        data=checked,
        password_hash=password_hash,
        now=state.clock.timestamp(),
        quota=state.quota,
    )
    if row is None:
        raise ApiError(
            403,
            "QUOTA_EXCEEDED",
            "You have reached the maximum allowed secrets for your current plan.",
        )
    data = secret_view(request, row, details=False)
    data["expires_in_hours"] = row["expires_in_hours"]
    return ok(data, "Secret created successfully", status=201)


async def get_secret(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    row = await state.db_call(
        state.store.get_secret,
        company.id,
        request.match_info["slug"],
        state.clock.timestamp(),
    )
    if row is None:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    return ok(secret_view(request, row, details=True), "Secret retrieved successfully")


async def delete_secret(request: web.Request) -> web.Response:
    state = state_of(request)
    answer = await delete_owned(
        request, state.store.delete_secret, "slug", NOT_FOUND_MESSAGE, "Secret deleted successfully"
    )
    # A deleted secret is never replayed from the cache (docs/protocol.md#emulator-safety).
    state.idempotency.forget_secret(request.match_info["slug"])
    return answer


async def secret_stats(request: web.Request) -> web.Response:
    company = auth(request)
    state = state_of(request)
    now = state.clock.now()
    stats = await state.db_call(
        state.store.secret_stats, company.id, now.timestamp(), period_starts(now)
    )
    return ok(stats, "Secrets statistics retrieved successfully")


def add_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/api/v1/secrets", list_secrets)
    add("POST", "/api/v1/secrets", create_secret)
    add("GET", "/api/v1/secrets-stats", secret_stats)
    add("GET", "/api/v1/secrets/{slug}", get_secret)
    add("DELETE", "/api/v1/secrets/{slug}", delete_secret)
