"""The light server: canned documented answers, no storage, so a client's own cost shows.

The emulator validates, stores in SQLite and keeps idempotency records; on
loopback that work hides part of what a client costs. This aiohttp.web app
answers the calls the benchmarks make (create, details, reveal, list pages)
with bodies built once at start-up, checking only the bearer token, so every
contender meets the same near-zero server time. Run in its own process by
the harness (``python -m benchmarks --server light``)::

    python -m benchmarks._light --port 0 --token T

It prints ``listening on <api_url>`` as the emulator does. The reveal answer
is real ciphertext of :data:`CONTENT` under :data:`KEY`, so a client can open
it with the share link :func:`share_fragment` gives.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import secrets
import socket
from typing import Any, Optional

from aiohttp import web
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import PBKDF2

from benchmarks._common import CONTENT

__all__ = ["KEY", "SLUG", "build_app", "main", "share_fragment"]

#: The one slug every answer names.
SLUG = "BenchLightSlug01"
#: The 32-character key of the canned reveal: keyA is its first 8, keyB the other 24.
KEY = "LightBenchKeyAbCdEfGhIjKlMnOpQrS"
STAMP = "2026-01-01T00:00:00.000000Z"
#: Secrets on every page of a listing, and how many pages there are.
PAGE_SIZE = 50
PAGES = 4


def share_fragment() -> str:
    """keyB: the fragment of the share link that opens the canned reveal."""
    return KEY[8:]


def _secret(base: str) -> dict[str, Any]:
    url = f"{base}/s/{SLUG}"
    return {
        "slug": SLUG,
        "description": None,
        "message": None,
        "creator": "bench",
        "maximum_views": 1,
        "current_views": 0,
        "expiration": STAMP,
        "has_password": False,
        "has_attachments": False,
        "attachments_count": 0,
        "captcha": False,
        "otp_type": None,
        "ip_whitelist": None,
        "geolocation": None,
        "is_expired": False,
        "status": "active",
        "access_url": url,
        "share_url": url,
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def _envelope(data: Any, message: str) -> bytes:
    return json.dumps({"success": True, "message": message, "data": data}).encode()


def _revealed() -> dict[str, Any]:
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(12)
    aes_key = PBKDF2(KEY.encode(), salt, dkLen=32, count=10_000, hmac_hash_module=SHA256)
    sealed, tag = AES.new(aes_key, AES.MODE_GCM, nonce=iv).encrypt_and_digest(CONTENT.encode())
    return {
        "content": base64.b64encode(sealed + tag).decode(),
        "iv": base64.b64encode(iv).decode(),
        "salt": base64.b64encode(salt).decode(),
        "key": KEY[:8],
        "attachments": [],
        "description": None,
        "message": None,
        "remaining_views": 0,
    }


def _page(base: str, page: int) -> bytes:
    items = [dict(_secret(base), slug=f"{SLUG[:-2]}{i:04d}") for i in range(PAGE_SIZE)]
    pagination = {
        "current_page": page,
        "per_page": PAGE_SIZE,
        "total": PAGE_SIZE * PAGES,
        "last_page": PAGES,
    }
    return json.dumps({"success": True, "data": items, "pagination": pagination}).encode()


def build_app(token: str, base: str) -> web.Application:
    """The app; ``base`` is the API URL the canned links point under."""
    created = dict(_secret(base), expires_in_hours=24)
    bodies = {
        "create": _envelope(created, "Secret created successfully"),
        "details": _envelope(_secret(base), "Secret retrieved successfully"),
        "reveal": _envelope(_revealed(), "Secret revealed successfully"),
    }
    pages = {page: _page(base, page) for page in range(1, PAGES + 1)}
    unauthorized = json.dumps(
        {"success": False, "error": {"code": "UNAUTHORIZED", "message": "Unauthorized"}}
    ).encode()
    expected = f"Bearer {token}"

    def answer(body: bytes, status: int = 200) -> web.Response:
        return web.Response(body=body, status=status, content_type="application/json")

    def authorized(request: web.Request) -> bool:
        return request.headers.get("Authorization") == expected

    async def create(request: web.Request) -> web.Response:
        await request.read()  # the client's body is sent in full, as to the service
        if not authorized(request):
            return answer(unauthorized, 401)
        return answer(bodies["create"], 201)

    async def details(request: web.Request) -> web.Response:
        if not authorized(request):
            return answer(unauthorized, 401)
        return answer(bodies["details"])

    async def reveal(request: web.Request) -> web.Response:
        await request.read()
        return answer(bodies["reveal"])

    async def listing(request: web.Request) -> web.Response:
        if not authorized(request):
            return answer(unauthorized, 401)
        try:
            page = int(request.query.get("page", "1"))
        except ValueError:
            page = 1
        return answer(pages.get(page, pages[PAGES]))

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/api/v1/secrets", create)
    app.router.add_get("/api/v1/secrets", listing)
    app.router.add_get("/api/v1/secrets/{slug}", details)
    app.router.add_post("/api/v1/secrets/{slug}/reveal", reveal)
    return app


async def _serve(host: str, port: int, token: str) -> None:
    # Bind first (port 0 picks a free one), then build the app for the URL it got.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base = f"http://{host}:{sock.getsockname()[1]}/api/v1"
    runner = web.AppRunner(build_app(token, base), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"light server listening on {base}", flush=True)
    await asyncio.Event().wait()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._light")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT is a normal stop
        asyncio.run(_serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
