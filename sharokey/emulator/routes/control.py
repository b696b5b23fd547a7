"""``/_emulator/...``: what a test drives, over HTTP (docs/protocol.md#emulator-safety).

State, clock, OTP outbox, faults and list shape, the same controls
:class:`~sharokey.emulator.EmulatorHandle` offers in-process. They answer only
a loopback peer that names a loopback host, sends JSON and carries no foreign
``Origin``: nobody else on the network, and no web page open in the
developer's browser (cross-site forms, DNS rebinding), can move the clock or
read the codes. A refused value is a 400 and changes nothing.
"""

from __future__ import annotations

from typing import Optional

from aiohttp import web

from sharokey.emulator._clock import MAX_ADVANCE_SECONDS
from sharokey.emulator.faults import parse_fault
from sharokey.emulator.responses import ApiError, ok, stamp
from sharokey.emulator.routes._common import client_ip, read_body, state_of
from sharokey.emulator.state import EmulatorState

__all__ = ["add_routes"]


def _is_loopback(remote: Optional[str]) -> bool:
    address = client_ip(remote)
    return address is not None and address.is_loopback


def _loopback_host(host: str) -> bool:
    """``localhost``, ``127.0.0.1``, ``[::1]`` (any loopback address), with any port."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name in ("localhost", "localhost."):
        return True
    return _is_loopback(name)


def _refuse(why: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", f"The control endpoints answer {why} only")


def _control(request: web.Request) -> EmulatorState:
    """The state, once the request is known to come from the machine itself; 403 otherwise."""
    if not _is_loopback(request.remote):
        raise _refuse("loopback clients")
    if not _loopback_host(request.headers.get("Host", "")):
        raise _refuse("requests for a loopback host (localhost, 127.0.0.1, [::1])")
    sent = request.headers.get("Origin")
    own = {f"{request.scheme}://{request.host}".lower(), state_of(request).public_url.lower()}
    if sent is not None and sent.strip().rstrip("/").lower() not in own:
        raise _refuse("requests from the emulator's own origin (or none)")
    if request.body_exists and request.content_type != "application/json":
        raise _refuse("JSON bodies (Content-Type: application/json)")
    return state_of(request)


def _bad_value(field: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_VALUE", message, {field: [message]})


async def control_state(request: web.Request) -> web.Response:
    state = _control(request)
    count = await state.db_call(state.store.count_secrets)
    return ok(
        {
            "secret_count": count,
            "faults": state.faults.snapshot(),
            "clock": {
                "now": stamp(state.clock.timestamp()),
                "offset_seconds": state.clock.offset_seconds,
            },
            "list_shape": state.list_shape,
            "outbox_size": len(state.outbox),
            "quota": state.quota,
        }
    )


async def control_clock(request: web.Request) -> web.Response:
    state = _control(request)
    body, _ = await read_body(request)
    seconds = body.get("advance_seconds") if isinstance(body, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise _bad_value(
            "advance_seconds",
            f"Give a number of seconds from 0 to {MAX_ADVANCE_SECONDS}",
        )
    try:
        moved = state.clock.advance(seconds=seconds)
    except ValueError as error:  # nothing moved
        raise _bad_value("advance_seconds", str(error)) from None
    return ok({"now": stamp(moved.timestamp()), "offset_seconds": state.clock.offset_seconds})


async def control_outbox(request: web.Request) -> web.Response:
    state = _control(request)
    return ok(
        [
            {
                "channel": m.channel,
                "destination": m.destination,
                "code": m.code,
                "slug": m.slug,
                "sent_at": stamp(m.sent_at.timestamp()),
            }
            for m in state.outbox
        ]
    )


async def control_add_fault(request: web.Request) -> web.Response:
    state = _control(request)
    body, _ = await read_body(request)
    rule = body.get("rule") if isinstance(body, dict) else None
    try:
        parsed = parse_fault(rule)  # type: ignore[arg-type]  # checked inside
    except ValueError as error:
        raise _bad_value("rule", str(error)) from None
    state.faults.add(parsed)
    return ok({"faults": state.faults.snapshot()}, "Fault added", 201)


async def control_clear_faults(request: web.Request) -> web.Response:
    state = _control(request)
    state.faults.clear()
    return ok({"faults": []}, "Faults cleared")


async def control_list_shape(request: web.Request) -> web.Response:
    state = _control(request)
    body, _ = await read_body(request)
    shape = body.get("shape") if isinstance(body, dict) else None
    try:
        state.set_list_shape(str(shape))
    except ValueError as error:
        raise _bad_value("shape", str(error)) from None
    return ok({"list_shape": state.list_shape})


def add_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/_emulator/state", control_state)
    add("POST", "/_emulator/clock", control_clock)
    add("GET", "/_emulator/outbox", control_outbox)
    add("POST", "/_emulator/faults", control_add_fault)
    add("DELETE", "/_emulator/faults", control_clear_faults)
    add("POST", "/_emulator/list-shape", control_list_shape)
