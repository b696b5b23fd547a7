"""Drive the official Sharokey Python SDK 1.0.0 against a server; print what it got as JSON.

Run by ``tests/cross_cutting/test_official_sdk.py`` with the interpreter of a virtual environment
that holds ``sharokey==1.0.0`` (the official package has the same import name as
this project, so it cannot share an environment with it). Run it isolated
(``python -I``) from a directory outside the project, so that only the official
package can be imported.

Input (environment): ``SHAROKEY_API_URL``, ``SHAROKEY_TOKEN``, ``SHAROKEY_WORKDIR``
(a directory for the attachment file). The token goes through the environment,
not the command line, so it never shows in a process listing.

Output (stdout): one JSON object, one entry per step. Each step is either
``{"ok": <the SDK's return value>}`` or ``{"error": <exception class>, "message": ...}``,
so the test can say which call failed instead of losing the whole run.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

CONTENT = "Official SDK secret: db password is correct-horse-battery-staple ✓"
ATTACHMENT_NAME = "official-report.bin"
# The official SDK refuses files under 64 bytes; this one has every byte value.
ATTACHMENT_BYTES = bytes(range(256)) * 3 + b"end of the official attachment\n"


async def step(results: dict[str, Any], name: str, call: Awaitable[Any]) -> Any:
    """Run one SDK call and record its answer or its failure under ``name``."""
    try:
        value = await call
    except Exception as error:  # every failure is data for the test
        results[name] = {"error": type(error).__name__, "message": str(error)[:300]}
        return None
    results[name] = {"ok": value}
    return value


async def main() -> int:
    sharokey = importlib.import_module("sharokey")
    api_url = os.environ["SHAROKEY_API_URL"]
    token = os.environ["SHAROKEY_TOKEN"]
    workdir = Path(os.environ["SHAROKEY_WORKDIR"])
    attachment = workdir / ATTACHMENT_NAME
    attachment.write_bytes(ATTACHMENT_BYTES)

    results: dict[str, Any] = {
        "module": {
            "version": getattr(sharokey, "__version__", None),
            "file": getattr(sharokey, "__file__", None),
            "content": CONTENT,
            "attachment_name": ATTACHMENT_NAME,
            "attachment_hex": ATTACHMENT_BYTES.hex(),
        }
    }
    client = sharokey.SharokeyClient(token=token, api_url=api_url, timeout=20)

    await step(
        results,
        "create",
        client.create(
            CONTENT,
            hours=24,
            views=2,
            description="made by the official SDK",
            message="see the attachment",
            attachments=[str(attachment)],
        ),
    )
    await step(
        results,
        "create_password",
        client.create("second secret", hours=2, views=1, password="opensesame"),
    )
    doomed = await step(results, "create_doomed", client.create("to be deleted", 1, 1))
    await step(results, "list", client.list())
    await step(results, "list_active", client.list(status="active", limit=10))
    created = (results["create"].get("ok") or {}).get("data") or {}
    slug = created.get("slug")
    if slug:
        await step(results, "get", client.get(slug))
    doomed_slug = ((doomed or {}).get("data") or {}).get("slug")
    if doomed_slug:
        await step(results, "delete", client.delete(doomed_slug))
        await step(results, "get_deleted", client.get(doomed_slug))
    await step(results, "get_missing", client.get("NoSuchSecret404"))
    await step(results, "stats", client.stats())
    await step(results, "test_connection", client.test_connection())

    request = await step(
        results,
        "create_request",
        client.create_request(
            message="Please send the VPN key",
            description="official SDK request",
            secret_expiration_hours=24,
            request_expiration_hours=48,
            maximum_views=2,
            email_to="alice@example.com",
        ),
    )
    await step(results, "list_requests", client.list_requests())
    data = ((request or {}).get("data")) or {}
    request_token = data.get("token") or (data.get("request") or {}).get("token")
    if request_token:
        await step(results, "get_request", client.get_request(request_token))
        await step(results, "request_stats", client.request_stats())
        await step(results, "delete_request", client.delete_request(request_token))
    else:
        await step(results, "request_stats", client.request_stats())

    intruder = sharokey.SharokeyClient(token="not-a-valid-token", api_url=api_url, timeout=20)
    await step(results, "bad_token", intruder.stats())

    sys.stdout.write(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
