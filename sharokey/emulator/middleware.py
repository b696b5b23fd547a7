"""What wraps every route: the access log, the injected faults, the error envelope.

``middlewares(state)`` returns them outermost first. The access log masks
request tokens (``sharokey._mask``); the fault middleware plays the rules of
``sharokey.emulator.faults``; the error middleware turns anything a handler
raises into the JSON envelope (docs/protocol.md#5-errors-and-retries), and
an unexpected exception into a 500 that names only its type and place.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from sharokey._mask import mask_request_tokens
from sharokey.emulator.faults import FaultRule
from sharokey.emulator.responses import ApiError, too_large
from sharokey.emulator.routes._common import body_limit, receive
from sharokey.emulator.state import EmulatorState

__all__ = ["middlewares"]

logger = logging.getLogger("sharokey.emulator")

_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def middlewares(state: EmulatorState) -> list[Middleware]:
    """The access log, then the faults, then the error envelope, around every handler."""
    dropped: set[int] = set()  # ids of in-flight requests whose connection was dropped

    @web.middleware
    async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            state.bodies.pop(id(request), None)
            if id(request) in dropped:
                dropped.discard(id(request))
                status = 0
            elif request.transport is None:
                # A client going away (a timeout, a closed tab) is normal: one quiet line.
                status = 0
                logger.debug(
                    "client went away before the answer: %s %s",
                    request.method,
                    mask_request_tokens(request.path),
                )
            state.log_request(request.method, request.path, status)
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                mask_request_tokens(request.path),
                status,
                (time.perf_counter() - started) * 1000,
            )

    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
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
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await _answer(request, handler)
        if request.body_exists and not request.content.at_eof():
            # Refused unread (no token, too large): close rather than drain the upload.
            response.force_close()
        return response

    async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
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
                mask_request_tokens(request.path),
                where,
            )
            return ApiError(
                500, "SERVER_ERROR", "The emulator failed to handle the request"
            ).response()

    return [access_log, faults, errors]


# --------------------------------------------------------------------------- faults


def _fault_response(rule: FaultRule) -> web.Response:
    """A status fault as a real deployment sends it: nginx pages for 502/504, else JSON."""
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
    limit = body_limit(state, request.method, request.path)
    length = request.content_length
    if not request.body_exists or (length is not None and length > limit):
        return None  # nothing to read, or the handler refuses it unread
    try:
        await receive(request, limit)
    except ApiError as error:
        return error.response()
    except ConnectionResetError:  # the client left before its body was in
        return _unanswered()
    return None


# --------------------------------------------------------------------------- errors


def _unanswered() -> web.Response:
    """What a handler returns when the client is gone: aiohttp drops it unsent."""
    return web.Response(status=204)


def _http_error(error: web.HTTPException, state: EmulatorState) -> web.Response:
    """aiohttp's own refusals (404, 405, 413, ...) in the service's envelope."""
    status = error.status
    if status == 404:
        return ApiError(404, "NOT_FOUND", "The requested resource does not exist").response()
    if status == 405:
        allow = error.headers.get("Allow", "")
        return ApiError(
            405, "METHOD_NOT_ALLOWED", "This method is not allowed here", headers={"Allow": allow}
        ).response()
    if status == 413:
        refused = too_large(state.max_body).response()
        refused.force_close()  # do not wait for the rest of an oversized upload
        return refused
    code = "SERVER_ERROR" if status >= 500 else "BAD_REQUEST"
    return ApiError(status, code, error.reason or "The request failed").response()
