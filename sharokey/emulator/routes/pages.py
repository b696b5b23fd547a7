"""The pages a browser opens: the viewer ``/s/{slug}``, the request page ``/r/{token}``.

The viewer page (docs/protocol.md#viewer-page) is ``static/viewer.html`` with
the secret's public facts in a JSON ``<script>``; it decrypts in the browser
with the key from the link's fragment, which never reaches the server, so
loading the page reveals nothing. Every page carries a strict CSP that allows
only its own inline scripts, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sharokey.emulator.routes._common import state_of
from sharokey.emulator.routes.reveal import protection

__all__ = ["CONFIG_PLACEHOLDER", "VIEWER_PATH", "add_routes", "script_json"]

CONFIG_PLACEHOLDER = "{{SHAROKEY_CONFIG}}"
#: Read on every page load (a test may point it elsewhere).
VIEWER_PATH = Path(__file__).resolve().parent.parent / "static" / "viewer.html"

_INLINE_SCRIPT_RE = re.compile(
    r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_FALLBACK_VIEWER = (
    "<!doctype html><meta charset=utf-8><title>Sharokey</title>"
    '<script type="application/json" id="sharokey-config">'
    + CONFIG_PLACEHOLDER
    + "</script><p>The viewer page is not installed.</p>"
)
_PAGE_HEAD = (
    '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="robots" content="noindex">\n<title>{title} - Sharokey emulator</title>\n'
    "<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
    "padding:0 1rem;line-height:1.5}}.text{{white-space:pre-wrap}}</style>\n"
    "<h1>{title}</h1>\n"
)
_REQUEST_NOT_EMULATED = (
    "<p>Answering secret requests is not emulated: this local Sharokey emulator shows "
    "the request but cannot send a secret back. On the real service, this page lets "
    "the recipient encrypt a secret and send it to whoever asked.</p>\n"
)
_REQUEST_GONE = "<p>This secret request does not exist, was deleted or has expired.</p>\n"


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``."""
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _page(page: str, status: int) -> web.Response:
    """An HTML page with the viewer's security headers: no framing, no referrer, no cache."""
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": _viewer_csp(page),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        },
    )


def _viewer_csp(page: str) -> str:
    """A policy allowing this page's own inline scripts (by hash) and nothing foreign."""
    hashes = []
    for match in _INLINE_SCRIPT_RE.finditer(page):
        attrs = match.group("attrs").lower()
        if re.search(r"\bsrc\s*=", attrs) or "application/json" in attrs:
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    scripts = " ".join(["'self'", *sorted(set(hashes))])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


async def viewer(request: web.Request) -> web.Response:
    state = state_of(request)
    slug = request.match_info["slug"]
    info = await state.db_call(state.store.public_info, slug, state.clock.timestamp())
    kind = protection(info) if info is not None else None
    config = {
        "slug": slug,
        "description": info["description"] if info is not None else None,
        "has_password": kind == "password",
        "captcha": kind == "captcha",
        "otp_type": (
            info["otp_type"] if info is not None and kind in ("otp_email", "otp_phone") else None
        ),
        "reveal_url": f"/api/v1/secrets/{quote(slug, safe='')}/reveal",
        "expired": info is None or bool(info["expired"]),
    }
    try:
        template = await state.db_call(VIEWER_PATH.read_text, encoding="utf-8")
    except OSError:
        template = _FALLBACK_VIEWER
    page = template.replace(CONFIG_PLACEHOLDER, script_json(config))
    return _page(page, 200 if info is not None else 404)


async def request_page(request: web.Request) -> web.Response:
    """Where ``request_url`` leads: the request's words, and that answering is not emulated.

    The token is the credential of whoever may answer: the page never shows it.
    """
    state = state_of(request)
    row = await state.db_call(
        state.store.public_request, request.match_info["token"], state.clock.timestamp()
    )
    if row is None:
        title = "Secret request not found or expired"
        return _page(_PAGE_HEAD.format(title=title) + _REQUEST_GONE, 404)
    parts = [_PAGE_HEAD.format(title="Secret request")]
    for name in ("description", "message"):
        if row[name]:
            parts.append(f'<p class="text {name}">{html.escape(row[name])}</p>\n')
    expires = datetime.fromtimestamp(row["expiration"], timezone.utc)
    parts.append(f"<p>The request expires on {expires:%Y-%m-%d %H:%M} UTC.</p>\n")
    parts.append(_REQUEST_NOT_EMULATED)
    return _page("".join(parts), 200)


async def favicon(request: web.Request) -> web.Response:
    """No icon, and no 404 either: browsers ask on every viewer page load."""
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/s/{slug}", viewer)
    add("GET", "/r/{token}", request_page)
    add("GET", "/favicon.ico", favicon)
