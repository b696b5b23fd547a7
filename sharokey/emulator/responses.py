"""The service's answer envelope, success and failure (docs/protocol.md#5-errors-and-retries).

Handlers, the idempotency cache and the middlewares all answer through these
few functions, so every JSON answer has the same shape. The module imports
nothing of the emulator's state or routes, which is what lets all of them
import it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Optional

from aiohttp import web

from sharokey.emulator.validation import Details

__all__ = ["ApiError", "json_response", "ok", "stamp", "too_large", "validation_error"]


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
        return json_response({"success": False, "error": error}, self.status, self.headers)


def json_response(
    payload: Any, status: int = 200, headers: Optional[dict[str, str]] = None
) -> web.Response:
    """``payload`` as UTF-8 JSON, non-ASCII kept as is (the service does the same)."""
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def ok(data: Any, message: Optional[str] = None, status: int = 200) -> web.Response:
    """The success envelope: ``success``, then ``message`` if any, then ``data``."""
    payload: dict[str, Any] = {"success": True}
    if message is not None:
        payload["message"] = message
    payload["data"] = data
    return json_response(payload, status)


def too_large(limit: int) -> ApiError:
    """The body cap (docs/protocol.md#emulator-safety): 413, the cap in KiB or MiB."""
    shown = f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KiB"
    return ApiError(413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {shown}")


def validation_error(details: Details) -> ApiError:
    """A 422 whose message is the first field's first message."""
    first = next(iter(details.values()))[0]
    return ApiError(422, "VALIDATION_ERROR", first, details)


def stamp(epoch: float) -> str:
    """``2025-08-11T18:52:37.000000Z``, the service's timestamp format."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
