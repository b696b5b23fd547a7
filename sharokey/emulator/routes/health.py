"""``GET /api/v1/health``: whether the emulator answers, and which version it is."""

from __future__ import annotations

from aiohttp import web

from sharokey._version import __version__
from sharokey.emulator.responses import ok, stamp
from sharokey.emulator.routes._common import state_of

__all__ = ["add_routes"]


async def health(request: web.Request) -> web.Response:
    """No token needed: a client may check the service before it has one."""
    return ok(
        {
            "status": "ok",
            "service": "sharokey-emulator",
            "version": __version__,
            "time": stamp(state_of(request).clock.timestamp()),
        },
        "OK",
    )


def add_routes(app: web.Application) -> None:
    app.router.add_route("GET", "/api/v1/health", health)
