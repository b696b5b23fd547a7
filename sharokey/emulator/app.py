"""The emulator's HTTP application: the Sharokey API over the SQLite store.

``create_app`` wires an :class:`~sharokey.emulator.state.EmulatorState` into
an ``aiohttp.web.Application``: the middlewares (``middleware``), then each
resource's routes (``routes/``). Handlers never touch SQLite on the event
loop: each store call runs in the state's small thread pool.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from sharokey.emulator import openapi
from sharokey.emulator.middleware import middlewares
from sharokey.emulator.routes import control, health, pages, requests, reveal, secrets
from sharokey.emulator.state import STATE_KEY, EmulatorState

__all__ = ["create_app"]

# In the order the router tries them.
_RESOURCES = (health, openapi, secrets, reveal, requests, pages, control)


def create_app(state: EmulatorState) -> web.Application:
    """The aiohttp application serving ``state``; closing the app closes the state."""
    app = web.Application(middlewares=middlewares(state), client_max_size=state.max_body)
    app[STATE_KEY] = state
    for resource in _RESOURCES:
        resource.add_routes(app)

    async def close_state(_: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, state.close)

    app.on_cleanup.append(close_state)
    return app
